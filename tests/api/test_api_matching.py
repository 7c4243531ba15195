"""Two accounts trading against each other (maker/taker, full and partial fills)."""

from __future__ import annotations

import time

import ccxt
import pytest

from apihelpers import BTC, XBT_ID, free_trade_price, num, raw_open_order, uid


def test_full_fill_between_two_accounts(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    size = 0.0105

    sell = maker.create_order(BTC, "limit", "sell", size, price, {"clientOrderId": uid("mk")})
    assert sell["status"] == "open"
    buy = taker.create_order(BTC, "limit", "buy", size, price, {"clientOrderId": uid("tk")})
    send = taker.last_json_response["sendStatus"]
    assert send["status"] == "placed"
    executions = [e for e in send["orderEvents"] if e["type"] == "EXECUTION"]
    assert len(executions) == 1
    assert num(executions[0]["price"]) == price
    assert num(executions[0]["amount"]) == pytest.approx(size)
    assert buy["status"] == "closed"
    assert buy["filled"] == pytest.approx(size)

    maker_fills = [t for t in maker.fetch_my_trades(BTC) if t["order"] == sell["id"]]
    taker_fills = [t for t in taker.fetch_my_trades(BTC) if t["order"] == buy["id"]]
    assert len(maker_fills) == 1 and len(taker_fills) == 1
    mf, tf = maker_fills[0], taker_fills[0]
    assert mf["takerOrMaker"] == "maker" and tf["takerOrMaker"] == "taker"
    assert mf["info"]["fillType"] == "maker" and tf["info"]["fillType"] == "taker"
    assert mf["side"] == "sell" and tf["side"] == "buy"
    assert mf["price"] == tf["price"] == price
    assert mf["amount"] == pytest.approx(size) and tf["amount"] == pytest.approx(size)
    assert mf["symbol"] == tf["symbol"] == BTC
    assert mf["info"]["symbol"] == XBT_ID

    assert raw_open_order(maker, sell["id"]) is None
    status = maker.fetch_order(sell["id"])
    assert status["info"]["status"] == "FULLY_EXECUTED"
    assert status["status"] == "closed"
    assert status["filled"] == pytest.approx(size)

    # cancelling a filled order: ccxt raises, the raw response says "filled"
    with pytest.raises(ccxt.OrderNotFound):
        maker.cancel_order(sell["id"])
    resp = maker.privatePostCancelorder({"order_id": sell["id"]})
    assert resp["result"] == "success"
    assert resp["cancelStatus"]["status"] == "filled"


def test_partial_fill_leaves_maker_open(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    sell = maker.create_order(BTC, "limit", "sell", 0.03, price, {"clientOrderId": uid("pmk")})
    try:
        buy = taker.create_order(BTC, "limit", "buy", 0.01, price, {"clientOrderId": uid("ptk")})
        assert buy["status"] == "closed"

        raw = raw_open_order(maker, sell["id"])
        assert raw is not None, "partially filled order must stay in openorders"
        assert raw["status"] == "partiallyFilled"
        assert num(raw["filledSize"]) == pytest.approx(0.01)
        assert num(raw["unfilledSize"]) == pytest.approx(0.02)
        assert num(raw["limitPrice"]) == price

        unified = {o["id"]: o for o in maker.fetch_open_orders()}[sell["id"]]
        assert unified["status"] == "open"
        assert unified["filled"] == pytest.approx(0.01)
        assert unified["remaining"] == pytest.approx(0.02)
        assert unified["amount"] == pytest.approx(0.03)

        fills = [t for t in maker.fetch_my_trades(BTC) if t["order"] == sell["id"]]
        assert len(fills) == 1 and fills[0]["amount"] == pytest.approx(0.01)
        assert fills[0]["takerOrMaker"] == "maker"

        book = maker.fetch_order_book(BTC)
        asks = {p: s for p, s in book["asks"]}
        assert asks.get(price) == pytest.approx(0.02)
    finally:
        resp = maker.privatePostCancelorder({"order_id": sell["id"]})
    assert resp["cancelStatus"]["status"] == "cancelled"
    assert raw_open_order(maker, sell["id"]) is None


def test_edit_that_crosses_executes_with_prior_edit_order(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    editor = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    buy = maker.create_order(BTC, "limit", "buy", 0.002, price)
    sell = editor.create_order(BTC, "limit", "sell", 0.002, price + 1)
    resp = editor.privatePostEditorder({"orderId": sell["id"], "limitPrice": price})
    es = resp["editStatus"]
    assert es["status"] == "edited"
    assert [e["type"] for e in es["orderEvents"]] == ["EDIT", "EXECUTION"]
    execution = es["orderEvents"][1]
    assert num(execution["price"]) == price
    assert num(execution["amount"]) == pytest.approx(0.002)
    # spec ExecuteEvent.orderPriorEdit: "The order before the edit was applied (if the
    # execution is a result of an order edit)"
    prior = execution["orderPriorEdit"]
    assert prior is not None, "orderPriorEdit must carry the pre-edit order for an edit-triggered execution"
    assert prior["orderId"] == sell["id"]
    assert num(prior["limitPrice"]) == price + 1
    assert raw_open_order(maker, buy["id"]) is None
    assert raw_open_order(editor, sell["id"]) is None
    maker_fill = [f for f in maker.privateGetFills()["fills"] if f["order_id"] == buy["id"]]
    editor_fill = [f for f in editor.privateGetFills()["fills"] if f["order_id"] == sell["id"]]
    assert [f["fillType"] for f in maker_fill] == ["maker"]
    # FillJson.fillType enum has `takerAfterEdit` for exactly this case
    assert [f["fillType"] for f in editor_fill] == ["takerAfterEdit"]
    assert [t["takerOrMaker"] for t in editor.fetch_my_trades(BTC)] == ["taker"]


def test_edit_size_qty_modes_on_partially_filled_order(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    sell = maker.create_order(BTC, "limit", "sell", 0.03, price)
    try:
        taker.create_order(BTC, "limit", "buy", 0.01, price)
        # default RELATIVE: the current open size becomes `size`
        rel = maker.privatePostEditorder({"orderId": sell["id"], "size": "0.05"})["editStatus"]
        assert rel["status"] == "edited"
        assert num(rel["orderEvents"][0]["new"]["quantity"]) == pytest.approx(0.06)
        oo = raw_open_order(maker, sell["id"])
        assert num(oo["unfilledSize"]) == pytest.approx(0.05) and num(oo["filledSize"]) == pytest.approx(0.01)
        # ABSOLUTE: the total size including past fills becomes `size`
        ab = maker.privatePostEditorder({"orderId": sell["id"], "size": "0.04", "qtyMode": "ABSOLUTE"})[
            "editStatus"
        ]
        assert num(ab["orderEvents"][0]["new"]["quantity"]) == pytest.approx(0.04)
        oo = raw_open_order(maker, sell["id"])
        assert num(oo["unfilledSize"]) == pytest.approx(0.03)
    finally:
        maker.cancel_order(sell["id"])


def test_fees_and_last_fill_time(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    maker.create_order(BTC, "limit", "sell", 0.01, price)
    taker.create_order(BTC, "limit", "buy", 0.004, price)
    time.sleep(0.005)  # distinct millisecond fill times
    taker.create_order(BTC, "limit", "buy", 0.006, price)
    notional = 0.01 * price
    maker_usd = maker.fetch_balance()["USD"]["total"]
    taker_usd = taker.fetch_balance()["USD"]["total"]
    # Kraken Futures base tier: maker 0.02 %, taker 0.05 %
    assert 100000 - maker_usd == pytest.approx(notional * 0.0002, abs=1e-6)
    assert 100000 - taker_usd == pytest.approx(notional * 0.0005, abs=1e-6)

    fills = taker.privateGetFills()["fills"]
    assert [num(f["size"]) for f in fills] == [pytest.approx(0.006), pytest.approx(0.004)]  # newest first
    older = taker.privateGetFills({"lastFillTime": fills[0]["fillTime"]})["fills"]
    assert [f["fill_id"] for f in older] == [fills[1]["fill_id"]]
