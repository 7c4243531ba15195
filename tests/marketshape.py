"""The simulated market's shape, measured: spread, depth near the touch, a sweep's impact and the
book's recovery. Shared by tests/unit/test_market_agents.py (which asserts on it) and
bench/market_shape.py (which prints it into docs/market.md)."""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass, field

from krakensim.engine.commands import CreateAccount, PlaceOrder
from krakensim.engine.events import OrderFilled
from krakensim.engine.exchange import Exchange
from krakensim.engine.units import BUY, SELL
from krakensim.market.sim import MarketConfig, MarketSim
from krakensim.runtime.clock import ManualClock
from krakensim.runtime.core import Runtime
from krakensim.serve.market import attach_to_manual_clock, make_sim

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
NEAR = 0.001  # "near the touch": within 0.1 % of the mid


def market(seed: int = 1, config: MarketConfig | None = None) -> tuple[Runtime, MarketSim]:
    rt = Runtime(seed=1, clock=ManualClock(T0))
    sim = make_sim(rt, seed, config)
    attach_to_manual_clock(rt, sim)
    return rt, sim


def steps(rt: Runtime, n: int) -> None:
    asyncio.run(rt.advance(n * 1000))


def mid(ex: Exchange, symbol: str) -> float | None:
    book = ex.book(symbol)
    b, a = book.bids.best(), book.asks.best()
    return None if b is None or a is None else (a + b) / 2


def near_lots(ex: Exchange, symbol: str, side: int) -> int:
    """Lots resting on ``side`` within 0.1 % of the mid (0 when a side is empty)."""
    m = mid(ex, symbol)
    if m is None:
        return 0
    book = ex.book(symbol).side(side)
    return sum(lots for price, lots in book.depth() if abs(price - m) <= m * NEAR)


@dataclass
class Shape:
    symbol: str
    spread_ticks: list[int] = field(default_factory=list)
    near_bid: list[float] = field(default_factory=list)  # base units (contracts for inverse)
    near_ask: list[float] = field(default_factory=list)
    near_usd: list[float] = field(default_factory=list)  # the thinner side, USD

    def median(self, name: str) -> float:
        return statistics.median(getattr(self, name))


def shapes(rt: Runtime, n: int) -> dict[str, Shape]:
    """Spread and depth of every listed book after each of ``n`` steps."""
    ex = rt.exchange
    out: dict[str, Shape] = {}
    for _ in range(n):
        steps(rt, 1)
        for symbol, inst in ex.listed.items():
            shape = out.setdefault(symbol, Shape(symbol))
            book = ex.book(symbol)
            b, a = book.bids.best(), book.asks.best()
            if b is None or a is None:
                continue
            shape.spread_ticks.append(a - b)
            bid, ask = near_lots(ex, symbol, BUY), near_lots(ex, symbol, SELL)
            shape.near_bid.append(float(inst.lots_to_size(bid)))
            shape.near_ask.append(float(inst.lots_to_size(ask)))
            shape.near_usd.append(inst.notional_usd8(min(bid, ask), round((a + b) / 2)) / 1e8)
    return out


@dataclass
class Sweep:
    base_size: float  # what the market order asked for
    filled: float
    impact_bps: float  # the fill's average price beyond the mid before it
    near_before: float  # near-the-touch lots on the swept side: the median of the steps before
    near_after: list[float]  # right after the sweep, then after each step


def sweep(rt: Runtime, symbol: str, size: float, after: int, side: int = BUY, before: int = 20) -> Sweep:
    """A market order of ``size`` (base units) into the book, and the swept side's depth after it."""
    ex = rt.exchange
    inst = ex.listed[symbol]
    swept = SELL if side == BUY else BUY
    history = []
    for _ in range(before):
        steps(rt, 1)
        history.append(near_lots(ex, symbol, swept))
    user = rt.submit_sync(CreateAccount(10**18)).account_id
    m = mid(ex, symbol)
    assert m is not None
    lots = inst.size_to_lots(inst.lot_size * round(size / float(inst.lot_size)))
    assert lots is not None
    result = rt.submit_sync(PlaceOrder(user, symbol, side, "mkt", lots))
    fills = [e for e in result.order_events if isinstance(e, OrderFilled)]
    done = sum(f.lots for f in fills)
    vwap = sum(f.lots * f.price for f in fills) / max(1, done)
    after_depth = [float(near_lots(ex, symbol, swept))]
    for _ in range(after):
        steps(rt, 1)
        after_depth.append(float(near_lots(ex, symbol, swept)))
    impact = (vwap - m) / m * 10_000 * (1 if side == BUY else -1)
    return Sweep(size, float(inst.lots_to_size(done)), impact, statistics.median(history), after_depth)
