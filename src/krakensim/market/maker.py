"""One market maker: a ladder of post-only orders around the fair price, with an inventory limit,
a skew, heavy-tailed level sizes and a depth that refills at a set rate after it was taken.

Maker 0 is the tightest (two levels a side, ``half_spread_ticks`` from the fair price, requoted
whenever the fair price moves half a half-spread); maker ``m`` ≥ 1 quotes ``levels`` levels from
``1 + 2m`` times the half-spread out to ``span_bps``, and requotes when the fair price moved
``m × requote_bps``. A requote is one ``Requote`` command holding only what changed: an untouched
order near its level stays (and keeps its time priority), the others are edited onto the levels
left over, and only what is still missing is placed.

Resilience: each side has a capacity in [0, 1]. Lots of the maker's that traded take capacity
away (their share of the side's full ladder); each second gives back ``refill`` of what is
missing. A side below full capacity shows its ladder without its innermost levels (what a sweep
took): right after a large order the book is wider and thinner, and it closes in step by step.
At least the outermost level is always shown, so a side is never left empty.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..engine.book import BookSide
from ..engine.commands import CancelAll, Command, Requote
from ..engine.exchange import Exchange
from ..engine.instruments import Instrument
from ..engine.orders import Order
from ..engine.units import BUY, SELL
from .profile import BookProfile

PARETO_ALPHA = 1.8  # level sizes: Pareto tail (a few levels several times the typical size)
PARETO_MEAN = PARETO_ALPHA / (PARETO_ALPHA - 1)
SIZE_CAP = 4.0  # a level is at most this many times its base size
NEAR_BPS = 10  # "near the touch": within 0.1 % of the fair price
TOLERANCE_SHARE = 2  # a deep maker's order stands for a level within half the gap to the level inside it
SMALL_USD = 12  # the smallest level notional (keeps clear of the engine's small-order limit of 10 USD)


Level = tuple[int, int, int, int]  # (side, price, lots, tolerance): ticks either way an order may stand for it
# a requote: the order ids to cancel, the orders to move (id, lots, price), the orders to place (side, lots, price)
Changes = tuple[list[str], list[tuple[str, int, int]], list[tuple[int, int, int]]]


@functools.cache
def _spacing(levels: int) -> tuple[float, ...]:
    """Where a deep maker's levels sit between its first and its last: (k / (levels − 1)) ** 1.7."""
    return tuple((k / (levels - 1)) ** 1.7 for k in range(levels))


