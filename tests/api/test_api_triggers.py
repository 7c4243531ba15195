"""Trigger orders (stop, take profit, trailing stop) through both clients.

Each test runs on its own server (``venue``) so that it can move the mark, the
index and the last price without disturbing other tests."""

from __future__ import annotations

import ccxt
import pytest
from kraken.futures import Trade

from apihelpers import BTC, XBT_ID, num, raw_open_order, raw_open_orders, send_ok, trade_between


def _status(ex: ccxt.krakenfutures, order_id: str) -> dict:
    [st] = ex.privateGetOrdersStatus({"orderIds": order_id})["orders"]
    return st


def _position(ex: ccxt.krakenfutures) -> float:
    resp = ex.privateGetOpenpositions()
    total = 0.0
    for p in resp["openPositions"]:
        if p["symbol"] == XBT_ID:
            total += num(p["size"]) * (1 if p["side"] == "long" else -1)
    return total


def _go_long(venue, ex: ccxt.krakenfutures, amount: float = 0.01, price: float = 90000) -> None:
    seller = venue.ccxt(venue.account())
    seller.create_order(BTC, "limit", "sell", amount, price)
    ex.create_order(BTC, "market", "buy", amount)
    assert _position(ex) == pytest.approx(amount)


def test_ccxt_buy_stop_limit_fires_when_last_rises(venue) -> None:
    owner = venue.ccxt(venue.account())
    liquidity = venue.ccxt(venue.account())
    m1, m2 = venue.ccxt(venue.account()), venue.ccxt(venue.account())
    stop = owner.create_order(BTC, "limit", "buy", 0.001, 91500, {"triggerPrice": 91000})
    assert stop["status"] == "open" and stop["triggerPrice"] == 91000
    place = owner.last_json_response["sendStatus"]["orderEvents"][0]
    trig = place["orderTrigger"]
    assert (trig["type"], trig["side"], trig["triggerSide"], trig["triggerSignal"]) == (
        "lmt", "buy", "trigger_above", "last_price")
    assert (num(trig["limitPrice"]), num(trig["triggerPrice"])) == (91500, 91000)
    raw = raw_open_order(owner, stop["id"])
    assert raw is not None and raw["orderType"] == "stop" and raw["triggerSignal"] == "last"
    assert (num(raw["stopPrice"]), num(raw["limitPrice"])) == (91000, 91500)
    ask = liquidity.create_order(BTC, "limit", "sell", 0.001, 91200)
    trade_between(m1, m2, 90900)
    assert raw_open_order(owner, stop["id"]) is not None  # 90900 < 91000: not yet
    trade_between(m1, m2, 91000)
    assert raw_open_orders(owner) == []
    [fill] = owner.fetch_my_trades(BTC)
    assert (fill["order"], fill["price"], fill["side"], fill["takerOrMaker"]) == (stop["id"], 91200, "buy", "taker")
    assert liquidity.fetch_order(ask["id"])["status"] == "closed"
    st = _status(owner, stop["id"])
    assert st["status"] == "FULLY_EXECUTED" and st["order"]["type"] == "ORDER"
    assert owner.fetch_order(stop["id"])["status"] == "closed"


def test_ccxt_stop_loss_on_mark_closes_the_long(venue) -> None:
    owner = venue.ccxt(venue.account())
    _go_long(venue, owner, 0.01)
    sl = owner.create_order(BTC, "market", "sell", 0.01, None, {"stopLossPrice": 88000, "triggerSignal": "mark"})
    assert sl["reduceOnly"] is True and sl["triggerPrice"] == 88000
    trig = owner.last_json_response["sendStatus"]["orderEvents"][0]["orderTrigger"]
    assert trig["triggerSignal"] == "mark_price" and trig["triggerSide"] == "trigger_below"
    assert trig["limitPrice"] is None and trig["reduceOnly"] is True
    bidder = venue.ccxt(venue.account())
    bidder.create_order(BTC, "limit", "buy", 0.02, 87500)
    venue.prices(mark=88100)
    assert raw_open_order(owner, sl["id"]) is not None
    venue.prices(index=87000)  # the index does not move a mark trigger
    assert raw_open_order(owner, sl["id"]) is not None
    venue.prices(mark=87900)
    assert raw_open_orders(owner) == []
    assert _position(owner) == 0
    fill = owner.fetch_my_trades(BTC)[0]
    assert (fill["order"], fill["price"], fill["amount"]) == (sl["id"], 87500, pytest.approx(0.01))
    assert bidder.fetch_my_trades(BTC)[0]["takerOrMaker"] == "maker"


