"""One market maker: a ladder of post-only orders around the fair price, with an inventory limit,
a skew, heavy-tailed level sizes and a depth that refills at a set rate after it was taken.

Maker 0 is the tightest (two levels a side, ``half_spread_ticks`` from the fair price, requoted
whenever the fair price moves); maker ``m`` ≥ 1 quotes ``levels`` levels from ``1 + 2m`` times the
half-spread out to ``span_bps``, and requotes when the fair price moved ``m × requote_bps``.

Resilience: each side has a capacity in [0, 1]. Lots of the maker's that traded take capacity
away (their share of the side's full ladder); each step gives back ``refill`` of what is
missing. A side below full capacity shows its ladder without its innermost levels (what a sweep
took): right after a large order the book is wider and thinner, and it closes in step by step.
At least the outermost level is always shown, so a side is never left empty.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..engine.commands import CancelAll, Command, PlaceOrder
from ..engine.exchange import Exchange
from ..engine.instruments import Instrument
from ..engine.units import BUY, SELL
from .profile import BookProfile

PARETO_ALPHA = 1.8  # level sizes: Pareto tail (a few levels several times the typical size)
PARETO_MEAN = PARETO_ALPHA / (PARETO_ALPHA - 1)
SIZE_CAP = 4.0  # a level is at most this many times its base size
NEAR_BPS = 10  # "near the touch": within 0.1 % of the fair price
SMALL_USD = 12  # the smallest level notional (keeps clear of the engine's small-order limit of 10 USD)


@dataclass
class SideState:
    capacity: float = 1.0
    placed: int = 0  # lots placed at the last requote
    full: int = 1  # lots the side shows at full capacity (at the last requote)


@dataclass
class QuoteState:
    fair: int = 0
    skew: int = 0
    sides: dict[int, SideState] = field(default_factory=lambda: {BUY: SideState(), SELL: SideState()})
    quoted_capacity: tuple[float, float] = (1.0, 1.0)
    profile: BookProfile | None = None  # what the ladder was made for (a scenario may change it)


@dataclass
class Maker:
    account: str
    rank: int  # 0: the tightest
    makers: int  # how many makers share the profile's depth
    refill: float  # share of the missing depth restored per step
    inventory_usd: float  # position (USD notional) at which the skew is full and the loaded side thins
    requote_bps: float
    quotes: dict[str, QuoteState] = field(default_factory=dict)

    def offsets(self, profile: BookProfile, fair: int, inst: Instrument) -> list[int]:
        """Distances of the levels from the fair price (ticks), innermost first, strictly increasing."""
        hs = profile.half_spread_ticks
        if self.rank == 0:
            return [hs, hs + 1]
        first = hs * (1 + 2 * self.rank)
        span = max(first + profile.levels, round(fair * profile.span_bps / 10_000))
        out: list[int] = []
        for k in range(profile.levels):
            off = first + round((span - first) * (k / (profile.levels - 1)) ** 1.7)
            out.append(max(off, out[-1] + 1) if out else off)
        return out

    def base_usd(self, profile: BookProfile, fair: int, inst: Instrument, offsets: list[int]) -> float:
        """A level's typical notional: the maker's share of ``near_usd`` over its levels within 0.1 %."""
        near = max(1, fair * NEAR_BPS // 10_000)
        weights = [self._growth(k) for k, off in enumerate(offsets) if off <= near]
        # the tightest maker shows half a deep maker's share: the touch is thinner than the levels behind it
        share = profile.near_usd / (self.makers - 0.5) * (0.5 if self.rank == 0 else 1.0)
        if not weights:  # a maker whose ladder starts beyond 0.1 %: as deep as the nearest one
            return share / (2 * PARETO_MEAN)
        return share / (sum(weights) * PARETO_MEAN)

    @staticmethod
    def _growth(k: int) -> float:
        return 1.0 + 0.35 * k  # deeper levels are larger

    def step(self, ex: Exchange, inst: Instrument, profile: BookProfile, fair: int,
             rng: random.Random) -> Iterator[Command]:
        state = self.quotes.get(inst.symbol)
        if state is None:
            state = self.quotes[inst.symbol] = QuoteState()
            changed = True
        else:
            changed = self._account_fills(ex, inst.symbol, state)
        for s in state.sides.values():
            s.capacity = min(1.0, s.capacity + self.refill * (1.0 - s.capacity))
        position = ex.accounts[self.account].lots(inst.symbol)
        limit = max(1, round(self.inventory_usd * 10**8 / max(1, inst.notional_usd8(1, fair))))
        load = max(-1.0, min(1.0, position / limit))
        skew = round(load * max(1, profile.half_spread_ticks * (1 + self.rank)))
        threshold = max(1, round(fair * self.requote_bps * self.rank / 10_000))
        caps = (state.sides[BUY].capacity, state.sides[SELL].capacity)
        regained = max(abs(a - b) for a, b in zip(caps, state.quoted_capacity, strict=True)) >= 0.1
        same = profile == state.profile
        if not changed and not regained and same and abs(fair - state.fair) < threshold and skew == state.skew:
            return
        state.fair, state.skew, state.quoted_capacity, state.profile = fair, skew, caps, profile
        yield CancelAll(self.account, inst.symbol)
        yield from self._ladder(ex, inst, profile, fair - skew, load, state, rng)

    def _account_fills(self, ex: Exchange, symbol: str, state: QuoteState) -> bool:
        """Take away the capacity the maker's traded lots used; True when anything traded."""
        remaining = {BUY: 0, SELL: 0}
        for order in ex.accounts[self.account].orders.values():
            if order.symbol == symbol:
                remaining[order.side] += order.quantity - order.filled
        traded = False
        for side, s in state.sides.items():
            taken = s.placed - remaining[side]
            if taken > 0:
                traded = True
                s.capacity = max(0.0, s.capacity - taken / max(1, s.full))
                s.placed = remaining[side]
        return traded

    def _ladder(self, ex: Exchange, inst: Instrument, profile: BookProfile, center: int, load: float,
                state: QuoteState, rng: random.Random) -> Iterator[Command]:
        offsets = self.offsets(profile, center, inst)
        base = self.base_usd(profile, center, inst, offsets)
        unit = max(1, inst.notional_usd8(1, center))  # usd8 of a lot at the centre
        sizes = []
        for k in range(len(offsets)):
            usd = max(SMALL_USD, base * self._growth(k) * min(SIZE_CAP, rng.paretovariate(PARETO_ALPHA)))
            sizes.append(max(1, round(usd * 10**8 / unit)))
        book = ex.book(inst.symbol)
        for side in (BUY, SELL):
            s = state.sides[side]
            s.full = sum(sizes)
            # the side that adds to a loaded inventory shows less (never nothing)
            adds = (load > 0) if side == BUY else (load < 0)
            scale = max(0.25, 1.0 - abs(load)) if adds else 1.0
            skip = 0  # innermost levels missing after a sweep: (1 - capacity) of the depth, not the last level
            missing = (1.0 - s.capacity) * s.full
            while skip < len(sizes) - 1 and sizes[skip] <= missing:
                missing -= sizes[skip]
                skip += 1
            other = book.opposite(side).best()  # after the CancelAll: nobody's order of this maker
            s.placed = 0
            for k in range(skip, len(offsets)):
                price = center - offsets[k] if side == BUY else center + offsets[k]
                if other is not None:  # post-only must not cross: stay a tick behind the other side
                    price = min(price, other - 1) if side == BUY else max(price, other + 1)
                if price <= 0:
                    continue
                lots = max(1, round(sizes[k] * scale))
                s.placed += lots
                yield PlaceOrder(self.account, inst.symbol, side, "post", lots, limit_price=price)
