"""Funding rates: published hourly from the premium of mark over index (v3 and v4 history, tickers)."""

from __future__ import annotations

import pytest
from kraken.futures import Market

from apihelpers import BTC, XBT_ID

HOUR = 3_600_000


def test_funding_rates_follow_the_premium(venue) -> None:
    ex = venue.ccxt(venue.account())
    venue.prices(mark=90090, index=90000)  # 0.1 % premium → 0.0125 % an hour (coefficient 8)
    venue.advance(2 * HOUR)

    history = ex.fetch_funding_rate_history(BTC)  # GET /derivatives/api/v4/historicalfundingrates
    assert len(history) == 2
    assert [r["fundingRate"] for r in history] == [pytest.approx(0.000125)] * 2
    assert history[1]["timestamp"] - history[0]["timestamp"] == HOUR

    rate = ex.fetch_funding_rate(BTC)  # from the tickers: fundingRate / markPrice
    assert rate["fundingRate"] == pytest.approx(0.000125)
    assert rate["markPrice"] == 90090 and rate["indexPrice"] == 90000

    sdk = venue.sdk(Market)
    v4 = sdk.get_historical_funding_rates(symbol=XBT_ID)
    assert [r["relativeFundingRate"] for r in v4["rates"]] == [pytest.approx(0.000125)] * 2
    assert v4["rates"][0]["fundingRate"] == pytest.approx(0.000125 * 90090)  # absolute: USD per contract
    v3 = venue.raw().v3json("GET", "historical-funding-rates", query="symbol=" + XBT_ID, sign=False)
    assert v3["rates"] == v4["rates"]


def test_unknown_or_not_perpetual_symbol_is_400(venue) -> None:
    r = venue.raw().v3("GET", "historical-funding-rates", "symbol=PF_NOPE", "", sign=False)
    assert r.status_code == 400 and r.json()["error"] == "invalidArgument"
