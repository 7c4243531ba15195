"""A simulated market: index prices from pluggable sources, market makers, takers and an arbitrageur.

Everything it does goes through the same engine commands as users' orders (journaled like
them): a published index is a ``PublishIndex`` command (the engine derives the mark from it and
the book), a maker's ladder is ``CancelAll`` + ``post`` orders, a taker a market order, the
arbitrageur an IOC order. The randomness is seeded, so the same seed and the same clock give the
same prices, books and trades.

Every contract on one underlying (``PF_XBTUSD``, ``PI_XBTUSD``, ``FF_XBTUSD_…``,
``FI_XBTUSD_…``) shares one index. The agents value a contract at a fair price: the index plus
a small premium for perpetuals (so funding is paid, as on a real venue, mostly by longs) and
plus the carry to expiry for fixed maturities. Each step, per instrument: the arbitrageur takes
whatever rests through the fair price (arbitrage.py), each maker requotes if it must
(maker.py), then the takers arrive (taker.py). How deep, wide and busy each book is comes from
its profile (profile.py).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from ..engine.commands import Command, PublishIndex, RunScenario, SetMarketState
from ..engine.exchange import Exchange
from ..engine.instruments import Instrument
from . import scenarios as scenarios_
from .arbitrage import Arbitrageur
from .ladder import Ladder, LadderSettings
from .maker import Maker
from .profile import BookProfile, default_profile
from .sources import YEAR_MS, GBMSource, PriceSource
from .taker import TakerFlow


@dataclass
class MarketConfig:
    makers: int = 3  # market-maker agents (each its own account)
    depth: float = 1.0  # multiplies every instrument's near-the-touch depth
    refill: float = 0.3  # resilience: share of a maker's missing depth restored per step
    inventory_usd: int = 2_000_000  # a maker's position (USD) at which its skew is full and its loaded side thins
    requote_bps: float = 1.0  # maker m >= 1 requotes when the fair price moved 2m times this far (ladder: once)
    taker_rate: float = 1.0  # multiplies every instrument's mean taker arrivals per step
    taker_excitation: float = 0.5  # clustering: the takers' branching ratio (orders one order causes; < 1)
    arbitrage_bps: float = 5.0  # the arbitrageur takes resting orders this far through the fair price
    vol: float = 0.6  # yearly volatility of the default (GBM) source
    premium_bps: float = 1.0  # perpetuals: the agents' fair price over the index
    basis_apr: float = 0.05  # fixed maturities: yearly carry of the fair price over the index
    model: str = "agents"  # or "ladder": the first releases' single maker (ladder.py)
    # model = "ladder" only: its maker's ladder and its takers (ladder.py)
    levels: int = 5
    spread_bps: int = 5
    step_bps: int = 5
    level_usd: int = 20_000
    taker_prob: float = 0.3
    taker_usd: int = 2_000

    def ladder(self) -> LadderSettings:
        return LadderSettings(self.levels, self.spread_bps, self.step_bps, self.level_usd, self.requote_bps,
                              self.taker_prob, self.taker_usd)


LADDER_KEYS = ("levels", "spread_bps", "step_bps", "level_usd", "taker_prob", "taker_usd")


@dataclass
class MarketSim:
    seed: int
    makers: list[str]  # account uids
    taker: str
    arbitrageur: str | None = None
    config: MarketConfig = field(default_factory=MarketConfig)
    # price sources by underlying ("XBT"); an underlying without one gets a GBM
    sources: dict[str, PriceSource] = field(default_factory=dict)
    # by symbol: changes to the default profile ([liquidity.SYMBOL])
    profile_changes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cfg = self.config
        self.rng = random.Random(self.seed)
        self.published: dict[str, int] = {}  # symbol -> index ticks last published
        self.agents = [Maker(a, rank, len(self.makers), cfg.refill, cfg.inventory_usd, 2 * cfg.requote_bps)
                       for rank, a in enumerate(self.makers)]
        self.takers = TakerFlow(self.taker, rate=cfg.taker_rate, excitation=cfg.taker_excitation)
        self.arb = Arbitrageur(self.arbitrageur, cfg.arbitrage_bps) if self.arbitrageur else None
        self.profiles: dict[str, BookProfile] = {}
        self.usual_vol: dict[str, float] = {}  # by underlying: the GBM's volatility outside a scenario
        self.factors: dict[str, float] = {}  # by underlying: the crash/squeeze factor of the last step
        self.resumed: set[str] = set()  # symbols a halt's end has opened again
        self.scenarios_now: list[RunScenario] = []  # the exchange's scenarios, as of the step
        self.ladder = Ladder(self.makers[0], self.taker, cfg.ladder()) if cfg.model == "ladder" else None

    def profile(self, inst: Instrument) -> BookProfile:
        p = self.profiles.get(inst.symbol)
        if p is None:
            p = replace(default_profile(inst), **self.profile_changes.get(inst.symbol, {}))
            p = replace(p, near_usd=p.near_usd * self.config.depth)
            self.profiles[inst.symbol] = p
        return p

    def commands(self, ex: Exchange, dt_ms: int, now: int) -> Iterator[Command]:
        """The commands of the step of ``dt_ms`` ending at ``now``, for every instrument, in a fixed order.

        A generator: each command is applied before the next is made, so the agents see the
        index just published, the mark derived from it and the book as the previous one left it.
        """
        by_underlying: dict[str, list[Instrument]] = {}
        for symbol in sorted(ex.listed, key=lambda s: (not ex.listed[s].perpetual, s)):
            inst = ex.listed[symbol]
            by_underlying.setdefault(inst.base, []).append(inst)
        scenarios = self.scenarios_now = ex.scenarios
        dt_s = dt_ms / 1000  # agents' rates are per second: a longer step does what that many seconds do
        for base in sorted(by_underlying):
            members = by_underlying[base]
            source = self.sources.get(base)
            if source is None:
                source = self.sources[base] = GBMSource(vol=self.config.vol)
            current, moved = self._current(ex, members)
            price = self._price(scenarios, base, source, now, dt_ms, current, moved)
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
                halt = scenarios_.halted(scenarios, inst.symbol, now)
                state = ex.listings.market_state[inst.symbol]
                if halt and state != "suspended":
                    yield SetMarketState(inst.symbol, "suspended")
                elif halt is False and state == "suspended" and inst.symbol not in self.resumed:
                    self.resumed.add(inst.symbol)  # once: a suspension set later by hand stays
                    yield SetMarketState(inst.symbol, "open")
                if ex.listings.market_state[inst.symbol] != "open":
                    continue  # a halted (or post-only, inactive) market: the agents wait
                fair = self.fair(inst, ex.pricing.index[inst.symbol], now)
                if self.ladder is not None:
                    yield from self.ladder.step(ex, inst, fair, self.rng)
                    continue
                profile = scenarios_.profile(scenarios, inst, self.profile(inst), now)
                if self.arb is not None:
                    yield from self.arb.step(ex, inst, profile, fair)
                for maker in reversed(self.agents):  # the deepest first: the tightest quotes inside them
                    yield from maker.step(ex, inst, profile, fair, self.rng, dt_s)
                yield from self.takers.step(inst, profile, ex.pricing.index[inst.symbol], self.rng, dt_s)

    def _price(self, scenarios: list[RunScenario], base: str, source: PriceSource, now: int, dt_ms: int,
               current: float, moved: bool) -> float:
        """The underlying's price this step: the source's, under the scenarios in force (a crash's or a
        squeeze's factor on top of it, a volatility regime, a replayed path)."""
        if isinstance(source, GBMSource):
            usual = self.usual_vol.setdefault(base, source.vol)
            source.vol = usual * scenarios_.vol_factor(scenarios, base, now)
        replayed = scenarios_.replay_price(scenarios, base, now)
        if replayed is not None:
            self.factors[base] = 1.0
            return replayed
        if scenarios_.replay_ended(scenarios, base, now, dt_ms):
            moved = True  # continue from where the replay left the index
        before = self.factors.get(base)
        if before is None:  # a new sim (a restart): the factor of the previous step
            before = scenarios_.price_factor(scenarios, base, now - dt_ms)
        factor = self.factors[base] = scenarios_.price_factor(scenarios, base, now)
        # the source moves the price without the scenarios' factor; the factor goes on top of it
        return source.step(self.rng, now, dt_ms, current / before, moved) * factor

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
            premium = cfg.premium_bps + scenarios_.premium_bps(self.scenarios_now, inst, now)
            return round(index * (1 + premium / 10_000))
        years = max(0, inst.last_trading_ms - now) / YEAR_MS
        return round(index * (1 + cfg.basis_apr * years))
