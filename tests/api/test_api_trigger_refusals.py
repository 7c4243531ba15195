"""Trigger orders refused at placement carry a REJECT event with the OrderError reason.

One test per reason that the general checks produce for a trigger order (the gateway's
parameter checks are in test_api_statuses.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from apihelpers import XBT_ID, RawClient, uid


def send(raw: RawClient, **params: str) -> dict:
    resp = raw.v3json("POST", "sendorder", urlencode(params))
    assert resp["result"] == "success", resp
    return resp["sendStatus"]


def stop(**extra: str) -> dict[str, str]:
    return {"orderType": "stp", "symbol": XBT_ID, "side": "sell", "size": "0.001", "stopPrice": "85000", **extra}


def assert_refused(st: dict, status: str, reason: str) -> None:
    assert st["status"] == status, st
    [ev] = st["orderEvents"]
    assert ev["type"] == "REJECT" and ev["reason"] == reason and ev["uid"] == st["order_id"], ev
    assert ev["orderTrigger"]["triggerPrice"] in (85000, 0) and ev["orderTrigger"]["symbol"] == XBT_ID


def open_count(raw: RawClient) -> int:
    return len(raw.v3json("GET", "openorders")["openOrders"])


def test_reason_MARKET_SUSPENDED(venue) -> None:
    raw = venue.raw(venue.account())
    venue.market_state("suspended")
    assert_refused(send(raw, **stop()), "marketSuspended", "MARKET_SUSPENDED")
    assert open_count(raw) == 0


def test_reason_MARKET_IS_POST_ONLY(venue) -> None:
    raw = venue.raw(venue.account())
    venue.market_state("post_only")
    assert_refused(send(raw, **stop()), "marketIsPostOnly", "MARKET_IS_POST_ONLY")


def test_reason_CLIENT_ORDER_ID_IN_USE(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account())
    cid = uid("trig")
    assert send(raw, **stop(cliOrdId=cid))["status"] == "placed"
    assert_refused(send(raw, **stop(cliOrdId=cid)), "clientOrderIdAlreadyExist", "CLIENT_ORDER_ID_IN_USE")
    assert open_count(raw) == 1


def test_reason_CLIENT_ORDER_ID_TOO_LONG(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account())
    assert_refused(send(raw, **stop(cliOrdId="z" * 101)), "clientOrderIdTooBig", "CLIENT_ORDER_ID_TOO_LONG")


def test_reason_INVALID_QUANTITY(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account())
    assert_refused(send(raw, **stop(size="0.00001")), "invalidSize", "INVALID_QUANTITY")


def test_reason_INSUFFICIENT_MARGIN(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account(usd="5"))
    assert_refused(send(raw, **stop(size="0.01")), "insufficientAvailableFunds", "INSUFFICIENT_MARGIN")
    assert open_count(raw) == 0


def test_reason_ORDER_LIMIT_EXCEEDED(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account(usd="10000000"))
    for i in range(500):
        st = send(raw, orderType="lmt", symbol=XBT_ID, side="buy", size="0.001", limitPrice=str(80000 + i))
        assert st["status"] == "placed"
    assert_refused(send(raw, **stop()), "tooManyOrders", "ORDER_LIMIT_EXCEEDED")


def test_reason_TRAILING_STOP_ORDER_LIMIT_EXCEEDED(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account(usd="10000000"))
    trail = {"orderType": "trailing_stop", "symbol": XBT_ID, "side": "sell", "size": "0.001",
             "trailingStopMaxDeviation": "5", "trailingStopDeviationUnit": "PERCENT"}
    for _ in range(100):
        assert send(raw, **trail)["status"] == "placed"
    st = send(raw, **trail)
    assert st["status"] == "tooManyOrders", st
    [ev] = st["orderEvents"]
    assert ev["type"] == "REJECT" and ev["reason"] == "TRAILING_STOP_ORDER_LIMIT_EXCEEDED"
