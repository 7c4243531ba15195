"""Public market history: anonymised order events and mark price changes (what the SDK's Market reads)."""

from __future__ import annotations

from kraken.futures import Market

from apihelpers import BTC, XBT_ID, trade_between


def test_public_order_events_and_mark_prices(venue) -> None:
    a, b = venue.ccxt(venue.account()), venue.ccxt(venue.account())
    trade_between(a, b, 90100, 0.002)
    venue.prices(mark=90200)
    sdk = venue.sdk(Market)

    orders = sdk.get_public_order_events(tradeable=XBT_ID)
    kinds = [next(iter(e["event"])) for e in orders["elements"]]
    assert kinds.count("OrderPlaced") == 2 and "OrderUpdated" in kinds  # newest first by default
    placed = [e["event"]["OrderPlaced"]["order"] for e in orders["elements"] if "OrderPlaced" in e["event"]]
    assert {o["direction"] for o in placed} == {"Buy", "Sell"}
    assert all("accountUid" not in o for o in placed)  # public: no account

    prices = sdk.get_public_mark_price_events(tradeable=XBT_ID)
    assert [e["event"]["price"] for e in prices["elements"]] == ["90200", "90100"]
    v3 = venue.raw().request("GET", "/api/history/v3/market/PF_XBTUSD/price", "sort=asc", "", sign=False)
    assert [e["event"]["price"] for e in v3.json()["elements"]] == ["90100", "90200"]
    assert a.fetch_ticker(BTC)["info"]["markPrice"] == 90200
