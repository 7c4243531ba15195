"""What an order would do to an account, computed on a copy (the account itself never changes):
the position it leads to and that position's liquidation price (the legacy ``initialmargin``)."""

from __future__ import annotations

import copy

from .accounts import Account, Position
from .risk import Risk


def position_after(position: Position | None, side: int, lots: int, price: int) -> Position:
    """The position a fill of ``lots`` on ``side`` at ``price`` leads to (as accounts books a fill)."""
    before_lots, before_cost = (position.lots, position.cost) if position is not None else (0, 0)
    signed = side * lots
    if before_lots == 0 or (before_lots > 0) == (signed > 0):
        return Position(before_lots + signed, before_cost + signed * price)
    held = abs(before_lots)
    closing = min(lots, held)
    sign = 1 if before_lots > 0 else -1
    after = before_lots + signed
    if after == 0:
        return Position()
    if lots > closing:  # flipped: what remains was opened at ``price``
        return Position(after, after * price)
    return Position(after, before_cost - sign * (abs(before_cost) * closing // held))


def liquidation_price_after(risk: Risk, account: Account, symbol: str, side: int, lots: int,
                            price: int) -> int | None:
    """The liquidation price (ticks) of the position in ``symbol`` once ``lots`` on ``side`` filled at
    ``price``, every mark unchanged (Risk.liquidation_price on a copy); None when there is none."""
    clone = copy.copy(account)
    clone.positions = dict(account.positions)
    clone.positions[symbol] = position_after(account.positions.get(symbol), side, lots, price)
    return risk.liquidation_price(clone, symbol)
