"""The History API (``/api/history/v2|v3/…``) and the public trade history (``/derivatives/api/v3/history``).

Private: the account's order and trigger events and its side of each execution. Public: every
execution of a market, its order events without their accounts, and its mark price changes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..engine.events import Event
from ..engine.instruments import Instrument
from ..engine.units import side_name
from .errors import INVALID, ApiError
from .params import optional_iso, optional_unsigned, parse_unsigned
from .render.history import (
    KINDS,
    ORDER_KINDS,
    PUBLIC_ORDER_KINDS,
    TRIGGER_KINDS,
    account_event,
    account_execution_element,
    element_uid,
    public_execution_element,
    public_order_event,
    subject,
    text,
)
from .render.numbers import iso, price_out, size_out
from .request import Reply, Request, ok

PAGE = 100


async def trade_history(req: Request) -> Reply:
    """GET /derivatives/api/v3/history?symbol=…[&lastTime=…]: the 100 trades before lastTime."""
    rt = req.rt
    symbol = req.params.require("symbol")
    inst = rt.exchange.instruments.get(symbol)
    if inst is None:
        raise ApiError(INVALID)
    before = optional_iso(req.params, "lastTime")
    out: list[dict[str, Any]] = []
    for t in reversed(rt.exchange.market_data.trades[symbol]):
        if before is not None and t.time >= before:
            continue
        out.append(
            {
                "trade_id": t.number,
                "price": price_out(inst, t.price),
                "size": text(size_out(inst, t.lots)),
                "side": side_name(t.taker_side),
                "type": "fill",
                "time": iso(t.time),
                "uid": t.trade_id,
            }
        )
        if len(out) >= PAGE:
            break
    return ok(rt.clock(), history=out)


# ---------------------------------------------------------------------- windows and pages
class Window:
    """since, before, count, sort, skip (from continuation_token) and tradeable of a History request."""

    __slots__ = ("since", "before", "count", "sort", "skip", "tradeable")

    def __init__(self, req: Request, default: int = 500, cap: int | None = 1000) -> None:
        self.since = optional_unsigned(req.params, "since")
        self.before = optional_unsigned(req.params, "before")
        asked = optional_unsigned(req.params, "count")
        count = default if asked is None else asked
        self.sort = req.params.get("sort") or "desc"
        if self.sort not in ("asc", "desc") or count < 1:  # the spec's minimum
            raise ApiError(INVALID)
        self.count = count if cap is None else min(count, cap)
        self.tradeable = req.params.get("tradeable") or None
        self.skip = 0
        token = req.params.get("continuation_token")
        if token:
            try:
                offset = base64.b64decode(token, validate=True).decode("ascii")
            except ValueError as e:  # binascii.Error and UnicodeDecodeError are ValueErrors
                raise ApiError(INVALID) from e
            self.skip = parse_unsigned(offset)

    def holds(self, ts: int) -> bool:
        return (self.since is None or ts >= self.since) and (self.before is None or ts < self.before)

    def page(self, items: list[Any], render: Callable[[Any], dict[str, Any]] = lambda e: e) -> dict[str, Any]:
        """One page of ``items`` (oldest first): elements, len and, when more remain, the token."""
        if self.sort == "desc":
            items.reverse()
        page = items[self.skip: self.skip + self.count]
        body: dict[str, Any] = {"elements": [render(i) for i in page], "len": len(page)}
        if self.skip + self.count < len(items):
            body["continuationToken"] = base64.b64encode(str(self.skip + self.count).encode()).decode()
        return body


def _numbered(events: Iterable[Event]) -> Iterator[tuple[Event, str, int]]:
    """Each history event with its kind and how many identical (kind, time, order) events came before it."""
    seen: dict[tuple[str, int, str], int] = {}
    for e in events:
        kind = KINDS[type(e)]
        key = (kind, e.time, subject(e).order_id)
        nth = seen.get(key, 0)
        seen[key] = nth + 1
        yield e, kind, nth


def _public_instrument(req: Request) -> Instrument:
    """The instrument of a public market-history path, or 404."""
    inst = req.rt.exchange.instruments.get(req.path_args[0])
    if inst is None:
        raise ApiError("notFound", 404)
    return inst


# ---------------------------------------------------------------------- private
async def _account_events(req: Request, kinds: tuple[str, ...]) -> Reply:
    w = Window(req)
    ex = req.rt.exchange
    rows: list[dict[str, Any]] = []
    for e, kind, nth in _numbered(ex.history.of(req.account_id)):
        o = subject(e)
        if kind not in kinds or not w.holds(e.time) or (w.tradeable is not None and o.symbol != w.tradeable):
            continue
        rows.append({"uid": element_uid(req.account_id, kind, e.time, o.order_id, nth), "timestamp": e.time,
                     "event": account_event(req.instrument_of(o.symbol), e)})
    return _private_page(req, w, rows)


def _private_page(req: Request, w: Window, rows: list[dict[str, Any]]) -> Reply:
    return 200, {"accountUid": req.account_id, **w.page(rows), "serverTime": iso(req.rt.clock())}


async def account_orders(req: Request) -> Reply:
    """GET /api/history/v{2,3}/orders (signed)."""
    return await _account_events(req, ORDER_KINDS)


async def account_triggers(req: Request) -> Reply:
    """GET /api/history/v{2,3}/triggers (signed)."""
    return await _account_events(req, TRIGGER_KINDS)


async def account_executions(req: Request) -> Reply:
    """GET /api/history/v{2,3}/executions (signed): the account's side of each execution."""
    w = Window(req)
    rows = [
        account_execution_element(req.instrument_of(f.symbol), f)
        for f in req.rt.exchange.accounts[req.account_id].fills
        if w.holds(f.time) and (w.tradeable is None or f.symbol == w.tradeable)
    ]
    return _private_page(req, w, rows)


