"""One market's trades of the last 24 hours, with their statistics kept as they come.

A ticker reads the 24 h volume, quote volume (lots × ticks), open, high and low at any moment;
kept here incrementally (running sums, and the highest and lowest prices in monotonic queues)
so that a read costs O(1), plus the trades that aged out of the window since the last one
(they leave when the next trade comes: a read never changes anything).
"""

from __future__ import annotations

from collections import deque

from .units import DAY_MS


class Tape:
    __slots__ = ("trades", "volume", "quote", "highs", "lows", "count")

    def __init__(self) -> None:
        self.trades: deque[tuple[int, int, int, int]] = deque()  # (time, ticks, lots, number), oldest first
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
