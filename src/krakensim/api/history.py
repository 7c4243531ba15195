"""Public trade history: ``/derivatives/api/v3/history`` and the History API's market executions."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..engine.book import BUY, Order
from ..engine.exchange import Trade
from ..engine.instruments import Instrument
from ..engine.triggers import INDEX, LAST, MARK, PERCENT, QUOTE, Trigger
from .handlers import ok
from .params import INVALID, ApiError
from .wire import iso, parse_iso, price_out, side_str, size_out, usd_out

if TYPE_CHECKING:
    from .app import Request

Reply = tuple[int, dict[str, Any]]
PAGE = 100
ORDER_TYPES = {"lmt": "Limit", "post": "Post", "ioc": "IoC", "fok": "FoK"}


async def trade_history(req: Request) -> Reply:
    """GET /derivatives/api/v3/history?symbol=…[&lastTime=…]: the 100 trades before lastTime."""
    rt = req.rt
    symbol = req.params.require("symbol")
    inst = rt.exchange.instruments.get(symbol)
    if inst is None:
        raise ApiError(INVALID)
    last_time = req.params.get("lastTime")
    before = None
    if last_time not in (None, ""):
        assert last_time is not None
        before = parse_iso(last_time)
        if before is None:
            raise ApiError(INVALID)
    await rt.barrier()
    out: list[dict[str, Any]] = []
    for t in reversed(rt.exchange.trades[symbol]):
        if before is not None and t.ts >= before:
            continue
        out.append(
            {
                "trade_id": t.number,
                "price": price_out(inst, t.price),
                "size": str(size_out(inst, t.lots)),
                "side": side_str(t.taker_side),
                "type": "fill",
                "time": iso(t.ts),
                "uid": t.uid,
            }
        )
        if len(out) >= PAGE:
            break
    return ok(rt.clock(), history=out)


def _dec(v: int | float) -> str:
    return str(v)


def _hist_order(inst: Instrument, o: Order) -> dict[str, Any]:
    return {
        "uid": o.oid,
        "tradeable": o.symbol,
        "direction": "Buy" if o.side == BUY else "Sell",
        "quantity": _dec(size_out(inst, o.qty - o.filled)),
        "timestamp": o.ts,
        "limitPrice": _dec(price_out(inst, o.price)),
        "orderType": ORDER_TYPES.get(o.otype, "Limit"),
        "reduceOnly": o.reduce_only,
        "lastUpdateTimestamp": o.upd,
    }


def _execution(inst: Instrument, t: Trade, maker: dict[str, Any], taker: dict[str, Any]) -> dict[str, Any]:
    """The execution object both History API flavours share (their order objects differ)."""
    usd = inst.notional_usd8(t.lots, t.price) / 100_000_000
    return {
        "uid": t.uid,
        "makerOrder": maker,
        "takerOrder": taker,
        "timestamp": t.ts,
        "quantity": _dec(size_out(inst, t.lots)),
        "price": _dec(price_out(inst, t.price)),
        "markPrice": _dec(price_out(inst, t.mark)),
        "limitFilled": t.maker.filled + t.lots >= t.maker.qty,
        "usdValue": f"{usd:.2f}",
    }


def _execution_element(inst: Instrument, t: Trade) -> dict[str, Any]:
    execution = _execution(inst, t, _hist_order(inst, t.maker), _hist_order(inst, t.taker))
    return {"uid": t.uid, "timestamp": t.ts,
            "event": {"Execution": {"execution": execution, "takerReducedQuantity": ""}}}


def _int_param(req: Request, name: str) -> int | None:
    v = req.params.get(name)
    if v in (None, ""):
        return None
    assert v is not None
    try:
        return int(v)
    except ValueError as e:
        raise ApiError(INVALID) from e


async def market_executions(req: Request) -> Reply:
    """GET /api/history/v{2,3}/market/{tradeable}/executions (public)."""
    rt = req.rt
    inst = _public_instrument(req)
    since, before, count, sort, skip, _ = _window(req, default=PAGE, cap=None)
    await rt.barrier()
    trades = [
        t for t in rt.exchange.trades[inst.symbol]
        if (since is None or t.ts >= since) and (before is None or t.ts < before)
    ]
    return 200, _paged(trades, sort, skip, count, lambda t: _execution_element(inst, t))


def _public_instrument(req: Request) -> Instrument:
    """The instrument of a public market-history path, or 404."""
    inst = req.rt.exchange.instruments.get(req.path_args[0])
    if inst is None:
        raise ApiError("notFound", 404)
    return inst


# ---------------------------------------------------------------------- private History API
HISTORY_SIGNAL = {MARK: "MarkPrice", LAST: "LastPrice", INDEX: "SpotPrice"}
HISTORY_UNIT = {PERCENT: "Percent", QUOTE: "QuoteCurrency"}
ORDER_KINDS = ("OrderPlaced", "OrderUpdated", "OrderCancelled", "OrderRejected")
TRIGGER_KINDS = ("OrderTriggerPlaced", "OrderTriggerActivated", "OrderTriggerCancelled", "OrderTriggerUpdated")


def _element_uid(account: str, kind: str, ts: int, oid: str, nth: int) -> str:
    h = hashlib.blake2b(f"{account}|{kind}|{ts}|{oid}|{nth}".encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def _account_number(account: str) -> int:
    return int(hashlib.blake2b(account.encode(), digest_size=4).hexdigest(), 16)


def _order(inst: Instrument, account: str, o: Order) -> dict[str, Any]:
    return {
        "uid": o.oid,
        "accountUid": account,
        "tradeable": o.symbol,
        "direction": "Buy" if o.side == BUY else "Sell",
        "quantity": _dec(size_out(inst, o.qty - o.filled)),
        "filled": _dec(size_out(inst, o.filled)),
        "timestamp": o.ts,
        "limitPrice": _dec(price_out(inst, o.price)),
        "orderType": ORDER_TYPES.get(o.otype, "Limit"),
        "clientId": o.cli or "",
        "reduceOnly": o.reduce_only,
        "lastUpdateTimestamp": o.upd,
        "spotData": None,
    }


def _trigger(inst: Instrument, account: str, t: Trigger) -> dict[str, Any]:
    limit = t.limit_when_fired()
    options: dict[str, Any] = {
        "triggerPrice": _dec(price_out(inst, t.trigger)),
        "triggerSignal": HISTORY_SIGNAL[t.signal],
        "triggerSide": "Above" if t.above else "Below",
    }
    if t.dev is not None and t.dev_unit is not None:
        dev = price_out(inst, t.dev) if t.dev_unit == QUOTE else t.dev / 100
        options["trailingStopOptions"] = {"maxDeviation": _dec(dev), "unit": HISTORY_UNIT[t.dev_unit]}
    if t.offset is not None and t.offset_unit is not None:
        off = price_out(inst, t.offset) if t.offset_unit == QUOTE else t.offset / 100
        options["limitPriceOffset"] = {"priceOffset": _dec(off), "unit": HISTORY_UNIT[t.offset_unit]}
    return {
        "uid": t.oid,
        "accountId": _account_number(account),
        "accountUid": account,
        "tradeable": t.symbol,
        "direction": "Buy" if t.side == BUY else "Sell",
        "quantity": _dec(size_out(inst, t.qty)),
        "timestamp": t.ts,
        "limitPrice": "" if limit is None else _dec(price_out(inst, limit)),
        "orderType": "Limit" if limit is not None else "IoC",
        "clientId": t.cli or "",
        "reduceOnly": t.reduce_only,
        "lastUpdateTimestamp": t.upd,
        "triggerOptions": options,
    }


def _history_event(inst: Instrument, account: str, e: tuple[Any, ...]) -> dict[str, Any]:
    kind = e[0]
    if kind == "OrderPlaced":
        return {kind: {"order": _order(inst, account, e[2]), "reason": e[3], "reducedQuantity": ""}}
    if kind == "OrderUpdated":
        return {kind: {"oldOrder": _order(inst, account, e[2]), "newOrder": _order(inst, account, e[3]),
                       "reason": e[4], "reducedQuantity": "0"}}
    if kind == "OrderCancelled":
        return {kind: {"order": _order(inst, account, e[2]), "reason": e[3]}}
    if kind == "OrderRejected":
        return {kind: {"order": _order(inst, account, e[2]), "orderError": e[3], "reason": e[3].lower()}}
    if kind in ("OrderTriggerPlaced", "OrderTriggerCancelled"):
        return {kind: {"order": _trigger(inst, account, e[2]), "reason": e[3]}}
    if kind == "OrderTriggerActivated":
        return {kind: {"order": _trigger(inst, account, e[2])}}
    if kind == "OrderTriggerUpdated":
        return {kind: {"oldOrderTrigger": _trigger(inst, account, e[2]),
                       "newOrderTrigger": _trigger(inst, account, e[3]), "reason": e[4]}}
    raise ValueError(kind)


def _window(
    req: Request, default: int = 500, cap: int | None = 1000
) -> tuple[int | None, int | None, int, str, int, str | None]:
    """since, before, count, sort, skip (from continuation_token) and tradeable of a History request."""
    since = _int_param(req, "since")
    before = _int_param(req, "before")
    count = _int_param(req, "count") or default
    sort = req.params.get("sort") or "desc"
    if sort not in ("asc", "desc") or count < 1:
        raise ApiError(INVALID)
    tradeable = req.params.get("tradeable") or None
    skip = 0
    token = req.params.get("continuation_token")
    if token:
        try:
            skip = int(base64.b64decode(token).decode())
        except ValueError as e:
            raise ApiError(INVALID) from e
    return since, before, count if cap is None else min(count, cap), sort, skip, tradeable


def _paged(
    items: list[Any], sort: str, skip: int, count: int, render: Callable[[Any], dict[str, Any]] = lambda e: e
) -> dict[str, Any]:
    """One page of ``items`` (oldest first): elements, len and, when more remain, the token."""
    if sort == "desc":
        items.reverse()
    page = items[skip: skip + count]
    body: dict[str, Any] = {"elements": [render(i) for i in page], "len": len(page)}
    if skip + count < len(items):
        body["continuationToken"] = base64.b64encode(str(skip + count).encode()).decode()
    return body


def _numbered(history: Any) -> Iterator[tuple[tuple[Any, ...], int]]:
    """Each history event with how many identical (kind, time, order) events came before it."""
    seen: dict[tuple[str, int, str], int] = {}
    for e in history:
        key = (e[0], e[1], e[2].oid)
        nth = seen.get(key, 0)
        seen[key] = nth + 1
        yield e, nth


async def _account_events(req: Request, kinds: tuple[str, ...]) -> Reply:
    rt = req.rt
    since, before, count, sort, skip, tradeable = _window(req)
    await rt.barrier()
    ex = rt.exchange
    rows: list[dict[str, Any]] = []
    for e, nth in _numbered(ex.accounts[req.account].history):
        kind, ts, obj = e[0], e[1], e[2]
        if kind not in kinds or (since is not None and ts < since) or (before is not None and ts >= before):
            continue
        if tradeable is not None and obj.symbol != tradeable:
            continue
        inst = ex.instruments[obj.symbol]
        rows.append({"uid": _element_uid(req.account, kind, ts, obj.oid, nth), "timestamp": ts,
                     "event": _history_event(inst, req.account, e)})
    return _private_page(req, rows, sort, skip, count)


def _private_page(req: Request, rows: list[dict[str, Any]], sort: str, skip: int, count: int) -> Reply:
    return 200, {"accountUid": req.account, **_paged(rows, sort, skip, count), "serverTime": iso(req.rt.clock())}


async def account_orders(req: Request) -> Reply:
    """GET /api/history/v{2,3}/orders (signed)."""
    return await _account_events(req, ORDER_KINDS)


async def account_triggers(req: Request) -> Reply:
    """GET /api/history/v{2,3}/triggers (signed)."""
    return await _account_events(req, TRIGGER_KINDS)


async def account_executions(req: Request) -> Reply:
    """GET /api/history/v{2,3}/executions (signed): the account's side of each execution."""
    rt = req.rt
    since, before, count, sort, skip, tradeable = _window(req)
    await rt.barrier()
    ex = rt.exchange
    rows: list[dict[str, Any]] = []
    for f in ex.accounts[req.account].fills:
        t = f.trade
        if t is None or (since is not None and f.ts < since) or (before is not None and f.ts >= before):
            continue
        if tradeable is not None and f.symbol != tradeable:
            continue
        inst = ex.instruments[f.symbol]
        mine = {
            "fee": _dec(usd_out(f.fee)),
            "positionSize": _dec(size_out(inst, f.pos_after) if f.pos_after >= 0 else -size_out(inst, -f.pos_after)),
            "feeCalculationInfo": [{"percentageFee": "0.02" if f.fill_type == "maker" else "0.05",
                                    "userFeeDiscountApplied": None, "marketShareRebateCredited": None}],
        }
        maker = f.fill_type == "maker"
        execution = _execution(inst, t, _order(inst, t.maker.acct, t.maker), _order(inst, t.taker.acct, t.taker))
        execution["makerOrderData"] = mine if maker else None
        execution["takerOrderData"] = None if maker else mine
        element = {"uid": f.fill_id, "timestamp": f.ts,
                   "event": {"Execution": {"execution": execution, "takerReducedQuantity": ""}}}
        rows.append(element)
    return _private_page(req, rows, sort, skip, count)


