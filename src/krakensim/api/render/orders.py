"""Orders, triggers and their events as Kraken's v3 REST shapes (OrderJson, OrderTriggerJson,
the ``orderEvents`` of sendorder/editorder/cancelorder, openorders and orders/status)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...engine.events import (
    Event,
    OrderCancelled,
    OrderEdited,
    OrderEnteredBook,
    OrderFilled,
    OrderRejected,
    TriggerCancelled,
    TriggerEdited,
    TriggerPlaced,
    TriggerRejected,
)
from ...engine.instruments import Instrument
from ...engine.orders import Order
from ...engine.triggers import INDEX, LAST, MARK, Trigger
from ...engine.units import side_name
from .numbers import iso, price_out, size_out

SIGNAL_V3 = {MARK: "mark_price", LAST: "last_price", INDEX: "spot_price"}
SIGNAL_STATUS = {MARK: "MARK_PRICE", LAST: "LAST_PRICE", INDEX: "SPOT_PRICE"}
SIGNAL_OPEN = {MARK: "mark", LAST: "last", INDEX: "spot"}

InstrumentOf = Callable[[str], Instrument]


def order_json(inst: Instrument, o: Order) -> dict[str, Any]:
    return {
        "orderId": o.order_id,
        "cliOrdId": o.client_order_id,
        "type": o.order_type,
        "symbol": o.symbol,
        "side": side_name(o.side),
        "quantity": size_out(inst, o.quantity),
        "filled": size_out(inst, o.filled),
        "limitPrice": price_out(inst, o.price),
        "reduceOnly": o.reduce_only,
        "timestamp": iso(o.placed_at),
        "lastUpdateTimestamp": iso(o.updated_at),
    }


def trigger_json(inst: Instrument, t: Trigger) -> dict[str, Any]:
    """OrderTriggerJson: a trigger order as the v3 events show it."""
    limit = t.limit_when_fired()
    return {
        "uid": t.order_id,
        "clientId": t.client_order_id,
        "type": "lmt" if limit is not None else "ioc",
        "symbol": t.symbol,
        "side": side_name(t.side),
        "quantity": size_out(inst, t.quantity),
        "limitPrice": None if limit is None else price_out(inst, limit),
        "triggerPrice": price_out(inst, t.trigger_price),
        "triggerSide": "trigger_above" if t.above else "trigger_below",
        "triggerSignal": SIGNAL_V3[t.signal],
        "reduceOnly": t.reduce_only,
        "timestamp": iso(t.placed_at),
        "lastUpdateTimestamp": iso(t.updated_at),
        "startTime": None,
    }


def trigger_as_order_json(inst: Instrument, t: Trigger) -> dict[str, Any]:
    """A trigger order in an OrderJson slot (EDIT events): type ``stp``, limit or trigger price."""
    limit = t.limit_when_fired()
    return {
        "orderId": t.order_id,
        "cliOrdId": t.client_order_id,
        "type": "stp",
        "symbol": t.symbol,
        "side": side_name(t.side),
        "quantity": size_out(inst, t.quantity),
        "filled": 0,
        "limitPrice": price_out(inst, limit if limit is not None else t.trigger_price),
        "reduceOnly": t.reduce_only,
        "timestamp": iso(t.placed_at),
        "lastUpdateTimestamp": iso(t.updated_at),
    }


def order_events_json(instrument_of: InstrumentOf, events: Sequence[Event]) -> list[dict[str, Any]]:
    """A command's answer (``Result.order_events``) as Kraken's ``orderEvents``.

    A fill is an EXECUTION (with the order before the edit, when an edit made it trade); an
    order resting after its arrival is a PLACE of what rests; the trigger events keep their
    own object (``orderTrigger``).
    """
    out: list[dict[str, Any]] = []
    edited: Order | None = None
    for e in events:
        if isinstance(e, OrderFilled):
            inst = instrument_of(e.symbol)
            out.append({
                "type": "EXECUTION",
                "executionId": e.fill_id,
                "price": price_out(inst, e.price),
                "amount": size_out(inst, e.lots),
                "orderPriorEdit": None if edited is None else order_json(inst, edited),
                "orderPriorExecution": order_json(inst, e.order_before),
                "takerReducedQuantity": None,
            })
        elif isinstance(e, OrderEnteredBook):
            inst = instrument_of(e.order.symbol)
            reduced = e.reduced_quantity
            out.append({"type": "PLACE", "order": order_json(inst, e.order),
                        "reducedQuantity": None if reduced is None else size_out(inst, reduced)})
        elif isinstance(e, OrderCancelled):
            out.append({"type": "CANCEL", "uid": e.order.order_id,
                        "order": order_json(instrument_of(e.order.symbol), e.order)})
        elif isinstance(e, OrderRejected):
            out.append({"type": "REJECT", "uid": e.order.order_id,
                        "order": order_json(instrument_of(e.order.symbol), e.order), "reason": e.reason})
        elif isinstance(e, OrderEdited):
            inst = instrument_of(e.new.symbol)
            edited = e.old
            out.append({"type": "EDIT", "old": order_json(inst, e.old), "new": order_json(inst, e.new),
                        "reducedQuantity": None})
        elif isinstance(e, TriggerPlaced):
            out.append({"type": "PLACE", "orderTrigger": trigger_json(instrument_of(e.trigger.symbol), e.trigger)})
        elif isinstance(e, TriggerCancelled):
            out.append({"type": "CANCEL", "uid": e.trigger.order_id,
                        "orderTrigger": trigger_json(instrument_of(e.trigger.symbol), e.trigger)})
        elif isinstance(e, TriggerRejected):
            out.append({"type": "REJECT", "uid": e.trigger.order_id,
                        "orderTrigger": trigger_json(instrument_of(e.trigger.symbol), e.trigger), "reason": e.reason})
        elif isinstance(e, TriggerEdited):
            inst = instrument_of(e.new.symbol)
            out.append({"type": "EDIT", "old": trigger_as_order_json(inst, e.old),
                        "new": trigger_as_order_json(inst, e.new), "reducedQuantity": None})
        else:
            raise ValueError(f"no REST order event for {type(e).__name__}")
    return out


def cancelled_order_json(instrument_of: InstrumentOf, e: Event) -> tuple[dict[str, Any], dict[str, Any]]:
    """cancelallorders: the ``cancelledOrders`` element and the CANCEL event of one cancellation."""
    if isinstance(e, OrderCancelled):
        o: Order | Trigger = e.order
        order = order_json(instrument_of(e.order.symbol), e.order)
    elif isinstance(e, TriggerCancelled):
        o = e.trigger
        order = trigger_as_order_json(instrument_of(e.trigger.symbol), e.trigger)
    else:
        raise ValueError(type(e).__name__)
    element: dict[str, Any] = {"order_id": o.order_id}
    if o.client_order_id is not None:
        element["cliOrdId"] = o.client_order_id
    return element, {"type": "CANCEL", "uid": o.order_id, "order": order}


def open_order_json(inst: Instrument, o: Order) -> dict[str, Any]:
    d: dict[str, Any] = {
        "order_id": o.order_id,
        "symbol": o.symbol,
        "side": side_name(o.side),
        "orderType": "lmt",
        "limitPrice": price_out(inst, o.price),
        "unfilledSize": size_out(inst, o.quantity - o.filled),
        "receivedTime": iso(o.placed_at),
        "status": "partiallyFilled" if o.filled else "untouched",
        "filledSize": size_out(inst, o.filled),
        "reduceOnly": o.reduce_only,
        "lastUpdateTime": iso(o.updated_at),
    }
    if o.client_order_id is not None:
        d["cliOrdId"] = o.client_order_id
    return d


def open_trigger_json(inst: Instrument, t: Trigger) -> dict[str, Any]:
    d: dict[str, Any] = {
        "order_id": t.order_id,
        "symbol": t.symbol,
        "side": side_name(t.side),
        "orderType": "take_profit" if t.order_type == "take_profit" else "stop",
    }
    limit = t.limit_when_fired()
    if limit is not None:
        d["limitPrice"] = price_out(inst, limit)
    d.update(
        {
            "stopPrice": price_out(inst, t.trigger_price),
            "unfilledSize": size_out(inst, t.quantity),
            "receivedTime": iso(t.placed_at),
            "status": "untouched",
            "filledSize": 0,
            "reduceOnly": t.reduce_only,
            "triggerSignal": SIGNAL_OPEN[t.signal],
            "lastUpdateTime": iso(t.updated_at),
        }
    )
    if t.client_order_id is not None:
        d["cliOrdId"] = t.client_order_id
    return d


def order_status_json(inst: Instrument, o: Order | Trigger, status: str, reason: str | None) -> dict[str, Any]:
    """One element of orders/status."""
    if isinstance(o, Trigger):
        limit = o.limit_when_fired()
        order: dict[str, Any] = {
            "type": "TRIGGER_ORDER",
            "orderId": o.order_id,
            "cliOrdId": o.client_order_id,
            "symbol": o.symbol,
            "side": side_name(o.side),
            "quantity": size_out(inst, o.quantity),
            "filled": None,
            "limitPrice": None if limit is None else price_out(inst, limit),
            "reduceOnly": o.reduce_only,
            "timestamp": iso(o.placed_at),
            "lastUpdateTimestamp": iso(o.updated_at),
            "priceTriggerOptions": {
                "triggerPrice": price_out(inst, o.trigger_price),
                "triggerSide": "TRIGGER_ABOVE" if o.above else "TRIGGER_BELOW",
                "triggerSignal": SIGNAL_STATUS[o.signal],
            },
            "triggerTime": None,
        }
    else:
        order = {**order_json(inst, o), "type": "ORDER", "priceTriggerOptions": None, "triggerTime": None}
    error = reason if status in ("REJECTED", "TRIGGER_ACTIVATION_FAILURE") else None
    return {"order": order, "status": status, "updateReason": None if error else reason, "error": error}
