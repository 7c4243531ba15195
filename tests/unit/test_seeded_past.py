"""The seeded past: the same for the same seed, consistent with the present, recomputed by a replay."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from krakensim.api.charts import RESOLUTIONS
from krakensim.engine.commands import SeedPast, Tick
from krakensim.engine.units import DAY_MS, HOUR_MS, MINUTE_MS
from krakensim.runtime.clock import ManualClock
from krakensim.runtime.core import Runtime
from krakensim.store.journal import Journal

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
WEEK_OFFSET_MS = 4 * DAY_MS
WIDTHS_MS = [m * MINUTE_MS for m in RESOLUTIONS.values()]


def seeded(seed: int, days: int = 2, journal: Journal | None = None) -> Runtime:
    rt = Runtime(seed=1, clock=ManualClock(T0), journal=journal)
    rt.submit_sync(Tick())
    rt.submit_sync(SeedPast(seed, days))
    return rt


@pytest.fixture(scope="module")
def past() -> Runtime:
    return seeded(3)


def test_same_seed_same_past_and_another_seed_another(past: Runtime) -> None:
    a, b, c = past, seeded(3), seeded(4)
    assert a.exchange.digest() == b.exchange.digest() != c.exchange.digest()
    assert a.exchange.market_data.candles[("PF_XBTUSD", "spot")].rows() != \
        c.exchange.market_data.candles[("PF_XBTUSD", "spot")].rows()


def test_500_candles_at_every_resolution_ending_at_the_present(past: Runtime) -> None:
    ex = past.exchange
    md = ex.market_data
    for symbol in ("PF_XBTUSD", "PF_ETHUSD", "PI_XBTUSD"):
        for width in WIDTHS_MS:
            offset = WEEK_OFFSET_MS if width == 7 * DAY_MS else 0
            start = (T0 - offset) // width * width + offset - 500 * width  # 500 before the present one
            for kind in ("trade", "mark", "spot"):
                out = md.candles_between(symbol, kind, start, T0, width, offset)
                assert len(out) >= 500, (symbol, kind, width, len(out))
                for o, h, low, c, v in out.values():
                    assert 0 < low <= min(o, c) and max(o, c) <= h and v >= 0
        index = ex.pricing.index[symbol]
        last_spot = md.candles[(symbol, "spot")].rows()[-1]
        assert last_spot[0] == T0 - MINUTE_MS and last_spot[4] == index  # the past ends at today's index
        last_trade = md.candles[(symbol, "trade")].rows()[-1]
        assert abs(last_trade[4] - index) * 1000 < index  # and trades there, within 0.1 %


def test_trades_tape_and_funding_agree_with_the_candles(past: Runtime) -> None:
    ex = past.exchange
    md = ex.market_data
    trades = list(md.trades["PF_XBTUSD"])
    assert len(trades) == 1000 and all(a.time < b.time for a, b in zip(trades, trades[1:], strict=False))
    assert [t.number for t in trades] == list(range(trades[0].number, trades[0].number + 1000))
    candles = {row[0]: row for row in md.candles[("PF_XBTUSD", "trade")].rows()}
    by_minute: dict[int, list[int]] = {}
    for t in trades:
        by_minute.setdefault(t.time - t.time % MINUTE_MS, []).append(t.price)
    for minute, prices in list(by_minute.items())[1:]:  # the first minute may be cut by the 1,000
        _, o, h, low, c, _ = candles[minute]
        assert (o, max(prices), min(prices), c) == (prices[0], h, low, prices[-1])
    volume, _, _, high, low = md.stats_24h("PF_XBTUSD", T0)
    assert volume > 0 and low is not None and high is not None and low <= ex.pricing.index["PF_XBTUSD"] * 1.2
    rates = list(ex.funding.rates["PF_XBTUSD"])
    assert len(rates) >= 24 * 30 and rates[-1][0] == T0 - HOUR_MS  # hourly, up to the last hour
    assert all(b[0] - a[0] == HOUR_MS for a, b in zip(rates, rates[1:], strict=False))
    assert "PI_XBTUSD" in ex.funding.rates and not any(s.startswith("FF_") for s in ex.funding.rates)
    # live trades number on from the past's
    assert ex.matchers["PF_XBTUSD"].trades == trades[-1].number


def test_a_replay_computes_the_same_past(tmp_path: Path) -> None:
    path = str(tmp_path / "j.sqlite")
    rt = seeded(7, journal=Journal(path))
    digest = rt.exchange.digest()
    asyncio.run(rt.stop(final_snapshot=False))
    again = Runtime(seed=1, clock=ManualClock(T0), journal=Journal(path))
    assert again.replay() == 2  # the Tick and the SeedPast: one record for the whole past
    assert again.exchange.digest() == digest


def test_seeding_twice_changes_nothing(past: Runtime) -> None:
    digest = past.exchange.digest()
    assert not past.exchange.apply(SeedPast(9, 2), T0).events
    assert past.exchange.digest() == digest


def test_a_venue_opened_within_a_minute_has_that_minute_up_to_now() -> None:
    rt = Runtime(seed=1, clock=ManualClock(T0 + 30_000))
    rt.submit_sync(Tick())
    rt.submit_sync(SeedPast(3, 1))
    md = rt.exchange.market_data
    assert md.candles[("PF_XBTUSD", "trade")].rows()[-1][0] == T0  # the present minute, begun
    assert all(t.time < T0 + 30_000 for t in md.trades["PF_XBTUSD"])
