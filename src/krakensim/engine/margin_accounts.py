"""The single-collateral margin accounts of the inverse contracts (``fi_xbtusd``): margined in the base
currency, each on its own (no netting with the flex wallet or with another margin account).

Everything is in 1e-8 of the base currency: the balance, the unrealised PnL (its USD value at the mark,
at that mark), the tiered initial and maintenance margin (their USD amounts at the mark), what open
orders reserve. The liquidation and termination thresholds follow the ratios of Kraken's own example of
``marginRequirements`` (im 52.8, lt 39.6, tt 15.84: lt = 3/4 im, tt = 3/10 im).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from .accounts import Account, to_base, unrealized_pnl
from .margin_tiers import tiered_initial, tiered_maintenance
from .wallets import margin_account_name

if TYPE_CHECKING:
    from .risk import Risk

RATIO_SCALE = 10**6  # trigger estimates move every mark of the account by one ratio, in ppm
MAX_RATIO = 10**9  # a thousand times the mark: beyond it no estimate is given


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


def _at(risk: Risk, account: Account, base: str, ratio: int) -> tuple[int, int, int]:
    """(unrealised PnL, initial margin, maintenance margin) with every mark scaled by ratio / 1e6."""
    pnl = im = mm = 0
    for symbol, _lots in _positions(risk, account, base):
        inst = risk.instruments[symbol]
        position = account.positions[symbol]
        mark = max(1, risk.pricing.marks[symbol] * ratio // RATIO_SCALE)
        notional = inst.notional_usd8(abs(position.lots), mark)
        pnl += to_base(inst, unrealized_pnl(inst, position, mark), mark)
        im += to_base(inst, tiered_initial(inst, notional), mark)
        mm += to_base(inst, tiered_maintenance(inst, notional), mark)
    return pnl, im, mm


def margin_account_summary(risk: Risk, account: Account, base: str) -> MarginAccountSummary:
    name = margin_account_name(base)
    balance = account.wallets.margin.get(name, 0)
    orders = account.wallets.order_margin.get(name, 0)
    pnl, im, mm = _at(risk, account, base, RATIO_SCALE)
    pv = balance + pnl
    return MarginAccountSummary(balance, pnl, im, orders, mm, pv, pv - im - orders, im * 3 // 4, im * 3 // 10)


def _ratio_where(risk: Risk, account: Account, base: str, which: str) -> int | None:
    """The ratio (ppm of today's marks) at which the portfolio value meets a requirement (``im``, ``mm``,
    ``lt``, ``tt``), nearest today's marks; None when none is met between 1 ppm and 1000×."""
    balance = account.wallets.margin.get(margin_account_name(base), 0)

    def short_of(ratio: int) -> bool:  # is the portfolio value at or below the requirement?
        pnl, im, mm = _at(risk, account, base, ratio)
        need = {"im": im, "mm": mm, "lt": im * 3 // 4, "tt": im * 3 // 10}[which]
        return balance + pnl <= need

    if short_of(RATIO_SCALE):
        return RATIO_SCALE
    for lo, hi, below in ((1, RATIO_SCALE, True), (RATIO_SCALE, MAX_RATIO, False)):
        if short_of(lo if below else hi):
            # bisect between a ratio that falls short and today's (which does not)
            bad, good = (lo, hi) if below else (hi, lo)
            while abs(bad - good) > 1:
                mid = (bad + good) // 2
                bad, good = (mid, good) if short_of(mid) else (bad, mid)
            return bad
    return None


def trigger_estimates(risk: Risk, account: Account, base: str, symbol: str) -> dict[str, int | None]:
    """The mark of ``symbol`` (ticks) at which each requirement would be met, every mark of the account's
    positions in ``base`` moving together; None without positions or when none is met."""
    out: dict[str, int | None] = {}
    for which in ("im", "mm", "lt", "tt"):
        ratio = _ratio_where(risk, account, base, which) if _positions(risk, account, base) else None
        out[which] = None if ratio is None else risk.pricing.marks[symbol] * ratio // RATIO_SCALE
    return out


def margin_account_liquidation_price(risk: Risk, account: Account, symbol: str) -> int | None:
    """The mark of ``symbol`` at which its margin account would meet its maintenance margin."""
    base = risk.instruments[symbol].base
    ratio = _ratio_where(risk, account, base, "mm")
    return None if ratio is None else risk.pricing.marks[symbol] * ratio // RATIO_SCALE
