"""Symbols in any case (docs/fidelity.md, issue 13 part 8): live Kraken takes ``pf_xbtusd`` for
``PF_XBTUSD`` and answers with the canonical (listed, upper-case) spelling; so does krakensim."""

from __future__ import annotations

import json

import pytest
from kraken.futures import Trade

from apihelpers import XBT_ID, uid

LOWER = XBT_ID.lower()
MIXED = "Pf_XbtUsd"


@pytest.mark.parametrize("spelling", [LOWER, MIXED])
def test_sendorder_openorders_cancelall_in_any_case(sdk_factory, raw_factory, fresh_account, spelling) -> None:
    creds = fresh_account()
    trade = sdk_factory(Trade, creds)
    sent = trade.create_order(orderType="post", size=0.001, symbol=spelling, side="buy", limitPrice=9000,
                              cliOrdId=uid("case"))
    assert sent["sendStatus"]["status"] == "placed", sent
    assert sent["sendStatus"]["orderEvents"][0]["order"]["symbol"] == XBT_ID
    raw = raw_factory(creds)
    [open_order] = raw.v3json("GET", "openorders")["openOrders"]
    assert open_order["symbol"] == XBT_ID
    cancelled = raw.v3json("POST", "cancelallorders", body=f"symbol={spelling}")["cancelStatus"]
    assert cancelled["cancelOnly"] == XBT_ID and cancelled["status"] == "cancelled"
    assert [o["order_id"] for o in cancelled["cancelledOrders"]] == [sent["sendStatus"]["order_id"]]
    assert raw.v3json("GET", "openorders")["openOrders"] == []


def test_batch_send_in_lower_case(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account())
    instruction = {"order": "send", "order_tag": "1", "orderType": "lmt", "symbol": LOWER, "side": "buy",
                   "size": 0.001, "limitPrice": 9000}
    body = "json=" + json.dumps({"batchOrder": [instruction]})
    [st] = raw.v3json("POST", "batchorder", body=body)["batchStatus"]
    assert st["status"] == "placed", st
    assert st["orderEvents"][0]["order"]["symbol"] == XBT_ID


def test_public_reads_in_any_case(raw_factory) -> None:
    raw = raw_factory(None)
    for spelling in (LOWER, MIXED):
        assert raw.v3json("GET", f"tickers/{spelling}", sign=False)["ticker"]["symbol"] == XBT_ID
        assert raw.v3json("GET", f"instruments/{spelling}/status", sign=False)["tradeable"] == XBT_ID
        assert "bids" in raw.v3json("GET", "orderbook", f"symbol={spelling}", sign=False)["orderBook"]
        assert raw.v3json("GET", "history", f"symbol={spelling}", sign=False)["result"] == "success"
        assert raw.v3json("GET", "historical-funding-rates", f"symbol={spelling}", sign=False)["result"] == "success"
        charts = raw.request("GET", f"/api/charts/v1/trade/{spelling}/1h", sign=False)
        assert charts.status_code == 200 and "candles" in charts.json()
        market = raw.request("GET", f"/api/history/v3/market/{spelling}/executions", sign=False)
        assert market.status_code == 200 and "elements" in market.json()


def test_history_tradeable_filter_in_lower_case(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account())
    body = f"orderType=post&symbol={LOWER}&side=buy&size=0.001&limitPrice=9000"
    assert raw.v3json("POST", "sendorder", body=body)["sendStatus"]["status"] == "placed"
    r = raw.request("GET", "/api/history/v3/orders", f"tradeable={LOWER}")
    assert r.status_code == 200
    [element] = r.json()["elements"]
    assert element["event"]["OrderPlaced"]["order"]["tradeable"] == XBT_ID


def test_unknown_symbol_still_refused(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account())
    body = "orderType=lmt&symbol=pf_nosuchusd&side=buy&size=0.001&limitPrice=9000"
    assert raw.v3json("POST", "sendorder", body=body)["error"] == "invalidArgument"
    assert raw.v3("GET", "tickers/pf_nosuchusd", sign=False).status_code == 404
