"""Order types, rejections and batch orders through both clients."""

from __future__ import annotations

import ccxt
import pytest
from kraken.exceptions import KrakenInsufficientAvailableFundsError
from kraken.futures import Trade

from apihelpers import BTC, XBT_ID, free_trade_price, num, raw_open_order, raw_open_orders, uid

PRICE = 88000


def test_post_only_crossing_is_rejected(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    sell = maker.create_order(BTC, "limit", "sell", 0.001, price)
    try:
        with pytest.raises(ccxt.OrderImmediatelyFillable):
            taker.create_order(BTC, "limit", "buy", 0.001, price, {"postOnly": True})
        send = taker.last_json_response["sendStatus"]
        assert send["status"] == "postWouldExecute"
        ev = send["orderEvents"][0]
        assert ev["type"] == "REJECT" and ev["reason"] == "POST_WOULD_EXECUTE"
        assert ev["order"]["type"] == "post"
        assert raw_open_orders(taker) == []
        assert raw_open_order(maker, sell["id"]) is not None
        # a non-crossing post order rests
        post = taker.create_order(BTC, "limit", "buy", 0.001, price - 5, {"postOnly": True})
        assert post["status"] == "open"
        taker.cancel_order(post["id"])
    finally:
        maker.cancel_order(sell["id"])


def test_ioc_fills_what_it_can_and_cancels_rest(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    sell = maker.create_order(BTC, "limit", "sell", 0.002, price)
    taker.create_order(BTC, "limit", "buy", 0.005, price, {"timeInForce": "ioc"})
    send = taker.last_json_response["sendStatus"]
    assert send["status"] == "placed"
    types = [e["type"] for e in send["orderEvents"]]
    assert types == ["EXECUTION", "CANCEL"]
    execution, cancel = send["orderEvents"]
    assert num(execution["amount"]) == pytest.approx(0.002)
    assert num(execution["price"]) == price
    assert execution["orderPriorExecution"]["type"] == "ioc"
    assert num(cancel["order"]["filled"]) == pytest.approx(0.002)
    assert raw_open_orders(taker) == []
    assert raw_open_order(maker, sell["id"]) is None
    fills = taker.fetch_my_trades(BTC)
    assert [(t["side"], t["amount"], t["price"], t["takerOrMaker"]) for t in fills] == [
        ("buy", pytest.approx(0.002), price, "taker")
    ]


def test_ioc_without_liquidity_is_not_executed(ccxt_factory, fresh_account) -> None:
    taker = ccxt_factory(fresh_account())
    book = taker.fetch_order_book(BTC)
    if book["asks"]:
        pytest.skip("book has asks; cannot test an unfillable ioc deterministically")
    with pytest.raises(ccxt.OrderNotFillable):
        taker.create_order(BTC, "limit", "buy", 0.001, 90000, {"timeInForce": "ioc"})
    assert taker.last_json_response["sendStatus"]["status"] == "iocWouldNotExecute"
    assert raw_open_orders(taker) == []


def test_market_order_takes_resting_liquidity(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    book = maker.fetch_order_book(BTC)
    if book["asks"]:
        pytest.skip("book already has asks; market price not deterministic")
    price = free_trade_price(maker)
    sell = maker.create_order(BTC, "limit", "sell", 0.0015, price)
    order = taker.create_order(BTC, "market", "buy", 0.0015)
    assert order["status"] == "closed"
    assert order["filled"] == pytest.approx(0.0015)
    assert order["average"] == pytest.approx(price)
    assert raw_open_order(maker, sell["id"]) is None
    fill = taker.fetch_my_trades(BTC)[-1]
    assert fill["price"] == price and fill["takerOrMaker"] == "taker"


def test_self_fill_rejected(ccxt_factory, fresh_account) -> None:
    ex = ccxt_factory(fresh_account())
    price = free_trade_price(ex)
    sell = ex.create_order(BTC, "limit", "sell", 0.001, price)
    try:
        with pytest.raises(ccxt.ExchangeError):
            ex.create_order(BTC, "limit", "buy", 0.001, price)
        assert ex.last_json_response["sendStatus"]["status"] == "selfFill"
        assert [o["order_id"] for o in raw_open_orders(ex)] == [sell["id"]]
    finally:
        ex.cancel_order(sell["id"])


def test_duplicate_client_order_id(ex1: ccxt.krakenfutures) -> None:
    cid = uid("dup")
    first = ex1.create_order(BTC, "limit", "buy", 0.001, PRICE, {"clientOrderId": cid})
    try:
        with pytest.raises(ccxt.DuplicateOrderId):
            ex1.create_order(BTC, "limit", "buy", 0.002, PRICE - 1, {"clientOrderId": cid})
        assert ex1.last_json_response["sendStatus"]["status"] == "clientOrderIdAlreadyExist"
        mine = [o for o in raw_open_orders(ex1) if o.get("cliOrdId") == cid]
        assert [o["order_id"] for o in mine] == [first["id"]]
    finally:
        ex1.cancel_order(first["id"])


def test_sdk_rejections(sdk_factory, fresh_account) -> None:
    trade = sdk_factory(Trade, fresh_account())
    bad_tick = trade.create_order(orderType="lmt", size=0.001, symbol=XBT_ID, side="buy", limitPrice=88000.5)
    assert bad_tick["result"] == "success" and bad_tick["sendStatus"]["status"] == "invalidPrice"
    bad_size = trade.create_order(orderType="lmt", size=0.00001, symbol=XBT_ID, side="buy", limitPrice=88000)
    assert bad_size["sendStatus"]["status"] == "invalidSize"
    with pytest.raises(KrakenInsufficientAvailableFundsError):
        trade.create_order(orderType="lmt", size=1000, symbol=XBT_ID, side="buy", limitPrice=88000)
    inverse = trade.create_order(orderType="lmt", size=1.5, symbol="PI_XBTUSD", side="buy", limitPrice=88000)
    assert inverse["sendStatus"]["status"] == "invalidSize"  # PI_XBTUSD trades whole contracts
    assert trade.request("GET", "/derivatives/api/v3/openorders")["openOrders"] == []


def test_special_characters_in_client_order_ids(ex1: ccxt.krakenfutures, sdk_trade: Trade) -> None:
    # ccxt percent-encodes into the query (%20, %2B, %3A); the SDK form-encodes (+ for space)
    cid_ccxt = uid("cc") + " a+b:c/d"
    cid_sdk = uid("sd") + " a+b:c&d=e"
    o1 = ex1.create_order(BTC, "limit", "buy", 0.001, PRICE - 11, {"clientOrderId": cid_ccxt})
    assert o1["clientOrderId"] == cid_ccxt
    r2 = sdk_trade.create_order(
        orderType="lmt", size=0.001, symbol=XBT_ID, side="buy", limitPrice=PRICE - 12, cliOrdId=cid_sdk
    )
    assert r2["sendStatus"]["status"] == "placed"
    assert r2["sendStatus"]["orderEvents"][0]["order"]["cliOrdId"] == cid_sdk
    by_id = {o["order_id"]: o for o in raw_open_orders(ex1)}
    assert by_id[o1["id"]]["cliOrdId"] == cid_ccxt
    assert by_id[r2["sendStatus"]["order_id"]]["cliOrdId"] == cid_sdk
    st = sdk_trade.get_orders_status(cliOrdIds=[cid_ccxt, cid_sdk])
    assert {x["order"]["cliOrdId"] for x in st["orders"]} == {cid_ccxt, cid_sdk}
    assert sdk_trade.cancel_order(cliOrdId=cid_ccxt)["cancelStatus"]["status"] == "cancelled"
    assert ex1.privatePostCancelorder({"cliOrdId": cid_sdk})["cancelStatus"]["status"] == "cancelled"


def test_ccxt_batch_create_and_cancel(ex1: ccxt.krakenfutures) -> None:
    c1, c2 = uid("b1"), uid("b2")
    orders = ex1.create_orders(
        [
            {
                "symbol": BTC,
                "type": "limit",
                "side": "buy",
                "amount": 0.001,
                "price": PRICE - 21,
                "params": {"clientOrderId": c1},
            },
            {
                "symbol": BTC,
                "type": "limit",
                "side": "buy",
                "amount": 0.002,
                "price": PRICE - 22,
                "params": {"clientOrderId": c2},
            },
        ]
    )
    assert [o["status"] for o in orders] == ["open", "open"]
    assert [o["clientOrderId"] for o in orders] == [c1, c2]
    batch = ex1.last_json_response["batchStatus"]
    assert [b["status"] for b in batch] == ["placed", "placed"]
    assert sorted(str(b["order_tag"]) for b in batch) == ["0", "1"]
    ids = [o["id"] for o in orders]
    open_now = {o["order_id"]: o for o in raw_open_orders(ex1)}
    assert num(open_now[ids[0]]["limitPrice"]) == PRICE - 21
    assert num(open_now[ids[1]]["unfilledSize"]) == pytest.approx(0.002)

    cancelled = ex1.cancel_orders(ids)
    assert [o["status"] for o in cancelled] == ["canceled", "canceled"]
    assert [b["status"] for b in ex1.last_json_response["batchStatus"]] == ["cancelled", "cancelled"]
    assert not set(ids) & {o["order_id"] for o in raw_open_orders(ex1)}


def test_sdk_batch_send_edit_cancel(sdk_trade: Trade, ex1: ccxt.krakenfutures) -> None:
    keep = sdk_trade.create_order(
        orderType="lmt", size=0.001, symbol=XBT_ID, side="buy", limitPrice=PRICE - 31
    )
    keep_id = keep["sendStatus"]["order_id"]
    drop = sdk_trade.create_order(
        orderType="lmt", size=0.001, symbol=XBT_ID, side="buy", limitPrice=PRICE - 32
    )
    drop_id = drop["sendStatus"]["order_id"]
    cid = uid("sdkbatch") + " x+y"
    resp = sdk_trade.create_batch_order(
        batchorder_list=[
            {
                "order": "send",
                "order_tag": "new",
                "orderType": "lmt",
                "symbol": XBT_ID,
                "side": "buy",
                "size": 0.003,
                "limitPrice": PRICE - 33,
                "cliOrdId": cid,
            },
            {"order": "edit", "order_id": keep_id, "size": 0.004, "limitPrice": PRICE - 34},
            {"order": "cancel", "order_id": drop_id},
        ]
    )
    assert resp["result"] == "success"
    statuses = {b.get("order_tag") or b.get("order_id"): b["status"] for b in resp["batchStatus"]}
    assert sorted(statuses.values()) == ["cancelled", "edited", "placed"]
    placed = next(b for b in resp["batchStatus"] if b["status"] == "placed")
    assert placed["order_tag"] == "new"
    assert placed["orderEvents"][0]["order"]["cliOrdId"] == cid
    new_id = placed["order_id"]
    open_now = {o["order_id"]: o for o in raw_open_orders(ex1)}
    assert drop_id not in open_now
    assert num(open_now[keep_id]["limitPrice"]) == PRICE - 34
    assert num(open_now[keep_id]["unfilledSize"]) == pytest.approx(0.004)
    assert open_now[new_id]["cliOrdId"] == cid
    for oid in (keep_id, new_id):
        assert sdk_trade.cancel_order(order_id=oid)["cancelStatus"]["status"] == "cancelled"


def test_reduce_only_from_both_clients(ccxt_factory, sdk_factory, fresh_account) -> None:
    long_creds, seller_creds = fresh_account(), fresh_account()
    trade = sdk_factory(Trade, long_creds)  # the SDK sends reduceOnly=True (capitalised)
    # no position yet: a reduce-only order cannot reduce anything
    nothing = trade.create_order(
        orderType="lmt", size=0.001, symbol=XBT_ID, side="sell", limitPrice=95000, reduceOnly=True
    )
    assert nothing["sendStatus"]["status"] == "wouldNotReducePosition"

    seller = ccxt_factory(seller_creds)
    price = free_trade_price(seller)
    seller.create_order(BTC, "limit", "sell", 0.002, price)
    bought = trade.create_order(orderType="lmt", size=0.002, symbol=XBT_ID, side="buy", limitPrice=price)
    assert bought["sendStatus"]["orderEvents"][0]["type"] == "EXECUTION"

    # ccxt sends reduceOnly=true in the query; an oversized reduce-only order is cut to the position
    ex = ccxt_factory(long_creds)
    order = ex.create_order(BTC, "limit", "sell", 0.005, 94000, {"reduceOnly": True})
    send = ex.last_json_response["sendStatus"]
    assert send["status"] == "placed"
    placed = send["orderEvents"][0]
    assert placed["order"]["reduceOnly"] is True
    assert num(placed["order"]["quantity"]) == pytest.approx(0.002)
    assert num(placed["reducedQuantity"]) == pytest.approx(0.003)
    oo = raw_open_order(ex, order["id"])
    assert oo["reduceOnly"] is True and num(oo["unfilledSize"]) == pytest.approx(0.002)
    assert ex.fetch_open_orders()[0]["reduceOnly"] is True
    ex.cancel_order(order["id"])


def test_client_order_id_too_long(ex1: ccxt.krakenfutures) -> None:
    resp = ex1.privatePostSendorder(
        {
            "symbol": XBT_ID,
            "side": "buy",
            "size": "0.001",
            "orderType": "lmt",
            "limitPrice": PRICE,
            "cliOrdId": "x" * 101,
        }
    )
    assert resp["sendStatus"]["status"] in ("clientOrderIdTooBig", "clientOrderIdTooLong")
    assert not any(o.get("cliOrdId") == "x" * 101 for o in raw_open_orders(ex1))


def test_ccxt_batch_raw_json_with_form_special_characters(ex1: ccxt.krakenfutures) -> None:
    # ccxt sends `json=<raw compact JSON>` unencoded: '&', '%', '+' and '=' must survive
    c1, c2 = uid("amp") + "&x=1", uid("pct") + " 100%+ok"
    orders = ex1.create_orders(
        [
            {
                "symbol": BTC,
                "type": "limit",
                "side": "buy",
                "amount": 0.001,
                "price": PRICE - 41,
                "params": {"clientOrderId": c1},
            },
            {
                "symbol": BTC,
                "type": "limit",
                "side": "buy",
                "amount": 0.001,
                "price": PRICE - 42,
                "params": {"clientOrderId": c2},
            },
        ]
    )
    assert [o["clientOrderId"] for o in orders] == [c1, c2]
    assert {o["cliOrdId"] for o in raw_open_orders(ex1) if o.get("cliOrdId") in (c1, c2)} == {c1, c2}
    # cancel by client order ids: ccxt also copies `clientOrderIds` to the top level of the JSON
    cancelled = ex1.cancel_orders([], params={"clientOrderIds": [c1, c2]})
    assert [o["status"] for o in cancelled] == ["canceled", "canceled"]
    assert not {o.get("cliOrdId") for o in raw_open_orders(ex1)} & {c1, c2}