# ---------------------------------------------------------------------- public market history
PUBLIC_ORDER_KINDS = ("OrderPlaced", "OrderUpdated", "OrderCancelled")


def _public_order_event(inst: Instrument, e: tuple[Any, ...]) -> dict[str, Any]:
    kind = e[0]
    if kind == "OrderPlaced":
        return {kind: {"order": _hist_order(inst, e[2]), "reason": e[3], "reducedQuantity": ""}}
    if kind == "OrderUpdated":
        return {kind: {"oldOrder": _hist_order(inst, e[2]), "newOrder": _hist_order(inst, e[3]), "reason": e[4],
                       "reducedQuantity": "0"}}
    return {kind: {"order": _hist_order(inst, e[2]), "reason": e[3]}}


async def market_orders(req: Request) -> Reply:
    """GET /api/history/v{2,3}/market/{tradeable}/orders (public): every account's order events, anonymised."""
    rt = req.rt
    ex = rt.exchange
    inst = _public_instrument(req)
    since, before, count, sort, skip, _ = _window(req)
    await rt.barrier()
    rows: list[tuple[int, int, dict[str, Any]]] = []
    for n, (uid, acct) in enumerate(sorted(ex.accounts.items())):
        for i, (e, nth) in enumerate(_numbered(acct.history)):
            kind, ts, obj = e[0], e[1], e[2]
            if kind not in PUBLIC_ORDER_KINDS or obj.symbol != inst.symbol:
                continue
            if (since is not None and ts < since) or (before is not None and ts >= before):
                continue
            element = {"uid": _element_uid(uid, kind, ts, obj.oid, nth), "timestamp": ts,
                       "event": _public_order_event(inst, e)}
            rows.append((ts, n * 1_000_000 + i, element))
    rows.sort(key=lambda r: (r[0], r[1]))
    return 200, _paged([r[2] for r in rows], sort, skip, count)


async def market_price(req: Request) -> Reply:
    """GET /api/history/v{2,3}/market/{tradeable}/price (public): mark price changes."""
    rt = req.rt
    inst = _public_instrument(req)
    since, before, count, sort, skip, _ = _window(req)
    await rt.barrier()
    rows = [
        {"uid": _element_uid("mark", inst.symbol, ts, str(price), 0), "timestamp": ts,
         "event": {"price": _dec(price_out(inst, price))}}  # the spec: event is a MarkPriceChanged
        for ts, price in rt.exchange.mark_changes[inst.symbol]
        if (since is None or ts >= since) and (before is None or ts < before)
    ]
    return 200, _paged(rows, sort, skip, count)
