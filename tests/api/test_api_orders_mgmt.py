"""Order management through the unchanged clients: every ccxt ``krakenfutures``
order method and python-kraken-sdk ``Trade`` method, with real values checked
(statuses, sizes, prices, ids, which order filled)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import ccxt
import pytest
from kraken.futures import Trade

from apihelpers import (
    BTC,
    XBT_ID,
    free_trade_price,
    num,
    raw_open_order,
    raw_open_orders,
    send_ok,
    uid,
)

ETH = "ETH/USD:USD"


def _iso_ms(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")


# --------------------------------------------------------------------------- #
# ccxt: single orders
# --------------------------------------------------------------------------- #


def test_ccxt_limit_order_lifecycle(ccxt_factory, fresh_account) -> None:
    ex = ccxt_factory(fresh_account())
    cid = uid("life")
    order = ex.create_order(BTC, "limit", "buy", 0.002, 80000, {"clientOrderId": cid})
    assert order["status"] == "open"
    assert order["clientOrderId"] == cid
    assert order["amount"] == pytest.approx(0.002) and order["filled"] == 0
    fetched = ex.fetch_order(order["id"])
    assert (fetched["id"], fetched["status"], fetched["side"]) == (order["id"], "open", "buy")
    assert fetched["amount"] == pytest.approx(0.002) and fetched["clientOrderId"] == cid
    [opened] = ex.fetch_open_orders()
    assert opened["id"] == order["id"] and opened["amount"] == pytest.approx(0.002)
    raw = raw_open_order(ex, order["id"])
    assert raw is not None and raw["orderType"] == "lmt" and num(raw["limitPrice"]) == 80000
    assert raw["cliOrdId"] == cid and raw["status"] == "untouched"
    assert [o["id"] for o in ex.fetch_orders()] == [order["id"]]
    cancelled = ex.cancel_order(order["id"])
    assert cancelled["status"] == "canceled" and cancelled["id"] == order["id"]
    assert ex.fetch_open_orders() == []
    # finished orders stay visible to orders/status for a few seconds
    after = ex.fetch_order(order["id"])
    assert after["status"] == "canceled"
    st = ex.last_json_response["orders"][0]
    assert st["status"] == "CANCELLED" and st["updateReason"] == "CANCELLED_BY_USER"


def test_ccxt_market_order_fills_maker_and_taker(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    book = maker.fetch_order_book(BTC)
    if book["asks"]:
        pytest.skip("shared book has asks; the market price would not be ours")
    price = free_trade_price(maker)
    sell = maker.create_order(BTC, "limit", "sell", 0.003, price)
    order = taker.create_order(BTC, "market", "buy", 0.003)
    assert order["status"] == "closed" and order["filled"] == pytest.approx(0.003)
    assert order["average"] == pytest.approx(price)
    [t_fill] = taker.fetch_my_trades(BTC)
    [m_fill] = maker.fetch_my_trades(BTC)
    assert (t_fill["takerOrMaker"], t_fill["side"], t_fill["order"]) == ("taker", "buy", order["id"])
    assert (m_fill["takerOrMaker"], m_fill["side"], m_fill["order"]) == ("maker", "sell", sell["id"])
    assert t_fill["id"] == m_fill["id"]  # both sides share the execution id
    assert t_fill["price"] == m_fill["price"] == price
    assert t_fill["info"]["fillType"] == "taker" and m_fill["info"]["fillType"] == "maker"
    assert maker.fetch_order(sell["id"])["status"] == "closed"


def test_ccxt_post_only_and_ioc(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    sell = maker.create_order(BTC, "limit", "sell", 0.001, price, {"postOnly": True})
    assert sell["status"] == "open"
    assert maker.last_json_response["sendStatus"]["orderEvents"][0]["order"]["type"] == "post"
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        taker.create_order(BTC, "limit", "buy", 0.001, price, {"postOnly": True})
    ioc = taker.create_order(BTC, "limit", "buy", 0.002, price, {"timeInForce": "ioc"})
    assert ioc["filled"] == pytest.approx(0.001)
    events = taker.last_json_response["sendStatus"]["orderEvents"]
    assert [e["type"] for e in events] == ["EXECUTION", "CANCEL"]
    assert raw_open_orders(taker) == [] and raw_open_orders(maker) == []


def test_ccxt_reduce_only_is_cut_to_the_position(ccxt_factory, fresh_account) -> None:
    a = ccxt_factory(fresh_account())
    b = ccxt_factory(fresh_account())
    price = free_trade_price(a)
    b.create_order(BTC, "limit", "sell", 0.002, price)
    a.create_order(BTC, "limit", "buy", 0.002, price, {"timeInForce": "ioc"})
    # a is long 0.002: a reduce-only sell of 0.005 is cut to 0.002
    ro = a.create_order(BTC, "limit", "sell", 0.005, price + 5000, {"reduceOnly": True})
    place = a.last_json_response["sendStatus"]["orderEvents"][0]
    assert place["type"] == "PLACE" and num(place["reducedQuantity"]) == pytest.approx(0.003)
    assert num(place["order"]["quantity"]) == pytest.approx(0.002) and place["order"]["reduceOnly"] is True
    raw = raw_open_order(a, ro["id"])
    assert raw is not None and raw["reduceOnly"] is True and num(raw["unfilledSize"]) == pytest.approx(0.002)
    # a reduce-only buy would grow the long
    with pytest.raises(ccxt.ExchangeError):
        a.create_order(BTC, "limit", "buy", 0.001, price - 5000, {"reduceOnly": True})
    assert a.last_json_response["sendStatus"]["status"] == "wouldNotReducePosition"
    a.cancel_order(ro["id"])


def test_ccxt_edit_order_size_and_price(ccxt_factory, fresh_account) -> None:
    ex = ccxt_factory(fresh_account())
    order = ex.create_order(BTC, "limit", "buy", 0.001, 80000)
    edited = ex.edit_order(order["id"], BTC, "limit", "buy", 0.003, 80500)
    assert edited["id"] == order["id"] and edited["status"] == "open"
    status = ex.last_json_response["editStatus"]
    assert status["status"] == "edited"
    [ev] = status["orderEvents"]
    assert ev["type"] == "EDIT"
    assert (num(ev["old"]["quantity"]), num(ev["old"]["limitPrice"])) == (pytest.approx(0.001), 80000)
    assert (num(ev["new"]["quantity"]), num(ev["new"]["limitPrice"])) == (pytest.approx(0.003), 80500)
    raw = raw_open_order(ex, order["id"])
    assert raw is not None and num(raw["limitPrice"]) == 80500 and num(raw["unfilledSize"]) == pytest.approx(0.003)
    with pytest.raises(ccxt.OrderNotFound):
        ex.edit_order("00000000-0000-4000-8000-000000000000", BTC, "limit", "buy", 0.001, 80000)
    assert ex.last_json_response["editStatus"]["status"] == "orderForEditNotFound"
    ex.cancel_order(order["id"])


@pytest.mark.parametrize(
    ("edit", "first_filled"),
    [
        pytest.param({"size": 0.0015}, "a", id="size-down-keeps-priority"),
        pytest.param({"size": 0.003}, "b", id="size-up-loses-priority"),
        pytest.param({"price_away_and_back": True}, "b", id="price-change-loses-priority"),
    ],
)
def test_edit_priority(ccxt_factory, fresh_account, edit, first_filled) -> None:
    ma = ccxt_factory(fresh_account())
    mb = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    price = free_trade_price(ma)
    a = ma.create_order(BTC, "limit", "buy", 0.002, price)
    b = mb.create_order(BTC, "limit", "buy", 0.002, price)
    if "size" in edit:
        ma.edit_order(a["id"], BTC, "limit", "buy", edit["size"], price)
    else:
        ma.edit_order(a["id"], BTC, "limit", "buy", 0.002, price - 1)
        ma.edit_order(a["id"], BTC, "limit", "buy", 0.002, price)
    assert ma.last_json_response["editStatus"]["status"] == "edited"
    sold = taker.create_order(BTC, "limit", "sell", 0.001, price, {"timeInForce": "ioc"})
    assert sold["filled"] == pytest.approx(0.001)
    [fill] = taker.fetch_my_trades(BTC)
    maker_ids = {"a": a["id"], "b": b["id"]}
    filled_maker = ma if first_filled == "a" else mb
    assert [t["order"] for t in filled_maker.fetch_my_trades(BTC)] == [maker_ids[first_filled]]
    assert fill["id"] == filled_maker.fetch_my_trades(BTC)[0]["id"]
    ma.cancel_all_orders()
    mb.cancel_all_orders()


def test_edit_that_crosses_executes_as_taker_after_edit(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    editor = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    sell = maker.create_order(BTC, "limit", "sell", 0.001, price)
    buy = editor.create_order(BTC, "limit", "buy", 0.002, price - 50)
    edited = editor.edit_order(buy["id"], BTC, "limit", "buy", 0.002, price)
    status = editor.last_json_response["editStatus"]
    assert status["status"] == "edited"
    execs = [e for e in status["orderEvents"] if e["type"] == "EXECUTION"]
    assert len(execs) == 1 and num(execs[0]["amount"]) == pytest.approx(0.001)
    assert num(execs[0]["orderPriorEdit"]["limitPrice"]) == price - 50
    assert edited["id"] == buy["id"]
    [fill] = editor.fetch_my_trades(BTC)
    assert fill["info"]["fillType"] == "takerAfterEdit" and fill["takerOrMaker"] == "taker"
    assert fill["order"] == buy["id"] and fill["price"] == price
    assert maker.fetch_my_trades(BTC)[0]["info"]["fillType"] == "maker"
    raw = raw_open_order(editor, buy["id"])
    assert raw is not None and raw["status"] == "partiallyFilled"
    assert num(raw["filledSize"]) == pytest.approx(0.001) and num(raw["unfilledSize"]) == pytest.approx(0.001)
    assert raw_open_order(maker, sell["id"]) is None
    editor.cancel_order(buy["id"])


def test_edit_qty_mode_absolute_and_relative(ccxt_factory, fresh_account) -> None:
    maker = ccxt_factory(fresh_account())
    taker = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    buy = maker.create_order(BTC, "limit", "buy", 0.004, price)
    taker.create_order(BTC, "limit", "sell", 0.001, price, {"timeInForce": "ioc"})
    # ABSOLUTE: the total becomes 0.003 (0.001 filled + 0.002 open)
    maker.edit_order(buy["id"], BTC, "limit", "buy", 0.003, price, {"qtyMode": "ABSOLUTE"})
    raw = raw_open_order(maker, buy["id"])
    assert raw is not None
    assert num(raw["filledSize"]) == pytest.approx(0.001) and num(raw["unfilledSize"]) == pytest.approx(0.002)
    # RELATIVE (default): the open size becomes 0.001
    maker.edit_order(buy["id"], BTC, "limit", "buy", 0.001, price)
    raw = raw_open_order(maker, buy["id"])
    assert raw is not None and num(raw["unfilledSize"]) == pytest.approx(0.001)
    # ABSOLUTE total not above what has filled
    with pytest.raises(ccxt.InvalidOrder):
        maker.edit_order(buy["id"], BTC, "limit", "buy", 0.001, price, {"qtyMode": "ABSOLUTE"})
    assert maker.last_json_response["editStatus"]["status"] == "invalidSize"
    maker.cancel_order(buy["id"])


# --------------------------------------------------------------------------- #
# Batches
# --------------------------------------------------------------------------- #


def test_ccxt_create_orders_and_cancel_orders(ccxt_factory, fresh_account) -> None:
    ex = ccxt_factory(fresh_account())
    cid = uid("batch")
    orders = ex.create_orders(
        [
            {"symbol": BTC, "type": "limit", "side": "buy", "amount": 0.001, "price": 80000},
            {"symbol": BTC, "type": "limit", "side": "buy", "amount": 0.002, "price": 80100,
             "params": {"clientOrderId": cid}},
            {"symbol": ETH, "type": "limit", "side": "sell", "amount": 0.01, "price": 4000},
        ]
    )
    statuses = ex.last_json_response["batchStatus"]
    assert [s["status"] for s in statuses] == ["placed", "placed", "placed"]
    assert [str(s["order_tag"]) for s in statuses] == ["0", "1", "2"]
    assert [o["status"] for o in orders] == ["open", "open", "open"]
    ids = [o["id"] for o in orders]
    assert len(set(ids)) == 3 and all(ids)
    assert statuses[1]["cliOrdId"] == cid
    assert {o["order_id"] for o in raw_open_orders(ex)} == set(ids)
    cancelled = ex.cancel_orders(ids[:1])
    assert [c["status"] for c in cancelled] == ["canceled"]
    assert [s["status"] for s in ex.last_json_response["batchStatus"]] == ["cancelled"]
    ex.cancel_orders([], None, {"clientOrderIds": [cid]})
    [st] = ex.last_json_response["batchStatus"]
    assert st["status"] == "cancelled" and st["order_id"] == ids[1]
    assert {o["order_id"] for o in raw_open_orders(ex)} == {ids[2]}
    ex.cancel_all_orders()


def test_sdk_batch_send_edit_cancel(sdk_factory, fresh_account) -> None:
    creds = fresh_account()
    trade = sdk_factory(Trade, creds)
    first = send_ok(trade.create_order(orderType="lmt", size=0.001, symbol=XBT_ID, side="buy", limitPrice=80000))
    cid = uid("sdkb")
    resp = trade.create_batch_order(
        [
            {"order": "send", "order_tag": "new", "orderType": "lmt", "symbol": XBT_ID, "side": "buy",
             "size": 0.002, "limitPrice": 79000, "cliOrdId": cid},
            {"order": "edit", "order_id": first["order_id"], "size": 0.004, "limitPrice": 79500},
            {"order": "send", "order_tag": "stop", "orderType": "stp", "symbol": XBT_ID, "side": "sell",
             "size": 0.001, "stopPrice": 70000, "limitPrice": 69000},
            {"order": "send", "order_tag": "bad", "orderType": "lmt", "symbol": XBT_ID, "side": "buy",
             "size": 0.001, "limitPrice": 79000.25},
        ]
    )
    assert resp["result"] == "success"
    st = resp["batchStatus"]
    assert len(st) == 4
    assert (st[0]["status"], st[0]["order_tag"], st[0]["cliOrdId"]) == ("placed", "new", cid)
    assert (st[1]["status"], st[1]["order_id"]) == ("edited", first["order_id"])
    edit_ev = st[1]["orderEvents"][0]
    assert edit_ev["type"] == "EDIT" and num(edit_ev["new"]["quantity"]) == pytest.approx(0.004)
    assert (st[2]["status"], st[2]["order_tag"]) == ("placed", "stop")
    assert st[2]["orderEvents"][0]["orderTrigger"]["triggerPrice"] == 70000
    assert (st[3]["status"], st[3]["order_tag"]) == ("invalidPrice", "bad")
    opened = {o["order_id"]: o for o in trade_open_orders(sdk_factory, creds)}
    assert set(opened) == {first["order_id"], st[0]["order_id"], st[2]["order_id"]}
    assert num(opened[first["order_id"]]["limitPrice"]) == 79500
    assert opened[st[2]["order_id"]]["orderType"] == "stop"
    # cancel by order_id and cliOrdId in one batch
    resp = trade.create_batch_order(
        [{"order": "cancel", "order_id": first["order_id"]}, {"order": "cancel", "cliOrdId": cid},
         {"order": "cancel", "order_id": st[2]["order_id"]}]
    )
    assert [s["status"] for s in resp["batchStatus"]] == ["cancelled", "cancelled", "cancelled"]
    assert trade_open_orders(sdk_factory, creds) == []


def test_batch_cancel_unknown_order_is_not_found(raw_factory, fresh_account) -> None:
    """cancelorder's answer for an order that does not exist, in the batch (docs/fidelity.md)."""
    raw = raw_factory(fresh_account())
    body = 'json={"batchOrder":[{"order":"cancel","order_id":"00000000-0000-4000-8000-000000000000"}]}'
    resp = raw.v3json("POST", "batchorder", body=body)
    assert [s["status"] for s in resp["batchStatus"]] == ["notFound"]