def _price(order: Order) -> int:
    return order.price


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
    orders: dict[str, None] = field(default_factory=dict)  # the ids of its open orders (an ordered set)


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
        for share in _spacing(profile.levels):
            off = first + round((span - first) * share)
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
             rng: random.Random, dt_s: float = 1.0) -> Iterator[Command]:
        """Requote the book of ``inst`` if it must, for a step of ``dt_s`` seconds (the refill scales with it)."""
        state = self.quotes.get(inst.symbol)
        fresh = state is None
        if state is None:
            state = self.quotes[inst.symbol] = QuoteState()
        mine = self._open(ex, state)
        changed = fresh or self._account_fills(state, mine)
        refill = 1.0 - (1.0 - self.refill) ** dt_s  # the same recovery per second whatever the step
        for s in state.sides.values():
            s.capacity = min(1.0, s.capacity + refill * (1.0 - s.capacity))
        position = ex.accounts[self.account].lots(inst.symbol)
        limit = max(1, round(self.inventory_usd * 10**8 / max(1, inst.notional_usd8(1, fair))))
        load = max(-1.0, min(1.0, position / limit))
        skew = round(load * max(1, profile.half_spread_ticks * (1 + self.rank)))
        # the tightest maker follows every move of at least half its half-spread (every tick where it is one)
        threshold = max(1, round(fair * self.requote_bps * self.rank / 10_000), profile.half_spread_ticks // 2)
        caps = (state.sides[BUY].capacity, state.sides[SELL].capacity)
        regained = max(abs(a - b) for a, b in zip(caps, state.quoted_capacity, strict=True)) >= 0.1
        same = profile == state.profile
        if not changed and not regained and same and abs(fair - state.fair) < threshold and skew == state.skew:
            return
        state.fair, state.skew, state.quoted_capacity, state.profile = fair, skew, caps, profile
        if fresh:  # a new agent (a start, a restart): whatever this account left in the book goes
            yield CancelAll(self.account, inst.symbol)
        target = self._ladder(ex, inst, profile, fair - skew, load, state, mine, rng)
        cancel, move, place = self._changes(state, target, mine, keep=same)
        if not cancel and not move and not place:
            return
        yield Requote(self.account, inst.symbol, cancel=tuple(cancel), place=tuple(place), move=tuple(move))
        self._remember(ex, inst.symbol, state, len(place))

    def _open(self, ex: Exchange, state: QuoteState) -> dict[int, list[Order]]:
        """The maker's open orders in this book by side, by price (those gone are forgotten)."""
        orders = ex.accounts[self.account].orders
        mine: dict[int, list[Order]] = {BUY: [], SELL: []}
        for order_id in list(state.orders):
            order = orders.get(order_id)
            if order is None:  # filled (or cancelled from outside)
                del state.orders[order_id]
            else:
                mine[order.side].append(order)
        for side_orders in mine.values():
            side_orders.sort(key=_price)
        return mine

    @staticmethod
    def _account_fills(state: QuoteState, mine: dict[int, list[Order]]) -> bool:
        """Take away the capacity the maker's traded lots used; True when anything traded."""
        traded = False
        for side, s in state.sides.items():
            remaining = sum(o.quantity - o.filled for o in mine[side])
            taken = s.placed - remaining
            if taken > 0:
                traded = True
                s.capacity = max(0.0, s.capacity - taken / max(1, s.full))
                s.placed = remaining
        return traded

    @staticmethod
    def _changes(state: QuoteState, target: list[Level], mine: dict[int, list[Order]], keep: bool = True) -> Changes:
        """What to cancel, move and place so that the book shows ``target``.

        An order of the maker's within a level's tolerance of it stands for it if nothing of it traded (a
        level a trade touched is shown whole again: keeping what is left of it let the depth near the
        touch thin by half) and it is at most twice what the level should show (a drought or a loaded
        inventory shrinks the level). The other orders are moved to the levels left over, innermost
        first, and what is left of either is cancelled or placed. Only what changed is sent, as a
        maker's edits do. ``keep`` False (the profile changed): no order stands for a level."""
        prices = {side: [o.price for o in orders] for side, orders in mine.items()}
        wanted: dict[int, list[tuple[int, int]]] = {BUY: [], SELL: []}
        kept: set[str] = set()
        shown = {BUY: 0, SELL: 0}
        for side, price, lots, tolerance in target:
            orders = mine[side]
            match = None
            i = bisect.bisect_left(prices[side], price - tolerance)
            while keep and i < len(orders) and orders[i].price <= price + tolerance:  # (by price: the nearest few)
                order = orders[i]
                if not order.filled and order.order_id not in kept and order.quantity <= 2 * lots:
                    match = order
                    break
                i += 1
            if match is not None:
                kept.add(match.order_id)
                shown[side] += match.quantity
            else:
                wanted[side].append((price, lots))
                shown[side] += lots
        cancel: list[str] = []
        move: list[tuple[str, int, int]] = []
        place: list[tuple[int, int, int]] = []
        # moves away from the other side go first: a bid raised before the asks above it were would cross them
        away: list[tuple[str, int, int]] = []
        for side in (BUY, SELL):
            spare = [o for o in mine[side] if o.order_id not in kept]  # (by price)
            if side == BUY:
                spare.reverse()  # innermost first, as the levels are: the highest bid, the lowest ask
            for order, (price, lots) in zip(spare, wanted[side], strict=False):
                (away if side * (price - order.price) < 0 else move).append((order.order_id, lots, price))
            cancel.extend(o.order_id for o in spare[len(wanted[side]):])
            place.extend((side, lots, price) for price, lots in wanted[side][len(spare):])
        for side, s in state.sides.items():
            s.placed = shown[side]
        return cancel, away + move, place

    def _remember(self, ex: Exchange, symbol: str, state: QuoteState, placed: int) -> None:
        """After the requote was applied: its orders that rest are the account's newest (in the order placed)."""
        for order in itertools.islice(reversed(ex.accounts[self.account].orders.values()), placed):
            if order.symbol != symbol or order.order_id in state.orders:
                break
            state.orders[order.order_id] = None

    def _ladder(self, ex: Exchange, inst: Instrument, profile: BookProfile, center: int, load: float,
                state: QuoteState, mine: dict[int, list[Order]], rng: random.Random) -> list[Level]:
        """The ladder to show: (side, price, lots, tolerance) by side, innermost first. A deeper maker's
        order within half the distance between a level and the level inside it still stands for that
        level (its tolerance), so that a small move of the fair price leaves the outer levels where they
        are; the tightest maker's levels have none."""
        offsets = self.offsets(profile, center, inst)
        gaps = [b - a for a, b in itertools.pairwise(offsets)]
        tolerances = [g // TOLERANCE_SHARE for g in gaps[:1] + gaps] if self.rank else [0] * len(offsets)
        base = self.base_usd(profile, center, inst, offsets)
        unit = max(1, inst.notional_usd8(1, center))  # usd8 of a lot at the centre
        sizes = []
        for k in range(len(offsets)):
            usd = max(SMALL_USD, base * self._growth(k) * min(SIZE_CAP, rng.paretovariate(PARETO_ALPHA)))
            sizes.append(max(1, round(usd * 10**8 / unit)))
        book = ex.book(inst.symbol)
        own: dict[tuple[int, int], int] = {}  # the maker's open lots by (side, price)
        for side_orders in mine.values():
            for order in side_orders:
                key = (order.side, order.price)
                own[key] = own.get(key, 0) + order.quantity - order.filled
        target: list[Level] = []
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
            other = self._others_best(book.opposite(side), -side, own)  # post-only must not cross it
            last = None
            for k in range(skip, len(offsets)):
                price = center - offsets[k] if side == BUY else center + offsets[k]
                if other is not None:  # stay a tick behind the other side
                    price = min(price, other - 1) if side == BUY else max(price, other + 1)
                if price <= 0:
                    continue
                lots = max(1, round(sizes[k] * scale))
                if last is not None and last[1] == price:  # levels pushed behind the other side: one order
                    last = target[-1] = (side, price, last[2] + lots, 0)
                    continue
                last = (side, price, lots, tolerances[k])
                target.append(last)
        return target

    @staticmethod
    def _others_best(side: BookSide, which: int, own: dict[tuple[int, int], int]) -> int | None:
        """The best price of ``side`` (whose orders are on ``which``) with somebody else's order at it."""
        for price in side.prices():
            if side.sizes[price] > own.get((which, price), 0):
                return price
        return None
