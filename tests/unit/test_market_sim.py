"""The simulated market is deterministic: the same seed gives the same prices, books and trades."""

from __future__ import annotations

import asyncio

from krakensim.engine.commands import CreateAccount, PlaceOrder
from krakensim.engine.events import OrderFilled
from krakensim.engine.units import BUY
from krakensim.market.sim import MarketConfig, MarketSim
from krakensim.runtime.clock import ManualClock
from krakensim.runtime.core import Runtime
from simhelpers import T0, run_market


def run(seed: int, steps: int = 60) -> tuple[str, int, dict[str, int]]:
    ex = run_market(seed, steps).exchange
    trades = sum(len(ex.market_data.trades[s]) for s in ex.instruments)
    return ex.digest(), trades, dict(ex.pricing.index)


def test_same_seed_same_market() -> None:
    a, b, c = run(7), run(7), run(8)
    assert a == b
    assert a[0] != c[0] and a[2] != c[2]
    assert a[1] > 20  # takers did trade against the ladder


def test_the_ladder_gives_depth_around_the_mark_and_fills_a_market_order() -> None:
    rt = Runtime(seed=1, clock=ManualClock(T0))
    maker = rt.submit_sync(CreateAccount(10**17)).account_id
    taker = rt.submit_sync(CreateAccount(10**17)).account_id
    user = rt.submit_sync(CreateAccount(10**16)).account_id
    sim = MarketSim(seed=3, makers=[maker], taker=taker, config=MarketConfig(model="ladder"))

    async def go() -> None:
        for cmd in sim.commands(rt.exchange, 1000, rt.clock()):
            await rt.submit(cmd)
        book = rt.exchange.book("PF_XBTUSD")
        assert len(book.bids.depth()) == 5 and len(book.asks.depth()) == 5
        mark = rt.exchange.pricing.marks["PF_XBTUSD"]
        assert book.bids.best() < mark < book.asks.best()  # type: ignore[operator]
        r = await rt.submit(PlaceOrder(account_id=user, symbol="PF_XBTUSD", side=BUY, order_type="mkt",
                                       quantity=100))
        assert r.status == "placed" and isinstance(r.order_events[0], OrderFilled)
        assert abs(r.order_events[0].price - mark) * 1000 < mark  # within 0.1 % of the mark

    asyncio.run(go())
