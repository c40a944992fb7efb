"""Kubernetes resource quantities, parsed and formatted exactly as apimachinery does.

The grammar, the rounding (up, to the nearest nano) and the canonical form follow
``k8s.io/apimachinery/pkg/api/resource/quantity.go``: ``"1.5"`` is ``1500m``,
``"1.5Gi"`` is ``1536Mi``, ``"1e3"`` stays ``1e3`` and ``"1K"`` is an error.
Arithmetic is exact (``fractions.Fraction``), never floating point. Kubernetes' bounds hold:
a magnitude above 2^63-1 is capped there, the exponent is an int32 (beyond it the quantity is
refused), and parsing never raises 10 to a large power, so any string parses in microseconds.
"""

from __future__ import annotations

import enum
import functools
import math
from fractions import Fraction
from functools import total_ordering

from .errors import BadRequestError

__all__ = ["Quantity", "QuantityFormat", "parse_quantity"]

_MAX = Fraction(2**63 - 1)
_INT32_LIMIT = 2**31
# digits kept below the most significant one: exact rounding to a nano after up to 2**60
_GUARD_DIGITS = 70
_NANO = 10**9
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_DIGITS = frozenset("0123456789")

_DECIMAL_SUFFIXES: dict[str, int] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_DECIMAL_BY_EXPONENT = {exp: suffix for suffix, exp in _DECIMAL_SUFFIXES.items()}
_BINARY_SUFFIXES: dict[str, int] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BINARY_BY_POWER = {power // 10: suffix for suffix, power in _BINARY_SUFFIXES.items()}


class QuantityFormat(enum.Enum):
    """How a quantity is written back: the format of the suffix it was parsed with."""

    DECIMAL_SI = "DecimalSI"
    BINARY_SI = "BinarySI"
    DECIMAL_EXPONENT = "DecimalExponent"


class _FormatError(ValueError):
    pass


def _split(text: str) -> tuple[bool, str, str, str]:
    """Split into (positive, numerator digits, denominator digits, suffix) like Go's parser."""
    positive = True
    pos, end = 0, len(text)
    if pos < end and text[0] in "+-":
        positive = text[0] == "+"
        pos += 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "", ""
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    num = text[start:pos] or "0"
    denom = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise _FormatError(
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        )
    return positive, num, denom, text[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, QuantityFormat]:
    """(base, exponent, format) for a suffix, or raise."""
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], QuantityFormat.DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], QuantityFormat.BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        exponent = suffix[1:]
        body = exponent[1:] if exponent[0] in "+-" else exponent
        if body and all(ch in _DIGITS for ch in body):
            # Go reads the exponent with strconv.ParseInt and keeps it as an int32
            value = int(exponent) if len(body) <= 10 else _INT32_LIMIT
            if abs(value) >= _INT32_LIMIT:
                raise _FormatError("the quantity's exponent is out of range")
            return 10, value, QuantityFormat.DECIMAL_EXPONENT
    raise _FormatError("unable to parse quantity's suffix")


def _bounded_value(num: str, denom: str, base: int, exponent: int) -> Fraction:
    """``num.denom * base**exponent``, rounded up to a nano and capped at 2^63-1, without
    ever computing a power or a number larger than those bounds need (a quantity such as
    ``1e2000000000`` or a thousand-digit mantissa costs microseconds)."""
    digits = (num + denom).lstrip("0")
    if not digits:
        return Fraction(0)
    scale = -len(denom) + (exponent if base == 10 else 0)
    binary = exponent if base == 2 else 0  # at most 60 (Ei)
    top = len(digits) + scale  # the value is below 10**top * 2**binary
    if top - 1 >= 19:  # at least 10**19 > 2**63 - 1
        return _MAX
    if top <= -28:  # below 10**-9.9 even times 2**60: rounds up to one nano
        return Fraction(1, _NANO)
    keep = top + _GUARD_DIGITS
    if len(digits) > keep:
        # drop digits far below a nano; a non-zero tail only has to round the value up
        tail = digits[keep:].strip("0")
        scale += len(digits) - keep - 1
        digits = digits[:keep] + ("1" if tail else "0")
    value = Fraction(int(digits)) * Fraction(10) ** scale * (1 << binary)
    value = _round_up_to_nano(value)
    return _MAX if value > _MAX else value


def _round_up_to_nano(value: Fraction) -> Fraction:
    """Round away from zero to a multiple of 1e-9 (inf.RoundUp at scale 9)."""
    scaled = value * _NANO
    if scaled.denominator == 1:
        return value
    magnitude = math.ceil(abs(scaled))
    return Fraction(magnitude if scaled > 0 else -magnitude, _NANO)


