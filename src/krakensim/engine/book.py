"""Orders and the price-time priority order book, on integer ticks and lots."""

from __future__ import annotations

from collections.abc import Iterator

from sortedcontainers import SortedList

BUY = 1
SELL = -1


class Order:
    """A resting or in-flight order. ``qty`` is the total size, ``filled`` what has traded."""

    __slots__ = (
        "oid", "cli", "acct", "symbol", "side", "otype", "qty", "filled", "price",
        "reduce_only", "ts", "upd", "im", "small",
    )

    def __init__(
        self, oid: str, cli: str | None, acct: str, symbol: str, side: int, otype: str, qty: int,
        price: int, reduce_only: bool, ts: int,
    ) -> None:
        self.oid = oid
        self.cli = cli
        self.acct = acct
        self.symbol = symbol
        self.side = side
        self.otype = otype
        self.qty = qty
        self.filled = 0
        self.price = price
        self.reduce_only = reduce_only
        self.ts = ts
        self.upd = ts
        self.im = 0  # initial margin (usd8) reserved for the open part
        self.small = False  # counted among the account's small open orders

    @property
    def remaining(self) -> int:
        return self.qty - self.filled

    def snap(self) -> Order:
        """An immutable-by-convention copy, for events."""
        o = Order.__new__(Order)
        o.oid = self.oid
        o.cli = self.cli
        o.acct = self.acct
        o.symbol = self.symbol
        o.side = self.side
        o.otype = self.otype
        o.qty = self.qty
        o.filled = self.filled
        o.price = self.price
        o.reduce_only = self.reduce_only
        o.ts = self.ts
        o.upd = self.upd
        o.im = self.im
        o.small = self.small
        return o

    def state(self) -> tuple[object, ...]:
        return (
            self.oid, self.cli, self.acct, self.symbol, self.side, self.otype, self.qty,
            self.filled, self.price, self.reduce_only, self.ts, self.upd, self.im,
        )


class Side:
    """One side of a book: price levels (insertion-ordered dicts = time priority)."""

    __slots__ = ("levels", "keys", "sign")

    def __init__(self, sign: int) -> None:
        self.levels: dict[int, dict[str, Order]] = {}
        # keys are -price for bids so that keys[0] is always the best level
        self.keys: SortedList = SortedList()
        self.sign = sign

    def add(self, o: Order) -> None:
        level = self.levels.get(o.price)
        if level is None:
            level = self.levels[o.price] = {}
            self.keys.add(-o.price if self.sign == BUY else o.price)
        level[o.oid] = o

    def remove(self, o: Order) -> None:
        level = self.levels[o.price]
        del level[o.oid]
        if not level:
            del self.levels[o.price]
            self.keys.remove(-o.price if self.sign == BUY else o.price)

    def best(self) -> int | None:
        if not self.keys:
            return None
        k: int = self.keys[0]
        return -k if self.sign == BUY else k

    def prices(self) -> Iterator[int]:
        """Prices from best to worst."""
        if self.sign == BUY:
            return (-k for k in self.keys)
        return iter(self.keys)

    def depth(self) -> list[tuple[int, int]]:
        return [(p, sum(o.qty - o.filled for o in self.levels[p].values())) for p in self.prices()]

    def __len__(self) -> int:
        return sum(len(v) for v in self.levels.values())


class Book:
    __slots__ = ("symbol", "bids", "asks")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids = Side(BUY)
        self.asks = Side(SELL)

    def side(self, side: int) -> Side:
        return self.bids if side == BUY else self.asks

    def opposite(self, side: int) -> Side:
        return self.asks if side == BUY else self.bids

    def crossed(self) -> bool:
        b, a = self.bids.best(), self.asks.best()
        return b is not None and a is not None and b >= a
