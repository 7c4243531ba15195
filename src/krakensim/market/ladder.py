"""The first releases' market (``model = "ladder"``): one maker's fixed ladder and fixed-size takers.

Kept so that configuration files written for it mean what they meant: ``levels`` levels a side
of ``level_usd`` each, the first ``spread_bps`` from the fair price and ``step_bps`` apart,
requoted when the fair price moved ``requote_bps`` (or a level traded); a taker market order of
``taker_usd`` with probability ``taker_prob`` per instrument and step.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..engine.commands import CancelAll, Command, PlaceOrder
from ..engine.exchange import Exchange
from ..engine.instruments import Instrument
from ..engine.units import BUY, SELL


@dataclass
class LadderSettings:
    levels: int = 5
    spread_bps: int = 5
    step_bps: int = 5
    level_usd: int = 20_000
    requote_bps: float = 1.0
    taker_prob: float = 0.3
    taker_usd: int = 2_000


def lots_for(inst: Instrument, usd: int, ticks: int) -> int:
    return max(1, usd * 100_000_000 // inst.notional_usd8(1, ticks))


@dataclass
class Ladder:
    maker: str
    taker: str
    cfg: LadderSettings
    quoted: dict[str, int] = field(default_factory=dict)  # symbol -> fair price (ticks) of the ladder

    def step(self, ex: Exchange, inst: Instrument, fair: int, rng: random.Random) -> Iterator[Command]:
        yield from self._quote(ex, inst, fair)
        if rng.random() < self.cfg.taker_prob:
            lots = lots_for(inst, self.cfg.taker_usd, ex.pricing.index[inst.symbol])
            side = BUY if rng.random() < 0.5 else SELL
            yield PlaceOrder(self.taker, inst.symbol, side, "mkt", lots)

    def _quote(self, ex: Exchange, inst: Instrument, fair: int) -> Iterator[Command]:
        cfg = self.cfg
        quoted = self.quoted.get(inst.symbol)
        if quoted is not None and abs(fair - quoted) * 10_000 < cfg.requote_bps * quoted:
            resting = [o for o in ex.accounts[self.maker].orders.values() if o.symbol == inst.symbol]
            if len(resting) == 2 * cfg.levels and not any(o.filled for o in resting):
                return  # the ladder is whole and still around the fair price
        self.quoted[inst.symbol] = fair
        yield CancelAll(self.maker, inst.symbol)
        lots = lots_for(inst, cfg.level_usd, fair)
        for level in range(cfg.levels):
            offset = max(1 + level, fair * (cfg.spread_bps + level * cfg.step_bps) // 10_000)
            for side, price in ((BUY, fair - offset), (SELL, fair + offset)):
                if price > 0:
                    yield PlaceOrder(self.maker, inst.symbol, side, "post", lots, limit_price=price)