def trade_open_orders(sdk_factory, creds) -> list[dict]:
    from kraken.futures import User

    resp = sdk_factory(User, creds).get_open_orders()
    assert resp["result"] == "success", resp
    return resp["openOrders"]


# --------------------------------------------------------------------------- #
# SDK single orders
# --------------------------------------------------------------------------- #


def test_sdk_order_by_cli_ord_id(sdk_factory, fresh_account) -> None:
    creds = fresh_account()
    trade = sdk_factory(Trade, creds)
    cid = uid("sdk")
    sent = send_ok(trade.create_order(orderType="post", size=0.002, symbol=XBT_ID, side="sell",
                                      limitPrice=150000, cliOrdId=cid))
    assert sent["cliOrdId"] == cid
    assert sent["orderEvents"][0]["order"]["type"] == "post"
    status = trade.get_orders_status(cliOrdIds=[cid])
    [st] = status["orders"]
    assert st["status"] == "ENTERED_BOOK" and st["order"]["type"] == "ORDER"
    assert st["order"]["orderId"] == sent["order_id"] and st["order"]["cliOrdId"] == cid
    assert num(st["order"]["limitPrice"]) == 150000 and num(st["order"]["quantity"]) == pytest.approx(0.002)
    edit = trade.edit_order(cliOrdId=cid, size=0.001, limitPrice=151000)
    assert edit["editStatus"]["status"] == "edited" and edit["editStatus"]["orderId"] == sent["order_id"]
    by_id = trade.get_orders_status(orderIds=[sent["order_id"]])["orders"][0]["order"]
    assert num(by_id["limitPrice"]) == 151000 and num(by_id["quantity"]) == pytest.approx(0.001)
    cancel = trade.cancel_order(cliOrdId=cid)
    assert cancel["cancelStatus"]["status"] == "cancelled"
    assert cancel["cancelStatus"]["order_id"] == sent["order_id"]
    again = trade.cancel_order(cliOrdId=cid)
    assert again["cancelStatus"]["status"] == "notFound"
    [st] = trade.get_orders_status(orderIds=[sent["order_id"]])["orders"]
    assert st["status"] == "CANCELLED"