# ---------------------------------------------------------------------- public market history
async def market_executions(req: Request) -> Reply:
    """GET /api/history/v{2,3}/market/{tradeable}/executions (public)."""
    inst = _public_instrument(req)
    w = Window(req, default=PAGE, cap=None)
    trades = [t for t in req.rt.exchange.market_data.trades[inst.symbol] if w.holds(t.time)]
    return 200, w.page(trades, lambda t: public_execution_element(inst, t))


async def market_orders(req: Request) -> Reply:
    """GET /api/history/v{2,3}/market/{tradeable}/orders (public): every account's order events, anonymised."""
    ex = req.rt.exchange
    inst = _public_instrument(req)
    w = Window(req)
    rows: list[tuple[int, int, dict[str, Any]]] = []
    for n, account_id in enumerate(sorted(ex.accounts)):
        for i, (e, kind, nth) in enumerate(_numbered(ex.history.of(account_id))):
            o = subject(e)
            if kind not in PUBLIC_ORDER_KINDS or o.symbol != inst.symbol or not w.holds(e.time):
                continue
            element = {"uid": element_uid(account_id, kind, e.time, o.order_id, nth), "timestamp": e.time,
                       "event": public_order_event(inst, e)}
            rows.append((e.time, n * 1_000_000 + i, element))
    rows.sort(key=lambda r: (r[0], r[1]))
    return 200, w.page([r[2] for r in rows])


async def market_price(req: Request) -> Reply:
    """GET /api/history/v{2,3}/market/{tradeable}/price (public): mark price changes."""
    inst = _public_instrument(req)
    w = Window(req)
    rows = [
        {"uid": element_uid("mark", inst.symbol, ts, str(price), 0), "timestamp": ts,
         "event": {"price": text(price_out(inst, price))}}  # the spec: event is a MarkPriceChanged
        for ts, price in req.rt.exchange.market_data.mark_changes[inst.symbol]
        if w.holds(ts)
    ]
    return 200, w.page(rows)