def test_ccxt_take_profit_sell_fires_when_last_rises(venue) -> None:
    owner = venue.ccxt(venue.account())
    _go_long(venue, owner, 0.002)
    tp = owner.create_order(BTC, "limit", "sell", 0.002, 91900, {"takeProfitPrice": 92000})
    assert tp["reduceOnly"] is True
    trig = owner.last_json_response["sendStatus"]["orderEvents"][0]["orderTrigger"]
    assert trig["triggerSide"] == "trigger_above" and trig["reduceOnly"] is True
    raw = raw_open_order(owner, tp["id"])
    assert raw is not None and raw["orderType"] == "take_profit" and num(raw["stopPrice"]) == 92000
    m1, m2 = venue.ccxt(venue.account()), venue.ccxt(venue.account())
    trade_between(m1, m2, 91990)
    assert raw_open_order(owner, tp["id"]) is not None
    trade_between(m1, m2, 92000)
    # no bid at 91900 or above: the limit order now rests on the book
    rest = raw_open_order(owner, tp["id"])
    assert rest is not None and rest["orderType"] == "lmt" and num(rest["limitPrice"]) == 91900
    assert rest["reduceOnly"] is True
    st = _status(owner, tp["id"])
    assert st["status"] == "ENTERED_BOOK" and st["order"]["type"] == "ORDER"
    buyer = venue.ccxt(venue.account())
    buyer.create_order(BTC, "limit", "buy", 0.002, 91900)
    assert _position(owner) == 0 and raw_open_orders(owner) == []


def test_sdk_buy_take_profit_and_sell_stop_fire_when_mark_falls(venue) -> None:
    creds = venue.account()
    trade = venue.sdk(Trade, creds)
    ex = venue.ccxt(creds)
    tp = send_ok(trade.create_order(orderType="take_profit", side="buy", size=0.001, symbol=XBT_ID,
                                    stopPrice=89000, limitPrice=89500, triggerSignal="mark"))
    stp = send_ok(trade.create_order(orderType="stp", side="sell", size=0.001, symbol=XBT_ID,
                                     stopPrice=88000, limitPrice=87000, triggerSignal="mark"))
    rise = send_ok(trade.create_order(orderType="stp", side="buy", size=0.001, symbol=XBT_ID,
                                      stopPrice=91000, limitPrice=91000, triggerSignal="mark"))
    assert tp["orderEvents"][0]["orderTrigger"]["triggerSide"] == "trigger_below"
    assert stp["orderEvents"][0]["orderTrigger"]["triggerSide"] == "trigger_below"
    assert rise["orderEvents"][0]["orderTrigger"]["triggerSide"] == "trigger_above"
    venue.prices(mark=89000)
    by_id = {o["order_id"]: o for o in raw_open_orders(ex)}
    assert by_id[tp["order_id"]]["orderType"] == "lmt"  # fired, now resting at 89500
    assert num(by_id[tp["order_id"]]["limitPrice"]) == 89500
    assert by_id[stp["order_id"]]["orderType"] == "stop" and by_id[rise["order_id"]]["orderType"] == "stop"
    # (the fired sell would otherwise meet the account's own resting buy: selfFill)
    assert trade.cancel_order(order_id=tp["order_id"])["cancelStatus"]["status"] == "cancelled"
    venue.prices(mark=87999)
    by_id = {o["order_id"]: o for o in raw_open_orders(ex)}
    assert by_id[stp["order_id"]]["orderType"] == "lmt" and num(by_id[stp["order_id"]]["limitPrice"]) == 87000
    assert by_id[rise["order_id"]]["orderType"] == "stop"
    status = trade.get_orders_status(orderIds=[stp["order_id"], rise["order_id"]])
    kinds = {o["order"]["orderId"]: (o["order"]["type"], o["status"]) for o in status["orders"]}
    assert kinds == {stp["order_id"]: ("ORDER", "ENTERED_BOOK"), rise["order_id"]: ("TRIGGER_ORDER", "TRIGGER_PLACED")}