def test_sdk_get_fills_with_last_fill_time(venue) -> None:
    a, b = venue.account(), venue.account()
    ta, tb = venue.sdk(Trade, a), venue.sdk(Trade, b)
    times = []
    for i, price in enumerate((90000, 90010, 90020)):
        send_ok(ta.create_order(orderType="lmt", size=0.001, symbol=XBT_ID, side="sell", limitPrice=price))
        send_ok(tb.create_order(orderType="ioc", size=0.001, symbol=XBT_ID, side="buy", limitPrice=price))
        times.append(venue.now())
        if i < 2:
            venue.advance(1000)
    fills = tb.get_fills()["fills"]
    assert [num(f["price"]) for f in fills] == [90020, 90010, 90000]  # newest first
    assert [f["fillType"] for f in fills] == ["taker"] * 3
    older = tb.get_fills(lastFillTime=times[2])["fills"]
    assert [num(f["price"]) for f in older] == [90010, 90000]
    assert [f["fillTime"] for f in older] == [times[1], times[0]]
    maker = ta.get_fills()["fills"]
    assert [f["fillType"] for f in maker] == ["maker"] * 3
    assert {f["fill_id"] for f in maker} == {f["fill_id"] for f in fills}


# --------------------------------------------------------------------------- #
# Cancel all, dead man's switch
# --------------------------------------------------------------------------- #


