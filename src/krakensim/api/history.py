"""The History API (``/api/history/v2|v3/…``) and the public trade history (``/derivatives/api/v3/history``).

Private: the account's order and trigger events and its side of each execution. Public: every
execution of a market, its order events without their accounts, and its mark price changes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Reversible
from typing import Any, TypeVar

from ..engine.instruments import Instrument
from ..engine.order_history import Entry, subject
from ..engine.units import side_name
from .errors import INVALID, ApiError
from .params import optional_iso, optional_unsigned, parse_unsigned
from .render.history import (
    KINDS,
    ORDER_KINDS,
    TRIGGER_KINDS,
    account_event,
    account_execution_element,
    element_uid,
    public_execution_element,
    public_order_event,
    text,
)
from .render.numbers import iso, price_out, size_out
from .request import Reply, Request, ok

PAGE = 100
T = TypeVar("T")


async def trade_history(req: Request) -> Reply:
    """GET /derivatives/api/v3/history?symbol=…[&lastTime=…]: the 100 trades before lastTime."""
    rt = req.rt
    inst = req.any_instrument(req.params.require("symbol"))
    if inst is None:
        raise ApiError(INVALID)
    before = optional_iso(req.params, "lastTime")
    out: list[dict[str, Any]] = []
    for t in reversed(rt.exchange.market_data.trades.get(inst.symbol, ())):
        if before is not None and t.time >= before:
            continue
        out.append(
            {
                "trade_id": t.number,
                "price": price_out(inst, t.price),
                "size": text(size_out(inst, t.lots)),
                "side": side_name(t.taker_side),
                "type": "liquidation" if t.taker_order.order_type == "liquidation" else "fill",
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
        tradeable = req.params.get("tradeable") or None
        # any case, as Kraken takes it; a symbol never listed matches nothing, as before
        known = None if tradeable is None else req.any_instrument(tradeable)
        self.tradeable = tradeable if known is None else known.symbol
        self.skip = 0
        token = req.params.get("continuation_token")
        if token:
            try:
                offset = base64.b64decode(token, validate=True).decode("ascii")
            except ValueError as e:  # binascii.Error and UnicodeDecodeError are ValueErrors
                raise ApiError(INVALID) from e
            self.skip = parse_unsigned(offset)

    def page(self, items: Reversible[T], time_of: Callable[[T], int], render: Callable[[T], dict[str, Any]],
             match: Callable[[T], bool] | None = None) -> dict[str, Any]:
        """One page of ``items`` (oldest first, by time): elements, len and, when more remain, the token.

        Only the page is rendered, and the scan stops one item past the page: a request costs its page
        and cheap comparisons of what it passes over (at most the retention's), not rendering history.
        Items are not assumed to be in time order (a wall clock may step back), only kept in apply order."""
        since, before, desc = self.since, self.before, self.sort == "desc"
        skipped, more = 0, False
        out: list[dict[str, Any]] = []
        for item in reversed(items) if desc else items:
            ts = time_of(item)
            if (since is not None and ts < since) or (before is not None and ts >= before):
                continue
            if match is not None and not match(item):
                continue
            if skipped < self.skip:
                skipped += 1
            elif len(out) == self.count:
                more = True
                break
            else:
                out.append(render(item))
        body: dict[str, Any] = {"elements": out, "len": len(out)}
        if more:
            body["continuationToken"] = self.token(self.skip + self.count)
        return body

    @staticmethod
    def token(offset: int) -> str:
        """The continuation token of the page starting at ``offset`` (an opaque offset)."""
        return base64.b64encode(str(offset).encode()).decode()


def _public_instrument(req: Request) -> Instrument:
    """The instrument of a public market-history path, or 404."""
    inst = req.any_instrument(req.path_args[0])
    if inst is None:
        raise ApiError("notFound", 404)
    return inst


# ---------------------------------------------------------------------- private
async def _account_events(req: Request, kinds: tuple[str, ...]) -> Reply:
    """The account's order or trigger events (at most the retention's latest: a bounded scan)."""
    w = Window(req)
    account_id, tradeable = req.account_id, w.tradeable

    def match(entry: Entry) -> bool:
        e = entry[0]
        return KINDS[type(e)] in kinds and (tradeable is None or subject(e).symbol == tradeable)

    def render(entry: Entry) -> dict[str, Any]:
        e, rank = entry
        o = subject(e)
        return {"uid": element_uid(account_id, KINDS[type(e)], e.time, o.order_id, rank), "timestamp": e.time,
                "event": account_event(req.instrument_of(o.symbol), e)}

    return _private_page(req, w.page(req.rt.exchange.history.of(account_id), lambda entry: entry[0].time, render,
                                     match))


def _private_page(req: Request, page: dict[str, Any]) -> Reply:
    return 200, {"accountUid": req.account_id, **page, "serverTime": iso(req.rt.clock())}


async def account_orders(req: Request) -> Reply:
    """GET /api/history/v{2,3}/orders (signed)."""
    return await _account_events(req, ORDER_KINDS)


async def account_triggers(req: Request) -> Reply:
    """GET /api/history/v{2,3}/triggers (signed)."""
    return await _account_events(req, TRIGGER_KINDS)


async def account_executions(req: Request) -> Reply:
    """GET /api/history/v{2,3}/executions (signed): the account's side of each execution."""
    w = Window(req)
    tradeable = w.tradeable
    fills = req.rt.exchange.accounts[req.account_id].fills
    return _private_page(req, w.page(fills, lambda f: f.time,
                                     lambda f: account_execution_element(req.instrument_of(f.symbol), f),
                                     None if tradeable is None else lambda f: f.symbol == tradeable))


