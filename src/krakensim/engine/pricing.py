"""Prices of each contract: the mark, the index, the last trade, and the signals triggers watch.

Until a price source publishes an index, the mark is set from outside (the control API) and
follows the trades. From the first publication on it is the index plus an exponential moving
average of the premium of the book's impact mid price over the index (prices in ticks; the
premium in 1e-6 ticks).
"""

from __future__ import annotations

from collections.abc import Callable

from .book import Book
from .events import Event, IndexPriceUpdated, MarkPriceUpdated
from .instruments import Instrument
from .triggers import INDEX, LAST, MARK
from .units import BPS

PREMIUM_SCALE = 10**6  # the premium EMA is kept in 1e-6 ticks
PREMIUM_SPAN = 30  # EMA span of the premium, in index updates (30 s at one update a second)
PREMIUM_CAP_BPS = 500  # one premium sample is at most 5 % of the index


class Pricing:
    __slots__ = ("marks", "index", "premium", "last", "emit")

    def __init__(self, emit: Callable[[Event], None]) -> None:
        self.marks: dict[str, int] = {}
        self.index: dict[str, int] = {}
        # the premium of the impact mid over the index, once a price source feeds the index
        self.premium: dict[str, int] = {}
        self.last: dict[str, tuple[int, int, int]] = {}  # symbol -> (ticks, lots, time) of the last trade
        self.emit = emit

    def add(self, symbol: str, mark: int, index: int) -> None:
        self.marks[symbol] = mark
        self.index[symbol] = index

    def signals(self, symbol: str) -> dict[str, int]:
        last = self.last.get(symbol)
        mark = self.marks[symbol]
        return {MARK: mark, INDEX: self.index[symbol], LAST: last[0] if last else mark}

    def set(self, symbol: str, mark: int | None, index: int | None, now: int) -> None:
        if mark is not None:
            previous = self.marks[symbol]
            self.marks[symbol] = mark
            self.emit(MarkPriceUpdated(now, symbol, mark, previous))
        if index is not None:
            self.index[symbol] = index
            self.emit(IndexPriceUpdated(now, symbol, index))

    def publish_index(self, inst: Instrument, book: Book, index: int, now: int) -> None:
        """A price source published the index; the mark follows as index + EMA(impact mid − index)."""
        symbol = inst.symbol
        premium = self.premium.get(symbol, 0)
        mid = impact_mid(inst, book)
        if mid is not None:
            cap = index * PREMIUM_CAP_BPS * PREMIUM_SCALE // BPS
            sample = max(-cap, min(cap, mid - index * PREMIUM_SCALE))
            premium += (sample - premium) * 2 // (PREMIUM_SPAN + 1)
        self.premium[symbol] = premium
        mark = max(1, index + (premium + PREMIUM_SCALE // 2) // PREMIUM_SCALE)
        self.set(symbol, mark, index, now)

    def traded(self, symbol: str, price: int, lots: int, now: int) -> None:
        """A trade printed: it is the last price, and the mark when no price source feeds the index."""
        self.last[symbol] = (price, lots, now)
        if symbol not in self.premium:
            previous = self.marks[symbol]
            self.marks[symbol] = price
            self.emit(MarkPriceUpdated(now, symbol, price, previous))

    def settle(self, symbol: str, price: int) -> int:
        """An expired contract keeps its settlement price as its mark; returns the mark before."""
        previous = self.marks[symbol]
        self.marks[symbol] = price
        return previous

    def state(self, symbol: str) -> tuple[object, ...]:
        return self.marks[symbol], self.index[symbol], self.last.get(symbol), self.premium.get(symbol)


def impact_mid(inst: Instrument, book: Book) -> int | None:
    """The mean of the impact bid and impact ask (the average price of ``impactMidSize`` contracts
    on each side) in 1e-6 ticks, or None when a side is empty."""
    want = max(1, int(inst.impact_mid_size.scaleb(inst.precision)))
    prices = []
    for side in (book.bids, book.asks):
        lots = value = 0
        sizes = side.sizes
        for p in side.prices():
            n = min(want - lots, sizes[p])
            lots += n
            value += n * p
            if lots >= want:
                break
        if lots == 0:
            return None
        prices.append(value * PREMIUM_SCALE // lots)
    return (prices[0] + prices[1]) // 2