def test_cancel_all_orders_by_symbol_then_all(ccxt_factory, sdk_factory, fresh_account) -> None:
    creds = fresh_account()
    ex = ccxt_factory(creds)
    btc = ex.create_order(BTC, "limit", "buy", 0.001, 80000)
    stop = ex.create_order(BTC, "limit", "sell", 0.001, 60000, {"triggerPrice": 61000})
    eth = ex.create_order(ETH, "limit", "buy", 0.01, 2000)
    ex.cancel_all_orders(BTC)
    status = ex.last_json_response["cancelStatus"]
    assert status["status"] == "cancelled" and status["cancelOnly"] == XBT_ID
    assert {c["order_id"] for c in status["cancelledOrders"]} == {btc["id"], stop["id"]}
    assert {e["uid"] for e in status["orderEvents"]} == {btc["id"], stop["id"]}
    assert [o["order_id"] for o in raw_open_orders(ex)] == [eth["id"]]
    trade = sdk_factory(Trade, creds)
    resp = trade.cancel_all_orders()
    assert resp["cancelStatus"]["status"] == "cancelled" and resp["cancelStatus"]["cancelOnly"] == "all"
    assert [c["order_id"] for c in resp["cancelStatus"]["cancelledOrders"]] == [eth["id"]]
    empty = trade.cancel_all_orders(symbol=XBT_ID)
    assert empty["cancelStatus"]["status"] == "noOrdersToCancel"
    assert empty["cancelStatus"]["cancelledOrders"] == [] and empty["cancelStatus"]["orderEvents"] == []
    assert raw_open_orders(ex) == []


