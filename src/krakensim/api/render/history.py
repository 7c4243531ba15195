"""Orders, triggers, executions and their events as the History API shows them.

The History API writes numbers as strings, times as epoch milliseconds, and an order's
``quantity`` as what remains open.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ...engine.events import (
    Event,
    OrderCancelled,
    OrderEdited,
    OrderFilled,
    OrderPlaced,
    OrderRejected,
    TradePrinted,
    TriggerActivated,
    TriggerCancelled,
    TriggerEdited,
    TriggerPlaced,
)
from ...engine.instruments import Instrument
from ...engine.orders import Order
from ...engine.triggers import INDEX, LAST, MARK, PERCENT, QUOTE, Trigger
from ...engine.units import BUY, USD8
from .numbers import price_out, signed_size_out, size_out, usd_out

ORDER_TYPES = {"lmt": "Limit", "post": "Post", "ioc": "IoC", "fok": "FoK", "liquidation": "Liquidation",
               "assignment": "Assignment", "unwind": "Unwind"}
HISTORY_SIGNAL = {MARK: "MarkPrice", LAST: "LastPrice", INDEX: "SpotPrice"}
HISTORY_UNIT = {PERCENT: "Percent", QUOTE: "QuoteCurrency"}

# the History API's name of each event
KINDS: dict[type[Event], str] = {
    OrderPlaced: "OrderPlaced", OrderFilled: "OrderUpdated", OrderEdited: "OrderUpdated",
    OrderCancelled: "OrderCancelled", OrderRejected: "OrderRejected", TriggerPlaced: "OrderTriggerPlaced",
    TriggerActivated: "OrderTriggerActivated", TriggerCancelled: "OrderTriggerCancelled",
    TriggerEdited: "OrderTriggerUpdated",
}
ORDER_KINDS = ("OrderPlaced", "OrderUpdated", "OrderCancelled", "OrderRejected")
TRIGGER_KINDS = ("OrderTriggerPlaced", "OrderTriggerActivated", "OrderTriggerCancelled", "OrderTriggerUpdated")
PUBLIC_ORDER_KINDS = ("OrderPlaced", "OrderUpdated", "OrderCancelled")


def text(v: int | float) -> str:
    return str(v)


def percent_text(bps: int) -> str:
    """A rate in basis points as a percentage (5 → "0.05")."""
    return str(Decimal(bps).scaleb(-2))


def element_uid(account: str, kind: str, ts: int, oid: str, nth: int) -> str:
    """A stable UUID-shaped id for a history element."""
    h = hashlib.blake2b(f"{account}|{kind}|{ts}|{oid}|{nth}".encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def account_number(account: str) -> int:
    return int(hashlib.blake2b(account.encode(), digest_size=4).hexdigest(), 16)


def public_order(inst: Instrument, o: Order) -> dict[str, Any]:
    return {
        "uid": o.order_id,
        "tradeable": o.symbol,
        "direction": "Buy" if o.side == BUY else "Sell",
        "quantity": text(size_out(inst, o.quantity - o.filled)),
        "timestamp": o.placed_at,
        "limitPrice": text(price_out(inst, o.price)),
        "orderType": ORDER_TYPES.get(o.order_type, "Limit"),
        "reduceOnly": o.reduce_only,
        "lastUpdateTimestamp": o.updated_at,
    }


def account_order(inst: Instrument, o: Order) -> dict[str, Any]:
    return {
        "uid": o.order_id,
        "accountUid": o.account_id,
        "tradeable": o.symbol,
        "direction": "Buy" if o.side == BUY else "Sell",
        "quantity": text(size_out(inst, o.quantity - o.filled)),
        "filled": text(size_out(inst, o.filled)),
        "timestamp": o.placed_at,
        "limitPrice": text(price_out(inst, o.price)),
        "orderType": ORDER_TYPES.get(o.order_type, "Limit"),
        "clientId": o.client_order_id or "",
        "reduceOnly": o.reduce_only,
        "lastUpdateTimestamp": o.updated_at,
        "spotData": None,
    }


# what a counterparty's order carries in place of its account and client id: the nil UUID and ""
NO_ACCOUNT = "00000000-0000-0000-0000-000000000000"


def counterparty_order(inst: Instrument, o: Order) -> dict[str, Any]:
    """Another account's order in an account's execution: what the public history shows of it
    (HistoricalOrderSanitized, plus ``filled``, which the public order events give away too), and
    in the fields HistoricalOrder requires, nothing that names its account or its client."""
    return {**account_order(inst, o), "accountUid": NO_ACCOUNT, "clientId": ""}


def account_trigger(inst: Instrument, t: Trigger) -> dict[str, Any]:
    limit = t.limit_when_fired()
    options: dict[str, Any] = {
        "triggerPrice": text(price_out(inst, t.trigger_price)),
        "triggerSignal": HISTORY_SIGNAL[t.signal],
        "triggerSide": "Above" if t.above else "Below",
    }
    if t.deviation is not None and t.deviation_unit is not None:
        dev = price_out(inst, t.deviation) if t.deviation_unit == QUOTE else t.deviation / 100
        options["trailingStopOptions"] = {"maxDeviation": text(dev), "unit": HISTORY_UNIT[t.deviation_unit]}
    if t.offset is not None and t.offset_unit is not None:
        off = price_out(inst, t.offset) if t.offset_unit == QUOTE else t.offset / 100
        options["limitPriceOffset"] = {"priceOffset": text(off), "unit": HISTORY_UNIT[t.offset_unit]}
    return {
        "uid": t.order_id,
        "accountId": account_number(t.account_id),
        "accountUid": t.account_id,
        "tradeable": t.symbol,
        "direction": "Buy" if t.side == BUY else "Sell",
        "quantity": text(size_out(inst, t.quantity)),
        "timestamp": t.placed_at,
        "limitPrice": "" if limit is None else text(price_out(inst, limit)),
        "orderType": "Limit" if limit is not None else "IoC",
        "clientId": t.client_order_id or "",
        "reduceOnly": t.reduce_only,
        "lastUpdateTimestamp": t.updated_at,
        "triggerOptions": options,
    }


OrderRenderer = Callable[[Instrument, Order], dict[str, Any]]


def _order_event(inst: Instrument, e: Event, order: OrderRenderer) -> dict[str, Any] | None:
    """An order event (not a trigger's) with its orders rendered by ``order``; None for a trigger event."""
    kind = KINDS[type(e)]
    if isinstance(e, OrderPlaced):
        return {kind: {"order": order(inst, e.order), "reason": e.reason, "reducedQuantity": ""}}
    if isinstance(e, OrderFilled):
        reason = "full_fill" if e.order_after.filled >= e.order_after.quantity else "partial_fill"
        return {kind: {"oldOrder": order(inst, e.order_before), "newOrder": order(inst, e.order_after),
                       "reason": reason, "reducedQuantity": "0"}}
    if isinstance(e, OrderEdited):
        return {kind: {"oldOrder": order(inst, e.old), "newOrder": order(inst, e.new), "reason": e.reason,
                       "reducedQuantity": "0"}}
    if isinstance(e, OrderCancelled):
        return {kind: {"order": order(inst, e.order), "reason": e.reason}}
    if isinstance(e, OrderRejected):
        return {kind: {"order": order(inst, e.order), "orderError": e.reason, "reason": e.reason.lower()}}
    return None


def account_event(inst: Instrument, e: Event) -> dict[str, Any]:
    """One event of the account's order or trigger history."""
    rendered = _order_event(inst, e, account_order)
    if rendered is not None:
        return rendered
    kind = KINDS[type(e)]
    if isinstance(e, (TriggerPlaced, TriggerCancelled)):
        return {kind: {"order": account_trigger(inst, e.trigger), "reason": e.reason}}
    if isinstance(e, TriggerActivated):
        return {kind: {"order": account_trigger(inst, e.trigger)}}
    assert isinstance(e, TriggerEdited)
    return {kind: {"oldOrderTrigger": account_trigger(inst, e.old), "newOrderTrigger": account_trigger(inst, e.new),
                   "reason": e.reason}}


def public_order_event(inst: Instrument, e: Event) -> dict[str, Any]:
    """An order event of the public market history: the orders without their accounts."""
    rendered = _order_event(inst, e, public_order)
    assert rendered is not None
    return rendered


def execution(inst: Instrument, t: TradePrinted, maker: dict[str, Any], taker: dict[str, Any]) -> dict[str, Any]:
    """The execution object both History API flavours share (their order objects differ)."""
    usd = inst.notional_usd8(t.lots, t.price) / USD8
    return {
        "uid": t.trade_id,
        "makerOrder": maker,
        "takerOrder": taker,
        "timestamp": t.time,
        "quantity": text(size_out(inst, t.lots)),
        "price": text(price_out(inst, t.price)),
        "markPrice": text(price_out(inst, t.mark)),
        "limitFilled": t.maker_order.filled + t.lots >= t.maker_order.quantity,
        "usdValue": f"{usd:.2f}",
    }


def public_execution_element(inst: Instrument, t: TradePrinted) -> dict[str, Any]:
    e = execution(inst, t, public_order(inst, t.maker_order), public_order(inst, t.taker_order))
    return {"uid": t.trade_id, "timestamp": t.time, "event": {"Execution": {"execution": e, "takerReducedQuantity": ""}}}


def _seen_by(account_id: str, inst: Instrument, o: Order) -> dict[str, Any]:
    return account_order(inst, o) if o.account_id == account_id else counterparty_order(inst, o)


def account_execution_element(inst: Instrument, f: OrderFilled) -> dict[str, Any]:
    """The account's side of one execution: its own order in full, the counterparty's without its
    account or client order id."""
    t = f.trade
    mine = {
        "fee": text(usd_out(f.fee)),
        "positionSize": text(signed_size_out(inst, f.position_after)),
        "feeCalculationInfo": [{"percentageFee": percent_text(f.fee_rate), "userFeeDiscountApplied": None,
                                "marketShareRebateCredited": None}],
    }
    maker = f.fill_type == "maker"
    e = execution(inst, t, _seen_by(f.account_id, inst, t.maker_order), _seen_by(f.account_id, inst, t.taker_order))
    e["makerOrderData"] = mine if maker else None
    e["takerOrderData"] = None if maker else mine
    return {"uid": f.fill_id, "timestamp": f.time, "event": {"Execution": {"execution": e, "takerReducedQuantity": ""}}}
