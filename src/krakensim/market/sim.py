"""A simulated market: seeded index prices, a market maker's ladder and random takers.

Everything it does goes through the same engine commands as users' orders (journaled like
them): a price step is a ``prices`` command, the maker's ladder is ``cancelall`` + ``place``
commands, a taker is a ``place`` of a market order. The randomness is seeded, so the same
seed and the same clock give the same prices, books and trades.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..engine.book import BUY, SELL
from ..engine.exchange import Exchange
from ..engine.instruments import Instrument


@dataclass
class GBM:
    """Geometric Brownian motion with occasional jumps; prices in ticks."""

    price: float
    drift: float = 0.0  # per year
    vol: float = 0.6  # per year
    jump_prob: float = 0.001  # per step
    jump_size: float = 0.02  # relative standard deviation of a jump

    def step(self, rng: random.Random, dt_years: float) -> float:
        z = rng.gauss(0.0, 1.0)
        self.price *= math.exp((self.drift - self.vol**2 / 2) * dt_years + self.vol * math.sqrt(dt_years) * z)
        if rng.random() < self.jump_prob:
            self.price *= math.exp(rng.gauss(0.0, self.jump_size))
        return self.price


@dataclass
class MarketConfig:
    levels: int = 5  # ladder levels per side
    spread_bps: int = 5  # half-spread of the first level, basis points of the mark
    step_bps: int = 5  # distance between levels
    level_usd: int = 20_000  # notional per level
    taker_prob: float = 0.3  # chance of a taker order per instrument and step
    taker_usd: int = 2_000  # notional of a taker order
    vol: float = 0.6


@dataclass
class MarketSim:
    seed: int
    maker: str  # account uids
    taker: str
    config: MarketConfig = field(default_factory=MarketConfig)
    processes: dict[str, GBM] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def commands(self, ex: Exchange, dt_ms: int) -> Iterator[dict[str, Any]]:
        """The commands of one step of ``dt_ms`` for every instrument, in a fixed order."""
        cfg = self.config
        for symbol in sorted(ex.instruments):
            inst = ex.instruments[symbol]
            proc = self.processes.get(symbol)
            if proc is None:
                proc = self.processes[symbol] = GBM(float(ex.index[symbol]), vol=cfg.vol)
            index = max(1, round(proc.step(self.rng, dt_ms / 31_536_000_000)))
            yield {"c": "prices", "s": symbol, "mark": index, "index": index}
            yield {"c": "cancelall", "a": self.maker, "s": symbol}
            yield from self._ladder(inst, index)
            if self.rng.random() < cfg.taker_prob:
                lots = self._lots(inst, cfg.taker_usd, index)
                side = BUY if self.rng.random() < 0.5 else SELL
                yield {"c": "place", "a": self.taker, "s": symbol, "d": side, "t": "mkt", "q": lots}

    def _lots(self, inst: Instrument, usd: int, ticks: int) -> int:
        usd8_per_lot = inst.notional_usd8(1, ticks)
        return max(1, usd * 100_000_000 // usd8_per_lot)

    def _ladder(self, inst: Instrument, mark: int) -> Iterator[dict[str, Any]]:
        cfg = self.config
        for level in range(cfg.levels):
            offset = max(1, mark * (cfg.spread_bps + level * cfg.step_bps) // 10_000)
            lots = self._lots(inst, cfg.level_usd, mark)
            for side, price in ((BUY, mark - offset), (SELL, mark + offset)):
                if price > 0:
                    yield {"c": "place", "a": self.maker, "s": inst.symbol, "d": side, "t": "post", "q": lots,
                           "p": price}
