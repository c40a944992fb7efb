"""Page/limit validation and slicing shared by every backend and the server."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar

from attrs import frozen

from .errors import BadRequestError

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "Page", "Pagination", "check_page", "page_of", "paginate"]

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
T = TypeVar("T")


@frozen(kw_only=True)
class Pagination:
    """A list answer's ``pagination``: ``total`` items, this ``page`` (from 1), ``limit`` per page,
    ``pages``."""

    total: int
    page: int
    limit: int
    pages: int


@frozen(repr=False)
class Page(Generic[T]):
    """One page of a collection, with the documented ``pagination`` metadata. A page is a
    sequence of its items: ``len(page)``, ``for item in page``, ``page[0]``."""

    items: list[T]
    pagination: Pagination

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __getitem__(self, index: int) -> T:
        return self.items[index]

    def __repr__(self) -> str:
        p = self.pagination
        return f"Page({len(self.items)} items; page {p.page} of {p.pages}, {p.total} in all)"

    def to_pandas(self) -> Any:
        """One row per item (its wire form), a pandas DataFrame."""
        from ._display import frame, to_dict

        return frame(to_dict(item) for item in self.items)

    def _repr_html_(self) -> str:
        from ._display import html_table, to_dict

        rows = [to_dict(item) for item in self.items]
        header = list(rows[0]) if rows and isinstance(rows[0], dict) else ["item"]
        body = [[r.get(h) for h in header] if isinstance(r, dict) else [r] for r in rows]
        p = self.pagination
        caption = f"page {p.page} of {p.pages} ({p.total} in all)"
        return html_table(header, body, caption=caption)


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
