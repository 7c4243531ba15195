"""Funding rates of the perpetuals: one each hour, from the premium of the mark over the index.

A relative rate is an integer of 1e-12 (per hour); the absolute rate (what Kraken's tickers
call ``fundingRate``) is relative × mark for linear contracts, relative ÷ mark for inverse ones,
made at the edge.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from .events import Event, FundingRatePublished
from .instruments import Instrument
from .pricing import Pricing
from .units import HOUR_MS

FUNDING_PERIOD_MS = HOUR_MS  # perpetuals publish a funding rate every hour
RATE_SCALE = 10**12  # relative funding rates are integers of 1e-12


class Funding:
    __slots__ = ("rates", "next_time", "instruments", "pricing", "emit", "kept")

    def __init__(self, instruments: dict[str, Instrument], pricing: Pricing, emit: Callable[[Event], None],
                 kept: int) -> None:
        self.kept = kept  # rates kept per perpetual
        # (period start, relative rate, mark ticks when published) per perpetual, oldest first
        self.rates: dict[str, deque[tuple[int, int, int]]] = {}
        self.next_time: int | None = None  # the next hour boundary, once the venue has opened
        self.instruments = instruments
        self.pricing = pricing
        self.emit = emit

    def add(self, inst: Instrument) -> None:
        if inst.perpetual:
            self.rates[inst.symbol] = deque(maxlen=self.kept)

    def start(self, now: int) -> int:
        self.next_time = now - now % FUNDING_PERIOD_MS + FUNDING_PERIOD_MS
        return self.next_time

    def relative_rate(self, symbol: str) -> int:
        """The rate the premium of mark over index gives now, in 1e-12 (clamped to the maximum)."""
        inst = self.instruments[symbol]
        mark, index = self.pricing.marks[symbol], self.pricing.index[symbol]
        num = (mark - index) * RATE_SCALE
        den = index * inst.funding_rate_coefficient
        rate = num // den if num >= 0 else -((-num) // den)
        cap = int(inst.max_relative_funding_rate * RATE_SCALE)
        return max(-cap, min(cap, rate))

    def publish_due(self, now: int) -> None:
        """Publish a rate for every hour boundary reached, each dated at the start of its period."""
        assert self.next_time is not None
        marks = self.pricing.marks
        while self.next_time <= now:
            for symbol, rates in self.rates.items():
                rate = self.relative_rate(symbol)
                rates.append((self.next_time, rate, marks[symbol]))
                self.emit(FundingRatePublished(self.next_time, symbol, rate, marks[symbol]))
            self.next_time += FUNDING_PERIOD_MS

    def last(self, symbol: str) -> tuple[int, int, int] | None:
        rates = self.rates.get(symbol)
        return rates[-1] if rates else None

    def state(self) -> tuple[object, ...]:
        return self.next_time, sorted((k, list(v)) for k, v in self.rates.items())