@total_ordering
class Quantity:
    """An exact Kubernetes quantity with the format it is written back in."""

    __slots__ = ("_canonical", "_format", "_value")

    def __init__(
        self,
        value: int | Fraction | str,
        format: QuantityFormat = QuantityFormat.DECIMAL_SI,
    ) -> None:
        """``Quantity("500m")`` parses (as ``Quantity.parse``); a number is exact as given."""
        if isinstance(value, str):
            parsed = Quantity.parse(value)
            value, format = parsed.value, parsed.format
        self._value = Fraction(value)
        self._format = format
        self._canonical: str | None = None

    @classmethod
    def parse(cls, text: str) -> Quantity:
        """Parse a quantity string; raise ``BadRequestError`` if Kubernetes would refuse it."""
        if not isinstance(text, str):
            raise BadRequestError(f"quantity must be a string, not {type(text).__name__}")
        if not text:
            raise BadRequestError(
                "quantities must match the regular expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            )
        try:
            positive, num, denom, suffix = _split(text)
            base, exponent, fmt = _interpret(suffix)
        except _FormatError as exc:
            raise BadRequestError(f"invalid quantity {text!r}: {exc}") from None
        value = _bounded_value(num, denom, base, exponent)
        if not positive:
            value = -value
        return cls(value, fmt)
        return cls(value, fmt)

    @classmethod
    def coerce(cls, raw: object) -> Quantity:
        """Accept a quantity, a quantity string, or a JSON number (as Kubernetes does)."""
        if isinstance(raw, Quantity):
            return raw
        if isinstance(raw, bool):
            raise BadRequestError("quantity must be a string or a number, not a boolean")
        if isinstance(raw, int):
            return cls.parse(str(raw))
        if isinstance(raw, float):
            if not math.isfinite(raw):
                raise BadRequestError(f"invalid quantity {raw!r}")
            return cls.parse(repr(raw).replace("e+", "e"))
        if isinstance(raw, str):
            return cls.parse(raw)
        raise BadRequestError(f"quantity must be a string or a number, not {type(raw).__name__}")

    @property
    def value(self) -> Fraction:
        """The exact value."""
        return self._value

    @property
    def format(self) -> QuantityFormat:
        return self._format

    def milli_value(self) -> int:
        """The value in thousandths, rounded up (``MilliValue`` in Go)."""
        return math.ceil(self._value * 1000)

    def int_value(self) -> int:
        """The value rounded up to an integer (``Value`` in Go)."""
        return math.ceil(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def canonical(self) -> str:
        """The canonical string form, byte for byte what ``Quantity.String()`` gives."""
        if self._canonical is None:
            self._canonical = self._format_canonical()
        return self._canonical

    def _format_canonical(self) -> str:
        value = self._value
        if value == 0:
            return "0"
        fmt = self._format
        if fmt is QuantityFormat.BINARY_SI and (-1024 < value < 1024 or value.denominator != 1):
            fmt = QuantityFormat.DECIMAL_SI
        if fmt is QuantityFormat.BINARY_SI:
            amount, power = value.numerator, 0
            while amount % 1024 == 0 and power < 6:
                amount //= 1024
                power += 1
            return f"{amount}{_BINARY_BY_POWER.get(power, '')}"
        # decimal: amount * 10**exponent with the exponent a multiple of three
        exponent = 0
        scaled = value
        while scaled.denominator != 1:
            scaled *= 10
            exponent -= 1
        mantissa = scaled.numerator
        while mantissa != 0 and mantissa % 10 == 0:
            mantissa //= 10
            exponent += 1
        while exponent % 3 != 0:
            mantissa *= 10
            exponent -= 1
        if fmt is QuantityFormat.DECIMAL_EXPONENT:
            return f"{mantissa}" if exponent == 0 else f"{mantissa}e{exponent}"
        suffix = _DECIMAL_BY_EXPONENT.get(exponent)
        if suffix is None:  # beyond the SI table: Go falls back to the exponent form
            return f"{mantissa}e{exponent}"
        return f"{mantissa}{suffix}"

    def __str__(self) -> str:
        return self.canonical()

    def __repr__(self) -> str:
        return f"Quantity({self.canonical()!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Quantity):
            return self._value == other._value
        if isinstance(other, int | Fraction):
            return self._value == other
        return NotImplemented

    def __lt__(self, other: object) -> bool:
        if isinstance(other, Quantity):
            return self._value < other._value
        if isinstance(other, int | Fraction):
            return self._value < other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self._value + other._value, self._format)

    def __sub__(self, other: Quantity) -> Quantity:
        return Quantity(self._value - other._value, self._format)


def parse_quantity(text: str) -> Quantity:
    """Parse a Kubernetes quantity string (``"100m"``, ``"8Gi"``, ``"1e3"``)."""
    return Quantity.parse(text)


# the engine's integer units are capped here, so that sums over nodes and pods stay in int64
MAX_ENGINE_UNITS = 2**53


def to_engine_units(quantity: Quantity, *, milli: bool) -> int:
    """A quantity in the engine's integer units (thousandths for CPU), at most
    ``MAX_ENGINE_UNITS`` in magnitude."""
    units = quantity.milli_value() if milli else quantity.int_value()
    return max(-MAX_ENGINE_UNITS, min(MAX_ENGINE_UNITS, units))


@functools.lru_cache(maxsize=8192)
def _engine_units(text: str, milli: bool) -> int:
    return to_engine_units(Quantity.parse(text), milli=milli)


def engine_units(raw: object, *, milli: bool) -> int:
    """A quantity (string or number) in the engine's integer units, cached by text."""
    if isinstance(raw, str):
        return _engine_units(raw, milli)
    return to_engine_units(Quantity.coerce(raw), milli=milli)