def test_ccxt_dead_mans_switch_cancels_orders_and_triggers(venue) -> None:
    ex = venue.ccxt(venue.account())
    other = venue.ccxt(venue.account())
    limit = ex.create_order(BTC, "limit", "buy", 0.001, 85000)
    stop = ex.create_order(BTC, "market", "sell", 0.001, None, {"triggerPrice": 80000})
    keep = other.create_order(BTC, "limit", "buy", 0.001, 85000)
    resp = ex.cancel_all_orders_after(60000)
    assert resp["result"] == "success"
    now = _iso_ms(resp["status"]["currentTime"])
    assert _iso_ms(resp["status"]["triggerTime"]) - now == timedelta(seconds=60)
    assert resp["status"]["currentTime"] == "2026-01-01T00:00:00.000Z"
    venue.advance(59_000)
    assert {o["order_id"] for o in raw_open_orders(ex)} == {limit["id"], stop["id"]}
    venue.advance(2_000)
    assert raw_open_orders(ex) == []
    assert [o["order_id"] for o in raw_open_orders(other)] == [keep["id"]]
    statuses = {o["order"]["orderId"]: o for o in ex.privateGetOrdersStatus()["orders"]}
    assert statuses[limit["id"]]["status"] == "CANCELLED"
    assert statuses[limit["id"]]["updateReason"] == "DEAD_MAN_SWITCH"
    # the switch fired once; new orders are not cancelled later
    again = ex.create_order(BTC, "limit", "buy", 0.001, 85000)
    venue.advance(120_000)
    assert [o["order_id"] for o in raw_open_orders(ex)] == [again["id"]]


