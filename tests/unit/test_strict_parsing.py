"""The strict number grammar, integer parameters, nonces and JSON depth (api/params.py, runtime/keys.py)."""

from __future__ import annotations

import copy
import string
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from krakensim.api.errors import ApiError
from krakensim.api.params import (
    INT64_MAX,
    MAX_EXPONENT,
    MAX_JSON_DEPTH,
    json_depth,
    parse_decimal,
    parse_unsigned,
)
from krakensim.runtime.keys import NonceState, nonce_ceiling, parse_nonce

GRAMMAR_CHARS = set(string.digits + ".eE-+")


def refused(text: str) -> bool:
    try:
        parse_decimal(text)
    except ApiError as e:
        assert e.code == "invalidArgument"
        return True
    return False


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_what_clients_send_is_taken_exactly(f: float) -> None:
    text = repr(f)  # str(float): what both clients send for a number they computed
    exponent = int(text.partition("e")[2] or 0)
    if abs(exponent) <= MAX_EXPONENT:
        assert parse_decimal(text) == Decimal(text)
    else:
        assert refused(text)


@given(st.text(max_size=30))
def test_anything_accepted_is_plain_ascii_and_finite(text: str) -> None:
    if refused(text):
        return
    assert set(text) <= GRAMMAR_CHARS and not text.startswith("+")
    d = parse_decimal(text)
    assert d.is_finite()
    # far from overflow: what the order parameters do with a number never raises
    for op in (lambda: d / Decimal("0.5"), lambda: d.scaleb(10), lambda: d * 100, lambda: d.to_integral_value()):
        op()


@pytest.mark.parametrize("text", [
    "1e999999999", "-1e999999999", "1e-999999999", "0e999999999", "1e100", "1e-100", "NaN", "nan", "sNaN",
    "Infinity", "-Infinity", "inf", "∞", "1_0", "1_000.5", "+5", " 5", "5 ", "\t5", "5\n", "\u00a05", "٣", "१२",
    "３", "𝟓", "²", "0x10", "1e", "e5", ".", "-", "--1", "1.2.3", "1,5", "", "9" * 65,
])
def test_refused(text: str) -> None:
    assert refused(text)


@pytest.mark.parametrize(("text", "value"), [
    ("0.001", "0.001"), ("1e-05", "0.00001"), ("0.30000000000000004", "0.30000000000000004"), ("-5", "-5"),
    ("5.", "5"), (".5", "0.5"), ("1E+5", "100000"), ("1e99", "1e99"), ("-0", "0"), ("00001", "1"),
])
def test_accepted(text: str, value: str) -> None:
    assert parse_decimal(text) == Decimal(value)


@given(st.integers(0, INT64_MAX))
def test_unsigned_round_trip(n: int) -> None:
    assert parse_unsigned(str(n)) == n


@given(st.text(max_size=25))
def test_unsigned_is_ascii_digits_only(text: str) -> None:
    try:
        n = parse_unsigned(text)
    except ApiError:
        assert not (text.isascii() and text.isdigit()) or int(text) > INT64_MAX
        return
    assert text.isascii() and text.isdigit() and 0 <= n <= INT64_MAX


@pytest.mark.parametrize("text", ["-1", "+1", "1_0", " 1", "1 ", "٣", "1e3", "1.0", "", str(INT64_MAX + 1)])
def test_unsigned_refused(text: str) -> None:
    with pytest.raises(ApiError):
        parse_unsigned(text)


def test_unsigned_maximum() -> None:
    assert parse_unsigned("2000", maximum=2000) == 2000
    with pytest.raises(ApiError):
        parse_unsigned("2001", maximum=2000)


@given(st.text(max_size=25))
def test_nonce_is_one_to_nineteen_ascii_digits(text: str) -> None:
    n = parse_nonce(text)
    good = text.isascii() and text.isdigit() and 1 <= len(text) <= 19
    assert (n is not None) == good and (n is None or n == int(text))


NOW_MS = 1_795_574_219_037
UNITS_PER_MS = {"ms": 1, "us": 1_000, "sdk 1e-8 s": 100_000, "ns": 1_000_000}


@pytest.mark.parametrize("unit", sorted(UNITS_PER_MS))
@pytest.mark.parametrize("skew_ms", [-86_400_000, -1000, 0, 1000, 3_600_000, 86_400_000])
def test_every_clock_unit_within_a_day_of_the_server_is_under_the_ceiling(unit: str, skew_ms: int) -> None:
    assert NonceState().check((NOW_MS + skew_ms) * UNITS_PER_MS[unit], NOW_MS) is None


@pytest.mark.parametrize("nonce", [10**20, 2**63, nonce_ceiling(NOW_MS) + 1, (NOW_MS + 86_400_001) * 1_000_000])
def test_far_ahead_is_refused_and_moves_nothing(nonce: int) -> None:
    state = NonceState()
    state.accept(NOW_MS)
    before = copy.deepcopy(state)
    assert state.check(nonce, NOW_MS) == "authenticationError"
    assert state == before
    assert state.check(NOW_MS + 1, NOW_MS) is None  # the key's own next nonce is still good


def test_the_ceiling_fits_the_journal_for_centuries() -> None:
    year_2200_ms = 7_258_118_400_000
    assert nonce_ceiling(year_2200_ms) < 2**63


def _depth(doc: Any) -> int:  # the obvious recursive definition
    if isinstance(doc, dict):
        doc = list(doc.values())
    if isinstance(doc, list):
        return 1 + max((_depth(c) for c in doc), default=0)
    return 0


json_docs = st.recursive(st.none() | st.integers() | st.text(max_size=3),
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner,
                                                                                      max_size=3), max_leaves=30)


@given(json_docs)
def test_json_depth(doc: Any) -> None:
    d = _depth(doc)
    assert json_depth(doc) == d if d <= MAX_JSON_DEPTH else json_depth(doc) > MAX_JSON_DEPTH


def test_json_depth_of_very_deep_nesting_needs_no_recursion() -> None:
    doc: list[Any] = []
    for _ in range(100_000):
        doc = [doc]
    assert json_depth(doc) > MAX_JSON_DEPTH
