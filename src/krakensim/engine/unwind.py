"""The unwind queue: which positions are closed first when neither the book nor the assignment program
could take over a liquidated position.

Positions on the side opposite to the one being unwound are ranked by profit times leverage
(unrealised PnL over the position's value, times the position's value over the account's margin
equity: PnL ÷ equity; for a position margined by a margin account, both in its base currency), the
most profitable and most leveraged first, as exchanges rank an auto-deleveraging queue. ``percentile`` is the bucket Kraken's ``unwindqueue`` reports: 100 for the
top fifth of the queue (unwound first), then 80, 60, 40, 20.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from .accounts import Account, to_base, unrealized_pnl
from .instruments import Instrument
from .margin_accounts import margin_account_summary
from .risk import Risk

BUCKETS = 5  # percentiles in steps of 20


def score(risk: Risk, account: Account, inst: Instrument, mark: int) -> Fraction:
    """Profit × leverage of the account's position in ``inst``: PnL ÷ margin equity (larger: unwound first)."""
    position = account.positions[inst.symbol]
    pnl = unrealized_pnl(inst, position, mark)
    if risk.in_flex(account, inst.symbol):
        equity = risk.summary(account).equity
    else:  # margined by its margin account: PnL and equity in its base currency
        pnl, equity = to_base(inst, pnl, mark), margin_account_summary(risk, account, inst.base).portfolio_value
    if equity <= 0:
        return Fraction(pnl if pnl < 0 else 0)  # already under water: last in the queue
    return Fraction(pnl, equity)


def queue(risk: Risk, accounts: dict[str, Account], holders: Iterable[str], inst: Instrument, long: bool,
          mark: int) -> list[str]:
    """The accounts holding ``inst`` on one side, first to be unwound first (ties: by account id)."""
    symbol = inst.symbol
    ranked = []
    for a in holders:
        lots = accounts[a].lots(symbol)
        if lots and (lots > 0) == long:
            ranked.append((-score(risk, accounts[a], inst, mark), a))
    ranked.sort()
    return [a for _, a in ranked]


def percentile(order: list[str], account_id: str) -> int:
    """Kraken's bucket of the account in a queue (100: the first fifth)."""
    i = order.index(account_id)
    n = len(order)
    return (BUCKETS - i * BUCKETS // n) * (100 // BUCKETS)
