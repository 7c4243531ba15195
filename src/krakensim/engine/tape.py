"""One market's trades of the last 24 hours, with their statistics kept as they come.

A ticker reads the 24 h volume, quote volume (lots × ticks), open, high and low at any moment;
kept here incrementally (running sums, and the highest and lowest prices in monotonic queues)
so that a read costs O(1), plus the trades that aged out of the window since the last one
(they leave when the next trade comes: a read never changes anything).
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterator

from .units import DAY_MS

COMPACT_AFTER = 4096  # trades gone from the front before the columns are shifted (amortised O(1) a trade)


class Trades:
    """The window's trades as columns of 64-bit integers (32 bytes a trade; a deque of 4-tuples took
    about 180, some 60 MB for the default market's day), oldest first, the front ``head`` already gone."""

    __slots__ = ("time", "price", "lots", "number", "head")

    def __init__(self) -> None:
        self.time, self.price, self.lots, self.number = array("q"), array("q"), array("q"), array("q")
        self.head = 0

    def __len__(self) -> int:
        return len(self.time) - self.head

    def __getitem__(self, i: int) -> tuple[int, int, int, int]:
        j = self.head + i
        return self.time[j], self.price[j], self.lots[j], self.number[j]

    def append(self, trade: tuple[int, int, int, int]) -> None:
        t, p, q, n = trade
        self.time.append(t)
        self.price.append(p)
        self.lots.append(q)
        self.number.append(n)

    def popleft(self) -> tuple[int, int, int, int]:
        trade = self[0]
        self.head += 1
        if self.head >= COMPACT_AFTER and self.head * 2 >= len(self.time):
            for column in (self.time, self.price, self.lots, self.number):
                del column[: self.head]
            self.head = 0
        return trade

    def __iter__(self) -> Iterator[tuple[int, int, int, int]]:
        for j in range(self.head, len(self.time)):
            yield self.time[j], self.price[j], self.lots[j], self.number[j]


class Tape:
    __slots__ = ("trades", "volume", "quote", "highs", "lows", "count")

    def __init__(self) -> None:
        self.trades = Trades()  # (time, ticks, lots, number), oldest first
        self.volume = 0  # lots of the trades kept
        self.quote = 0  # lots × ticks of the trades kept
        # (ticks, number) of the trades that may still be the highest (lowest) of a window ending now:
        # prices falling (rising) from the front, so the front is the window's high (low)
        self.highs: deque[tuple[int, int]] = deque()
        self.lows: deque[tuple[int, int]] = deque()
        self.count = 0  # trades ever added (their numbers)

    def add(self, now: int, price: int, lots: int) -> None:
        self._forget(now)
        self.count += 1
        self.trades.append((now, price, lots, self.count))
        self.volume += lots
        self.quote += lots * price
        while self.highs and self.highs[-1][0] <= price:
            self.highs.pop()
        self.highs.append((price, self.count))
        while self.lows and self.lows[-1][0] >= price:
            self.lows.pop()
        self.lows.append((price, self.count))

    def extend(self, trades: list[tuple[int, int, int]]) -> None:
        """(time, ticks, lots) trades, oldest first, all within 24 h of the last: ``add`` for each, in bulk."""
        count = self.count
        highs, lows = self.highs, self.lows
        for t, price, lots in trades:
            count += 1
            self.trades.append((t, price, lots, count))
            while highs and highs[-1][0] <= price:
                highs.pop()
            highs.append((price, count))
            while lows and lows[-1][0] >= price:
                lows.pop()
            lows.append((price, count))
        self.count = count
        self.volume += sum(lots for _t, _p, lots in trades)
        self.quote += sum(lots * price for _t, price, lots in trades)

    def _forget(self, now: int) -> None:
        """Drop the trades of more than 24 h before ``now``."""
        trades = self.trades
        while trades and trades[0][0] <= now - DAY_MS:
            _t, price, lots, number = trades.popleft()
            self.volume -= lots
            self.quote -= lots * price
            if self.highs[0][1] == number:
                self.highs.popleft()
            if self.lows[0][1] == number:
                self.lows.popleft()

    def stats(self, now: int) -> tuple[int, int, int | None, int | None, int | None]:
        """(volume lots, volume lots × ticks, open, high, low) of the trades after ``now`` − 24 h."""
        trades = self.trades
        volume, quote, stale = self.volume, self.quote, 0
        while stale < len(trades) and trades[stale][0] <= now - DAY_MS:  # aged out since the last trade
            volume -= trades[stale][2]
            quote -= trades[stale][2] * trades[stale][1]
            stale += 1
        if stale == len(trades):
            return 0, 0, None, None, None
        first_kept = trades[stale][3]
        high = next(p for p, n in self.highs if n >= first_kept)
        low = next(p for p, n in self.lows if n >= first_kept)
        return volume, quote, trades[stale][1], high, low

    def state(self) -> tuple[object, ...]:
        return list(self.trades), self.volume, self.quote
