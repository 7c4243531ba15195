"""How the exchange applies a market maker's ``Requote``: cancels, edits, then post-only orders, in
one command (kept out of exchange.py, as wallet_commands.py is).

Each cancel, edit and order goes the way a ``CancelOrder``, an ``EditOrder`` or a ``PlaceOrder`` of
type ``post`` goes, with the same checks, ids, events and refusals; what one command saves is the journal
entry, the margin reading (``Risk.steadily``: nothing inside can change the account's positions or
prices) and the end-of-command work (funding flush, liquidation check) per order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import commands as c
from .result import Result
from .risk import MAX_PRICE_TICKS
from .units import BUY, SELL

if TYPE_CHECKING:
    from .exchange import Exchange


def check_requote(ex: Exchange, cmd: c.Command) -> None:
    """Refuse, before anything changes, a requote of a book not listed or with a malformed order."""
    assert isinstance(cmd, c.Requote)
    if cmd.symbol not in ex.listings.listed:
        raise KeyError(cmd.symbol)
    for side, lots, price in cmd.place:
        if side not in (BUY, SELL) or lots <= 0 or not 0 < price <= MAX_PRICE_TICKS:
            raise ValueError((side, lots, price))
    for _, lots, price in cmd.move:
        if lots <= 0 or not 0 < price <= MAX_PRICE_TICKS:
            raise ValueError((lots, price))


class Requotes:
    """A bound method, not a closure: the exchange is pickled into snapshots."""

    def __init__(self, ex: Exchange) -> None:
        self.ex = ex

    def requote(self, cmd: c.Requote, now: int) -> Result:
        ex = self.ex
        account = ex.accounts[cmd.account_id]
        with ex.risk.steadily(account):
            for order_id in cmd.cancel:  # (one filled or cancelled since is not found: nothing changes)
                ex.trading.cancel(account, order_id, None, now)
            for order_id, lots, price in cmd.move:
                ex.edits.edit(account, c.EditOrder(cmd.account_id, order_id, quantity=lots, limit_price=price), now)
            for side, lots, price in cmd.place:
                ex.place(c.PlaceOrder(cmd.account_id, cmd.symbol, side, "post", lots, limit_price=price), now)
        return Result("ok")
