"""ccxt.krakenfutures (sync, unchanged) against the live simulator."""

from __future__ import annotations

import json

import ccxt
import pytest

from apihelpers import BTC, XBT_ID, num, open_order_ids, raw_open_order, uid

BUY_PRICE = 88500  # resting bids well below the 90000 reference price


def test_load_markets_maps_instruments(ex1: ccxt.krakenfutures) -> None:
    markets = ex1.markets
    assert BTC in markets
    m = markets[BTC]
    assert m["id"] == XBT_ID
    assert m["base"] == "BTC" and m["quote"] == "USD" and m["settle"] == "USD"
    assert m["swap"] is True and m["linear"] is True and m["contract"] is True
    assert m["active"] is True
    assert num(m["precision"]["price"]) == 1.0
    assert num(m["precision"]["amount"]) == pytest.approx(0.0001)
    inverse = markets["BTC/USD:BTC"]
    assert inverse["id"] == "PI_XBTUSD"
    assert inverse["inverse"] is True and inverse["settle"] == "BTC"
    assert num(inverse["precision"]["price"]) == 0.5
    assert num(inverse["precision"]["amount"]) == 1.0
    ids = {mk["id"] for mk in markets.values()}
    assert {"PF_ETHUSD", "PF_SOLUSD"} <= ids
    # ccxt kept the raw response (transport observation works)
    assert ex1.last_http_response and json.loads(ex1.last_http_response)["result"] == "success"


def test_fetch_ticker(ex1: ccxt.krakenfutures) -> None:
    t = ex1.fetch_ticker(BTC)
    assert t["symbol"] == BTC
    assert t["info"]["symbol"] == XBT_ID
    mark = num(t["info"]["markPrice"])
    assert 80000 < mark < 100000
    if "lastTime" in t["info"]:  # optional in the spec; absent until the first fill
        assert t["timestamp"] is not None and t["last"] == num(t["info"]["last"])
    else:
        assert t["timestamp"] is None and t["last"] is None
    assert ex1.last_request_url.endswith("/derivatives/api/v3/tickers/" + XBT_ID)


def test_fetch_order_book_shows_resting_order(ex1: ccxt.krakenfutures) -> None:
    price = BUY_PRICE - 377
    order = ex1.create_order(BTC, "limit", "buy", 0.0123, price, {"clientOrderId": uid("ob")})
    try:
        book = ex1.fetch_order_book(BTC)
        assert book["symbol"] == BTC
        assert book["timestamp"] is not None
        levels = {p: s for p, s in book["bids"]}
        assert price in levels
        assert levels[price] >= 0.0123 - 1e-9
        bid_prices = [p for p, _ in book["bids"]]
        assert bid_prices == sorted(bid_prices, reverse=True)
        ask_prices = [p for p, _ in book["asks"]]
        assert ask_prices == sorted(ask_prices)
    finally:
        ex1.cancel_order(order["id"])
    book = ex1.fetch_order_book(BTC)
    remaining = {p: s for p, s in book["bids"]}
    assert remaining.get(price, 0) == pytest.approx(0) or price not in remaining


def test_fetch_balance_fresh_account(ccxt_factory, fresh_account) -> None:
    ex = ccxt_factory(fresh_account())
    bal = ex.fetch_balance()
    assert bal["USD"]["total"] == pytest.approx(100000)
    assert bal["USD"]["free"] == pytest.approx(100000)
    flex = bal["info"]["accounts"]["flex"]
    assert flex["type"] == "multiCollateralMarginAccount"
    assert num(flex["currencies"]["USD"]["quantity"]) == pytest.approx(100000)