def test_index_signal_and_sdk_spot_alias(venue) -> None:
    creds = venue.account()
    trade = venue.sdk(Trade, creds)
    ex = venue.ccxt(creds)
    spot = send_ok(trade.create_order(orderType="stp", side="buy", size=0.001, symbol=XBT_ID,
                                      stopPrice=92000, limitPrice=80000, triggerSignal="spot"))
    trig = spot["orderEvents"][0]["orderTrigger"]
    assert trig["triggerSignal"] == "spot_price"
    idx = ex.create_order(BTC, "limit", "buy", 0.001, 80000, {"triggerPrice": 92000, "triggerSignal": "index"})
    assert ex.last_json_response["sendStatus"]["orderEvents"][0]["orderTrigger"]["triggerSignal"] == "spot_price"
    raw = {o["order_id"]: o for o in raw_open_orders(ex)}
    assert raw[spot["order_id"]]["triggerSignal"] == "spot" and raw[idx["id"]]["triggerSignal"] == "spot"
    st = _status(ex, idx["id"])
    assert st["order"]["priceTriggerOptions"]["triggerSignal"] == "SPOT_PRICE"
    venue.prices(mark=93000)  # the mark does not move index triggers
    assert {o["orderType"] for o in raw_open_orders(ex)} == {"stop"}
    venue.prices(index=92000)
    assert {o["orderType"] for o in raw_open_orders(ex)} == {"lmt"}


def test_ccxt_trailing_stop_percent_follows_mark_and_fires(venue) -> None:
    owner = venue.ccxt(venue.account())
    ts = owner.create_order(BTC, "market", "sell", 0.001, None, {
        "orderType": "trailing_stop", "trailingStopMaxDeviation": 1, "trailingStopDeviationUnit": "PERCENT",
        "triggerSignal": "mark"})
    trig = owner.last_json_response["sendStatus"]["orderEvents"][0]["orderTrigger"]
    assert num(trig["triggerPrice"]) == 89100 and trig["triggerSide"] == "trigger_below"
    assert ts["status"] == "open"
    venue.prices(mark=95000)
    raw = raw_open_order(owner, ts["id"])
    assert raw is not None and num(raw["stopPrice"]) == 94050
    venue.prices(mark=94500)  # the trigger never moves back
    raw = raw_open_order(owner, ts["id"])
    assert raw is not None and num(raw["stopPrice"]) == 94050
    bidder = venue.ccxt(venue.account())
    bidder.create_order(BTC, "limit", "buy", 0.001, 94000)
    venue.prices(mark=94051)
    assert raw_open_order(owner, ts["id"]) is not None
    venue.prices(mark=94050)
    assert raw_open_orders(owner) == []
    [fill] = owner.fetch_my_trades(BTC)
    assert (fill["order"], fill["price"], fill["side"]) == (ts["id"], 94000, "sell")


def test_sdk_trailing_stop_quote_currency_buy(venue) -> None:
    creds = venue.account()
    trade = venue.sdk(Trade, creds)
    ex = venue.ccxt(creds)
    sent = send_ok(trade.create_order(orderType="trailing_stop", side="buy", size=0.001, symbol=XBT_ID,
                                      trailingStopMaxDeviation=500, trailingStopDeviationUnit="QUOTE_CURRENCY",
                                      triggerSignal="mark"))
    trig = sent["orderEvents"][0]["orderTrigger"]
    assert num(trig["triggerPrice"]) == 90500 and trig["triggerSide"] == "trigger_above"
    venue.prices(mark=88000)
    raw = raw_open_order(ex, sent["order_id"])
    assert raw is not None and num(raw["stopPrice"]) == 88500
    seller = venue.ccxt(venue.account())
    seller.create_order(BTC, "limit", "sell", 0.001, 88600)
    venue.prices(mark=88500)
    assert raw_open_orders(ex) == []
    assert ex.fetch_my_trades(BTC)[0]["price"] == 88600


@pytest.mark.parametrize(
    ("value", "unit", "limit"),
    [(-1, "PERCENT", 88110), (-100, "QUOTE_CURRENCY", 88900), (0.5, "PERCENT", 89445)],
)
def test_limit_price_offset_sets_limit_when_fired(venue, value, unit, limit) -> None:
    owner = venue.ccxt(venue.account())
    stop = owner.create_order(BTC, "market", "sell", 0.001, None, {
        "triggerPrice": 89000, "triggerSignal": "mark", "limitPriceOffsetValue": value,
        "limitPriceOffsetUnit": unit})
    assert owner.last_json_response["sendStatus"]["status"] == "placed"
    venue.prices(mark=89000)
    raw = raw_open_order(owner, stop["id"])
    assert raw is not None and raw["orderType"] == "lmt" and num(raw["limitPrice"]) == limit


