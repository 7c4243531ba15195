"""Position update events (``/api/history/v2|v3/positions``), read from the account log's position legs.

Every change of a position is a position leg of the account log (a fill, a settlement, a
liquidation, a funding realisation that other rooms log): its old and new size and cost, the
execution, the price and — on the leg — the realised PnL and fee of that change. So the position
history is a filtered view of the log, paged by ``Window.page`` like the other History endpoints
(only the page is rendered), and it keeps what the log keeps.

Each element is ``{uid, timestamp, event: {PositionUpdate: …}}``, as the live venue sends it (ccxt's
captured responses) where the OpenAPI lists the inner object alone (docs/fidelity.md).
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from ..engine.events import AccountLogged
from ..engine.instruments import Instrument
from .history import Window, _private_page
from .params import parse_bool
from .render.account_log import is_position_leg
from .render.history import element_uid, text
from .render.numbers import price_out, signed_size_out, size_out, usd_out
from .request import Reply, Request

CHANGE_FILTERS = {"opened": "open", "closed": "close", "increased": "increase", "decreased": "decrease",
                  "reversed": "reverse", "no_change": "noChange"}
REASON_FILTERS = {"trades": "trade", "funding_realization": "fundingRealisation", "settlement": "settlement"}
TRADE_TYPES = {"futures liquidation": "liquidation", "covered liquidation": "liquidation",
               "futures assignor": "assignment", "futures assignee": "assignment",
               "futures unwind counterparty": "unwind", "futures unwind bankrupt": "unwind"}


def position_change(old: int, new: int) -> str:
    if old == new:
        return "noChange"
    if old == 0:
        return "open"
    if new == 0:
        return "close"
    if (old > 0) != (new > 0):
        return "reverse"
    return "increase" if abs(new) > abs(old) else "decrease"


def update_reason(e: AccountLogged) -> str:
    if e.info == "settlement":
        return "settlement"
    if e.info == "funding rate change":
        return "fundingRealisation"
    return "trade"


def _entry(inst: Instrument, lots: int, cost: int) -> str | None:
    """The average entry price as exact decimal text (``90100``), to 19 significant digits when it does not end
    (Kraken's ``60504.4396551724138``)."""
    if not lots:
        return None
    price = Fraction(abs(cost), abs(lots)) * inst.tick_num / inst.tick_den
    if price.denominator == 1:
        return str(price.numerator)
    with localcontext() as ctx:
        ctx.prec = 19
        d = Decimal(price.numerator) / Decimal(price.denominator)
    return format(d.normalize(), "f")


def position_update(account_id: str, inst: Instrument, e: AccountLogged) -> dict[str, Any]:
    """The PositionUpdate (HistoricalPositionUpdateElement) of a position leg."""
    reason = update_reason(e)
    new_entry = _entry(inst, e.new_balance, e.new_cost)
    old_entry = _entry(inst, e.old_balance, e.old_cost)
    d: dict[str, Any] = {
        "accountUid": account_id,
        "tradeable": inst.symbol,
        "oldPosition": text(signed_size_out(inst, e.old_balance)),
        "oldAverageEntryPrice": old_entry,
        "newPosition": text(signed_size_out(inst, e.new_balance)),
        # required and not nullable: a closed position keeps the entry price it had (Kraken's CSV does too)
        "newAverageEntryPrice": new_entry if new_entry is not None else (old_entry or "0"),
        "fillTime": e.time if reason == "trade" else None,
        "fee": text(usd_out(e.fee)),
        "feeCurrency": "USD",
        "realizedPnL": text(usd_out(e.realized_pnl)),
        "positionChange": position_change(e.old_balance, e.new_balance),
    }
    if reason == "trade":
        d["executionUid"] = e.execution
        if e.trade_price is not None:
            d["executionPrice"] = text(price_out(inst, e.trade_price))
        d["executionSize"] = text(size_out(inst, abs(e.new_balance - e.old_balance)))
        d["tradeType"] = TRADE_TYPES.get(e.info, "userExecution")
    if e.realized_funding or reason == "fundingRealisation":
        d["fundingRealizationTime"] = e.time
        d["realizedFunding"] = text(usd_out(e.realized_funding))
    if reason == "settlement" and e.trade_price is not None:
        d["settlementPrice"] = text(price_out(inst, e.trade_price))
    d["timestamp"] = e.time
    d["updateReason"] = reason
    return d


def _flags(req: Request, names: dict[str, str]) -> set[str]:
    """The values of the filters set to true (false has no effect, as the spec says)."""
    out: set[str] = set()
    for name, value in names.items():
        given = req.params.get(name)
        if given and parse_bool(given):
            out.add(value)
    return out


async def positions(req: Request) -> Reply:
    """GET /api/history/v{2,3}/positions (signed): the account's position update events."""
    w = Window(req)
    changes, reasons = _flags(req, CHANGE_FILTERS), _flags(req, REASON_FILTERS)
    tradeable, account_id = w.tradeable, req.account_id

    def match(e: AccountLogged) -> bool:
        if not is_position_leg(e) or (tradeable is not None and e.symbol != tradeable):
            return False
        if changes and position_change(e.old_balance, e.new_balance) not in changes:
            return False
        return not reasons or update_reason(e) in reasons

    def render(e: AccountLogged) -> dict[str, Any]:
        assert e.symbol is not None
        return {"uid": element_uid(account_id, "PositionUpdate", e.time, e.booking_uid, e.entry_id),
                "timestamp": e.time,
                "event": {"PositionUpdate": position_update(account_id, req.instrument_of(e.symbol), e)}}

    log = req.rt.exchange.accounts[account_id].log
    return _private_page(req, w.page(log, lambda e: e.time, render, match))

