"""Order management endpoints: sendorder, editorder, cancelorder, cancelallorders(after), batchorder,
the self-trade strategy, openorders and orders/status. Parameters → command → Kraken's JSON."""

from __future__ import annotations

from typing import Any

import msgspec

from ..engine.commands import ArmDeadManSwitch, CancelAll, CancelOrder, EditOrder, SetSelfTradeStrategy
from ..engine.orders import ORDER_TYPES, SELF_TRADE_STRATEGIES, Order
from ..engine.result import Result
from ..engine.triggers import Trigger
from .errors import INVALID, REQUIRED, ApiError
from .order_params import optional_decimal, parse_send, trailing_deviation
from .params import optional_iso, parse_decimal, parse_json_field
from .render.numbers import iso
from .render.orders import (
    cancelled_order_json,
    open_order_json,
    open_trigger_json,
    order_events_json,
    order_status_json,
)
from .request import Reply, Request, find_instrument, ok

# Kraken charges a batch 9 + its size out of a budget of 500 per 10 s: no larger batch can ever pass
MAX_BATCH = 491
# sendStatus statuses that carry no order events (the order never existed)
NO_EVENT_STATUSES = frozenset(
    {
        "insufficientAvailableFunds", "wouldNotReducePosition", "maxPositionViolation", "selfFill",
        "clientOrderIdAlreadyExist", "clientOrderIdTooBig", "wouldProcessAfterSpecifiedTime",
        "invalidPrice", "invalidSize", "marketSuspended", "marketInactive", "outsidePriceCollar",
        "marketIsPostOnly", "tooManyOrders", "tooManySmallOrders", "wouldCauseLiquidation", "clientOrderIdInvalid",
    }
)


# ---------------------------------------------------------------------- sendorder
def send_status(req: Request, res: Result, now: int) -> dict[str, Any]:
    st: dict[str, Any] = {}
    if res.status in NO_EVENT_STATUSES and not res.order_events:
        st["status"] = res.status
        st["receivedTime"] = iso(now)
    else:
        st["order_id"] = res.order_id
        st["status"] = res.status
        st["receivedTime"] = iso(now)
        st["orderEvents"] = order_events_json(req.instrument_of, res.order_events)
    if res.client_order_id is not None:
        st["cliOrdId"] = res.client_order_id
    return st


async def sendorder(req: Request) -> Reply:
    pb = optional_iso(req.params, "processBefore")
    _inst, cmd = parse_send(req, req.params)
    rt = req.rt
    if isinstance(cmd, str):
        now = rt.clock()
        return ok(now, sendStatus=send_status(req, Result(cmd, None, req.params.get("cliOrdId") or None), now))
    if pb is not None:
        cmd = msgspec.structs.replace(cmd, process_before=pb)
    res = await rt.submit(cmd, req.stamp)
    now = rt.exchange.now
    return ok(now, sendStatus=send_status(req, res, now))


# ---------------------------------------------------------------------- cancelorder
async def cancelorder(req: Request) -> Reply:
    pb = optional_iso(req.params, "processBefore")
    oid = req.params.get("order_id") or None
    cli = req.params.get("cliOrdId") or None
    if oid is None and cli is None:
        raise ApiError(REQUIRED)
    cmd = CancelOrder(req.account_id, oid, cli if oid is None else None, pb)
    rt = req.rt
    res = await rt.submit(cmd, req.stamp)
    now = rt.exchange.now
    if res.status == "wouldProcessAfterSpecifiedTime":
        raise ApiError(INVALID)
    st: dict[str, Any] = {"status": res.status}
    if res.status != "notFound":
        st["order_id"] = res.order_id
    st["receivedTime"] = iso(now)
    if res.order_events:
        st["orderEvents"] = order_events_json(req.instrument_of, res.order_events)
    if res.client_order_id is not None and res.status != "notFound":
        st["cliOrdId"] = res.client_order_id
    return ok(now, cancelStatus=st)


# ---------------------------------------------------------------------- editorder
def _edit_status(
    oid: str | None, cli: str | None, status: str, now: int, events: list[dict[str, Any]]
) -> dict[str, Any]:
    st: dict[str, Any] = {"status": status, "orderId": oid, "receivedTime": iso(now), "orderEvents": events}
    if cli is not None:
        st["cliOrdId"] = cli
    return st