def test_sdk_dead_mans_switch_push_back_and_disarm(venue) -> None:
    creds = venue.account()
    trade = venue.sdk(Trade, creds)
    sent = send_ok(trade.create_order(orderType="lmt", size=0.001, symbol=XBT_ID, side="buy", limitPrice=85000))
    first = trade.dead_mans_switch(timeout=30)
    assert first["status"]["triggerTime"] == "2026-01-01T00:00:30.000Z"
    venue.advance(20_000)
    pushed = trade.dead_mans_switch(timeout=30)
    assert pushed["status"]["currentTime"] == "2026-01-01T00:00:20.000Z"
    assert pushed["status"]["triggerTime"] == "2026-01-01T00:00:50.000Z"
    venue.advance(25_000)  # t=45s: past the first deadline, before the second
    ids = [o["order_id"] for o in venue.ccxt(creds).privateGetOpenorders()["openOrders"]]
    assert ids == [sent["order_id"]]
    off = trade.dead_mans_switch(timeout=0)
    assert off["status"]["triggerTime"] == "0"
    venue.advance(60_000)
    ids = [o["order_id"] for o in venue.ccxt(creds).privateGetOpenorders()["openOrders"]]
    assert ids == [sent["order_id"]]
    # armed again, it fires
    trade.dead_mans_switch(timeout=10)
    venue.advance(10_001)
    assert venue.ccxt(creds).privateGetOpenorders()["openOrders"] == []


