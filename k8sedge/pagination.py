"""Page/limit validation and slicing shared by every backend and the server."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Generic, TypeVar

from attrs import frozen

from .errors import BadRequestError

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Page", "Pagination", "check_page", "page_of", "paginate"]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
T = TypeVar("T")


@frozen(kw_only=True)
class Pagination:
    total: int
    page: int
    limit: int
    pages: int


@frozen
class Page(Generic[T]):
    """One page of a collection, with the documented ``pagination`` metadata."""

    items: list[T]
    pagination: Pagination


def check_page(page: object, limit: object) -> tuple[int, int]:
    """Validate ``page`` (>= 1) and ``limit`` (1..100); out of range is ``BadRequestError``."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise BadRequestError("page must be an integer >= 1", {"page": "must be an integer >= 1"})
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequestError(
            f"limit must be an integer between 1 and {MAX_LIMIT}",
            {"limit": f"must be an integer between 1 and {MAX_LIMIT}"},
        )
    return page, limit


def paginate(items: Sequence[T], page: int, limit: int) -> tuple[Sequence[T], Pagination]:
    """The slice of ``items`` on ``page`` and its pagination metadata."""
    total = len(items)
    start = (page - 1) * limit
    return items[start : start + limit], Pagination(
        total=total, page=page, limit=limit, pages=math.ceil(total / limit)
    )


def page_of(items: Sequence[T], page: int, limit: int) -> Page[T]:
    chunk, meta = paginate(items, page, limit)
    return Page(list(chunk), meta)
