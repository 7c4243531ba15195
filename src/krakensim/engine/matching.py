"""One instrument's matcher: its book, price-time matching, and what a sweep would do.

The matcher knows nothing of margin or money. It walks the opposite side best price first,
then by time; an order of the taker's own account is either the end of the walk (under
REJECT_TAKER, refused before it starts) or cancelled (CANCEL_MAKER_*), and a reduce-only order
trades only what its owner's position allows. Whoever owns the accounts (``Parties``) says how
much a reduce-only order may trade, settles each match and cancels the orders it is told to.
Every change of a price level is published as a ``BookLevelChanged``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from .book import Book
from .events import BookLevelChanged, Event
from .orders import Order, snapshot
from .units import BPS, BUY

MARKET_PROTECTION_BPS = 100  # market orders are IOC limited to 1 % through the best opposite price


class Parties(Protocol):
    def reduce_room(self, order: Order) -> int:
        """Lots a reduce-only ``order`` may still trade without growing its owner's position."""

    def position_lots(self, account_id: str, symbol: str) -> int: ...

    def settle(self, maker: Order, maker_before: Order, taker: Order, taker_before: Order, lots: int, price: int,
               number: int, now: int) -> None:
        """Book one match (both orders' ``filled`` already counts it; a finished maker is off the book)."""

    def cancel_resting(self, order: Order, now: int, reason: str) -> object: ...


class Walk:
    """What a sweep would do, without doing it."""

    __slots__ = ("fillable", "meets_own_order", "beyond_mark")

    def __init__(self, fillable: int, meets_own_order: bool, beyond_mark: int) -> None:
        self.fillable = fillable  # lots the taker could trade within its limit
        self.meets_own_order = meets_own_order  # under REJECT_TAKER: it would meet its own account first
        self.beyond_mark = beyond_mark  # lots × ticks paid worse than the mark (linear loss against it)


class Matcher:
    __slots__ = ("book", "trades", "emit")

    def __init__(self, symbol: str, emit: Callable[[Event], None]) -> None:
        self.book = Book(symbol)
        self.trades = 0  # trades printed so far on this instrument
        self.emit = emit

    @property
    def symbol(self) -> str:
        return self.book.symbol

    # ------------------------------------------------------------------ the book
    def level_changed(self, side: int, price: int, size: int, now: int) -> None:
        """Publish a level's new open size, numbered by the book's change counter."""
        book = self.book
        book.seq += 1
        self.emit(BookLevelChanged(now, book.symbol, side, price, size, book.seq))

    def rest(self, order: Order, now: int) -> None:
        book = self.book
        size = (book.bids if order.side == BUY else book.asks).add(order)
        self.level_changed(order.side, order.price, size, now)

    def take_off(self, order: Order, now: int) -> None:
        book = self.book
        size = (book.bids if order.side == BUY else book.asks).remove(order)
        self.level_changed(order.side, order.price, size, now)

    def shrink(self, order: Order, lots: int, now: int) -> None:
        """``order`` keeps its place but ``lots`` less of it is open (an edit down at the same price)."""
        size = self.book.side(order.side).reduce(order.price, lots)
        self.level_changed(order.side, order.price, size, now)

    def protection_price(self, side: int) -> int | None:
        """A market order's limit: 1 % through the best opposite price, rounded to a tick towards the book."""
        best = self.book.opposite(side).best()
        if best is None:
            return None
        if side == BUY:
            return best * (BPS + MARKET_PROTECTION_BPS) // BPS
        return -(-best * (BPS - MARKET_PROTECTION_BPS) // BPS)

    # ------------------------------------------------------------------ matching
    def walk(self, taker: Order, parties: Parties, reject_own: bool, mark: int) -> Walk:
        """What ``sweep`` would do: reduce-only makers count only for what their owner's position
        lets them trade, as the walk would leave it."""
        opp = self.book.opposite(taker.side)
        need = taker.quantity - taker.filled
        if taker.reduce_only:
            need = min(need, parties.reduce_room(taker))
        got = 0
        worse = 0
        held: dict[str, int] = {}  # makers' positions as the walk would leave them
        for p in opp.prices():
            if (taker.side == BUY and p > taker.price) or (taker.side != BUY and p < taker.price):
                break
            for m in opp.levels[p].values():
                if m.account_id == taker.account_id:
                    if reject_own:
                        return Walk(got, True, 0)
                    continue
                n = min(m.quantity - m.filled, need - got)
                pos = held.get(m.account_id)
                if pos is None:
                    pos = parties.position_lots(m.account_id, m.symbol)
                if m.reduce_only:
                    room = 0 if pos == 0 or (pos > 0) == (m.side == BUY) else abs(pos)
                    n = min(n, room)
                    if n == 0:
                        continue
                held[m.account_id] = pos + m.side * n
                got += n
                worse += n * (p - mark) * taker.side
                if got >= need:
                    break
            if got >= need:
                break
        return Walk(got, False, worse)

    def sweep(self, taker: Order, parties: Parties, reject_own: bool, now: int) -> None:
        """Trade ``taker`` against the book as far as its limit allows."""
        side = self.book.opposite(taker.side)
        while taker.filled < taker.quantity:
            p = side.best()
            if p is None or (taker.side == BUY and p > taker.price) or (taker.side != BUY and p < taker.price):
                break
            maker = side.first(p)
            if maker.account_id == taker.account_id:
                if reject_own:  # refused before the sweep; never trade with ourselves
                    break
                parties.cancel_resting(maker, now, "self_trade")  # CANCEL_MAKER_*: our own resting order goes
                continue
            n = min(taker.quantity - taker.filled, maker.quantity - maker.filled)
            if maker.reduce_only:
                room = parties.reduce_room(maker)
                if room == 0:
                    parties.cancel_resting(maker, now, "would_not_reduce_position")
                    continue
                n = min(n, room)
            if taker.reduce_only:
                n = min(n, parties.reduce_room(taker))
                if n == 0:
                    break
            maker_before, taker_before = snapshot(maker), snapshot(taker)
            maker.filled += n
            maker.updated_at = now
            taker.filled += n
            taker.updated_at = now
            size = side.reduce(p, n)
            if maker.filled >= maker.quantity:
                size = side.remove(maker)
            self.trades += 1
            self.level_changed(maker.side, p, size, now)
            parties.settle(maker, maker_before, taker, taker_before, n, p, self.trades, now)