async def editorder(req: Request) -> Reply:
    pb = optional_iso(req.params, "processBefore")
    p = req.params
    oid = p.get("orderId") or None
    cli = p.get("cliOrdId") or None
    if oid is None and cli is None:
        raise ApiError(REQUIRED)
    qty_mode = p.get("qtyMode") or "RELATIVE"
    if qty_mode not in ("RELATIVE", "ABSOLUTE"):
        raise ApiError(INVALID)
    size = optional_decimal(p, "size")
    limit = optional_decimal(p, "limitPrice")
    stop = optional_decimal(p, "stopPrice")
    rt = req.rt
    target = rt.exchange.find_order(req.account_id, oid, cli)
    now = rt.clock()
    if target is None:
        return ok(now, editStatus=_edit_status(oid, cli, "orderForEditNotFound", now, []))
    inst = req.instrument_of(target.symbol)

    def refused(status: str) -> Reply:
        assert target is not None
        return ok(now, editStatus=_edit_status(target.order_id, target.client_order_id, status, now, []))

    fields: dict[str, Any] = {}
    if size is not None:
        lots = inst.size_to_lots(size)
        if lots is None:
            return refused("invalidSize")
        fields["quantity"] = lots
    for name, value in (("limit_price", limit), ("stop_price", stop)):
        if value is not None:
            ticks = inst.price_to_ticks(value)
            if ticks is None:
                return refused("invalidPrice")
            fields[name] = ticks
    has_deviation = p.get("trailingStopMaxDeviation") not in (None, "")
    has_unit = p.get("trailingStopDeviationUnit") not in (None, "")
    if has_deviation or has_unit:
        if not isinstance(target, Trigger) or not target.trailing:
            return refused("orderForEditNotAStop")
        if not (has_deviation and has_unit):
            raise ApiError(REQUIRED)
        deviation = trailing_deviation(req, inst, p, target.signal)
        if isinstance(deviation, str):
            return refused("invalidPrice")
        fields["trailing_deviation"] = deviation
    cmd = EditOrder(req.account_id, target.order_id, quantity_mode=qty_mode, process_before=pb, **fields)
    res = await rt.submit(cmd, req.stamp)
    now = rt.exchange.now
    if res.status == "wouldProcessAfterSpecifiedTime":
        raise ApiError(INVALID)
    if res.status == "marketUnavailable":  # suspended or inactive: the edit status enum has no word for it
        raise ApiError("marketUnavailable")
    events = order_events_json(req.instrument_of, res.order_events)
    return ok(now, editStatus=_edit_status(res.order_id, res.client_order_id, res.status, now, events))


# ---------------------------------------------------------------------- cancelallorders(after)
async def cancelallorders(req: Request) -> Reply:
    named = req.params.get("symbol") or None
    symbol = None if named is None else req.instrument(named).symbol  # canonical, whatever the case sent
    rt = req.rt
    res = await rt.submit(CancelAll(req.account_id, symbol), req.stamp)
    now = rt.exchange.now
    cancelled: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for event in res.order_events:
        element, cancel = cancelled_order_json(req.instrument_of, event)
        cancelled.append(element)
        events.append(cancel)
    return ok(
        now,
        cancelStatus={
            "receivedTime": iso(now),
            "cancelOnly": symbol if symbol is not None else "all",
            "status": res.status,
            "cancelledOrders": cancelled,
            "orderEvents": events,
        },
    )


async def cancelallordersafter(req: Request) -> Reply:
    text = req.params.get("timeout")
    timeout = 0
    if text not in (None, ""):
        d = parse_decimal(str(text))  # the spec's type is number (format uint32): 60, 60.0 and 6e1 alike
        if d < 0 or d != d.to_integral_value() or d >= 2**32:
            raise ApiError(INVALID)
        timeout = int(d)
    rt = req.rt
    res = await rt.submit(ArmDeadManSwitch(req.account_id, timeout), req.stamp)
    now = rt.exchange.now
    return ok(now, status={"currentTime": iso(now), "triggerTime": "0" if res.deadline is None else iso(res.deadline)})


async def self_trade_strategy(req: Request) -> Reply:
    rt = req.rt
    if req.method == "PUT":
        value = req.params.require("strategy")
        if value not in SELF_TRADE_STRATEGIES:
            raise ApiError(INVALID)
        await rt.submit(SetSelfTradeStrategy(req.account_id, value), req.stamp)
    return ok(rt.clock(), strategy=rt.exchange.accounts[req.account_id].self_trade_strategy)


# ---------------------------------------------------------------------- batchorder
SCALARS = (str, int, float, bool, type(None))  # what an instruction's fields may hold (ccxt's order_tag is an int)

async def batchorder(req: Request) -> Reply:
    raw = req.params.get("json")
    if raw is None:
        raise ApiError(REQUIRED)
    doc = parse_json_field(raw)
    if not isinstance(doc, dict) or not isinstance(doc.get("batchOrder"), list):
        raise ApiError(INVALID)
    rt = req.rt
    instructions = doc["batchOrder"]
    if len(instructions) > MAX_BATCH:  # more than a whole rate-limit budget: refused as Kraken's limiter would
        raise ApiError("apiLimitExceeded")
    # the whole batch is refused, before any instruction runs, when one is not an instruction:
    # not an object, a value that is not a scalar, an unknown kind, an unknown symbol
    for ins in instructions:
        if not isinstance(ins, dict) or not all(isinstance(v, SCALARS) for v in ins.values()):
            raise ApiError(INVALID)
        if ins.get("order") not in ("send", "edit", "cancel"):
            raise ApiError(INVALID)
        if ins["order"] == "send" and (not isinstance(ins.get("symbol"), str)
                                       or find_instrument(rt.exchange.listed, ins["symbol"]) is None):
            raise ApiError(INVALID)
    out: list[dict[str, Any]] = []
    sent: dict[str, str] = {}  # order_tag -> order_id of the orders this batch has placed so far
    for ins in instructions:  # each waits for its own commit, so all are durable when the answer goes
        fields = {k: _text(v) for k, v in ins.items()}
        if fields.get("order") in ("edit", "cancel"):
            _resolve_tag(fields, sent)
        status = await _batch_one(req, fields)
        tag = fields.get("order_tag")
        if fields.get("order") == "send" and tag is not None and status.get("order_id"):
            sent.setdefault(tag, status["order_id"])
        out.append(status)
    return ok(rt.clock(), batchStatus=out)


