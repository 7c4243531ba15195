"""Price sources: where an underlying's index comes from.

A source is asked, once per market step, for the underlying's index price in its quote
currency. ``current`` is the index the exchange holds now (it may have been set through the
control API since the last step, then ``moved`` is true): the fixed source keeps it, the
stochastic one continues from it when it was moved (or at the first step), the replay ignores it.
"""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Protocol

YEAR_MS = 31_536_000_000


class PriceSource(Protocol):
    def step(self, rng: random.Random, now: int, dt_ms: int, current: float, moved: bool) -> float: ...


@dataclass
class GBMSource:
    """Geometric Brownian motion with occasional jumps (yearly drift and volatility)."""

    drift: float = 0.0
    vol: float = 0.6
    jump_prob: float = 0.001  # per step
    jump_size: float = 0.02  # relative standard deviation of a jump
    value: float | None = None

    def step(self, rng: random.Random, now: int, dt_ms: int, current: float, moved: bool = False) -> float:
        # continue from the exchange's index when it was moved from outside (control API);
        # otherwise from its own unrounded value, so a coarse tick grid does not freeze it
        if self.value is None or moved:
            self.value = current
        dt = dt_ms / YEAR_MS
        z = rng.gauss(0.0, 1.0)
        self.value *= math.exp((self.drift - self.vol**2 / 2) * dt + self.vol * math.sqrt(dt) * z)
        if rng.random() < self.jump_prob:
            self.value *= math.exp(rng.gauss(0.0, self.jump_size))
        return self.value


@dataclass
class FixedSource:
    """The index stays where it is: at the starting price, or wherever the control API puts it."""

    def step(self, rng: random.Random, now: int, dt_ms: int, current: float, moved: bool = False) -> float:
        return current


@dataclass
class ReplaySource:
    """Replays a price file: (milliseconds since the file's first row, price) rows, in order.

    The file's first row is played at the market's first step; each step takes the last row
    at or before the time elapsed since. With ``loop`` the file starts over when it ends,
    otherwise its last price stays.
    """

    rows: list[tuple[int, float]]
    loop: bool = True
    start: int | None = None
    _i: int = field(default=0, repr=False)
    _lap: int = field(default=0, repr=False)

    def step(self, rng: random.Random, now: int, dt_ms: int, current: float, moved: bool = False) -> float:
        if self.start is None:
            self.start = now
        elapsed = now - self.start
        span = self.rows[-1][0] + max(1, self.rows[-1][0] // max(1, len(self.rows) - 1))
        if self.loop:
            lap, elapsed = divmod(elapsed, span)
            if lap != self._lap:
                self._lap, self._i = lap, 0
        while self._i + 1 < len(self.rows) and self.rows[self._i + 1][0] <= elapsed:
            self._i += 1
        return self.rows[self._i][1]


class PriceFileError(ValueError):
    pass


def _timestamp_ms(text: str) -> int:
    """Epoch seconds or milliseconds, or an ISO 8601 time (UTC when no offset is given)."""
    text = text.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        from datetime import UTC, datetime

        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as e:
            raise PriceFileError(f"not a timestamp: {text!r}") from e
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return int(dt.timestamp() * 1000)
    if not value.is_finite() or not 0 <= value < 10**15:
        raise PriceFileError(f"not a timestamp: {text!r}")
    # below 1e11 it is seconds (1e11 s is the year 5138; 1e11 ms is 1973)
    return int(value * 1000) if value < 100_000_000_000 else int(value)


def load_price_file(path: str | Path) -> list[tuple[int, float]]:
    """Read a CSV of ``timestamp,price`` rows (a header line is allowed) into replay rows."""
    try:
        return _read_price_file(path)
    except (UnicodeDecodeError, csv.Error) as e:
        raise PriceFileError(f"{path}: not a CSV text file ({e})") from e


def _read_price_file(path: str | Path) -> list[tuple[int, float]]:
    rows: list[tuple[int, float]] = []
    header = True  # the first line that is not a comment may be a header
    with open(path, newline="", encoding="utf-8") as f:
        for n, rec in enumerate(csv.reader(f), 1):
            if not rec or rec[0].strip().startswith("#"):
                continue
            if len(rec) < 2:
                raise PriceFileError(f"{path}:{n}: expected timestamp,price")
            try:
                ts = _timestamp_ms(rec[0])
                price = float(Decimal(rec[1].strip()))
            except (PriceFileError, InvalidOperation) as e:
                if header:
                    header = False
                    continue
                raise PriceFileError(f"{path}:{n}: {e}") from e
            header = False
            if not math.isfinite(price) or price <= 0:
                raise PriceFileError(f"{path}:{n}: the price must be positive")
            if rows and ts < rows[-1][0]:
                raise PriceFileError(f"{path}:{n}: timestamps must not go backwards")
            rows.append((ts, price))
    if not rows:
        raise PriceFileError(f"{path}: no prices")
    t0 = rows[0][0]
    return [(ts - t0, p) for ts, p in rows]
