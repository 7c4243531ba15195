"""POST /cancelorder details per spec/rest/cancel-order.md."""

from __future__ import annotations

from datetime import datetime

import ccxt
import pytest

from apihelpers import BTC, XBT_ID, free_trade_price, num, raw_open_order, uid

PRICE = 88300
ORDER_JSON_KEYS = {
    "orderId",
    "cliOrdId",
    "type",
    "symbol",
    "side",
    "quantity",
    "filled",
    "limitPrice",
    "reduceOnly",
    "timestamp",
    "lastUpdateTimestamp",
}


def _iso(value: str) -> datetime:
    assert value.endswith("Z"), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_cancelled_has_cancel_event_with_full_order(ex1: ccxt.krakenfutures) -> None:
    cid = uid("cev")
    order = ex1.create_order(BTC, "limit", "buy", 0.0061, PRICE, {"clientOrderId": cid})
    resp = ex1.privatePostCancelorder({"order_id": order["id"]})
    assert resp["result"] == "success"
    _iso(resp["serverTime"])
    cs = resp["cancelStatus"]
    assert cs["status"] == "cancelled"
    assert cs["order_id"] == order["id"]
    assert cs["cliOrdId"] == cid
    _iso(cs["receivedTime"])
    assert len(cs["orderEvents"]) == 1
    ev = cs["orderEvents"][0]
    assert ev["type"] == "CANCEL"
    assert ev["uid"] == order["id"]
    o = ev["order"]
    assert ORDER_JSON_KEYS <= set(o)
    assert o["orderId"] == order["id"]
    assert o["cliOrdId"] == cid
    assert o["type"] == "lmt" and o["symbol"] == XBT_ID and o["side"] == "buy"
    assert num(o["quantity"]) == pytest.approx(0.0061)
    assert num(o["filled"]) == 0
    assert num(o["limitPrice"]) == PRICE
    assert o["reduceOnly"] is False
    _iso(o["timestamp"])
    _iso(o["lastUpdateTimestamp"])


def test_cancel_without_cli_ord_id_has_no_cli_ord_id(ex1: ccxt.krakenfutures) -> None:
    order = ex1.create_order(BTC, "limit", "buy", 0.0062, PRICE - 1)
    resp = ex1.privatePostCancelorder({"order_id": order["id"]})
    cs = resp["cancelStatus"]
    assert cs["status"] == "cancelled"
    assert cs.get("cliOrdId") is None
    assert cs["orderEvents"][0]["order"]["cliOrdId"] is None


def test_cancel_twice_second_is_not_found(ex1: ccxt.krakenfutures) -> None:
    order = ex1.create_order(BTC, "limit", "buy", 0.0063, PRICE - 2, {"clientOrderId": uid("twice")})
    first = ex1.privatePostCancelorder({"order_id": order["id"]})
    assert first["cancelStatus"]["status"] == "cancelled"
    second = ex1.privatePostCancelorder({"order_id": order["id"]})
    assert second["result"] == "success"
    assert second["cancelStatus"]["status"] == "notFound"
    assert not second["cancelStatus"].get("orderEvents")
    _iso(second["cancelStatus"]["receivedTime"])


def test_cancel_unknown_cli_ord_id_not_found(ex1: ccxt.krakenfutures) -> None:
    resp = ex1.privatePostCancelorder({"cliOrdId": uid("nosuch")})
    assert resp["result"] == "success"
    assert resp["cancelStatus"]["status"] == "notFound"


def test_cancel_other_accounts_order_not_found(ccxt_factory, fresh_account) -> None:
    owner = ccxt_factory(fresh_account())
    other = ccxt_factory(fresh_account())
    order = owner.create_order(BTC, "limit", "buy", 0.0064, PRICE - 3)
    try:
        resp = other.privatePostCancelorder({"order_id": order["id"]})
        assert resp["cancelStatus"]["status"] == "notFound"
        assert raw_open_order(owner, order["id"]) is not None
    finally:
        owner.cancel_order(order["id"])


def test_cancel_filled_order_reports_filled(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    cid = uid("filled")
    sell = maker.create_order(BTC, "limit", "sell", 0.001, price, {"clientOrderId": cid})
    taker.create_order(BTC, "limit", "buy", 0.001, price)
    resp = maker.privatePostCancelorder({"cliOrdId": cid})
    assert resp["result"] == "success"
    assert resp["cancelStatus"]["status"] == "filled"
    assert resp["cancelStatus"].get("order_id") in (None, sell["id"])


def test_cancel_partially_filled_order_reports_filled_quantity(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    sell = maker.create_order(BTC, "limit", "sell", 0.005, price)
    taker.create_order(BTC, "limit", "buy", 0.002, price)
    resp = maker.privatePostCancelorder({"order_id": sell["id"]})
    cs = resp["cancelStatus"]
    assert cs["status"] == "cancelled"
    o = cs["orderEvents"][0]["order"]
    assert num(o["quantity"]) == pytest.approx(0.005)
    assert num(o["filled"]) == pytest.approx(0.002)


def test_process_before_in_past_is_not_processed(ex1: ccxt.krakenfutures) -> None:
    cid = uid("pb")
    order = ex1.create_order(BTC, "limit", "buy", 0.0065, PRICE - 4, {"clientOrderId": cid})
    try:
        try:
            resp = ex1.privatePostCancelorder(
                {"order_id": order["id"], "processBefore": "2020-01-01T00:00:00.000Z"}
            )
        except ccxt.BaseError:  # a result=error body makes ccxt raise; inspect the body itself
            resp = ex1.last_json_response
        assert resp["result"] in ("success", "error")
        assert "serverTime" in resp
        if resp["result"] == "success":
            assert resp["cancelStatus"]["status"] != "cancelled"
        else:
            assert isinstance(resp["error"], str) and resp["error"]
        still = raw_open_order(ex1, order["id"])
        assert still is not None, "order must stay open when processBefore has passed"
    finally:
        ex1.privatePostCancelorder({"order_id": order["id"]})


def test_process_before_in_future_cancels(ex1: ccxt.krakenfutures) -> None:
    order = ex1.create_order(BTC, "limit", "buy", 0.0066, PRICE - 5)
    resp = ex1.privatePostCancelorder({"order_id": order["id"], "processBefore": "2099-01-01T00:00:00.000Z"})
    assert resp["cancelStatus"]["status"] == "cancelled"
    assert raw_open_order(ex1, order["id"]) is None
