"""One series of one-minute candles: open, high, low, close (ticks) and volume (lots) per minute
that saw a price, oldest first.

Kept in parallel arrays of 64-bit integers (48 bytes a candle instead of a few hundred for a
dict of lists): a venue keeps two weeks of them for every market and three kinds of price.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator
from hashlib import sha256

TRIM_CHUNK = 1440  # candles dropped at once when the series is over its cap (a day's: amortised O(1))


class CandleSeries:
    __slots__ = ("minutes", "opens", "highs", "lows", "closes", "volumes", "cap")

    def __init__(self, cap: int) -> None:
        self.cap = cap  # candles kept (the oldest go first)
        self.minutes = array("q")  # the minute each candle starts at (epoch ms), increasing
        self.opens = array("q")
        self.highs = array("q")
        self.lows = array("q")
        self.closes = array("q")
        self.volumes = array("q")

    def __len__(self) -> int:
        return len(self.minutes)

    def add(self, minute: int, price: int, lots: int) -> None:
        """A price (and traded lots) seen in ``minute``."""
        minutes = self.minutes
        i = len(minutes) - 1
        if i < 0 or minutes[i] < minute:  # a new minute (the usual case: times only move forward)
            minutes.append(minute)
            self.opens.append(price)
            self.highs.append(price)
            self.lows.append(price)
            self.closes.append(price)
            self.volumes.append(lots)
            if len(minutes) > self.cap + TRIM_CHUNK:
                self._trim(len(minutes) - self.cap)
            return
        if minutes[i] != minute:  # an earlier minute: find it, or make it in its place
            i = bisect_left(minutes, minute)
            if minutes[i] != minute:
                for column, value in zip(self._columns(), (minute, price, price, price, price, lots), strict=True):
                    column.insert(i, value)
                return
        if price > self.highs[i]:
            self.highs[i] = price
        if price < self.lows[i]:
            self.lows[i] = price
        self.closes[i] = price
        self.volumes[i] += lots

    def _columns(self) -> tuple[array[int], ...]:
        return self.minutes, self.opens, self.highs, self.lows, self.closes, self.volumes

    def _trim(self, n: int) -> None:
        for column in self._columns():
            del column[:n]

    def kept(self) -> int:
        """How many candles a reader sees (the cap; the chunk beyond it is on its way out)."""
        return min(len(self.minutes), self.cap)

    def first_kept(self) -> int:
        return len(self.minutes) - self.kept()

    def close_before(self, minute: int) -> int | None:
        """The close of the last candle before ``minute`` (None: none kept)."""
        i = bisect_left(self.minutes, minute, lo=self.first_kept()) - 1
        return self.closes[i] if i >= self.first_kept() else None

    def close_at(self, minute: int) -> int | None:
        i = bisect_left(self.minutes, minute, lo=self.first_kept())
        return self.closes[i] if i < len(self.minutes) and self.minutes[i] == minute else None

    def between(self, start: int, end: int) -> Iterator[tuple[int, int, int, int, int, int]]:
        """(minute, open, high, low, close, volume) of the candles with start <= minute <= end."""
        minutes = self.minutes
        i = bisect_left(minutes, start, lo=self.first_kept())
        while i < len(minutes) and minutes[i] <= end:
            yield minutes[i], self.opens[i], self.highs[i], self.lows[i], self.closes[i], self.volumes[i]
            i += 1

    def fingerprint(self) -> bytes:
        """The kept candles, as a digest (cheap to compare where ``rows`` would build a list)."""
        h = sha256()
        first = self.first_kept()
        for column in self._columns():
            h.update(column[first:].tobytes())
        return h.digest()

    def rows(self) -> list[tuple[int, int, int, int, int, int]]:
        return list(self.between(-(1 << 62), 1 << 62))
