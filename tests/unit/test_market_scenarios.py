"""Market scenarios, played on the exchange clock: each does what it says, and the same scenarios at the
same times give the same market."""

from __future__ import annotations

import pytest
from marketshape import T0, market, near_lots, steps

from krakensim.admin.scenarios import ScenarioError, parse_scenario
from krakensim.engine.units import BUY, SELL
from krakensim.runtime.core import Runtime

BASES, SYMBOLS = {"XBT", "ETH", "SOL"}, {"PF_XBTUSD", "PF_ETHUSD"}


def run(rt: Runtime, **doc: object) -> None:
    rt.submit_sync(parse_scenario(doc, rt.clock(), BASES, set(rt.exchange.listed)))


def index(rt: Runtime, symbol: str = "PF_XBTUSD") -> int:
    return rt.exchange.pricing.index[symbol]


def test_a_crash_takes_the_index_down_n_percent_over_t_and_the_book_follows() -> None:
    rt, _ = market(seed=2)
    steps(rt, 5)
    before = index(rt)
    run(rt, name="crash", target="XBT", percent=20, durationMs=20_000)
    steps(rt, 10)
    half = index(rt)
    steps(rt, 15)
    after = index(rt)
    assert 0.85 * before < half < 0.95 * before  # half way down
    assert 0.75 * before < after < 0.85 * before  # 20 % down (and the usual noise)
    assert index(rt, "PF_ETHUSD") > 0.95 * 3000  # another underlying untouched
    book = rt.exchange.book("PF_XBTUSD")
    assert book.bids.best() is not None and abs(book.bids.best() - after) < after * 0.002  # quoted down there


def test_a_squeeze_a_funding_spike_and_a_volatility_regime() -> None:
    rt, _ = market(seed=3)
    steps(rt, 5)
    before = index(rt)
    run(rt, name="squeeze", target="XBT", percent=10, durationMs=10_000)
    run(rt, name="funding_spike", target="XBT", premiumBps=50, durationMs=120_000)
    steps(rt, 30)
    assert index(rt) > 1.07 * before
    ex = rt.exchange
    premium = (ex.pricing.marks["PF_XBTUSD"] - index(rt)) / index(rt) * 10_000
    assert premium > 20  # the makers' fair price, and so the mark, well over the index: funding follows
    calm, wild = market(seed=4)[0], market(seed=4)[0]
    run(wild, name="volatility", target="XBT", factor=10, durationMs=600_000)

    def spread_of_moves(r: Runtime) -> float:
        prices = []
        for _ in range(30):
            steps(r, 1)
            prices.append(index(r))
        return sum(abs(a - b) for a, b in zip(prices, prices[1:], strict=False))

    assert spread_of_moves(wild) > 4 * spread_of_moves(calm)


def test_a_drought_thins_and_widens_the_book_then_it_comes_back() -> None:
    rt, _ = market(seed=5)
    steps(rt, 10)
    ex = rt.exchange
    usual = near_lots(ex, "PF_XBTUSD", BUY) + near_lots(ex, "PF_XBTUSD", SELL)
    run(rt, name="drought", target="XBT", depthPercent=10, durationMs=20_000)
    steps(rt, 5)
    dry = near_lots(ex, "PF_XBTUSD", BUY) + near_lots(ex, "PF_XBTUSD", SELL)
    book = ex.book("PF_XBTUSD")
    assert dry < usual / 3 and book.asks.best() - book.bids.best() >= 4  # type: ignore[operator]
    steps(rt, 40)
    assert near_lots(ex, "PF_XBTUSD", BUY) + near_lots(ex, "PF_XBTUSD", SELL) > usual / 2


def test_a_halt_suspends_the_market_and_it_resumes() -> None:
    rt, _ = market(seed=6)
    steps(rt, 3)
    run(rt, name="halt", target="PF_ETHUSD", startInMs=2_000, durationMs=10_000)
    steps(rt, 1)
    assert rt.exchange.listings.market_state["PF_ETHUSD"] == "open"
    steps(rt, 3)
    assert rt.exchange.listings.market_state["PF_ETHUSD"] == "suspended"
    assert rt.exchange.listings.market_state["PF_XBTUSD"] == "open"
    steps(rt, 10)
    assert rt.exchange.listings.market_state["PF_ETHUSD"] == "open"
    assert rt.exchange.book("PF_ETHUSD").asks.best() is not None


def test_a_replayed_path_then_the_market_goes_on_from_its_end() -> None:
    rt, _ = market(seed=7)
    steps(rt, 2)
    run(rt, name="replay", target="XBT", prices=[[0, 80_000], [5_000, 70_000], [10_000, 75_000]])
    steps(rt, 3)
    assert index(rt) == 80_000
    steps(rt, 5)
    assert index(rt) == 70_000
    steps(rt, 20)
    assert abs(index(rt) - 75_000) < 75_000 * 0.01


def test_same_scenarios_same_market() -> None:
    digests = []
    for _ in range(2):
        rt, _ = market(seed=8)
        run(rt, name="crash", percent=5, durationMs=5_000, startInMs=3_000)
        run(rt, name="drought", depthPercent=50, durationMs=5_000)
        steps(rt, 12)
        digests.append(rt.exchange.digest())
    assert digests[0] == digests[1]


@pytest.mark.parametrize("doc", [
    {}, {"name": "meteor"}, {"name": "crash", "durationMs": 1000}, {"name": "crash", "percent": 120, "durationMs": 1},
    {"name": "crash", "percent": 5}, {"name": "crash", "percent": 5, "durationMs": -1},
    {"name": "crash", "percent": "x", "durationMs": 1}, {"name": "halt", "durationMs": 1000},
    {"name": "halt", "target": "PF_NOPE", "durationMs": 1000}, {"name": "replay", "target": "XBT"},
    {"name": "replay", "target": "XBT", "prices": [[5, 1], [1, 2]]}, {"name": "replay", "prices": [[0, 1]]},
    {"name": "volatility", "factor": 2, "durationMs": 1, "colour": "red"}, {"name": "crash", "target": 5},
])
def test_bad_scenarios_are_refused(doc: dict[str, object]) -> None:
    with pytest.raises(ScenarioError):
        parse_scenario(doc, T0, BASES, SYMBOLS)