# ---------------------------------------------------------------------- public market history
async def market_executions(req: Request) -> Reply:
    """GET /api/history/v{2,3}/market/{tradeable}/executions (public)."""
    inst = _public_instrument(req)
    w = Window(req, default=PAGE, cap=None)
    trades = req.rt.exchange.market_data.trades.get(inst.symbol, ())
    return 200, w.page(trades, lambda t: t.time, lambda t: public_execution_element(inst, t))


async def market_orders(req: Request) -> Reply:
    """GET /api/history/v{2,3}/market/{tradeable}/orders (public): every account's order events, anonymised.

    Read from the market's index a page at a time: the cost is the page's, not the history's.
    """
    inst = _public_instrument(req)
    w = Window(req)
    index, lo, hi = req.rt.exchange.history.public_window(inst.symbol, w.since, w.before)
    start, stop = (lo + w.skip, min(hi, lo + w.skip + w.count)) if w.sort == "asc" else (
        max(lo, hi - w.skip - w.count), hi - w.skip)
    page = list(index.islice(start, max(start, stop), reverse=w.sort == "desc"))
    body: dict[str, Any] = {
        "elements": [
            {"uid": element_uid(account_id, KINDS[type(e)], ts, subject(e).order_id, rank), "timestamp": ts,
             "event": public_order_event(inst, e)}
            for ts, account_id, _number, rank, e in page
        ],
        "len": len(page),
    }
    if w.skip + w.count < hi - lo:
        body["continuationToken"] = w.token(w.skip + w.count)
    return 200, body


async def market_price(req: Request) -> Reply:
    """GET /api/history/v{2,3}/market/{tradeable}/price (public): mark price changes."""
    inst = _public_instrument(req)
    w = Window(req)
    changes = req.rt.exchange.market_data.mark_changes.get(inst.symbol, ())
    return 200, w.page(changes, lambda change: change[0], lambda change: {
        "uid": element_uid("mark", inst.symbol, change[0], str(change[1]), 0), "timestamp": change[0],
        "event": {"price": text(price_out(inst, change[1]))}})  # the spec: event is a MarkPriceChanged
