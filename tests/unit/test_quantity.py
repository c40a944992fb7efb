"""Kubernetes quantities: the documented vectors and properties of parse/format."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from k8sedge import BadRequestError, Quantity, parse_quantity

# (input, exact value, canonical string) — from apimachinery's quantity_test.go
VECTORS = [
    ("100m", Fraction(1, 10), "100m"),
    ("1.5", Fraction(3, 2), "1500m"),
    ("1e3", Fraction(1000), "1e3"),
    ("1E3", Fraction(1000), "1e3"),
    ("1.5e3", Fraction(1500), "1500"),
    ("128Mi", Fraction(134_217_728), "128Mi"),
    ("8Gi", Fraction(8_589_934_592), "8Gi"),
    ("129M", Fraction(129_000_000), "129M"),
    ("1.5Gi", Fraction(1_610_612_736), "1536Mi"),
    ("1024Mi", Fraction(2**30), "1Gi"),
    ("0.5Gi", Fraction(2**29), "512Mi"),
    ("1.1Ki", Fraction(11264, 10), "1126400m"),
    ("0.1m", Fraction(1, 10000), "100u"),
    ("12345678n", Fraction(12345678, 10**9), "12345678n"),
    ("1u", Fraction(1, 10**6), "1u"),
    ("0", Fraction(0), "0"),
    ("-0", Fraction(0), "0"),
    ("+1", Fraction(1), "1"),
    ("-100m", Fraction(-1, 10), "-100m"),
    ("1000", Fraction(1000), "1k"),
    ("1000m", Fraction(1), "1"),
    ("1k", Fraction(1000), "1k"),
    ("1.", Fraction(1), "1"),
    (".5", Fraction(1, 2), "500m"),
    ("100Ki", Fraction(102400), "100Ki"),
    ("2048", Fraction(2048), "2048"),
    ("1E", Fraction(10**18), "1E"),
    ("1e-3", Fraction(1, 1000), "1e-3"),
    ("0.0000000001", Fraction(1, 10**9), "1n"),  # rounds up to the nano
    ("10Ei", Fraction(2**63 - 1), "9223372036854775807"),  # capped at 2^63-1
]


@pytest.mark.parametrize(("text", "value", "canonical"), VECTORS)
def test_vectors(text: str, value: Fraction, canonical: str) -> None:
    q = parse_quantity(text)
    assert q.value == value
    assert str(q) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1K",
        "1Kb",
        "abc",
        "1 Gi",
        "1Gi ",
        "1.2.3",
        "1e",
        "1e3.5",
        "1mi",
        "0.1am",
        ".5i",
        "1i",
        "-3.01e-",
        "--1",
        "1GB",
    ],
)
def test_invalid(text: str) -> None:
    with pytest.raises(BadRequestError):
        parse_quantity(text)


def test_units_and_coercion() -> None:
    assert parse_quantity("100m").milli_value() == 100
    assert parse_quantity("1.5").milli_value() == 1500
    assert parse_quantity("0.1m").milli_value() == 1  # rounds up, as Go's MilliValue
    assert parse_quantity("1.5Gi").int_value() == 1_610_612_736
    assert Quantity.coerce(4) == parse_quantity("4")
    assert Quantity.coerce(0.5) == parse_quantity("500m")
    with pytest.raises(BadRequestError):
        Quantity.coerce(True)
    with pytest.raises(BadRequestError):
        Quantity.coerce(float("nan"))
    assert parse_quantity("1Gi") > parse_quantity("1G")
    assert parse_quantity("1Gi") + parse_quantity("1Gi") == parse_quantity("2Gi")


_suffixes = st.sampled_from(["", "m", "k", "M", "G", "T", "n", "u", "Ki", "Mi", "Gi", "Ti"])
_SCALE = {
    "": 1,
    "m": Fraction(1, 1000),
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


@given(
    whole=st.integers(min_value=0, max_value=10**6),
    frac=st.one_of(st.none(), st.text(alphabet="0123456789", min_size=1, max_size=4)),
    suffix=_suffixes,
    negative=st.booleans(),
)
def test_value_matches_exact_arithmetic(
    whole: int, frac: str | None, suffix: str, negative: bool
) -> None:
    number = f"{whole}" if frac is None else f"{whole}.{frac}"
    text = ("-" if negative else "") + number + suffix
    expected = Fraction(Decimal(number)) * _SCALE[suffix]
    # values finer than a nano are rounded up (away from zero)
    nanos = expected * 10**9
    if nanos.denominator != 1:
        expected = Fraction(-(-nanos.numerator // nanos.denominator), 10**9)
    if negative:
        expected = -expected
    assert parse_quantity(text).value == expected


@given(
    value=st.integers(min_value=-(10**15), max_value=10**15),
    scale=st.integers(min_value=-9, max_value=3),
    suffix=_suffixes,
)
def test_canonical_round_trips(value: int, scale: int, suffix: str) -> None:
    text = f"{Decimal(value).scaleb(scale):f}{suffix}"
    q = parse_quantity(text)
    canonical = str(q)
    again = parse_quantity(canonical)
    assert again.value == q.value
    assert str(again) == canonical  # canonical form is a fixed point


@given(st.text(alphabet="0123456789.eEinumkKMGTP+-", max_size=8))
def test_parse_never_raises_anything_but_bad_request(text: str) -> None:
    try:
        q = parse_quantity(text)
    except BadRequestError:
        return
    assert parse_quantity(str(q)).value == q.value
