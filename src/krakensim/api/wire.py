"""Engine objects to Kraken's JSON shapes (numbers, timestamps, orders, events)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..engine.book import BUY, Order
from ..engine.exchange import (
    CANCEL,
    CANCEL_TRIGGER,
    EDIT,
    EDIT_TRIGGER,
    EXECUTION,
    PLACE,
    PLACE_TRIGGER,
    REJECT,
    REJECT_TRIGGER,
)
from ..engine.instruments import Instrument
from ..engine.triggers import INDEX, LAST, MARK, Trigger

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_iso_cache: dict[int, str] = {}


def iso(ms: int) -> str:
    """Epoch milliseconds as Kraken writes them: ``2019-09-05T16:33:50.734Z``."""
    s = _iso_cache.get(ms)
    if s is None:
        if len(_iso_cache) > 4096:
            _iso_cache.clear()
        d = _EPOCH + timedelta(milliseconds=ms)
        s = _iso_cache[ms] = f"{d:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"
    return s


def parse_iso(text: str) -> int | None:
    """Epoch milliseconds of an ISO-8601 date-time, or None when it is not one."""
    t = text.strip().replace(" ", "T", 1)
    if t.endswith("Z") or t.endswith("z"):
        t = t[:-1] + "+00:00"
    try:
        d = datetime.fromisoformat(t)
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    delta = d - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def price_out(inst: Instrument, ticks: int) -> int | float:
    v = ticks * inst.tick_num
    d = inst.tick_den
    if d == 1:
        return v
    return v // d if v % d == 0 else v / d


def size_out(inst: Instrument, lots: int) -> int | float:
    p = inst.precision
    if p <= 0:
        return lots * 10**-p
    d = 10**p
    return lots // d if lots % d == 0 else lots / d


def usd_out(usd8: int) -> int | float:
    return usd8 // 100_000_000 if usd8 % 100_000_000 == 0 else usd8 / 100_000_000


def side_str(side: int) -> str:
    return "buy" if side == BUY else "sell"


def order_json(inst: Instrument, o: Order) -> dict[str, Any]:
    return {
        "orderId": o.oid,
        "cliOrdId": o.cli,
        "type": o.otype,
        "symbol": o.symbol,
        "side": "buy" if o.side == BUY else "sell",
        "quantity": size_out(inst, o.qty),
        "filled": size_out(inst, o.filled),
        "limitPrice": price_out(inst, o.price),
        "reduceOnly": o.reduce_only,
        "timestamp": iso(o.ts),
        "lastUpdateTimestamp": iso(o.upd),
    }


SIGNAL_V3 = {MARK: "mark_price", LAST: "last_price", INDEX: "spot_price"}
SIGNAL_STATUS = {MARK: "MARK_PRICE", LAST: "LAST_PRICE", INDEX: "SPOT_PRICE"}
SIGNAL_OPEN = {MARK: "mark", LAST: "last", INDEX: "spot"}


def trigger_json(inst: Instrument, t: Trigger) -> dict[str, Any]:
    """OrderTriggerJson: a trigger order as the v3 events show it."""
    limit = t.limit_when_fired()
    return {
        "uid": t.oid,
        "clientId": t.cli,
        "type": "lmt" if limit is not None else "ioc",
        "symbol": t.symbol,
        "side": "buy" if t.side == BUY else "sell",
        "quantity": size_out(inst, t.qty),
        "limitPrice": None if limit is None else price_out(inst, limit),
        "triggerPrice": price_out(inst, t.trigger),
        "triggerSide": "trigger_above" if t.above else "trigger_below",
        "triggerSignal": SIGNAL_V3[t.signal],
        "reduceOnly": t.reduce_only,
        "timestamp": iso(t.ts),
        "lastUpdateTimestamp": iso(t.upd),
        "startTime": None,
    }


def trigger_as_order_json(inst: Instrument, t: Trigger) -> dict[str, Any]:
    """A trigger order in an OrderJson slot (EDIT events): type ``stp``, limit or trigger price."""
    limit = t.limit_when_fired()
    return {
        "orderId": t.oid,
        "cliOrdId": t.cli,
        "type": "stp",
        "symbol": t.symbol,
        "side": "buy" if t.side == BUY else "sell",
        "quantity": size_out(inst, t.qty),
        "filled": 0,
        "limitPrice": price_out(inst, limit if limit is not None else t.trigger),
        "reduceOnly": t.reduce_only,
        "timestamp": iso(t.ts),
        "lastUpdateTimestamp": iso(t.upd),
    }


def event_json(inst: Instrument, ev: tuple[Any, ...]) -> dict[str, Any]:
    tag = ev[0]
    if tag == PLACE:
        reduced = ev[2]
        return {
            "type": PLACE,
            "order": order_json(inst, ev[1]),
            "reducedQuantity": None if reduced is None else size_out(inst, reduced),
        }
    if tag == CANCEL:
        return {"type": CANCEL, "uid": ev[1].oid, "order": order_json(inst, ev[1])}
    if tag == REJECT:
        return {"type": REJECT, "uid": ev[1].oid, "order": order_json(inst, ev[1]), "reason": ev[2]}
    if tag == EXECUTION:
        return {
            "type": EXECUTION,
            "executionId": ev[1],
            "price": price_out(inst, ev[2]),
            "amount": size_out(inst, ev[3]),
            "orderPriorEdit": None if ev[5] is None else order_json(inst, ev[5]),
            "orderPriorExecution": order_json(inst, ev[4]),
            "takerReducedQuantity": None,
        }
    if tag == EDIT:
        return {"type": EDIT, "old": order_json(inst, ev[1]), "new": order_json(inst, ev[2]), "reducedQuantity": None}
    if tag == PLACE_TRIGGER:
        return {"type": PLACE, "orderTrigger": trigger_json(inst, ev[1])}
    if tag == CANCEL_TRIGGER:
        return {"type": CANCEL, "uid": ev[1].oid, "orderTrigger": trigger_json(inst, ev[1])}
    if tag == REJECT_TRIGGER:
        return {"type": REJECT, "uid": ev[1].oid, "orderTrigger": trigger_json(inst, ev[1]), "reason": ev[2]}
    if tag == EDIT_TRIGGER:
        return {"type": EDIT, "old": trigger_as_order_json(inst, ev[1]), "new": trigger_as_order_json(inst, ev[2]),
                "reducedQuantity": None}
    raise ValueError(tag)


def events_json(inst: Instrument, events: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [event_json(inst, e) for e in events]
