"""The market agents: Kraken-shaped books, impact and recovery, heavy-tailed clustered takers, no wedges."""

from __future__ import annotations

import statistics

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marketshape import market, shapes, steps, sweep

from krakensim.engine.commands import CreateAccount, PlaceOrder
from krakensim.engine.units import BUY, SELL


def test_pf_xbtusd_is_a_tick_or_two_wide_with_several_btc_near_the_touch_and_others_are_thinner() -> None:
    rt, _ = market(seed=4)
    steps(rt, 10)
    shape = shapes(rt, 30)
    btc = shape["PF_XBTUSD"]
    assert statistics.median(btc.spread_ticks) <= 2 and max(btc.spread_ticks) <= 4
    assert min(btc.near_bid) >= 3 and min(btc.near_ask) >= 3  # BTC within 0.1 % of the mid, every step
    for symbol, other in shape.items():
        if symbol != "PF_XBTUSD":
            assert other.median("near_usd") < btc.median("near_usd") / 2, symbol


def test_a_sweep_pays_impact_and_the_book_refills() -> None:
    rt, _ = market(seed=5)
    steps(rt, 10)
    swept = sweep(rt, "PF_XBTUSD", 10, after=10)
    assert swept.filled == 10 and swept.impact_bps > 1  # beyond the half-spread: it walked the book
    right_after, recovered = swept.near_after[0], statistics.mean(swept.near_after[-5:])
    assert right_after < 0.7 * swept.near_before  # the sweep took the depth near the touch ...
    assert recovered > right_after and recovered > 0.5 * swept.near_before  # ... and the makers put it back


def test_takers_come_in_clusters_on_both_sides_with_heavy_tailed_sizes() -> None:
    rt, sim = market(seed=6)
    ex = rt.exchange
    per_step: list[int] = []
    sizes: list[int] = []
    sides: set[int] = set()
    for _ in range(1000):
        n = 0
        inst = ex.listed["PF_XBTUSD"]
        for cmd in sim.takers.step(inst, sim.profile(inst), ex.pricing.index["PF_XBTUSD"], sim.rng):
            assert isinstance(cmd, PlaceOrder)
            n += 1
            sizes.append(cmd.quantity)
            sides.add(cmd.side)
        per_step.append(n)
    windows = [sum(per_step[i:i + 10]) for i in range(0, len(per_step), 10)]  # arrivals per 10 steps
    # over-dispersed (variance over mean 1 for a Poisson stream, 4 for branching 0.5 over long windows)
    assert statistics.variance(windows) > 2 * statistics.mean(windows)
    assert sides == {BUY, SELL}
    assert len(set(sizes)) > 100 and max(sizes) > 5 * statistics.median(sizes)


user_order = st.tuples(
    st.sampled_from(["PF_XBTUSD", "PF_ETHUSD", "PI_XBTUSD"]), st.sampled_from([BUY, SELL]),
    st.sampled_from(["lmt", "mkt", "post"]),
    st.floats(min_value=-0.09, max_value=0.09),  # limit price: this far from the index
    # size: this many times the smallest taker order; the large ones sweep a whole side and rest beyond it
    st.integers(min_value=1, max_value=400) | st.integers(min_value=5_000, max_value=30_000),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(user_order, max_size=3), min_size=3, max_size=8), st.integers(0, 5))
def test_no_wedge_under_random_user_orders(rounds: list[list[tuple[str, int, str, float, int]]], seed: int) -> None:
    """Whatever users leave on the book, after the next step both sides of every book are quoted, nothing
    rests through the fair price beyond the arbitrageur's band, and the book is not crossed."""
    rt, sim = market(seed=seed)
    ex = rt.exchange
    steps(rt, 3)
    user = rt.submit_sync(CreateAccount(10**18)).account_id
    assert sim.arb is not None
    for orders in rounds:
        for symbol, side, kind, away, units in orders:
            inst = ex.listed[symbol]
            index = ex.pricing.index[symbol]
            lots = max(1, round(sim.profile(inst).taker_usd * units * 10**8 / inst.notional_usd8(1, index)))
            price = None if kind == "mkt" else max(1, round(index * (1 + away)))
            rt.submit_sync(PlaceOrder(user, symbol, side, kind, lots, limit_price=price))
        steps(rt, 1)
        for symbol, inst in ex.listed.items():
            book = ex.book(symbol)
            bid, ask = book.bids.best(), book.asks.best()
            assert bid is not None and ask is not None and bid < ask, symbol
            fair = sim.fair(inst, ex.pricing.index[symbol], ex.now)
            band = sim.arb.band(sim.profile(inst), fair)
            assert bid < fair + band and ask > fair - band, (symbol, bid, ask, fair, band)