def _resolve_tag(fields: dict[str, str | None], sent: dict[str, str]) -> None:
    """An edit or cancel may name an order sent earlier in the same batch by its ``order_tag``: in its
    ``order_id`` (Kraken's batch guide), or in an ``order_tag`` of its own when it names no order."""
    oid = fields.get("order_id")
    if oid in sent:
        fields["order_id"] = sent[oid]
    elif not oid and not fields.get("cliOrdId") and fields.get("order_tag") in sent:
        fields["order_id"] = sent[fields["order_tag"] or ""]


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _batch_status(req: Request, res: Result, status: str, order_id: str | None) -> dict[str, Any]:
    st: dict[str, Any] = {"status": status, "order_id": order_id, "dateTimeReceived": iso(req.rt.exchange.now),
                          "orderEvents": order_events_json(req.instrument_of, res.order_events)}
    if res.client_order_id is not None:
        st["cliOrdId"] = res.client_order_id
    return st


async def _batch_one(req: Request, ins: dict[str, str | None]) -> dict[str, Any]:
    kind = ins.get("order")
    rt = req.rt
    tag = ins.get("order_tag")
    if kind == "send":
        if ins.get("orderType") not in ORDER_TYPES:
            return _batch_error(req, tag, "invalidOrderType")
        if ins.get("side") not in ("buy", "sell"):
            return _batch_error(req, tag, "invalidSide")
        try:
            _inst, cmd = parse_send(req, ins)
        except ApiError as e:
            return _batch_error(req, tag, "invalidSize" if e.code == INVALID else e.code)
        if isinstance(cmd, str):
            # the batch enum spells the too-long client id differently from sendorder's
            return _batch_error(req, tag, "clientOrderIdTooLong" if cmd == "clientOrderIdTooBig" else cmd)
        res = await rt.submit(cmd, req.stamp)
        return {"status": res.status, "order_tag": tag, **_batch_status(req, res, res.status, res.order_id)}
    if kind == "cancel":
        oid = ins.get("order_id") or None
        cli = ins.get("cliOrdId") or None
        res = await rt.submit(CancelOrder(req.account_id, oid, cli if oid is None else None), req.stamp)
        status = "cancelled" if res.status == "cancelled" else "notFound"
        return _batch_status(req, res, status, res.order_id or oid)
    if kind == "edit":
        order = rt.exchange.find_order(req.account_id, ins.get("order_id") or None, ins.get("cliOrdId") or "")
        if not isinstance(order, Order):  # a batch edits orders, not triggers
            return _batch_error(req, tag, "orderForEditNotFound")
        inst = req.instrument_of(order.symbol)
        fields: dict[str, Any] = {}
        try:
            if ins.get("size") not in (None, ""):
                lots = inst.size_to_lots(parse_decimal(ins["size"] or ""))
                if lots is None:
                    return _batch_error(req, tag, "invalidSize")
                fields["quantity"] = lots
            if ins.get("limitPrice") not in (None, ""):
                ticks = inst.price_to_ticks(parse_decimal(ins["limitPrice"] or ""))
                if ticks is None:
                    return _batch_error(req, tag, "invalidPrice")
                fields["limit_price"] = ticks
        except ApiError:
            return _batch_error(req, tag, "invalidSize")
        res = await rt.submit(EditOrder(req.account_id, order.order_id, **fields), req.stamp)
        return _batch_status(req, res, res.status, res.order_id)
    raise ApiError(INVALID)


def _batch_error(req: Request, tag: str | None, status: str) -> dict[str, Any]:
    return {"status": status, "order_tag": tag, "order_id": None, "dateTimeReceived": iso(req.rt.clock()),
            "orderEvents": []}


# ---------------------------------------------------------------------- reads
async def openorders(req: Request) -> Reply:
    rt = req.rt
    account = rt.exchange.accounts[req.account_id]
    rows: list[tuple[int, str, dict[str, Any]]] = []
    for o in account.orders.values():
        rows.append((o.placed_at, o.order_id, open_order_json(req.instrument_of(o.symbol), o)))
    for t in account.triggers.values():
        rows.append((t.placed_at, t.order_id, open_trigger_json(req.instrument_of(t.symbol), t)))
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return ok(rt.clock(), openOrders=[r[2] for r in rows])


async def orders_status(req: Request) -> Reply:
    rt = req.rt
    now = rt.clock()
    rows = rt.exchange.order_statuses(req.account_id, req.params.all("orderIds"), req.params.all("cliOrdIds"), now)
    return ok(now, orders=[order_status_json(req.instrument_of(o.symbol), o, status, reason)
                           for o, status, reason in rows])