def test_edit_trigger_stop_and_limit_price(venue) -> None:
    creds = venue.account()
    trade = venue.sdk(Trade, creds)
    ex = venue.ccxt(creds)
    sent = send_ok(trade.create_order(orderType="stp", side="sell", size=0.001, symbol=XBT_ID,
                                      stopPrice=85000, limitPrice=84000))
    resp = trade.edit_order(orderId=sent["order_id"], stopPrice=86000, limitPrice=85500, size=0.002)
    assert resp["editStatus"]["status"] == "edited"
    raw = raw_open_order(ex, sent["order_id"])
    assert raw is not None and raw["orderType"] == "stop"
    assert (num(raw["stopPrice"]), num(raw["limitPrice"]), num(raw["unfilledSize"])) == (86000, 85500, 0.002)
    edited = ex.edit_order(sent["order_id"], BTC, "limit", "sell", None, None, {"stopPrice": 87000})
    assert edited["id"] == sent["order_id"]
    assert num(raw_open_order(ex, sent["order_id"])["stopPrice"]) == 87000
    # the edited trigger fires at its new price
    m1, m2 = venue.ccxt(venue.account()), venue.ccxt(venue.account())
    trade_between(m1, m2, 87000)
    raw = raw_open_order(ex, sent["order_id"])
    assert raw is not None and raw["orderType"] == "lmt" and num(raw["limitPrice"]) == 85500


def test_edit_trailing_stop_deviation(venue) -> None:
    creds = venue.account()
    ex = venue.ccxt(creds)
    ts = ex.create_order(BTC, "market", "sell", 0.001, None, {
        "orderType": "trailing_stop", "trailingStopMaxDeviation": 1, "trailingStopDeviationUnit": "PERCENT"})
    assert num(raw_open_order(ex, ts["id"])["stopPrice"]) == 89100
    ex.edit_order(ts["id"], BTC, "market", "sell", None, None,
                  {"trailingStopMaxDeviation": 2, "trailingStopDeviationUnit": "PERCENT"})
    assert ex.last_json_response["editStatus"]["status"] == "edited"
    assert num(raw_open_order(ex, ts["id"])["stopPrice"]) == 88200
    ex.edit_order(ts["id"], BTC, "market", "sell", 0.003, None)
    raw = raw_open_order(ex, ts["id"])
    assert num(raw["unfilledSize"]) == pytest.approx(0.003) and num(raw["stopPrice"]) == 88200


def test_trigger_cancel_and_fetch(venue) -> None:
    ex = venue.ccxt(venue.account())
    stop = ex.create_order(BTC, "limit", "sell", 0.001, 84000, {"triggerPrice": 85000, "clientOrderId": "trig-1"})
    fetched = ex.fetch_order(stop["id"])
    assert fetched["status"] == "open" and fetched["triggerPrice"] == 85000 and fetched["clientOrderId"] == "trig-1"
    [opened] = ex.fetch_open_orders()
    assert opened["id"] == stop["id"] and opened["triggerPrice"] == 85000
    cancelled = ex.cancel_order(stop["id"])
    assert cancelled["status"] == "canceled"
    [ev] = ex.last_json_response["cancelStatus"]["orderEvents"]
    assert ev["type"] == "CANCEL" and ev["orderTrigger"]["uid"] == stop["id"]
    assert _status(ex, stop["id"])["status"] == "CANCELLED"
    m1, m2 = venue.ccxt(venue.account()), venue.ccxt(venue.account())
    trade_between(m1, m2, 84500)  # a cancelled trigger never fires
    assert raw_open_orders(ex) == [] and ex.fetch_my_trades(BTC) == []


def test_market_trigger_without_liquidity_does_not_rest(venue) -> None:
    ex = venue.ccxt(venue.account())
    stop = ex.create_order(BTC, "market", "buy", 0.001, None, {"triggerPrice": 91000, "triggerSignal": "mark"})
    venue.prices(mark=91000)
    assert raw_open_orders(ex) == []
    st = _status(ex, stop["id"])
    assert (st["status"], st["error"]) == ("TRIGGER_ACTIVATION_FAILURE", "IOC_WOULD_NOT_EXECUTE")
    assert st["order"]["type"] == "TRIGGER_ORDER"
    assert ex.fetch_my_trades(BTC) == []


def test_reduce_only_trigger_without_position_when_fired(venue) -> None:
    owner = venue.ccxt(venue.account())
    _go_long(venue, owner, 0.001)
    sl = owner.create_order(BTC, "limit", "sell", 0.001, 87000, {"stopLossPrice": 88000, "triggerSignal": "mark"})
    # close the position by hand before the stop fires
    bidder = venue.ccxt(venue.account())
    bidder.create_order(BTC, "limit", "buy", 0.001, 90000)
    owner.create_order(BTC, "market", "sell", 0.001, None, {"reduceOnly": True})
    assert _position(owner) == 0
    venue.prices(mark=87900)
    assert raw_open_orders(owner) == []
    st = _status(owner, sl["id"])
    assert (st["status"], st["error"]) == ("TRIGGER_ACTIVATION_FAILURE", "WOULD_NOT_REDUCE_POSITION")
