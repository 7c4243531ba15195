"""One test per sendStatus / editStatus / cancelStatus / batch status value and per
trigger-rejection OrderError reason the server can produce, each provoked over
the wire.  Values that cannot be provoked are listed in ``NOT_PROVOKED``."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import ccxt
import pytest

from apihelpers import BTC, XBT_ID, RawClient, free_trade_price, uid, validate_body

#: sendStatus / editStatus / batch values with no test, and why.
NOT_PROVOKED = {
    "partiallyFilled": "sendStatus of an accepted order is always 'placed' (docs/fidelity.md)",
    "filled": "same (as sendStatus); 'filled' is covered as a cancelStatus",
    "cancelled": "not a sendStatus outcome; covered as cancelStatus / batch status",
    "edited": "not a sendStatus outcome; covered as editStatus / batch status",
    "wouldIncreasePriceDislocation": "no price-dislocation model",
}


def send(raw: RawClient, **params) -> dict:
    resp = raw.v3json("POST", "sendorder", urlencode(params))
    assert resp["result"] == "success", resp
    return resp["sendStatus"]


def edit(raw: RawClient, **params) -> dict:
    resp = raw.v3json("POST", "editorder", urlencode(params))
    assert resp["result"] == "success", resp
    return resp["editStatus"]


def batch(raw: RawClient, *instructions: dict) -> list[dict]:
    body = "json=" + json.dumps({"batchOrder": list(instructions)}, separators=(",", ":"))
    resp = raw.v3json("POST", "batchorder", body=body)
    assert resp["result"] == "success", resp
    return resp["batchStatus"]


def lmt(side: str = "buy", size: str = "0.001", price: str = "80000", **extra) -> dict:
    return {"orderType": "lmt", "symbol": XBT_ID, "side": side, "size": size, "limitPrice": price, **extra}


def bsend(tag: str, **order) -> dict:
    return {"order": "send", "order_tag": tag, **order}


@pytest.fixture
def raw(raw_factory, fresh_account) -> RawClient:
    return raw_factory(fresh_account())


# --------------------------------------------------------------------------- #
# Successful outcomes
# --------------------------------------------------------------------------- #


def test_status_placed(raw) -> None:
    st = send(raw, **lmt())
    assert st["status"] == "placed" and st["orderEvents"][0]["type"] == "PLACE"
    [b] = batch(raw, bsend("t", **lmt(price="79000")))
    assert (b["status"], b["order_tag"]) == ("placed", "t")


def test_status_edited(raw) -> None:
    oid = send(raw, **lmt())["order_id"]
    assert edit(raw, orderId=oid, size="0.002")["status"] == "edited"
    [b] = batch(raw, {"order": "edit", "order_id": oid, "limitPrice": "80001"})
    assert b["status"] == "edited" and b["orderEvents"][0]["type"] == "EDIT"


def test_status_cancelled(raw) -> None:
    oid = send(raw, **lmt())["order_id"]
    resp = raw.v3json("POST", "cancelorder", urlencode({"order_id": oid}))
    assert resp["cancelStatus"]["status"] == "cancelled"
    oid = send(raw, **lmt())["order_id"]
    [b] = batch(raw, {"order": "cancel", "order_id": oid})
    assert b["status"] == "cancelled"
    oid = send(raw, **lmt())["order_id"]
    resp = raw.v3json("POST", "cancelallorders")
    assert resp["cancelStatus"]["status"] == "cancelled"
    assert [c["order_id"] for c in resp["cancelStatus"]["cancelledOrders"]] == [oid]


def test_status_noOrdersToCancel(raw) -> None:
    resp = raw.v3json("POST", "cancelallorders", urlencode({"symbol": XBT_ID}))
    assert resp["cancelStatus"]["status"] == "noOrdersToCancel"


def test_status_filled(ccxt_factory, fresh_account, raw_factory) -> None:
    mc = fresh_account()
    maker, taker = ccxt_factory(mc), ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    sell = maker.create_order(BTC, "limit", "sell", 0.001, price)
    taker.create_order(BTC, "limit", "buy", 0.001, price, {"timeInForce": "ioc"})
    resp = raw_factory(mc).v3json("POST", "cancelorder", urlencode({"order_id": sell["id"]}))
    assert resp["cancelStatus"]["status"] == "filled" and resp["cancelStatus"]["order_id"] == sell["id"]


def test_status_notFound(raw) -> None:
    resp = raw.v3json("POST", "cancelorder", urlencode({"order_id": "00000000-0000-4000-8000-000000000000"}))
    assert resp["cancelStatus"]["status"] == "notFound"


# --------------------------------------------------------------------------- #
# Rejections
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("state", ["suspended", "inactive", "post_only"])
def test_market_states_in_send_and_batch(venue, state) -> None:
    raw = venue.raw(venue.account())
    rest = send(raw, **lmt())["order_id"]
    venue.market_state(state)
    expected = {"suspended": "marketSuspended", "inactive": "marketInactive", "post_only": "marketIsPostOnly"}[state]
    assert send(raw, **lmt(price="79000"))["status"] == expected
    if state != "post_only":
        [b] = batch(raw, bsend("m", **lmt(price="79000")))
        assert b["status"] == expected
    else:
        post = send(raw, orderType="post", symbol=XBT_ID, side="buy", size="0.001", limitPrice="79000")
        assert post["status"] == "placed"
    venue.market_state("open")
    assert send(raw, **lmt(price="79500"))["status"] == "placed"
    assert rest in {o["order_id"] for o in raw_open_orders_raw(raw)}


def test_status_marketSuspended(venue) -> None:
    raw = venue.raw(venue.account())
    venue.market_state("suspended")
    assert send(raw, **lmt())["status"] == "marketSuspended"


def test_status_marketInactive(venue) -> None:
    raw = venue.raw(venue.account())
    venue.market_state("inactive")
    assert send(raw, **lmt())["status"] == "marketInactive"


def test_status_marketIsPostOnly(venue) -> None:
    raw = venue.raw(venue.account())
    venue.market_state("post_only")
    assert send(raw, **lmt())["status"] == "marketIsPostOnly"


def test_status_invalidPrice(raw) -> None:
    assert send(raw, **lmt(price="80000.5"))["status"] == "invalidPrice"
    oid = send(raw, **lmt())["order_id"]
    assert edit(raw, orderId=oid, limitPrice="-1")["status"] == "invalidPrice"
    [b] = batch(raw, bsend("p", **lmt(price="0")))
    assert b["status"] == "invalidPrice"


def test_status_invalidSize(raw) -> None:
    assert send(raw, **lmt(size="0.00001"))["status"] == "invalidSize"
    oid = send(raw, **lmt())["order_id"]
    assert edit(raw, orderId=oid, size="0")["status"] == "invalidSize"
    [b] = batch(raw, bsend("s", **lmt(size="-1")))
    assert b["status"] == "invalidSize"


def test_status_invalidOrderType(raw) -> None:
    [b] = batch(raw, bsend("o", **{**lmt(), "orderType": "nonsense"}))
    assert b["status"] == "invalidOrderType"


def test_status_invalidSide(raw) -> None:
    [b] = batch(raw, bsend("o", **lmt(side="up")))
    assert b["status"] == "invalidSide"


def test_status_insufficientAvailableFunds(server, raw_factory) -> None:
    raw = raw_factory(server.new_account("50"))
    # 0.1 BTC at 80000: 2 % initial margin = 160 USD > 50 USD
    assert send(raw, **lmt(size="0.1"))["status"] == "insufficientAvailableFunds"
    oid = send(raw, **lmt(size="0.01"))["order_id"]  # 16 USD
    assert edit(raw, orderId=oid, size="0.1")["status"] == "insufficientAvailableFunds"
    [b] = batch(raw, bsend("f", **lmt(size="0.1")))
    assert b["status"] == "insufficientAvailableFunds"


def test_status_wouldCauseLiquidation(venue) -> None:
    seller = venue.ccxt(venue.account())
    seller.create_order(BTC, "limit", "sell", 0.1, 95000)  # 5.6 % above the mark: inside the collar
    raw = venue.raw(venue.account("300"))
    # margin 190 USD fits in 300 USD, but buying at 95000 with the mark at 90000 loses 500 USD at once
    st = send(raw, **lmt(size="0.1", price="95000"))
    assert st["status"] == "wouldCauseLiquidation"
    assert seller.fetch_open_orders()[0]["remaining"] == pytest.approx(0.1)


def test_status_clientOrderIdAlreadyExist(raw) -> None:
    cid = uid("dup")
    assert send(raw, **lmt(cliOrdId=cid))["status"] == "placed"
    st = send(raw, **lmt(price="79000", cliOrdId=cid))
    assert st["status"] == "clientOrderIdAlreadyExist" and st["cliOrdId"] == cid
    [b] = batch(raw, bsend("d", **lmt(price="79000", cliOrdId=cid)))
    assert b["status"] == "clientOrderIdAlreadyExist"


def test_status_clientOrderIdTooBig(raw) -> None:
    assert send(raw, **lmt(cliOrdId="x" * 101))["status"] == "clientOrderIdTooBig"
    assert send(raw, **lmt(cliOrdId="x" * 100))["status"] == "placed"


def test_status_clientOrderIdTooLong(raw) -> None:
    [b] = batch(raw, bsend("l", **lmt(cliOrdId="y" * 101)))
    assert b["status"] == "clientOrderIdTooLong"


def test_status_clientOrderIdInvalid(raw) -> None:
    assert send(raw, **lmt(cliOrdId="bad\x01id"))["status"] == "clientOrderIdInvalid"
    assert raw_open_orders_raw(raw) == []


def raw_open_orders_raw(raw: RawClient) -> list[dict]:
    return raw.v3json("GET", "openorders")["openOrders"]


def test_status_maxPositionViolation(venue) -> None:
    raw = venue.raw(venue.account("10000000000"))
    st = send(raw, **lmt(size="1000001", price="80000"))
    assert st["status"] == "maxPositionViolation"


def test_status_outsidePriceCollar(venue) -> None:
    seller = venue.ccxt(venue.account())
    seller.create_order(BTC, "limit", "sell", 0.001, 90000)
    raw = venue.raw(venue.account())
    # crossing, with a limit 11 % above the 90000 mark
    assert send(raw, **lmt(price="99900"))["status"] == "outsidePriceCollar"
    oid = send(raw, **lmt(price="85000"))["order_id"]
    assert edit(raw, orderId=oid, limitPrice="99900")["status"] == "outsidePriceCollar"
    [b] = batch(raw, bsend("c", **lmt(price="99900")))
    assert b["status"] == "outsidePriceCollar"
    # not crossing: no collar
    assert send(raw, **lmt(side="sell", price="120000"))["status"] == "placed"


def test_status_postWouldExecute(ccxt_factory, fresh_account, raw_factory) -> None:
    maker = ccxt_factory(fresh_account())
    price = free_trade_price(maker)
    maker.create_order(BTC, "limit", "sell", 0.001, price)
    raw = raw_factory(fresh_account())
    post = {"orderType": "post", "symbol": XBT_ID, "side": "buy", "size": "0.001"}
    st = send(raw, **post, limitPrice=str(price))
    assert st["status"] == "postWouldExecute" and st["orderEvents"][0]["reason"] == "POST_WOULD_EXECUTE"
    oid = send(raw, **post, limitPrice=str(price - 100))["order_id"]
    assert edit(raw, orderId=oid, limitPrice=str(price))["status"] == "postWouldExecute"
    [b] = batch(raw, bsend("p", **post, limitPrice=str(price)))
    assert b["status"] == "postWouldExecute"
    maker.cancel_all_orders()


def test_status_iocWouldNotExecute(venue) -> None:
    raw = venue.raw(venue.account())
    ioc = {"orderType": "ioc", "symbol": XBT_ID, "side": "buy", "size": "0.001", "limitPrice": "90000"}
    st = send(raw, **ioc)
    assert st["status"] == "iocWouldNotExecute" and st["orderEvents"][0]["reason"] == "IOC_WOULD_NOT_EXECUTE"
    assert send(raw, **{**ioc, "orderType": "fok"})["status"] == "iocWouldNotExecute"
    assert send(raw, orderType="mkt", symbol=XBT_ID, side="buy", size="0.001")["status"] == "iocWouldNotExecute"
    [b] = batch(raw, bsend("i", **ioc))
    assert b["status"] == "iocWouldNotExecute"


def test_status_selfFill(ccxt_factory, fresh_account, raw_factory) -> None:
    creds = fresh_account()
    ex = ccxt_factory(creds)
    price = free_trade_price(ex)
    ex.create_order(BTC, "limit", "sell", 0.001, price)
    raw = raw_factory(creds)
    assert send(raw, **lmt(price=str(price)))["status"] == "selfFill"
    oid = send(raw, **lmt(price=str(price - 100)))["order_id"]
    assert edit(raw, orderId=oid, limitPrice=str(price))["status"] == "selfFill"
    [b] = batch(raw, bsend("s", **lmt(price=str(price))))
    assert b["status"] == "selfFill"
    ex.cancel_all_orders()


def test_status_wouldNotReducePosition(raw) -> None:
    st = send(raw, **lmt(reduceOnly="true"))
    assert st["status"] == "wouldNotReducePosition"


def test_status_tooManySmallOrders(raw) -> None:
    small = [bsend(str(i), **lmt(size="0.0001", price=str(70000 + i))) for i in range(50)]
    assert {b["status"] for b in batch(raw, *small)} == {"placed"}  # 7 USD each
    assert send(raw, **lmt(size="0.0001", price="69000"))["status"] == "tooManySmallOrders"
    [b] = batch(raw, bsend("x", **lmt(size="0.0001", price="69001")))
    assert b["status"] == "tooManySmallOrders"
    raw.v3json("POST", "cancelallorders")


def test_status_tooManySmallOrders_on_edit(raw) -> None:
    small = [bsend(str(i), **lmt(size="0.0001", price=str(70000 + i))) for i in range(50)]
    assert {b["status"] for b in batch(raw, *small)} == {"placed"}
    oid = send(raw, **lmt(size="0.001", price="69002"))["order_id"]  # 69 USD: not small
    try:
        assert edit(raw, orderId=oid, size="0.0001")["status"] == "tooManySmallOrders"
    finally:
        raw.v3json("POST", "cancelallorders")


def test_status_tooManyOrders(raw) -> None:
    for chunk in range(5):
        orders = [bsend(str(i), **lmt(price=str(60000 + chunk * 100 + i))) for i in range(100)]
        assert {b["status"] for b in batch(raw, *orders)} == {"placed"}
    assert send(raw, **lmt(price="59000"))["status"] == "tooManyOrders"
    st = send(raw, orderType="stp", symbol=XBT_ID, side="sell", size="0.001", stopPrice="50000")
    assert st["status"] == "tooManyOrders"
    raw.v3json("POST", "cancelallorders")


def test_status_orderForEditNotFound(raw) -> None:
    st = edit(raw, orderId="00000000-0000-4000-8000-000000000000", size="0.001")
    assert st["status"] == "orderForEditNotFound" and st["orderEvents"] == []


def test_status_orderForEditNotAStop(raw) -> None:
    oid = send(raw, **lmt())["order_id"]
    assert edit(raw, orderId=oid, stopPrice="81000")["status"] == "orderForEditNotAStop"


def test_status_wouldProcessAfterSpecifiedTime(raw) -> None:
    st = send(raw, **lmt(processBefore="2020-01-01T00:00:00.000Z"))
    assert st["status"] == "wouldProcessAfterSpecifiedTime"
    assert raw_open_orders_raw(raw) == []


def _trailing_edit(raw: RawClient, recorder, **changes) -> dict:
    oid = send(raw, orderType="trailing_stop", symbol=XBT_ID, side="sell", size="0.001",
               trailingStopMaxDeviation="1", trailingStopDeviationUnit="PERCENT")["order_id"]
    return raw.v3json("POST", "editorder", urlencode({"orderId": oid, **changes}))


def test_status_cannotEditTriggerPriceOfTrailingStop(raw, recorder) -> None:
    resp = _trailing_edit(raw, recorder, stopPrice="85000")
    assert resp["editStatus"]["status"] == "cannotEditTriggerPriceOfTrailingStop"
    validate_body("POST", "/derivatives/api/v3/editorder", resp)


def test_status_cannotEditLimitPriceOfTrailingStop(raw, recorder) -> None:
    resp = _trailing_edit(raw, recorder, limitPrice="85000")
    assert resp["editStatus"]["status"] == "cannotEditLimitPriceOfTrailingStop"
    validate_body("POST", "/derivatives/api/v3/editorder", resp)


def test_ccxt_maps_statuses_to_exceptions(ccxt_factory, fresh_account, server) -> None:
    poor = ccxt_factory(server.new_account("50"))
    with pytest.raises(ccxt.InsufficientFunds):
        poor.create_order(BTC, "limit", "buy", 0.1, 80000)
    ex = ccxt_factory(fresh_account())
    # ccxt maps only 'clientOrderIdTooLong'; 'clientOrderIdTooBig' passes through as the order status
    order = ex.create_order(BTC, "limit", "buy", 0.001, 80000, {"clientOrderId": "z" * 101})
    assert order["status"] == "clientOrderIdTooBig" and order["id"] is None
    with pytest.raises(ccxt.OrderNotFound):
        ex.edit_order("00000000-0000-4000-8000-000000000000", BTC, "limit", "buy", 0.001, 80000)
    with pytest.raises(ccxt.OrderNotFound):
        ex.cancel_order("00000000-0000-4000-8000-000000000000")


# --------------------------------------------------------------------------- #
# Trigger rejections: sendStatus invalidPrice + REJECT event with an OrderError
# --------------------------------------------------------------------------- #


def _reason_test(reason: str, status: str = "invalidPrice", **params):
    def test(raw) -> None:
        st = send(raw, symbol=XBT_ID, side="sell", size="0.001", **params)
        assert st["status"] == status, st
        [ev] = st["orderEvents"]
        assert ev["type"] == "REJECT" and ev["reason"] == reason, ev
        assert ev["orderTrigger"]["symbol"] == XBT_ID and ev["uid"] == st["order_id"]
        assert raw_open_orders_raw(raw) == []

    test.__name__ = f"test_reason_{reason}"
    return test


_TRAIL = {"orderType": "trailing_stop"}
_STOP = {"orderType": "stp", "stopPrice": "85000"}

test_reason_TRAILING_STOP_MAX_DEVIATION_TOO_SMALL = _reason_test(
    "TRAILING_STOP_MAX_DEVIATION_TOO_SMALL", **_TRAIL, trailingStopMaxDeviation="0.05",
    trailingStopDeviationUnit="PERCENT")
test_reason_TRAILING_STOP_MAX_DEVIATION_TOO_LARGE = _reason_test(
    "TRAILING_STOP_MAX_DEVIATION_TOO_LARGE", **_TRAIL, trailingStopMaxDeviation="51",
    trailingStopDeviationUnit="PERCENT")
test_reason_TRAILING_STOP_PERCENT_DEVIATION_EXCEEDS_MAX_DECIMAL_PLACES = _reason_test(
    "TRAILING_STOP_PERCENT_DEVIATION_EXCEEDS_MAX_DECIMAL_PLACES", **_TRAIL, trailingStopMaxDeviation="1.234",
    trailingStopDeviationUnit="PERCENT")
test_reason_TRAILING_STOP_QUOTE_DEVIATION_NOT_MULTIPLE_OF_TICK_SIZE = _reason_test(
    "TRAILING_STOP_QUOTE_DEVIATION_NOT_MULTIPLE_OF_TICK_SIZE", **_TRAIL, trailingStopMaxDeviation="100.5",
    trailingStopDeviationUnit="QUOTE_CURRENCY")
test_reason_ORDER_CANNOT_HAVE_TRIGGER_PRICE = _reason_test(
    "ORDER_CANNOT_HAVE_TRIGGER_PRICE", **_TRAIL, trailingStopMaxDeviation="1",
    trailingStopDeviationUnit="PERCENT", stopPrice="85000")
test_reason_INVALID_PRICE = _reason_test("INVALID_PRICE", orderType="stp", stopPrice="85000.5")
test_reason_LIMIT_PRICE_SET_AS_ABSOLUTE_AND_RELATIVE = _reason_test(
    "LIMIT_PRICE_SET_AS_ABSOLUTE_AND_RELATIVE", **_STOP, limitPrice="84000", limitPriceOffsetValue="-1",
    limitPriceOffsetUnit="PERCENT")
test_reason_LIMIT_PRICE_OFFSET_VALUE_INVALID = _reason_test(
    "LIMIT_PRICE_OFFSET_VALUE_INVALID", **_STOP, limitPriceOffsetValue="abc", limitPriceOffsetUnit="PERCENT")
test_reason_LIMIT_PRICE_OFFSET_UNIT_INVALID = _reason_test(
    "LIMIT_PRICE_OFFSET_UNIT_INVALID", **_STOP, limitPriceOffsetValue="-1", limitPriceOffsetUnit="BPS")
test_reason_LIMIT_PRICE_OFFSET_MUST_HAVE_VALUE_AND_UNIT = _reason_test(
    "LIMIT_PRICE_OFFSET_MUST_HAVE_VALUE_AND_UNIT", **_STOP, limitPriceOffsetValue="-1")
test_reason_LIMIT_PRICE_OFFSET_QUOTE_CURRENCY_VALUE_MUST_BE_MULTIPLE_OF_TICK_SIZE = _reason_test(
    "LIMIT_PRICE_OFFSET_QUOTE_CURRENCY_VALUE_MUST_BE_MULTIPLE_OF_TICK_SIZE", **_STOP,
    limitPriceOffsetValue="-10.5", limitPriceOffsetUnit="QUOTE_CURRENCY")
test_reason_LIMIT_PRICE_OFFSET_PERCENT_VALUE_TOO_MANY_DECIMAL_PLACES = _reason_test(
    "LIMIT_PRICE_OFFSET_PERCENT_VALUE_TOO_MANY_DECIMAL_PLACES", **_STOP, limitPriceOffsetValue="-1.234",
    limitPriceOffsetUnit="PERCENT")
test_reason_LIMIT_PRICE_OFFSET_TOO_HIGH = _reason_test(
    "LIMIT_PRICE_OFFSET_TOO_HIGH", **_STOP, limitPriceOffsetValue="11", limitPriceOffsetUnit="PERCENT")
test_reason_LIMIT_PRICE_OFFSET_TOO_LOW = _reason_test(
    "LIMIT_PRICE_OFFSET_TOO_LOW", **_STOP, limitPriceOffsetValue="-9000", limitPriceOffsetUnit="QUOTE_CURRENCY")


def test_status_tooManyOrders_trailing_stops(raw) -> None:
    """More than 100 open trailing stops: tooManyOrders (the server's internal reason
    TRAILING_STOP_ORDER_LIMIT_EXCEEDED is not on the wire: no order events)."""
    trail = {"order": "send", "orderType": "trailing_stop", "symbol": XBT_ID, "side": "sell", "size": "0.001",
             "trailingStopMaxDeviation": "1", "trailingStopDeviationUnit": "PERCENT"}
    statuses = batch(raw, *[{**trail, "order_tag": str(i)} for i in range(100)])
    assert {b["status"] for b in statuses} == {"placed"}
    st = send(raw, orderType="trailing_stop", symbol=XBT_ID, side="sell", size="0.001",
              trailingStopMaxDeviation="1", trailingStopDeviationUnit="PERCENT")
    assert st["status"] == "tooManyOrders", st
    assert [e["reason"] for e in st["orderEvents"]] == ["TRAILING_STOP_ORDER_LIMIT_EXCEEDED"]
    assert send(raw, **lmt())["status"] == "placed"  # other orders are still accepted
    raw.v3json("POST", "cancelallorders")
