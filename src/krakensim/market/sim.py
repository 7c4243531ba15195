"""A simulated market: index prices from pluggable sources, market makers' ladders and takers.

Everything it does goes through the same engine commands as users' orders (journaled like
them): a published index is a ``PublishIndex`` command (the engine derives the mark from it and
the book), the maker's ladder is ``CancelAll`` + ``post`` orders, a taker is a market order.
The randomness is seeded, so the same seed and the same clock give the same prices, books
and trades.

Every contract on one underlying (``PF_XBTUSD``, ``PI_XBTUSD``, ``FF_XBTUSD_…``,
``FI_XBTUSD_…``) shares one index. The maker quotes around a fair price: the index plus a
small premium for perpetuals (so funding is paid, as on a real venue, mostly by longs) and
plus the carry to expiry for fixed maturities.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..engine.commands import CancelAll, Command, PlaceOrder, PublishIndex
from ..engine.exchange import Exchange
from ..engine.instruments import Instrument
from ..engine.units import BUY, SELL
from .sources import YEAR_MS, GBMSource, PriceSource


@dataclass
class MarketConfig:
    levels: int = 5  # ladder levels per side
    spread_bps: int = 5  # half-spread of the first level, basis points of the fair price
    step_bps: int = 5  # distance between levels
    level_usd: int = 20_000  # notional per level
    requote_bps: float = 1.0  # the maker requotes when the fair price moved this far (or a level traded)
    taker_prob: float = 0.3  # chance of a taker order per instrument and step
    taker_usd: int = 2_000  # notional of a taker order
    vol: float = 0.6  # yearly volatility of the default (GBM) source
    premium_bps: float = 1.0  # perpetuals: the maker's fair price over the index
    basis_apr: float = 0.05  # fixed maturities: yearly carry of the fair price over the index


@dataclass
class MarketSim:
    seed: int
    maker: str  # account uids
    taker: str
    config: MarketConfig = field(default_factory=MarketConfig)
    # price sources by underlying ("XBT"); an underlying without one gets a GBM
    sources: dict[str, PriceSource] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.published: dict[str, int] = {}  # symbol -> index ticks last published
        self.quoted: dict[str, int] = {}  # symbol -> fair price (ticks) of the maker's ladder

    def commands(self, ex: Exchange, dt_ms: int, now: int) -> Iterator[Command]:
        """The commands of the step of ``dt_ms`` ending at ``now``, for every instrument, in a fixed order.

        A generator: each command is applied before the next is made, so the ladder sees the
        index just published and the mark derived from it.
        """
        by_underlying: dict[str, list[Instrument]] = {}
        for symbol in sorted(ex.listed, key=lambda s: (not ex.listed[s].perpetual, s)):
            inst = ex.listed[symbol]
            by_underlying.setdefault(inst.base, []).append(inst)
        for base in sorted(by_underlying):
            members = by_underlying[base]
            source = self.sources.get(base)
            if source is None:
                source = self.sources[base] = GBMSource(vol=self.config.vol)
            current, moved = self._current(ex, members)
            price = source.step(self.rng, now, dt_ms, current, moved)
            for inst in members:
                if inst.symbol not in ex.listed:  # expired during this step
                    continue
                index = max(1, round(price * inst.tick_den / inst.tick_num))
                self.published[inst.symbol] = index
                yield PublishIndex(inst.symbol, index)
        for base in sorted(by_underlying):
            for inst in by_underlying[base]:
                if inst.symbol not in ex.listed:
                    continue
                yield from self._quote(ex, inst, now)
                if self.rng.random() < self.config.taker_prob:
                    index = ex.pricing.index[inst.symbol]
                    lots = self._lots(inst, self.config.taker_usd, index)
                    side = BUY if self.rng.random() < 0.5 else SELL
                    yield PlaceOrder(self.taker, inst.symbol, side, "mkt", lots)

    def _current(self, ex: Exchange, members: list[Instrument]) -> tuple[float, bool]:
        """The underlying's index now, and whether it was moved from outside since the last step
        (the first contract whose index is not what the market published wins)."""
        for inst in members:
            ticks = ex.pricing.index[inst.symbol]
            if inst.symbol in self.published and self.published[inst.symbol] != ticks:
                return ticks * inst.tick_num / inst.tick_den, True
        inst = members[0]
        return ex.pricing.index[inst.symbol] * inst.tick_num / inst.tick_den, False

    def fair(self, inst: Instrument, index: int, now: int) -> int:
        cfg = self.config
        if inst.last_trading_ms is None:
            return round(index * (1 + cfg.premium_bps / 10_000))
        years = max(0, inst.last_trading_ms - now) / YEAR_MS
        return round(index * (1 + cfg.basis_apr * years))

    def _quote(self, ex: Exchange, inst: Instrument, now: int) -> Iterator[Command]:
        cfg = self.config
        fair = self.fair(inst, ex.pricing.index[inst.symbol], now)
        quoted = self.quoted.get(inst.symbol)
        if quoted is not None and abs(fair - quoted) * 10_000 < cfg.requote_bps * quoted:
            resting = [o for o in ex.accounts[self.maker].orders.values() if o.symbol == inst.symbol]
            if len(resting) == 2 * cfg.levels and not any(o.filled for o in resting):
                return  # the ladder is whole and still around the fair price
        self.quoted[inst.symbol] = fair
        yield CancelAll(self.maker, inst.symbol)
        yield from self._ladder(inst, fair)

    def _lots(self, inst: Instrument, usd: int, ticks: int) -> int:
        usd8_per_lot = inst.notional_usd8(1, ticks)
        return max(1, usd * 100_000_000 // usd8_per_lot)

    def _ladder(self, inst: Instrument, fair: int) -> Iterator[Command]:
        cfg = self.config
        lots = self._lots(inst, cfg.level_usd, fair)
        for level in range(cfg.levels):
            offset = max(1 + level, fair * (cfg.spread_bps + level * cfg.step_bps) // 10_000)
            for side, price in ((BUY, fair - offset), (SELL, fair + offset)):
                if price > 0:
                    yield PlaceOrder(self.maker, inst.symbol, side, "post", lots, limit_price=price)
