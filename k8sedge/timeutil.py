"""Durations ("30s", "5m", "24h", "7d") and RFC 3339 timestamps with a ``Z``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .errors import BadRequestError

__all__ = ["format_timestamp", "parse_duration", "parse_timestamp", "to_datetime"]

_DURATION = re.compile(r"^(\d{1,18})(ms|s|m|h|d|w)$")  # longer numbers are no durations
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: object, *, field: str = "duration") -> float:
    """Seconds in a duration such as ``"90s"``, ``"5m"``, ``"24h"`` or ``"7d"``.

    Raises ``BadRequestError`` naming ``field`` for anything else, including zero.
    """
    if not isinstance(text, str):
        raise BadRequestError(
            f"{field} must be a duration string such as '5m'", {field: "must be a string"}
        )
    match = _DURATION.match(text.strip())
    if match is None:
        raise BadRequestError(
            f"invalid {field} {text[:100]!r}: use a number and a unit (ms, s, m, h, d, w), "
            "e.g. '5m'",
            {field: f"invalid duration {text[:100]!r}"},
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise BadRequestError(f"{field} must be positive", {field: "must be positive"})
    return float(seconds)


def to_datetime(epoch: float) -> datetime:
    """An aware UTC datetime for epoch seconds."""
    return datetime.fromtimestamp(epoch, UTC)


def format_timestamp(when: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``; fractions of a second only when present."""
    if when.tzinfo is not UTC:
        when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return when.isoformat()[:-6] + "Z"  # drop "+00:00"


def parse_timestamp(text: str) -> datetime:
    """Parse RFC 3339 (``Z`` or an offset); naive input is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError):
        raise BadRequestError(f"invalid timestamp {text!r}: expected RFC 3339") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
