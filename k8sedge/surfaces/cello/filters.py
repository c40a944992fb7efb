"""Cello's raw filters: ``/clusters`` and ``/hosts`` pass their parameters to MongoDB as is.

A filter is ``{field: value}``, matched against the object as the server writes it: equal
values, a value contained in a list field (``containers``), dotted paths into object fields
(``mapped_ports.rest``). Query strings carry text only, so a text value also matches a
number or a flag that reads the same (``?size=4``; MongoDB would match nothing there). The
spec's ``{"user": ""}`` example means ``user_id``. An unknown field, or an operator
(``{"$in": …}``), is a ``BadRequestError`` rather than an empty answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ...errors import BadRequestError

__all__ = ["check_filter", "matches"]

_ALIASES = {"user": "user_id"}


def check_filter(filter: Mapping[str, Any], fields: Iterable[str], what: str) -> dict[str, Any]:
    """The filter with the spec's aliases resolved; unknown fields are ``BadRequestError``."""
    known = set(fields)
    out: dict[str, Any] = {}
    for key, value in filter.items():
        if not isinstance(key, str) or not key:
            raise BadRequestError(f"invalid {what} filter key {key!r}", {"filter": "bad key"})
        name = _ALIASES.get(key, key)
        if name.split(".", 1)[0] not in known:
            raise BadRequestError(
                f"unknown {what} field {key!r} in the filter",
                {key: f"not a {what} field; one of {', '.join(sorted(known))}"},
            )
        if isinstance(value, dict) and any(str(k).startswith("$") for k in value):
            raise BadRequestError(
                f"filter operators are not supported ({key})", {key: "equality only"}
            )
        out[name] = value
    return out


def _get(obj: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return False, None
        current = current[part]
    return True, current


def _same(actual: Any, wanted: Any) -> bool:
    if actual == wanted and type(actual) is type(wanted):
        return True
    if isinstance(wanted, str) and not isinstance(actual, str | dict | list):
        text = {True: "true", False: "false"}.get(actual) if isinstance(actual, bool) else None
        return wanted == (text if text is not None else str(actual))
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return False
    return isinstance(actual, int | float) and isinstance(wanted, int | float) and actual == wanted


def matches(obj: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
    """Whether ``obj`` (as written on the wire) matches every key of ``filter``."""
    for path, wanted in filter.items():
        present, actual = _get(obj, path)
        if not present:
            if wanted is None:
                continue
            return False
        if isinstance(actual, list) and not isinstance(wanted, list):
            if not any(_same(item, wanted) for item in actual):
                return False
        elif not _same(actual, wanted):
            return False
    return True
