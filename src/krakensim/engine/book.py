"""The price-time priority order book of one instrument, on integer ticks and lots.

Per side: a dict of price levels, each an insertion-ordered dict of orders (time priority,
O(1) cancel), a ``SortedList`` of level keys (best first) and the open size of every level,
kept up to date so that a level's size (what a book delta publishes) never needs a walk.
Every method that changes a level returns that level's new open size (0: the level is gone).
"""

from __future__ import annotations

from collections.abc import Iterator

from sortedcontainers import SortedList

from .orders import Order
from .units import BUY, SELL


class BookSide:
    __slots__ = ("levels", "keys", "sizes", "side")

    def __init__(self, side: int) -> None:
        self.side = side
        self.levels: dict[int, dict[str, Order]] = {}
        # keys are -price for bids so that keys[0] is always the best level
        self.keys: SortedList = SortedList()
        self.sizes: dict[int, int] = {}  # price -> open lots at that price

    def add(self, order: Order) -> int:
        price = order.price
        level = self.levels.get(price)
        if level is None:
            level = self.levels[price] = {}
            self.keys.add(-price if self.side == BUY else price)
            self.sizes[price] = 0
        level[order.order_id] = order
        size = self.sizes[price] = self.sizes[price] + order.quantity - order.filled
        return size

    def remove(self, order: Order) -> int:
        """Take ``order`` (with its open size as it is now) off the book."""
        price = order.price
        level = self.levels[price]
        del level[order.order_id]
        if not level:
            del self.levels[price]
            del self.sizes[price]
            self.keys.remove(-price if self.side == BUY else price)
            return 0
        size = self.sizes[price] = self.sizes[price] - (order.quantity - order.filled)
        return size

    def reduce(self, price: int, lots: int) -> int:
        """``lots`` of an order resting at ``price`` traded (or were edited away); it stays on the book."""
        size = self.sizes[price] = self.sizes[price] - lots
        return size

    def best(self) -> int | None:
        if not self.keys:
            return None
        k: int = self.keys[0]
        return -k if self.side == BUY else k

    def first(self, price: int) -> Order:
        """The order with time priority at ``price``."""
        return next(iter(self.levels[price].values()))

    def prices(self) -> Iterator[int]:
        """Prices from best to worst."""
        if self.side == BUY:
            return (-k for k in self.keys)
        return iter(self.keys)

    def depth(self) -> list[tuple[int, int]]:
        """(price, open lots) of every level, best first."""
        sizes = self.sizes
        return [(p, sizes[p]) for p in self.prices()]

    def __len__(self) -> int:
        return sum(len(v) for v in self.levels.values())

    def check_invariants(self) -> None:
        """Raise AssertionError when the indexes disagree with the orders."""
        assert sorted(self.levels) == sorted(abs(k) for k in self.keys), "level keys out of step"
        assert set(self.levels) == set(self.sizes), "level sizes out of step"
        for price, level in self.levels.items():
            assert level, f"empty level {price}"
            for order in level.values():
                assert order.price == price and order.side == self.side, f"misplaced order {order.order_id}"
                assert 0 <= order.filled < order.quantity, f"finished order {order.order_id} on the book"
            assert self.sizes[price] == sum(o.quantity - o.filled for o in level.values()), f"level size {price}"


class Book:
    __slots__ = ("symbol", "bids", "asks", "seq")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids = BookSide(BUY)
        self.asks = BookSide(SELL)
        self.seq = 0  # level changes so far (each one's BookLevelChanged carries its number)

    def side(self, side: int) -> BookSide:
        return self.bids if side == BUY else self.asks

    def opposite(self, side: int) -> BookSide:
        return self.asks if side == BUY else self.bids

    def crosses(self, side: int, price: int) -> bool:
        """Would an order on ``side`` at ``price`` meet the other side?"""
        best = self.opposite(side).best()
        return best is not None and (best <= price if side == BUY else best >= price)

    def crossed(self) -> bool:
        b, a = self.bids.best(), self.asks.best()
        return b is not None and a is not None and b >= a

    def check_invariants(self) -> None:
        self.bids.check_invariants()
        self.asks.check_invariants()
        assert not self.crossed(), f"{self.symbol}: crossed book"
