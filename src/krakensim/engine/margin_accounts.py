"""The single-collateral margin accounts of the inverse contracts (``fi_xbtusd``): margined in the base
currency, each on its own (no netting with the flex wallet or with another margin account).

Everything is in 1e-8 of the base currency: the balance, the unrealised PnL (its USD value at the mark,
at that mark), the tiered initial and maintenance margin (their USD amounts at the mark), what open
orders reserve. The liquidation and termination thresholds follow the ratios of Kraken's own example of
``marginRequirements`` (im 52.8, lt 39.6, tt 15.84: lt = 3/4 im, tt = 3/10 im).
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import msgspec

from .accounts import Account, to_base, unrealized_pnl
from .margin_tiers import tiered_initial, tiered_maintenance
from .wallets import margin_account_name

if TYPE_CHECKING:
    from .risk import Risk



class MarginAccountSummary(msgspec.Struct, frozen=True):
    balance: int
    pnl: int
    initial_margin: int
    order_margin: int
    maintenance_margin: int
    portfolio_value: int  # balance + unrealised PnL
    available: int  # portfolio value − initial margin of positions and orders
    liquidation_threshold: int
    termination_threshold: int


def _positions(risk: Risk, account: Account, base: str) -> list[tuple[str, int]]:
    """(symbol, signed lots) of the account's inverse positions in ``base``."""
    if not account.inverse_in_base:
        return []
    out = []
    for symbol, p in account.positions.items():
        inst = risk.instruments[symbol]
        if p.lots and not inst.linear and inst.base == base:
            out.append((symbol, p.lots))
    return out


def _at(risk: Risk, account: Account, base: str, ratio_ppm: int = 10**6) -> tuple[int, int, int]:
    """(unrealised PnL, initial margin, maintenance margin) with every mark scaled by ratio_ppm / 1e6."""
    pnl = im = mm = 0
    for symbol, _lots in _positions(risk, account, base):
        inst = risk.instruments[symbol]
        position = account.positions[symbol]
        mark = max(1, risk.pricing.marks[symbol] * ratio_ppm // 10**6)
        notional = inst.notional_usd8(abs(position.lots), mark)
        pnl += to_base(inst, unrealized_pnl(inst, position, mark), mark)
        im += to_base(inst, tiered_initial(inst, notional), mark)
        mm += to_base(inst, tiered_maintenance(inst, notional), mark)
    return pnl, im, mm


def margin_account_summary(risk: Risk, account: Account, base: str) -> MarginAccountSummary:
    name = margin_account_name(base)
    balance = account.wallets.margin.get(name, 0)
    orders = account.wallets.order_margin.get(name, 0)
    pnl, im, mm = _at(risk, account, base)
    pv = balance + pnl
    return MarginAccountSummary(balance, pnl, im, orders, mm, pv, pv - im - orders, im * 3 // 4, im * 3 // 10)


def _ratios(risk: Risk, account: Account, base: str) -> dict[str, Fraction | None]:
    """The ratio of today's marks at which the portfolio value meets each requirement (``im``, ``mm``,
    ``lt``, ``tt``); 1 where it already does; None where no price would make it.

    Closed form: an inverse position's notional is fixed in USD (Q, one USD a contract), so with every
    mark M scaled by r its requirement in base currency is R/(M r) (R the tiered USD requirement) and its
    PnL s Q (1/E − 1/(M r)) (s the side, E the entry). The portfolio value less the requirement is then
    A − C/r with A = balance + Σ s Q/E and C = Σ (s Q + R)/M, which is zero at r = C/A."""
    a = Fraction(account.wallets.margin.get(margin_account_name(base), 0))
    sides = im = mm = Fraction(0)
    for symbol, lots in _positions(risk, account, base):
        inst = risk.instruments[symbol]
        position = account.positions[symbol]
        tick = Fraction(inst.tick_num, inst.tick_den)
        q = inst.notional_usd8(abs(lots), 1)  # usd8, whatever the price
        sign = 1 if lots > 0 else -1
        mark_ticks = risk.pricing.marks[symbol]
        mark = mark_ticks * tick
        notional = inst.notional_usd8(abs(lots), mark_ticks)
        a += Fraction(sign * q * abs(lots)) / (abs(position.cost) * tick)
        sides += sign * q / mark
        im += tiered_initial(inst, notional) / mark
        mm += tiered_maintenance(inst, notional) / mark
    out: dict[str, Fraction | None] = {}
    for which, need in (("im", im), ("mm", mm), ("lt", im * 3 / 4), ("tt", im * 3 / 10)):
        c = sides + need
        if a - c <= 0:
            out[which] = Fraction(1)  # already short of it
        elif a == 0 or c == 0 or (a > 0) != (c > 0):
            out[which] = None
        else:
            out[which] = c / a
    return out


def trigger_estimates(risk: Risk, account: Account, base: str, symbol: str) -> dict[str, int | None]:
    """The mark of ``symbol`` (ticks) at which each requirement would be met, every mark of the account's
    positions in ``base`` moving together; None without positions or when none is met."""
    if not _positions(risk, account, base):
        return dict.fromkeys(("im", "mm", "lt", "tt"))
    mark = risk.pricing.marks[symbol]
    return {k: None if r is None else max(1, int(mark * r)) for k, r in _ratios(risk, account, base).items()}


def margin_account_liquidation_price(risk: Risk, account: Account, symbol: str) -> int | None:
    """The mark of ``symbol`` at which its margin account would meet its maintenance margin."""
    base = risk.instruments[symbol].base
    ratio = _ratios(risk, account, base)["mm"]
    return None if ratio is None else max(1, int(risk.pricing.marks[symbol] * ratio))