# --------------------------------------------------------------------------- #
# orders/status, fetch_orders
# --------------------------------------------------------------------------- #


def test_fetch_orders_window_includes_triggers_and_recent_finished(venue) -> None:
    ex = venue.ccxt(venue.account())
    limit = ex.create_order(BTC, "limit", "buy", 0.001, 85000)
    stop = ex.create_order(BTC, "limit", "buy", 0.001, 95500, {"triggerPrice": 95000})
    gone = ex.create_order(BTC, "limit", "buy", 0.001, 84000)
    ex.cancel_order(gone["id"])
    by_id = {o["id"]: o for o in ex.fetch_orders()}
    assert set(by_id) == {limit["id"], stop["id"], gone["id"]}
    assert by_id[stop["id"]]["status"] == "open" and by_id[stop["id"]]["triggerPrice"] == 95000
    assert by_id[gone["id"]]["status"] == "canceled"
    raw = {o["order"]["orderId"]: o for o in ex.last_json_response["orders"]}
    trig = raw[stop["id"]]
    assert trig["status"] == "TRIGGER_PLACED" and trig["order"]["type"] == "TRIGGER_ORDER"
    assert trig["order"]["priceTriggerOptions"] == {
        "triggerPrice": 95000, "triggerSide": "TRIGGER_ABOVE", "triggerSignal": "LAST_PRICE"}
    assert num(trig["order"]["limitPrice"]) == 95500
    venue.advance(6_000)
    assert {o["id"] for o in ex.fetch_orders()} == {limit["id"], stop["id"]}
    with pytest.raises(ccxt.OrderNotFound):
        ex.fetch_order(gone["id"])


# --------------------------------------------------------------------------- #
# Self-trade strategy
# --------------------------------------------------------------------------- #


def test_self_trade_strategy_cancel_maker_self(venue) -> None:
    me = venue.account()
    ex = venue.ccxt(me)
    other = venue.ccxt(venue.account())
    assert ex.privateGetSelfTradeStrategy()["strategy"] == "REJECT_TAKER"
    own = ex.create_order(BTC, "limit", "sell", 0.001, 90000)
    theirs = other.create_order(BTC, "limit", "sell", 0.001, 90000)
    with pytest.raises(ccxt.ExchangeError):
        ex.create_order(BTC, "limit", "buy", 0.002, 90000)
    assert ex.last_json_response["sendStatus"]["status"] == "selfFill"
    put = ex.privatePutSelfTradeStrategy({"strategy": "CANCEL_MAKER_SELF"})
    assert put["strategy"] == "CANCEL_MAKER_SELF"
    assert ex.privateGetSelfTradeStrategy()["strategy"] == "CANCEL_MAKER_SELF"
    buy = ex.create_order(BTC, "limit", "buy", 0.002, 90000)
    events = ex.last_json_response["sendStatus"]["orderEvents"]
    assert ex.last_json_response["sendStatus"]["status"] == "placed"
    execs = [e for e in events if e["type"] == "EXECUTION"]
    assert len(execs) == 1 and num(execs[0]["amount"]) == pytest.approx(0.001)
    assert buy["filled"] == pytest.approx(0.001)
    # own maker cancelled, the other account's maker filled, the rest of the buy rests
    assert ex.fetch_order(own["id"])["status"] == "canceled"
    assert other.fetch_order(theirs["id"])["status"] == "closed"
    [rest] = raw_open_orders(ex)
    assert rest["order_id"] == buy["id"] and num(rest["unfilledSize"]) == pytest.approx(0.001)
    ro = venue.srv.read_only_key(me.key)
    ro_ex = venue.ccxt(ro)
    assert ro_ex.privateGetSelfTradeStrategy()["strategy"] == "CANCEL_MAKER_SELF"
    with pytest.raises(ccxt.AuthenticationError):
        ro_ex.privatePutSelfTradeStrategy({"strategy": "REJECT_TAKER"})
    with pytest.raises(ccxt.BadRequest):
        ex.privatePutSelfTradeStrategy({"strategy": "NOPE"})
    assert ex.privatePutSelfTradeStrategy({"strategy": "REJECT_TAKER"})["strategy"] == "REJECT_TAKER"