def test_order_lifecycle_create_edit_cancel(ex1: ccxt.krakenfutures) -> None:
    cid = uid("life")
    order = ex1.create_order(BTC, "limit", "buy", 0.01, BUY_PRICE, {"clientOrderId": cid})
    assert order["status"] == "open"
    assert order["id"]
    assert order["clientOrderId"] == cid
    assert order["symbol"] == BTC and order["side"] == "buy"
    assert order["amount"] == pytest.approx(0.01)
    send = ex1.last_json_response["sendStatus"]
    assert send["status"] == "placed"
    assert send["order_id"] == order["id"]

    opened = {o["id"]: o for o in ex1.fetch_open_orders()}
    assert order["id"] in opened
    oo = opened[order["id"]]
    assert oo["status"] == "open" and oo["side"] == "buy" and oo["symbol"] == BTC
    assert oo["amount"] == pytest.approx(0.01)
    assert oo["clientOrderId"] == cid
    raw = raw_open_order(ex1, order["id"])
    assert raw is not None
    assert num(raw["limitPrice"]) == BUY_PRICE
    assert raw["status"] == "untouched"
    assert num(raw["unfilledSize"]) == pytest.approx(0.01) and num(raw["filledSize"]) == 0

    edited = ex1.edit_order(order["id"], BTC, "limit", "buy", 0.02, BUY_PRICE - 100)
    assert edited["id"] == order["id"]
    edit_status = ex1.last_json_response["editStatus"]
    assert edit_status["status"] == "edited"
    events = edit_status["orderEvents"]
    assert events and events[0]["type"] == "EDIT"
    assert num(events[0]["old"]["limitPrice"]) == BUY_PRICE
    assert num(events[0]["new"]["limitPrice"]) == BUY_PRICE - 100
    assert num(events[0]["new"]["quantity"]) == pytest.approx(0.02)

    raw = raw_open_order(ex1, order["id"])
    assert raw is not None
    assert num(raw["limitPrice"]) == BUY_PRICE - 100
    assert num(raw["unfilledSize"]) == pytest.approx(0.02)

    cancelled = ex1.cancel_order(order["id"])
    assert cancelled["status"] == "canceled"
    assert cancelled["id"] == order["id"]
    assert order["id"] not in open_order_ids(ex1)


def test_cancel_by_cli_ord_id_raw(ex1: ccxt.krakenfutures) -> None:
    cid = uid("clicancel")
    order = ex1.create_order(BTC, "limit", "buy", 0.005, BUY_PRICE - 10, {"clientOrderId": cid})
    resp = ex1.privatePostCancelorder({"cliOrdId": cid})
    assert resp["result"] == "success"
    cs = resp["cancelStatus"]
    assert cs["status"] == "cancelled"
    assert cs["order_id"] == order["id"]
    assert cs.get("cliOrdId") == cid
    assert order["id"] not in open_order_ids(ex1)


def test_fetch_order_and_fetch_orders_via_orders_status(ex1: ccxt.krakenfutures) -> None:
    a = ex1.create_order(BTC, "limit", "buy", 0.003, BUY_PRICE - 20, {"clientOrderId": uid("fo")})
    b = ex1.create_order(BTC, "limit", "buy", 0.004, BUY_PRICE - 30, {"clientOrderId": uid("fo")})
    try:
        fa = ex1.fetch_order(a["id"])
        assert ex1.last_request_url.split("?")[0].endswith("/derivatives/api/v3/orders/status")
        assert fa["id"] == a["id"]
        assert fa["status"] == "open"
        assert fa["amount"] == pytest.approx(0.003)
        assert fa["side"] == "buy" and fa["symbol"] == BTC
        assert fa["clientOrderId"] == a["clientOrderId"]
        assert fa["info"]["status"] == "ENTERED_BOOK"

        both = ex1.fetch_orders(params={"orderIds": [a["id"], b["id"]]})
        assert {o["id"] for o in both} == {a["id"], b["id"]}
        assert all(o["status"] == "open" for o in both)
    finally:
        ex1.cancel_order(b["id"])
    fb = ex1.fetch_order(b["id"])
    assert fb["status"] == "canceled"
    assert fb["info"]["status"] == "CANCELLED"
    ex1.cancel_order(a["id"])


def test_cancel_unknown_order_raises_order_not_found(ex1: ccxt.krakenfutures) -> None:
    with pytest.raises(ccxt.OrderNotFound):
        ex1.cancel_order("00000000-0000-4000-8000-000000000000")
    assert ex1.last_json_response["cancelStatus"]["status"] == "notFound"


def test_fetch_order_unknown_raises_order_not_found(ex1: ccxt.krakenfutures) -> None:
    with pytest.raises(ccxt.OrderNotFound):
        ex1.fetch_order("00000000-0000-4000-8000-00000000beef")
    assert ex1.last_json_response["orders"] == []
