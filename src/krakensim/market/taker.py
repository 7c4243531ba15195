"""Taker flow: market orders arriving in clusters, on both sides, with heavy-tailed sizes.

Arrivals per instrument and second are Poisson with an intensity that each arrival raises and
that decays second by second (a discrete Hawkes process): busy moments bunch up, as on a real
venue. ``excitation`` is the branching ratio (arrivals an arrival causes, on average; below 1),
and the base intensity is scaled so that the mean rate stays the profile's ``taker_rate``. A taker tends to follow the previous taker's side (momentum), and its notional is
Pareto above the profile's ``taker_usd`` (most orders small, a few large enough to walk the book).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..engine.commands import Command, PlaceOrder
from ..engine.instruments import Instrument
from ..engine.units import BUY, SELL
from .profile import BookProfile

SIZE_ALPHA = 1.5  # Pareto tail of taker notionals
SIZE_CAP = 200.0  # the largest taker order: this many times taker_usd
MAX_PER_SECOND = 8  # arrivals per instrument and second of the step at most


def poisson(rng: random.Random, lam: float, most: int = MAX_PER_SECOND) -> int:
    """A Poisson draw (Knuth's product of uniforms: intensities here are small)."""
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit and k < most:
        k += 1
        p *= rng.random()
    return k


@dataclass
class TakerFlow:
    account: str
    rate: float = 1.0  # multiplies every profile's taker_rate
    excitation: float = 0.5  # branching ratio: later arrivals one arrival causes, on average
    decay: float = 0.6  # share of the excess intensity left after a step
    momentum: float = 0.6  # chance a taker takes the previous taker's side
    excess: dict[str, float] = field(default_factory=dict)
    last_side: dict[str, int] = field(default_factory=dict)

    def step(self, inst: Instrument, profile: BookProfile, index: int, rng: random.Random,
             dt_s: float = 1.0) -> Iterator[Command]:
        """The arrivals of a step of ``dt_s`` seconds (rates, decay and excitation are per second)."""
        branching = min(0.95, self.excitation)  # at 1 the intensity would grow without bound
        base = profile.taker_rate * self.rate * (1 - branching)
        if base <= 0:
            return
        excess = self.excess.get(inst.symbol, 0.0)  # arrivals per second above the base
        n = poisson(rng, (base + excess) * dt_s, max(MAX_PER_SECOND, math.ceil(MAX_PER_SECOND * dt_s)))
        kept = self.decay ** dt_s
        # each arrival causes ``branching`` later ones in all: excess × dt_s summed over the steps after it
        self.excess[inst.symbol] = excess * kept + n * branching * (1 - kept) / dt_s
        unit = max(1, inst.notional_usd8(1, index))
        run_side, run_lots = BUY, 0
        for _ in range(n):
            side = self.last_side.get(inst.symbol, BUY)
            if rng.random() >= self.momentum:
                side = BUY if rng.random() < 0.5 else SELL
            self.last_side[inst.symbol] = side
            usd = profile.taker_usd * min(SIZE_CAP, rng.paretovariate(SIZE_ALPHA))
            lots = max(1, round(usd * 10**8 / unit))
            if run_lots and (side != run_side or dt_s <= 1):
                yield PlaceOrder(self.account, inst.symbol, run_side, "mkt", run_lots)
                run_lots = 0
            run_side, run_lots = side, run_lots + lots
        if run_lots:  # in a step longer than a second, arrivals on the same side in a row reach the book as one order
            yield PlaceOrder(self.account, inst.symbol, run_side, "mkt", run_lots)
