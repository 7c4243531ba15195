"""The private feeds' messages (open orders, fills, positions, balances, account log, notifications).

Spelling, key order and types as in the spec's ``private-feeds.md``. An open order's ``qty`` is
what is still open (``filled`` what traded); removals are the short shape; sizes and prices are
exact numbers from lots and ticks, money from usd8; times are epoch milliseconds but for the
account log's ``date`` and the positions' ``fill_time`` (ISO-8601).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from itertools import islice
from typing import Any

from ..api.render.account_log import account_log_entry
from ..api.render.numbers import average_price_out, iso, price_out, signed_size_out, size_out, usd_out
from ..api.render.wallets import flex_currencies
from ..engine.accounts import Account, unrealized_pnl
from ..engine.collateral import COLLATERAL
from ..engine.events import AccountLogged, NotificationPosted, OrderFilled
from ..engine.exchange import Exchange
from ..engine.instruments import Instrument
from ..engine.margin_tiers import tiered_maintenance
from ..engine.orders import Order
from ..engine.triggers import INDEX, LAST, MARK, QUOTE, Trigger
from ..engine.units import BUY

Message = dict[str, Any]
InstrumentOf = Callable[[str], Instrument]

FILLS_SNAPSHOT = 100  # fills in a fills_snapshot (the spec leaves it open: the last 100)
SIGNAL = {MARK: "mark", LAST: "last", INDEX: "spot"}
TRIGGER_TYPE = {"stp": "stop", "take_profit": "take_profit", "trailing_stop": "trailing_stop"}
ORDER_TYPE = {"lmt": "limit", "post": "post", "ioc": "ioc", "fok": "fillOrKill", "liquidation": "liquidation",
              "assignment": "assignment", "unwind": "unwind"}  # the fills' order types
MARGIN_ACCOUNT = "flex"  # every account is one multi-collateral wallet (REST accounts' flex)


def _direction(side: int) -> int:
    return 0 if side == BUY else 1


def open_order(inst: Instrument, o: Order) -> Message:
    """An order on the book (any resting type is a ``limit`` order here)."""
    d: Message = {
        "instrument": o.symbol,
        "time": o.placed_at,
        "last_update_time": o.updated_at,
        "qty": size_out(inst, o.quantity - o.filled),
        "filled": size_out(inst, o.filled),
        "limit_price": price_out(inst, o.price),
        "stop_price": 0,
        "type": "limit",
        "order_id": o.order_id,
    }
    if o.client_order_id is not None:
        d["cli_ord_id"] = o.client_order_id
    d["direction"] = _direction(o.side)
    d["reduce_only"] = o.reduce_only
    return d


def open_trigger(inst: Instrument, t: Trigger) -> Message:
    """A trigger order waiting for its signal (a market trigger has no ``limit_price``)."""
    d: Message = {
        "instrument": t.symbol,
        "time": t.placed_at,
        "last_update_time": t.updated_at,
        "qty": size_out(inst, t.quantity),
        "filled": 0,
    }
    limit = t.limit_when_fired()
    if limit is not None:
        d["limit_price"] = price_out(inst, limit)
    d.update({"stop_price": price_out(inst, t.trigger_price), "type": TRIGGER_TYPE[t.order_type],
              "order_id": t.order_id})
    if t.client_order_id is not None:
        d["cli_ord_id"] = t.client_order_id
    d.update({"direction": _direction(t.side), "reduce_only": t.reduce_only, "triggerSignal": SIGNAL[t.signal]})
    if t.trailing and t.deviation is not None:
        quote = t.deviation_unit == QUOTE
        d["trailing_stop_options"] = {
            "max_deviation": float(price_out(inst, t.deviation)) if quote else t.deviation / 100,
            "unit": "quote_currency" if quote else "percent",
        }
    return d


def open_orders_snapshot(feed: str, ex: Exchange, account: Account) -> Message:
    """Every open order and trigger of the account (``feed`` then ``account`` first: the SDK's tests read it so)."""
    inst = ex.instruments
    orders = [open_order(inst[o.symbol], o) for o in account.orders.values()]
    orders += [open_trigger(inst[t.symbol], t) for t in account.triggers.values()]
    return {"feed": feed + "_snapshot", "account": account.account_id, "orders": orders}


def order_update(feed: str, order: Message, is_cancel: bool, reason: str) -> Message:
    """The long shape: the order as it is after the change."""
    return {"feed": feed, "order": order, "is_cancel": is_cancel, "reason": reason}


def order_removed(feed: str, order_id: str, client_order_id: str | None, reason: str) -> Message:
    """The short shape: the order is gone."""
    d: Message = {"feed": feed, "order_id": order_id}
    if client_order_id is not None:
        d["cli_ord_id"] = client_order_id
    d["is_cancel"] = True
    d["reason"] = reason
    return d


def fill(inst: Instrument, e: OrderFilled) -> Message:
    after = e.order_after
    d: Message = {
        "instrument": e.symbol,
        "time": e.time,
        "price": price_out(inst, e.price),
        "seq": e.seq,
        "buy": after.side == BUY,
        "qty": size_out(inst, e.lots),
        "remaining_order_qty": size_out(inst, after.quantity - after.filled),
        "order_id": after.order_id,
    }
    if after.client_order_id is not None:
        d["cli_ord_id"] = after.client_order_id
    d.update({
        "fill_id": e.fill_id,
        "fill_type": e.fill_type,
        "fee_paid": usd_out(e.fee),
        "fee_currency": "USD",
        "taker_order_type": ORDER_TYPE.get(e.trade.taker_order.order_type, "limit"),
        "order_type": ORDER_TYPE.get(after.order_type, "limit"),
    })
    return d


def fills_snapshot(ex: Exchange, account: Account, products: frozenset[str] | None) -> Message:
    """The account's latest fills (of ``products`` only, when given), oldest first."""
    recent: list[OrderFilled] = []
    for e in reversed(account.fills):
        if products is None or e.symbol in products:
            recent.append(e)
            if len(recent) >= FILLS_SNAPSHOT:
                break
    recent.reverse()
    inst = ex.instruments
    return {"feed": "fills_snapshot", "account": account.account_id, "fills": [fill(inst[e.symbol], e) for e in recent]}


def fills_update(inst: Instrument, e: OrderFilled) -> Message:
    """A live fill: the account key is ``username`` on the wire (README difference #7)."""
    return {"feed": "fills", "username": e.account_id, "fills": [fill(inst, e)]}


# ---------------------------------------------------------------------------------------------- positions
def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def positions(ex: Exchange, account: Account, now: int) -> Message:
    """Every open position with its mark, PnL, margins and liquidation price (REST openpositions' values)."""
    risk, marks = ex.risk, ex.pricing.marks
    summary = risk.summary(account)
    out: list[Message] = []
    for symbol, position in account.positions.items():
        if not position.lots:
            continue
        inst = ex.instruments[symbol]
        mark = marks[symbol]
        pnl = unrealized_pnl(inst, position, mark)
        notional = inst.notional_usd8(abs(position.lots), mark)
        initial = risk.position_margin(account, inst, abs(position.lots), mark)
        orders = sum(o.margin for o in account.orders.values() if o.symbol == symbol)
        liquidation = risk.liquidation_price(account, symbol)
        last_fill = next((f.time for f in reversed(account.fills) if f.symbol == symbol), None)
        p: Message = {
            "instrument": symbol,
            "balance": signed_size_out(inst, position.lots),
            "pnl": usd_out(pnl),
            "entry_price": average_price_out(inst, Fraction(abs(position.cost), abs(position.lots))),
            "mark_price": price_out(inst, mark),
            "index_price": price_out(inst, ex.pricing.index[symbol]),
            "liquidation_threshold": price_out(inst, liquidation) if liquidation is not None else 0,
            "effective_leverage": _ratio(notional, summary.equity),
            "return_on_equity": _ratio(pnl, initial),
            "initial_margin": usd_out(initial),
            "initial_margin_with_orders": usd_out(initial + orders),
            "maintenance_margin": usd_out(tiered_maintenance(inst, notional)),
        }
        funding = ex.funding_payments.position_unrealized(account, symbol)
        if funding:  # absent when zero, as in the captures
            p["unrealized_funding"] = usd_out(funding)
        if inst.linear:
            p["pnl_currency"] = "USD"
        if last_fill is not None:
            p["fill_time"] = iso(last_fill)
        out.append(p)
    return {"feed": "open_positions", "account": account.account_id, "positions": out, "timestamp": now}


# ---------------------------------------------------------------------------------------------- balances
def _cross(ex: Exchange, account: Account) -> tuple[Message, int]:
    """The multi-collateral wallet's totals (REST accounts' flex) and the positions' USD size."""
    m = ex.risk.summary(account)
    size = sum(ex.instruments[s].notional_usd8(abs(p.lots), ex.pricing.marks[s])
               for s, p in account.positions.items() if p.lots)
    return {
        "balance_value": usd_out(m.balance_value),
        "portfolio_value": usd_out(m.balance_value + m.pnl),
        "collateral_value": usd_out(m.collateral_value),
        "initial_margin": usd_out(m.initial_margin + m.order_margin),
        "initial_margin_without_orders": usd_out(m.initial_margin),
        "maintenance_margin": usd_out(m.maintenance_margin),
        "pnl": usd_out(m.pnl),
        "unrealized_funding": 0,
        "total_unrealized": usd_out(m.pnl),
        "total_unrealized_as_margin": usd_out(m.unrealized_as_margin),
        "margin_equity": usd_out(m.equity),
        "available_margin": usd_out(m.available),
    }, size


def flex_futures(ex: Exchange, account: Account) -> Message:
    m = ex.risk.summary(account)
    totals, size = _cross(ex, account)
    currencies = {}
    for name, c in flex_currencies(ex, account, m).items():  # every held currency, as REST accounts lists them
        collateral = COLLATERAL[name]
        currencies[name] = {"quantity": c["quantity"], "value": c["value"], "collateral_value": c["collateral"],
                            "available": c["available"], "haircut": collateral.haircut_bps / 10_000,
                            "conversion_spread": collateral.conversion_fee_bps / 10_000}
    cross = dict(totals)
    cross["effective_leverage"] = _ratio(size, m.equity)
    cross["total_position_size"] = usd_out(size)
    return {"currencies": currencies, **totals, "total_position_size": usd_out(size), "unified_balances": False,
            "isolated": {}, "cross": cross}


def balances(ex: Exchange, account: Account, now: int, snapshot: bool) -> Message:
    """The wallets: holding (REST cash, all zero), no single-collateral wallet, the flex wallet."""
    d: Message = {"feed": "balances_snapshot" if snapshot else "balances", "account": account.account_id,
                  "holding": {"USD": 0, "XBT": 0}, "futures": {}, "flex_futures": flex_futures(ex, account)}
    if snapshot:
        d["futures_cash_value"] = 0
        d["futures_upnl_cash_value"] = 0
    d["timestamp"] = now
    return d


def margins(ex: Exchange, account: Account) -> Message:
    """The legacy account_balances_and_margins: one entry, the flex wallet."""
    m = ex.risk.summary(account)
    wallet = {"name": MARGIN_ACCOUNT, "balance": usd_out(m.balance), "pnl": usd_out(m.pnl), "funding": usd_out(m.unrealized_funding),
              "pv": usd_out(m.equity), "am": usd_out(m.available), "im": usd_out(m.initial_margin + m.order_margin),
              "mm": usd_out(m.maintenance_margin)}
    return {"feed": "account_balances_and_margins", "account": account.account_id, "margin_accounts": [wallet]}


# ---------------------------------------------------------------------------------------------- account log
ACCOUNT_LOG_SNAPSHOT = 500  # entries in an account_log_snapshot: the latest (the engine keeps far more)


def log_entry(instrument_of: InstrumentOf, e: AccountLogged) -> Message:
    """One entry: REST's AccountLogEntry, but that the feed names no absent contract and writes an absent
    execution as "" and the collateral as the wallet's currency (the feed's fields are not nullable)."""
    d = account_log_entry(instrument_of, e)
    if d["contract"] is None:
        del d["contract"]
    d["execution"] = d["execution"] or ""
    d["collateral"] = "usd"
    return d


def account_log_snapshot(instrument_of: InstrumentOf, account: Account) -> Message:
    latest = islice(reversed(account.log), ACCOUNT_LOG_SNAPSHOT)
    return {"feed": "account_log_snapshot", "logs": [log_entry(instrument_of, e) for e in latest]}


def account_log_update(instrument_of: InstrumentOf, e: AccountLogged) -> Message:
    return {"feed": "account_log", "new_entry": log_entry(instrument_of, e)}


def notification(n: NotificationPosted) -> Message:
    d: Message = {"id": n.notification_id, "type": n.kind, "priority": n.priority, "note": n.note,
                  "effective_time": n.effective_time}
    if n.expected_downtime_minutes is not None:
        d["expected_downtime_minutes"] = n.expected_downtime_minutes
    return d


def notifications(kept: Iterable[NotificationPosted]) -> Message:
    """What REST notifications lists (the snapshot), or the one just posted (an update)."""
    return {"feed": "notifications_auth", "notifications": [notification(n) for n in kept]}


def deposits_withdrawals() -> Message:
    return {"feed": "deposits_withdrawals", "elements": []}
