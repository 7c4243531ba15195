"""Trigger orders refused when they fire: orders/status shows TRIGGER_ACTIVATION_FAILURE with
the OrderError, and nothing rests or trades. One test per reason (the reduce-only and
no-liquidity cases are in test_api_triggers.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from apihelpers import XBT_ID, RawClient


def send(raw: RawClient, **params: str) -> dict:
    resp = raw.v3json("POST", "sendorder", urlencode(params))
    assert resp["result"] == "success", resp
    return resp["sendStatus"]


def lmt(raw: RawClient, side: str, size: str, price: int) -> str:
    st = send(raw, orderType="lmt", symbol=XBT_ID, side=side, size=size, limitPrice=str(price))
    assert st["status"] == "placed", st
    return str(st["order_id"])


def stop(raw: RawClient, side: str, size: str, stop_price: int, limit: int | None = None) -> str:
    params = {"orderType": "stp", "symbol": XBT_ID, "side": side, "size": size, "stopPrice": str(stop_price),
              "triggerSignal": "mark"}
    if limit is not None:
        params["limitPrice"] = str(limit)
    st = send(raw, **params)
    assert st["status"] == "placed" and st["orderEvents"][0]["orderTrigger"]["uid"] == st["order_id"], st
    return str(st["order_id"])


def activation_error(raw: RawClient, oid: str) -> str:
    [row] = raw.v3json("GET", "orders/status", query=urlencode({"orderIds": oid}))["orders"]
    assert row["status"] == "TRIGGER_ACTIVATION_FAILURE", row
    assert row["order"]["type"] == "TRIGGER_ORDER" and row["updateReason"] is None
    assert oid not in {o["order_id"] for o in raw.v3json("GET", "openorders")["openOrders"]}
    return str(row["error"])


def test_reason_SMALL_ORDER_LIMIT_EXCEEDED(venue) -> None:
    raw = venue.raw(venue.account())
    oid = stop(raw, "sell", "0.0001", 85000, 84000)  # a 8.4 USD limit order when it fires
    for i in range(50):
        lmt(raw, "buy", "0.0001", 80000 + i)
    venue.prices(mark=85000)
    assert activation_error(raw, oid) == "SMALL_ORDER_LIMIT_EXCEEDED"


def test_reason_INSUFFICIENT_MARGIN(venue) -> None:
    raw = venue.raw(venue.account(usd="100"))
    oid = stop(raw, "sell", "0.02", 85000, 84000)  # 33.60 USD of margin when it fires
    lmt(raw, "buy", "0.045", 80000)  # 72 USD reserved: 28 left
    venue.prices(mark=85000)
    assert activation_error(raw, oid) == "INSUFFICIENT_MARGIN"


def test_reason_PRICE_COLLAR(venue) -> None:
    raw = venue.raw(venue.account())
    lmt(venue.raw(venue.account()), "sell", "0.01", 95000)
    oid = stop(raw, "buy", "0.01", 91000, 100500)  # crosses, 10.4 % above the mark when it fires
    venue.prices(mark=91000)
    assert activation_error(raw, oid) == "PRICE_COLLAR"


def test_reason_WOULD_EXECUTE_SELF(venue) -> None:
    raw = venue.raw(venue.account())
    lmt(raw, "sell", "0.01", 95000)
    oid = stop(raw, "buy", "0.01", 91000, 96000)
    venue.prices(mark=91000)
    assert activation_error(raw, oid) == "WOULD_EXECUTE_SELF"


def test_reason_WOULD_CAUSE_LIQUIDATION(venue) -> None:
    raw = venue.raw(venue.account(usd="30"))
    lmt(venue.raw(venue.account()), "sell", "0.01", 98000)
    oid = stop(raw, "buy", "0.01", 90500, 98000)  # would lose 75 USD against the mark at once
    venue.prices(mark=90500)
    assert activation_error(raw, oid) == "WOULD_CAUSE_LIQUIDATION"
    assert raw.v3json("GET", "fills")["fills"] == []


def test_reason_MAX_POSITION_EXCEEDED(venue) -> None:
    creds = venue.account(usd="10000000000")
    # the tiered margin of 91 billion USD of bitcoin is about 45.5 billion (an account starts with 10 at most)
    venue.srv.admin("deposit", {"accountUid": creds.account_uid, "currency": "USD", "amount": "50000000000"})
    raw = venue.raw(creds)
    oid = stop(raw, "buy", "1000001", 91000, 91000)  # the position limit is 1,000,000 BTC
    venue.prices(mark=91000)
    assert activation_error(raw, oid) == "MAX_POSITION_EXCEEDED"
