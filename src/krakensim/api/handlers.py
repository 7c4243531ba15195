"""One coroutine per Kraken endpoint: parameters → engine command → Kraken's JSON."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..engine.book import BUY, SELL, Order
from ..engine.exchange import STRATEGIES, TRIGGER_TYPES, Result
from ..engine.instruments import Instrument
from ..engine.triggers import INDEX, LAST, MARK, PERCENT, QUOTE, Trigger
from .params import INVALID, ApiError, parse_bool, parse_decimal, parse_json_field
from .wire import (
    SIGNAL_OPEN,
    SIGNAL_STATUS,
    events_json,
    iso,
    order_json,
    parse_iso,
    price_out,
    side_str,
    size_out,
    trigger_as_order_json,
    usd_out,
)

if TYPE_CHECKING:
    from .app import Request

Reply = tuple[int, dict[str, Any]]

ORDER_TYPES = ("lmt", "post", "ioc", "mkt", "fok", "stp", "take_profit", "trailing_stop")
MAX_CLI_ORD_ID = 100
SIGNALS = {"mark": MARK, "index": INDEX, "spot": INDEX, "last": LAST}
UNITS = (PERCENT, QUOTE)
HUNDRED = Decimal(100)
# sendStatus statuses that carry no order events (the order never existed)
NO_EVENT_STATUSES = frozenset(
    {
        "insufficientAvailableFunds", "wouldNotReducePosition", "maxPositionViolation", "selfFill",
        "clientOrderIdAlreadyExist", "clientOrderIdTooBig", "wouldProcessAfterSpecifiedTime",
        "invalidPrice", "invalidSize", "marketSuspended", "marketInactive", "outsidePriceCollar",
        "marketIsPostOnly", "tooManyOrders", "tooManySmallOrders", "wouldCauseLiquidation", "clientOrderIdInvalid",
    }
)


def ok(now: int, **payload: Any) -> Reply:
    return 200, {"result": "success", **payload, "serverTime": iso(now)}


def side_of(text: str) -> int:
    if text == "buy":
        return BUY
    if text == "sell":
        return SELL
    raise ApiError(INVALID)


def instrument(req: Request, symbol: str) -> Instrument:
    inst = req.rt.exchange.listed.get(symbol)
    if inst is None:
        raise ApiError(INVALID)
    return inst


def process_before(req: Request) -> int | None:
    pb = req.params.get("processBefore")
    if pb is None or pb == "":
        return None
    ms = parse_iso(pb)
    if ms is None:
        raise ApiError(INVALID)
    return ms


# ---------------------------------------------------------------------- sendorder
def _send_status(req: Request, inst: Instrument, res: Result, now: int) -> dict[str, Any]:
    st: dict[str, Any] = {}
    if res.status in NO_EVENT_STATUSES and not res.events:
        st["status"] = res.status
        st["receivedTime"] = iso(now)
    else:
        st["order_id"] = res.oid
        st["status"] = res.status
        st["receivedTime"] = iso(now)
        st["orderEvents"] = events_json(inst, res.events)
    if res.cli is not None:
        st["cliOrdId"] = res.cli
    return st


def parse_send(req: Request, p: Any) -> tuple[Instrument, dict[str, Any] | str]:
    """A place command from sendorder (or a batch ``send``) parameters, or a status string.

    ``p`` has ``get(name) -> str | None``. Request-level faults raise ApiError. Trigger
    parameters the gateway finds malformed become the command's ``err`` (an OrderError), so
    the engine refuses the order with a REJECT trigger event carrying that reason.
    """
    order_type = _req(p, "orderType")
    symbol = _req(p, "symbol")
    side_text = _req(p, "side")
    size_text = _req(p, "size")
    if order_type not in ORDER_TYPES:
        raise ApiError(INVALID)
    side = side_of(side_text)
    size = parse_decimal(size_text)
    limit = _opt_decimal(p, "limitPrice")
    reduce_text = p.get("reduceOnly")
    reduce_only = parse_bool(reduce_text) if reduce_text not in (None, "") else False
    cli = p.get("cliOrdId")
    if cli == "":
        cli = None
    inst = instrument(req, symbol)
    trigger = order_type in TRIGGER_TYPES
    signal_text = p.get("triggerSignal")
    signal = LAST
    if signal_text not in (None, ""):
        signal = SIGNALS.get(str(signal_text), "")
        if not signal:
            raise ApiError(INVALID)
    stop = _opt_decimal(p, "stopPrice")
    offset_value = p.get("limitPriceOffsetValue")
    offset_unit = p.get("limitPriceOffsetUnit")
    has_offset = offset_value not in (None, "") or offset_unit not in (None, "")
    if has_offset and not trigger:
        raise ApiError(INVALID)
    if order_type in ("stp", "take_profit") and stop is None:
        raise ApiError("requiredArgumentMissing")
    if order_type == "trailing_stop" and (
        p.get("trailingStopMaxDeviation") in (None, "") or p.get("trailingStopDeviationUnit") in (None, "")
    ):
        raise ApiError("requiredArgumentMissing")
    if not trigger and order_type != "mkt" and limit is None:
        raise ApiError("requiredArgumentMissing")
    if cli is not None and not cli.isprintable():
        return inst, "clientOrderIdInvalid"
    err = None
    if cli is not None and len(cli) > MAX_CLI_ORD_ID:
        if not trigger:
            return inst, "clientOrderIdTooBig"
        err = "CLIENT_ORDER_ID_TOO_LONG"
    lots = inst.size_to_lots(size)
    if lots is None:
        if not trigger:
            return inst, "invalidSize"
        err = err or "INVALID_QUANTITY"
    cmd: dict[str, Any] = {"c": "place", "a": req.account, "s": inst.symbol, "d": side, "t": order_type, "q": lots or 0}
    if err is not None:
        cmd["err"] = err
    if cli is not None:
        cmd["cli"] = cli
    if reduce_only:
        cmd["ro"] = True
    ticks = None
    if limit is not None and order_type != "mkt":
        ticks = inst.price_to_ticks(limit)
        if ticks is None:
            if not trigger:
                return inst, "invalidPrice"
            cmd["err"] = "INVALID_PRICE"
        else:
            cmd["p"] = ticks
    if not trigger:
        return inst, cmd
    cmd["sig"] = signal
    stop_ticks = None
    if order_type == "trailing_stop":
        if stop is not None or limit is not None:
            cmd.setdefault("err", "ORDER_CANNOT_HAVE_TRIGGER_PRICE" if stop is not None else "INVALID_PRICE")
        dev = _trailing(req, inst, p, signal)
        if isinstance(dev, str):
            cmd.setdefault("err", dev)
        else:
            cmd["tr"] = dev
    else:
        assert stop is not None
        stop_ticks = inst.price_to_ticks(stop)
        if stop_ticks is None:
            cmd.setdefault("err", "INVALID_PRICE")
        else:
            cmd["sp"] = stop_ticks
    if has_offset:
        off = _offset(inst, offset_value, offset_unit, limit is not None, stop_ticks)
        if isinstance(off, str):
            cmd.setdefault("err", off)
        else:
            cmd["lo"] = off
    return inst, cmd


def _opt_decimal(p: Any, name: str) -> Decimal | None:
    v = p.get(name)
    return parse_decimal(str(v)) if v not in (None, "") else None


def _hundredths(d: Decimal) -> int | None:
    """A percentage as an integer number of hundredths, or None with more than 2 decimals."""
    h = d * HUNDRED
    return int(h) if h == h.to_integral_value() else None


def _trailing(req: Request, inst: Instrument, p: Any, signal: str) -> list[Any] | str:
    unit = str(p.get("trailingStopDeviationUnit"))
    if unit not in UNITS:
        raise ApiError(INVALID)
    value = parse_decimal(str(p.get("trailingStopMaxDeviation")))
    if unit == PERCENT:
        h = _hundredths(value)
        if h is None:
            return "TRAILING_STOP_PERCENT_DEVIATION_EXCEEDS_MAX_DECIMAL_PLACES"
        if h < 10:
            return "TRAILING_STOP_MAX_DEVIATION_TOO_SMALL"
        if h > 5000:
            return "TRAILING_STOP_MAX_DEVIATION_TOO_LARGE"
        return [h, PERCENT]
    if value <= 0:
        return "TRAILING_STOP_MAX_DEVIATION_TOO_SMALL"
    ticks = inst.price_to_ticks(value)
    if ticks is None:
        return "TRAILING_STOP_QUOTE_DEVIATION_NOT_MULTIPLE_OF_TICK_SIZE"
    reference = req.rt.exchange.signals(inst.symbol)[signal]
    if ticks * 2 > reference:  # more than 50 % of the price
        return "TRAILING_STOP_MAX_DEVIATION_TOO_LARGE"
    return [ticks, QUOTE]


def _offset(inst: Instrument, value: Any, unit: Any, has_limit: bool, stop_ticks: int | None) -> list[Any] | str:
    if value in (None, "") or unit in (None, ""):
        return "LIMIT_PRICE_OFFSET_MUST_HAVE_VALUE_AND_UNIT"
    if unit not in UNITS:
        return "LIMIT_PRICE_OFFSET_UNIT_INVALID"
    try:
        v = parse_decimal(str(value))
    except ApiError:
        return "LIMIT_PRICE_OFFSET_VALUE_INVALID"
    if has_limit:
        return "LIMIT_PRICE_SET_AS_ABSOLUTE_AND_RELATIVE"
    if unit == PERCENT:
        h = _hundredths(v)
        if h is None:
            return "LIMIT_PRICE_OFFSET_PERCENT_VALUE_TOO_MANY_DECIMAL_PLACES"
        if h > 1000:
            return "LIMIT_PRICE_OFFSET_TOO_HIGH"
        if h < -1000:
            return "LIMIT_PRICE_OFFSET_TOO_LOW"
        return [h, PERCENT]
    sign = -1 if v < 0 else 1
    ticks = inst.price_to_ticks(abs(v)) if v != 0 else 0
    if ticks is None:
        return "LIMIT_PRICE_OFFSET_QUOTE_CURRENCY_VALUE_MUST_BE_MULTIPLE_OF_TICK_SIZE"
    if stop_ticks is not None and ticks * 10 > stop_ticks:  # more than 10 % of the stop price
        return "LIMIT_PRICE_OFFSET_TOO_HIGH" if sign > 0 else "LIMIT_PRICE_OFFSET_TOO_LOW"
    return [sign * ticks, QUOTE]


def _req(p: Any, name: str) -> str:
    v = p.get(name)
    if v is None or v == "":
        raise ApiError("requiredArgumentMissing")
    return str(v)


async def sendorder(req: Request) -> Reply:
    pb = process_before(req)
    inst, cmd = parse_send(req, req.params)
    rt = req.rt
    if isinstance(cmd, str):
        now = rt.clock()
        res = Result(cmd, None, req.params.get("cliOrdId") or None)
        return ok(now, sendStatus=_send_status(req, inst, res, now))
    if pb is not None:
        cmd["pb"] = pb
    res = await rt.submit(req.command(cmd))
    now = rt.exchange.now
    return ok(now, sendStatus=_send_status(req, inst, res, now))


# ---------------------------------------------------------------------- cancelorder
async def cancelorder(req: Request) -> Reply:
    pb = process_before(req)
    oid = req.params.get("order_id") or None
    cli = req.params.get("cliOrdId") or None
    if oid is None and cli is None:
        raise ApiError("requiredArgumentMissing")
    cmd: dict[str, Any] = {"c": "cancel", "a": req.account}
    if oid is not None:
        cmd["o"] = oid
    elif cli is not None:
        cmd["cli"] = cli
    if pb is not None:
        cmd["pb"] = pb
    rt = req.rt
    res = await rt.submit(req.command(cmd))
    now = rt.exchange.now
    if res.status == "wouldProcessAfterSpecifiedTime":
        raise ApiError(INVALID)
    return ok(now, cancelStatus=cancel_status(req, res, now))


def cancel_status(req: Request, res: Result, now: int) -> dict[str, Any]:
    st: dict[str, Any] = {"status": res.status}
    if res.status != "notFound":
        st["order_id"] = res.oid
    st["receivedTime"] = iso(now)
    if res.events:
        inst = req.rt.exchange.instruments[res.events[0][1].symbol]
        st["orderEvents"] = events_json(inst, res.events)
    if res.cli is not None and res.status != "notFound":
        st["cliOrdId"] = res.cli
    return st


# ---------------------------------------------------------------------- editorder
async def editorder(req: Request) -> Reply:
    pb = process_before(req)
    p = req.params
    oid = p.get("orderId") or None
    cli = p.get("cliOrdId") or None
    if oid is None and cli is None:
        raise ApiError("requiredArgumentMissing")
    qty_mode = p.get("qtyMode") or "RELATIVE"
    if qty_mode not in ("RELATIVE", "ABSOLUTE"):
        raise ApiError(INVALID)
    size = _opt_decimal(p, "size")
    limit = _opt_decimal(p, "limitPrice")
    stop = _opt_decimal(p, "stopPrice")
    rt = req.rt
    acct = rt.exchange.accounts[req.account]
    key = oid if oid is not None else acct.cli.get(cli or "")
    target: Order | Trigger | None = None
    if key is not None:
        target = acct.orders.get(key) or acct.triggers.get(key)
    if target is None:
        now = rt.clock()
        return ok(now, editStatus=_edit_status(oid, cli, "orderForEditNotFound", now, []))
    inst = rt.exchange.instruments[target.symbol]
    now = rt.clock()
    cmd: dict[str, Any] = {"c": "edit", "a": req.account, "o": target.oid, "qm": qty_mode}
    if size is not None:
        lots = inst.size_to_lots(size)
        if lots is None:
            return ok(now, editStatus=_edit_status(target.oid, target.cli, "invalidSize", now, []))
        cmd["q"] = lots
    for name, value in (("p", limit), ("sp", stop)):
        if value is not None:
            ticks = inst.price_to_ticks(value)
            if ticks is None:
                return ok(now, editStatus=_edit_status(target.oid, target.cli, "invalidPrice", now, []))
            cmd[name] = ticks
    if p.get("trailingStopMaxDeviation") not in (None, "") or p.get("trailingStopDeviationUnit") not in (None, ""):
        if not isinstance(target, Trigger) or not target.trailing:
            return ok(now, editStatus=_edit_status(target.oid, target.cli, "orderForEditNotAStop", now, []))
        if p.get("trailingStopMaxDeviation") in (None, "") or p.get("trailingStopDeviationUnit") in (None, ""):
            raise ApiError("requiredArgumentMissing")
        dev = _trailing(req, inst, p, target.signal)
        if isinstance(dev, str):
            return ok(now, editStatus=_edit_status(target.oid, target.cli, "invalidPrice", now, []))
        cmd["tr"] = dev
    if pb is not None:
        cmd["pb"] = pb
    res = await rt.submit(req.command(cmd))
    now = rt.exchange.now
    if res.status == "wouldProcessAfterSpecifiedTime":
        raise ApiError(INVALID)
    if res.status == "marketUnavailable":  # suspended or inactive: the edit status enum has no word for it
        raise ApiError("marketUnavailable")
    return ok(now, editStatus=_edit_status(res.oid, res.cli, res.status, now, events_json(inst, res.events)))


def _edit_status(
    oid: str | None, cli: str | None, status: str, now: int, events: list[dict[str, Any]]
) -> dict[str, Any]:
    st: dict[str, Any] = {"status": status, "orderId": oid, "receivedTime": iso(now), "orderEvents": events}
    if cli is not None:
        st["cliOrdId"] = cli
    return st


# ---------------------------------------------------------------------- cancelallorders
async def cancelallorders(req: Request) -> Reply:
    symbol = req.params.get("symbol") or None
    if symbol is not None:
        instrument(req, symbol)
    rt = req.rt
    cmd: dict[str, Any] = {"c": "cancelall", "a": req.account}
    if symbol is not None:
        cmd["s"] = symbol
    res = await rt.submit(req.command(cmd))
    now = rt.exchange.now
    cancelled: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for ev in res.events:
        o = ev[1]
        inst = rt.exchange.instruments[o.symbol]
        el: dict[str, Any] = {"order_id": o.oid}
        if o.cli is not None:
            el["cliOrdId"] = o.cli
        cancelled.append(el)
        order = order_json(inst, o) if isinstance(o, Order) else trigger_as_order_json(inst, o)
        events.append({"type": "CANCEL", "uid": o.oid, "order": order})
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
        d = parse_decimal(str(text))
        if d < 0 or d != d.to_integral_value() or d >= 2**32:
            raise ApiError(INVALID)
        timeout = int(d)
    rt = req.rt
    res = await rt.submit(req.command({"c": "dms", "a": req.account, "t": timeout}))
    now = rt.exchange.now
    return ok(now, status={"currentTime": iso(now), "triggerTime": "0" if res.extra is None else iso(res.extra)})


async def self_trade_strategy(req: Request) -> Reply:
    rt = req.rt
    if req.method == "PUT":
        value = req.params.require("strategy")
        if value not in STRATEGIES:
            raise ApiError(INVALID)
        await rt.submit(req.command({"c": "stp", "a": req.account, "v": value}))
    else:
        await rt.barrier()
    return ok(rt.clock(), strategy=rt.exchange.accounts[req.account].strategy)


# ---------------------------------------------------------------------- batchorder
async def batchorder(req: Request) -> Reply:
    raw = req.params.get("json")
    if raw is None:
        raise ApiError("requiredArgumentMissing")
    doc = parse_json_field(raw)
    if not isinstance(doc, dict) or not isinstance(doc.get("batchOrder"), list):
        raise ApiError(INVALID)
    rt = req.rt
    instructions = doc["batchOrder"]
    # the whole batch is refused, before any instruction runs, when one is not an instruction
    for ins in instructions:
        if not isinstance(ins, dict) or ins.get("order") not in ("send", "edit", "cancel"):
            raise ApiError(INVALID)
        if ins["order"] == "send" and ins.get("symbol") not in rt.exchange.listed:
            raise ApiError(INVALID)
    out: list[dict[str, Any]] = []
    for ins in instructions:
        out.append(await _batch_one(req, {k: _str(v) for k, v in ins.items()}))
    await rt.barrier()
    return ok(rt.clock(), batchStatus=out)


def _str(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


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
            inst, cmd = parse_send(req, ins)
        except ApiError as e:
            return _batch_error(req, tag, "invalidSize" if e.code == INVALID else e.code)
        if isinstance(cmd, str):
            # the batch enum spells the too-long client id differently from sendorder's
            return _batch_error(req, tag, "clientOrderIdTooLong" if cmd == "clientOrderIdTooBig" else cmd)
        res = await rt.submit(req.command(cmd))
        st: dict[str, Any] = {"status": res.status, "order_tag": tag, "order_id": res.oid,
                              "dateTimeReceived": iso(rt.exchange.now),
                              "orderEvents": events_json(inst, res.events)}
        if res.cli is not None:
            st["cliOrdId"] = res.cli
        return st
    if kind == "cancel":
        oid = ins.get("order_id") or None
        cli = ins.get("cliOrdId") or None
        cmd = {"c": "cancel", "a": req.account}
        if oid is not None:
            cmd["o"] = oid
        elif cli is not None:
            cmd["cli"] = cli
        res = await rt.submit(req.command(cmd))
        status = "cancelled" if res.status == "cancelled" else "notFound"
        st = {"status": status, "order_id": res.oid or oid, "dateTimeReceived": iso(rt.exchange.now),
              "orderEvents": events_json(rt.exchange.instruments[res.events[0][1].symbol], res.events)
              if res.events else []}
        if res.cli is not None:
            st["cliOrdId"] = res.cli
        return st
    if kind == "edit":
        oid = ins.get("order_id") or None
        acct = rt.exchange.accounts[req.account]
        key = oid if oid is not None else acct.cli.get(ins.get("cliOrdId") or "")
        order = acct.orders.get(key) if key is not None else None
        if order is None:
            return _batch_error(req, tag, "orderForEditNotFound")
        inst = rt.exchange.instruments[order.symbol]
        cmd = {"c": "edit", "a": req.account, "o": order.oid, "qm": "RELATIVE"}
        try:
            if ins.get("size") not in (None, ""):
                lots = inst.size_to_lots(parse_decimal(ins["size"] or ""))
                if lots is None:
                    return _batch_error(req, tag, "invalidSize")
                cmd["q"] = lots
            if ins.get("limitPrice") not in (None, ""):
                ticks = inst.price_to_ticks(parse_decimal(ins["limitPrice"] or ""))
                if ticks is None:
                    return _batch_error(req, tag, "invalidPrice")
                cmd["p"] = ticks
        except ApiError:
            return _batch_error(req, tag, "invalidSize")
        res = await rt.submit(req.command(cmd))
        st = {"status": res.status, "order_id": res.oid, "dateTimeReceived": iso(rt.exchange.now),
              "orderEvents": events_json(inst, res.events)}
        if res.cli is not None:
            st["cliOrdId"] = res.cli
        return st
    raise ApiError(INVALID)


def _batch_error(req: Request, tag: str | None, status: str) -> dict[str, Any]:
    return {"status": status, "order_tag": tag, "order_id": None, "dateTimeReceived": iso(req.rt.clock()),
            "orderEvents": []}


# ---------------------------------------------------------------------- reads
async def openorders(req: Request) -> Reply:
    rt = req.rt
    await rt.barrier()
    ex = rt.exchange
    acct = ex.accounts[req.account]
    rows: list[tuple[int, str, dict[str, Any]]] = []
    for o in acct.orders.values():
        rows.append((o.ts, o.oid, open_order_json(ex.instruments[o.symbol], o)))
    for t in acct.triggers.values():
        rows.append((t.ts, t.oid, open_trigger_json(ex.instruments[t.symbol], t)))
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return ok(rt.clock(), openOrders=[r[2] for r in rows])


def open_order_json(inst: Instrument, o: Order) -> dict[str, Any]:
    d: dict[str, Any] = {
        "order_id": o.oid,
        "symbol": o.symbol,
        "side": side_str(o.side),
        "orderType": "lmt",
        "limitPrice": price_out(inst, o.price),
        "unfilledSize": size_out(inst, o.qty - o.filled),
        "receivedTime": iso(o.ts),
        "status": "partiallyFilled" if o.filled else "untouched",
        "filledSize": size_out(inst, o.filled),
        "reduceOnly": o.reduce_only,
        "lastUpdateTime": iso(o.upd),
    }
    if o.cli is not None:
        d["cliOrdId"] = o.cli
    return d


def open_trigger_json(inst: Instrument, t: Trigger) -> dict[str, Any]:
    d: dict[str, Any] = {
        "order_id": t.oid,
        "symbol": t.symbol,
        "side": side_str(t.side),
        "orderType": "take_profit" if t.otype == "take_profit" else "stop",
    }
    limit = t.limit_when_fired()
    if limit is not None:
        d["limitPrice"] = price_out(inst, limit)
    d.update(
        {
            "stopPrice": price_out(inst, t.trigger),
            "unfilledSize": size_out(inst, t.qty),
            "receivedTime": iso(t.ts),
            "status": "untouched",
            "filledSize": 0,
            "reduceOnly": t.reduce_only,
            "triggerSignal": SIGNAL_OPEN[t.signal],
            "lastUpdateTime": iso(t.upd),
        }
    )
    if t.cli is not None:
        d["cliOrdId"] = t.cli
    return d


async def orders_status(req: Request) -> Reply:
    rt = req.rt
    await rt.barrier()
    now = rt.clock()
    p = req.params
    oids = p.all("orderIds")
    clis = p.all("cliOrdIds")
    ex = rt.exchange
    if not oids and not clis:
        rows = ex.all_status(req.account, now)
    else:
        rows = ex.order_status(req.account, oids, clis, now)
    out = []
    for o, status, reason in rows:
        inst = ex.instruments[o.symbol]
        if isinstance(o, Trigger):
            limit = o.limit_when_fired()
            order: dict[str, Any] = {
                "type": "TRIGGER_ORDER",
                "orderId": o.oid,
                "cliOrdId": o.cli,
                "symbol": o.symbol,
                "side": side_str(o.side),
                "quantity": size_out(inst, o.qty),
                "filled": None,
                "limitPrice": None if limit is None else price_out(inst, limit),
                "reduceOnly": o.reduce_only,
                "timestamp": iso(o.ts),
                "lastUpdateTimestamp": iso(o.upd),
                "priceTriggerOptions": {
                    "triggerPrice": price_out(inst, o.trigger),
                    "triggerSide": "TRIGGER_ABOVE" if o.above else "TRIGGER_BELOW",
                    "triggerSignal": SIGNAL_STATUS[o.signal],
                },
                "triggerTime": None,
            }
        else:
            order = {**order_json(inst, o), "type": "ORDER", "priceTriggerOptions": None, "triggerTime": None}
        error = reason if status in ("REJECTED", "TRIGGER_ACTIVATION_FAILURE") else None
        out.append({"order": order, "status": status,
                    "updateReason": None if error else reason, "error": error})
    return ok(now, orders=out)


async def fills(req: Request) -> Reply:
    rt = req.rt
    await rt.barrier()
    ex = rt.exchange
    last = req.params.get("lastFillTime")
    before = None
    if last not in (None, ""):
        assert last is not None
        before = parse_iso(last)
        if before is None:
            raise ApiError(INVALID)
    out: list[dict[str, Any]] = []
    for f in reversed(ex.accounts[req.account].fills):
        if before is not None and f.ts >= before:
            continue
        inst = ex.instruments[f.symbol]
        d: dict[str, Any] = {
            "fill_id": f.fill_id,
            "symbol": f.symbol,
            "side": side_str(f.side),
            "order_id": f.oid,
            "size": size_out(inst, f.lots),
            "price": price_out(inst, f.price),
            "fillTime": iso(f.ts),
            "fillType": f.fill_type,
        }
        if f.cli is not None:
            d["cliOrdId"] = f.cli
        out.append(d)
        if len(out) >= 100:
            break
    return ok(rt.clock(), fills=out)


async def accounts(req: Request) -> Reply:
    rt = req.rt
    await rt.barrier()
    ex = rt.exchange
    a = ex.accounts[req.account]
    upnl = ex.upnl(a)
    pos_im = 0
    pos_mm = 0
    for s, pos in a.positions.items():
        if pos.lots:
            inst = ex.instruments[s]
            notional = inst.notional_usd8(abs(pos.lots), ex.marks[s])
            pos_im += notional * inst.im_bps // 10000
            pos_mm += notional * int(inst.margin_levels[0].maintenance * 10000) // 10000
    balance = a.balance
    equity = balance + upnl
    available = equity - pos_im - a.order_im
    flex = {
        "type": "multiCollateralMarginAccount",
        "currencies": {
            "USD": {
                "quantity": usd_out(balance),
                "value": usd_out(balance),
                "collateral": usd_out(balance),
                "available": usd_out(available),
            }
        },
        "initialMargin": usd_out(pos_im),
        "initialMarginWithOrders": usd_out(pos_im + a.order_im),
        "maintenanceMargin": usd_out(pos_mm),
        "balanceValue": usd_out(balance),
        "portfolioValue": usd_out(equity),
        "collateralValue": usd_out(balance),
        "pnl": usd_out(upnl),
        "unrealizedFunding": 0,
        "totalUnrealized": usd_out(upnl),
        "totalUnrealizedAsMargin": usd_out(upnl),
        "marginEquity": usd_out(equity),
        "availableMargin": usd_out(available),
    }
    cash = {"type": "cashAccount", "balances": {"usd": "0", "xbt": "0"}}
    return ok(rt.clock(), accounts={"cash": cash, "flex": flex})


async def openpositions(req: Request) -> Reply:
    rt = req.rt
    await rt.barrier()
    ex = rt.exchange
    a = ex.accounts[req.account]
    out = []
    for s, pos in a.positions.items():
        if not pos.lots:
            continue
        inst = ex.instruments[s]
        n = abs(pos.lots)
        avg = abs(pos.cost) / n * inst.tick_num / inst.tick_den
        last_fill = next((f.ts for f in reversed(a.fills) if f.symbol == s), ex.now)
        out.append(
            {
                "side": "long" if pos.lots > 0 else "short",
                "symbol": s,
                "price": avg,
                "fillTime": iso(last_fill),
                "size": size_out(inst, n),
                "unrealizedFunding": 0,
                "pnlCurrency": "USD",
            }
        )
    return ok(rt.clock(), openPositions=out)


# ---------------------------------------------------------------------- market data
def instrument_json(inst: Instrument, state: str = "open") -> dict[str, Any]:
    def levels(rows: Any) -> list[dict[str, Any]]:
        key = "numNonContractUnits" if inst.linear else "contracts"
        return [
            {key: _num(lv.threshold), "initialMargin": _num(lv.initial), "maintenanceMargin": _num(lv.maintenance)}
            for lv in rows
        ]

    d: dict[str, Any] = {
        "symbol": inst.symbol,
        "pair": inst.pair,
        "base": inst.base,
        "quote": inst.quote,
        "type": inst.type,
    }
    if inst.underlying:
        d["underlying"] = inst.underlying
    if inst.last_trading_ms is not None:
        d["lastTradingTime"] = iso(inst.last_trading_ms)
    d.update(
        {
            "tickSize": _num(inst.tick_size),
            "contractSize": _num(inst.contract_size),
            "tradeable": inst.tradeable and state != "inactive",
            "impactMidSize": _num(inst.impact_mid_size),
            "maxPositionSize": _num(inst.max_position_size),
            "openingDate": iso(inst.opening_date_ms),
            "marginLevels": levels(inst.margin_levels),
        }
    )
    if inst.perpetual:
        d["fundingRateCoefficient"] = inst.funding_rate_coefficient
        d["maxRelativeFundingRate"] = _num(inst.max_relative_funding_rate)
    if inst.isin:
        d["isin"] = inst.isin
    d.update(
        {
            "contractValueTradePrecision": inst.precision,
            "postOnly": state == "post_only",
            "feeScheduleUid": inst.fee_schedule_uid,
            "retailMarginLevels": levels(inst.retail_margin_levels),
            "category": inst.category,
            "tags": [],
            "tradfi": False,
            "mtf": False,
        }
    )
    return d


def _num(d: Any) -> int | float:
    i = int(d)
    return i if i == d else float(d)


CONTRACT_TYPES = ("futures_inverse", "futures_vanilla", "flexible_futures")


def _selected(req: Request) -> list[Instrument]:
    """The listed instruments, filtered by the repeatable ``contractType`` parameter."""
    types = req.params.all("contractType")
    if any(t not in CONTRACT_TYPES for t in types):
        raise ApiError(INVALID)
    listed = req.rt.exchange.listed.values()
    return [i for i in listed if i.type in types] if types else list(listed)


async def instruments(req: Request) -> Reply:
    ex = req.rt.exchange
    return ok(req.rt.clock(), instruments=[instrument_json(i, ex.market_state[i.symbol]) for i in _selected(req)])


async def trading_instruments(req: Request) -> Reply:
    """GET trading/instruments (authenticated): what the account can trade, with ``minimumTradeSize``."""
    ex = req.rt.exchange
    out = []
    for inst in _selected(req):
        d = instrument_json(inst, ex.market_state[inst.symbol])
        out.append({"minimumTradeSize": _num(inst.lot_size), **d})
    return ok(req.rt.clock(), instruments=out)


def _status_json(symbol: str) -> dict[str, Any]:
    return {
        "tradeable": symbol,
        "experiencingDislocation": False,
        "priceDislocationDirection": None,
        "experiencingExtremeVolatility": False,
        "extremeVolatilityInitialMarginMultiplier": 1,
    }


async def instruments_status(req: Request) -> Reply:
    return ok(req.rt.clock(), instrumentStatus=[_status_json(i.symbol) for i in _selected(req)])


async def instrument_status(req: Request) -> Reply:
    symbol = req.path_args[0]
    if symbol not in req.rt.exchange.listed:
        raise ApiError("notFound", 404)
    return ok(req.rt.clock(), **_status_json(symbol))


def ticker_json(req: Request, inst: Instrument, now: int) -> dict[str, Any]:
    ex = req.rt.exchange
    book = ex.books[inst.symbol]
    mark = price_out(inst, ex.marks[inst.symbol])
    d: dict[str, Any] = {"symbol": inst.symbol}
    last = ex.last.get(inst.symbol)
    if last is not None:
        d["last"] = price_out(inst, last[0])
        d["lastTime"] = iso(last[2])
        d["lastSize"] = size_out(inst, last[1])
    d.update({"tag": inst.tag, "pair": inst.pair, "markPrice": mark})
    for name, side in (("bid", book.bids), ("ask", book.asks)):
        best = side.best()
        if best is not None:
            d[name] = price_out(inst, best)
            d[name + "Size"] = size_out(inst, sum(o.qty - o.filled for o in side.levels[best].values()))
    vol, quote, first, high, low = ex.stats_24h(inst.symbol, now)
    last_px = last[0] if last is not None else None
    change = 0.0
    if first is not None and last_px is not None:
        change = round((last_px - first) * 100 / first, 2)
    d.update(
        {
            "vol24h": size_out(inst, vol),
            "volumeQuote": _quote_volume(inst, quote),
            "openInterest": size_out(inst, ex.open_interest[inst.symbol]),
        }
    )
    if first is not None:
        d["open24h"] = price_out(inst, first)
        d["high24h"] = price_out(inst, high or first)
        d["low24h"] = price_out(inst, low or first)
    d.update(
        {
            **_ticker_funding(ex, inst),
            "suspended": ex.market_state[inst.symbol] == "suspended",
            "indexPrice": price_out(inst, ex.index[inst.symbol]),
            "postOnly": ex.market_state[inst.symbol] == "post_only",
            "change24h": change,
        }
    )
    return d


def _ticker_funding(ex: Any, inst: Instrument) -> dict[str, float]:
    """The last published funding rate and the one the premium gives now (absolute, as Kraken's tickers)."""
    rates = ex.funding.get(inst.symbol)
    if rates is None:
        return {}
    last = rates[-1] if rates else None
    current = funding_json(inst, ex.relative_funding_rate(inst.symbol), ex.marks[inst.symbol])[0]
    return {"fundingRate": funding_json(inst, last[1], last[2])[0] if last else 0.0, "fundingRatePrediction": current}


def _quote_volume(inst: Instrument, lots_ticks: int) -> int | float:
    """Sum of size * price: lots*ticks scaled by lot and tick sizes (exact up to the float edge)."""
    num = lots_ticks * inst.tick_num
    den = inst.tick_den * 10 ** max(inst.precision, 0)
    if inst.precision < 0:
        num *= 10**-inst.precision
    return num // den if num % den == 0 else num / den


async def tickers(req: Request) -> Reply:
    rt = req.rt
    await rt.barrier()
    now = rt.clock()
    return ok(now, tickers=[ticker_json(req, i, now) for i in rt.exchange.listed.values()])


async def ticker(req: Request) -> Reply:
    rt = req.rt
    inst = rt.exchange.listed.get(req.path_args[0])
    if inst is None:
        raise ApiError("notFound", 404)
    await rt.barrier()
    now = rt.clock()
    return ok(now, ticker=ticker_json(req, inst, now))


async def orderbook(req: Request) -> Reply:
    rt = req.rt
    symbol = req.params.require("symbol")
    inst = instrument(req, symbol)
    await rt.barrier()
    book = rt.exchange.books[inst.symbol]
    return ok(
        rt.clock(),
        orderBook={
            "bids": [[price_out(inst, p), size_out(inst, q)] for p, q in book.bids.depth()],
            "asks": [[price_out(inst, p), size_out(inst, q)] for p, q in book.asks.depth()],
        },
    )


# ---------------------------------------------------------------------- fee schedules (deprecated)
FEE_SCHEDULES = (
    ("5b755fea-c5b0-4307-a66e-b392cd5bd931", "krakensim flexible futures"),
    ("eef90775-995b-4596-9257-0917f6134766", "krakensim inverse futures"),
)
THIRTY_DAYS_MS = 30 * 86_400_000


async def feeschedules(req: Request) -> Reply:
    """The fees krakensim charges: one tier, maker 0.02 %, taker 0.05 % (percent, as Kraken lists)."""
    from ..engine.exchange import MAKER_FEE_BPS, TAKER_FEE_BPS

    tiers = [{"makerFee": MAKER_FEE_BPS / 100, "takerFee": TAKER_FEE_BPS / 100, "usdVolume": 0}]
    return ok(req.rt.clock(), feeSchedules=[{"uid": uid, "name": name, "tiers": tiers} for uid, name in FEE_SCHEDULES])


async def feeschedules_volumes(req: Request) -> Reply:
    """The account's 30-day traded USD volume per fee schedule (from the fills it keeps)."""
    rt = req.rt
    await rt.barrier()
    ex = rt.exchange
    now = rt.clock()
    volume: dict[str, int] = {uid: 0 for uid, _ in FEE_SCHEDULES}
    for f in ex.accounts[req.account].fills:
        if f.ts > now - THIRTY_DAYS_MS:
            inst = ex.instruments[f.symbol]
            volume[inst.fee_schedule_uid] = volume.get(inst.fee_schedule_uid, 0) + inst.notional_usd8(f.lots, f.price)
    return ok(now, volumesByFeeSchedule={uid: usd_out(v) for uid, v in volume.items()})


# ---------------------------------------------------------------------- funding rates
def funding_json(inst: Instrument, rel_e12: int, mark_ticks: int) -> tuple[float, float]:
    """(absolute, relative) funding rate: relative × mark for linear contracts, ÷ mark for inverse."""
    from ..engine.exchange import RATE_SCALE

    relative = rel_e12 / RATE_SCALE
    mark = float(price_out(inst, mark_ticks))
    return (relative * mark if inst.linear else relative / mark), relative


async def historical_funding_rates(req: Request) -> Reply:
    """GET historical-funding-rates (v3) and historicalfundingrates (v4): every published rate, oldest first."""
    rt = req.rt
    symbol = req.params.get("symbol") or ""
    ex = rt.exchange
    inst = ex.instruments.get(symbol)
    if inst is None or symbol not in ex.funding:
        raise ApiError(INVALID, 400)  # "Symbol is invalid or does not reference a perpetual market."
    await rt.barrier()
    rates = []
    for ts, rel, mark in ex.funding[symbol]:
        absolute, relative = funding_json(inst, rel, mark)
        rates.append({"timestamp": iso(ts), "fundingRate": absolute, "relativeFundingRate": relative})
    return ok(rt.clock(), rates=rates)
