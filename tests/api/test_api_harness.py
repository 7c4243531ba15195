"""The suite's own plumbing: responses are really observed and really validated."""

from __future__ import annotations

import pytest

import apihelpers
from apihelpers import BTC, XBT_ID, validate_body


def test_schema_checker_is_the_real_one() -> None:
    assert apihelpers._assert_valid is not None, "tests/schema_check.py must be importable"
    with pytest.raises(AssertionError):
        validate_body("POST", "/derivatives/api/v3/sendorder", {"result": "success"})
    with pytest.raises(AssertionError):
        validate_body("GET", "/derivatives/api/v3/openorders", {"result": "error", "error": None})


def test_both_clients_are_observed(ex1, sdk_market, recorder) -> None:
    start = len(recorder.entries)
    ex1.fetch_ticker(BTC)
    seen = recorder.entries[start:]
    assert [(e.method, e.path, e.status) for e in seen] == [
        ("GET", "/derivatives/api/v3/tickers/" + XBT_ID, 200)
    ]
    assert seen[0].body["ticker"]["symbol"] == XBT_ID
    sdk_market.get_tickers()
    last = recorder.entries[-1]
    assert (last.method, last.path, last.status) == ("GET", "/derivatives/api/v3/tickers", 200)
    assert isinstance(last.body["tickers"], list)