def test_cancel_order_of_filled_order_and_processbefore(sdk_factory, ccxt_factory, fresh_account) -> None:
    maker_c, taker_c = fresh_account(), fresh_account()
    maker = ccxt_factory(maker_c)
    taker = ccxt_factory(taker_c)
    price = free_trade_price(maker)
    sell = maker.create_order(BTC, "limit", "sell", 0.001, price)
    taker.create_order(BTC, "limit", "buy", 0.001, price, {"timeInForce": "ioc"})
    with pytest.raises(ccxt.OrderNotFound):
        maker.cancel_order(sell["id"])
    assert maker.last_json_response["cancelStatus"]["status"] == "filled"
    trade = sdk_factory(Trade, maker_c)
    resp = trade.create_order(orderType="lmt", size=0.001, symbol=XBT_ID, side="buy", limitPrice=70000,
                              processBefore="2099-01-01T00:00:00.000Z")
    order_id = send_ok(resp)["order_id"]
    assert trade.cancel_order(order_id=order_id)["cancelStatus"]["status"] == "cancelled"
    late = trade.create_order(orderType="lmt", size=0.001, symbol=XBT_ID, side="buy", limitPrice=70000,
                              processBefore="2000-01-01T00:00:00.000Z")
    assert late["sendStatus"]["status"] == "wouldProcessAfterSpecifiedTime"
    assert raw_open_orders(maker) == []
    assert json.dumps(late)  # plain JSON


def test_batch_with_a_malformed_instruction_changes_nothing(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account())
    for bad in ('{"order":"amend"}', '"x"', '{"order":"send","orderType":"lmt","symbol":"PF_NOPE","side":"buy",'
                                             '"size":"0.001","limitPrice":"80000"}'):
        body = ('json={"batchOrder":[{"order":"send","order_tag":"1","orderType":"lmt","symbol":"PF_XBTUSD",'
                '"side":"buy","size":"0.001","limitPrice":"80000"},' + bad + "]}")
        resp = raw.v3json("POST", "batchorder", body=body)
        assert resp["result"] == "error" and resp["error"] == "invalidArgument", resp
    assert raw.v3json("GET", "openorders")["openOrders"] == []


def test_a_batch_larger_than_a_whole_rate_limit_budget_is_refused_whole(raw_factory, fresh_account) -> None:
    """Kraken charges a batch 9 + its size out of 500 per 10 s: 491 instructions pass, 492 never can
    (docs/fidelity.md); the refusal places nothing."""
    raw = raw_factory(fresh_account())
    one = ('{"order":"send","order_tag":"t","orderType":"lmt","symbol":"PF_XBTUSD","side":"buy","size":"0.001",'
           '"limitPrice":"70000"}')
    resp = raw.v3json("POST", "batchorder", body='json={"batchOrder":[' + ",".join([one] * 492) + "]}")
    assert resp["result"] == "error" and resp["error"] == "apiLimitExceeded", resp
    assert raw.v3json("GET", "openorders")["openOrders"] == []
    cancel = '{"order":"cancel","order_id":"00000000-0000-4000-8000-000000000000"}'
    resp = raw.v3json("POST", "batchorder", body='json={"batchOrder":[' + ",".join([cancel] * 491) + "]}")
    assert resp["result"] == "success" and len(resp["batchStatus"]) == 491
