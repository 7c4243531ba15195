"""What the engine keeps of the past: bounded by its retention, and read a page at a time.

- a market's public order history read from its index equals what scanning every account's
  history (the way it was computed before the index) gives, for any window, order and page,
  also once accounts' histories overflow their retention;
- a series of candles in arrays behaves as the dict of minutes it replaced, cap included;
- an expired contract's trades and candles are dropped ``expired_days`` after it settled.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from krakensim.engine import Exchange, default_instruments
from krakensim.engine.candles import CandleSeries
from krakensim.engine.commands import CancelOrder, CreateAccount, PlaceOrder, Tick
from krakensim.engine.instruments import default_series
from krakensim.engine.order_history import KIND, PUBLIC_EVENTS, subject
from krakensim.engine.retention import Retention
from krakensim.engine.units import BUY, DAY_MS, HOUR_MS, SELL

T0 = 1_767_225_600_000  # 2026-01-01
SYMBOLS = ("PF_XBTUSD", "PF_ETHUSD")
MID = {"PF_XBTUSD": 90_000, "PF_ETHUSD": 30_000}


def naive_public(ex: Exchange, symbol: str) -> list[tuple[int, str, int, object]]:
    """What the market's order history was before the index: every account's kept events of the
    market, ordered by (time, account, position in the account's history)."""
    rows = []
    for account_id in sorted(ex.accounts):
        for i, (e, rank) in enumerate(ex.history.of(account_id)):
            if type(e) in PUBLIC_EVENTS and subject(e).symbol == symbol:
                rows.append((e.time, account_id, i, (KIND[type(e)], rank, e)))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return rows


operations = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(SYMBOLS), st.sampled_from([BUY, SELL]),
              st.sampled_from(["lmt", "lmt", "post", "ioc"]), st.integers(1, 50), st.integers(-20, 20),
              st.booleans(), st.integers(0, 3)),
    min_size=1, max_size=120,
)


@settings(max_examples=60, deadline=None)
@given(ops=operations, kept=st.sampled_from([3, 7, 10_000]), since=st.none() | st.integers(0, 40),
       before=st.none() | st.integers(0, 40), count=st.integers(1, 30), skip=st.integers(0, 40),
       desc=st.booleans())
def test_a_market_page_from_the_index_equals_the_scan_of_every_history(
    ops: list[tuple[int, str, int, str, int, int, bool, int]], kept: int, since: int | None, before: int | None,
    count: int, skip: int, desc: bool,
) -> None:
    ex = Exchange(default_instruments(), seed=5, retention=Retention(history_per_account=kept))
    accounts = [ex.apply(CreateAccount(10**16), T0).account_id for _ in range(4)]
    placed: list[tuple[str, str]] = []
    t = T0
    for who, symbol, side, otype, lots, offset, cancel, dt in ops:
        t += dt  # several events share a millisecond
        account = str(accounts[who])
        if cancel and placed:
            owner, order_id = placed.pop()
            ex.apply(CancelOrder(owner, order_id), t)
            continue
        r = ex.apply(PlaceOrder(account, symbol, side, otype, lots * 10, MID[symbol] + offset), t)
        if r.status == "placed" and r.order_id in ex.open_orders:
            placed.append((account, str(r.order_id)))
    for symbol in SYMBOLS:
        naive = naive_public(ex, symbol)
        index, lo, hi = ex.history.public_window(symbol, None if since is None else T0 + since,
                                                 None if before is None else T0 + before)
        window = [r for r in naive if (since is None or r[0] >= T0 + since) and (before is None or r[0] < T0 + before)]
        assert hi - lo == len(window)
        # the index holds exactly the kept public events, in the scan's order
        assert [(ts, a, e) for ts, a, _n, _rank, e in index] == [(ts, a, key[2]) for ts, a, _i, key in naive]
        assert [rank for *_, rank, _e in index] == [key[1] for *_, key in naive]
        ordered = list(reversed(window)) if desc else window
        want = ordered[skip: skip + count]
        start, stop = (lo + skip, min(hi, lo + skip + count)) if not desc else (max(lo, hi - skip - count), hi - skip)
        got = list(index.islice(start, max(start, stop), reverse=desc))
        assert [e for *_, e in got] == [key[2] for *_, key in want]
        assert len(index) <= len(ex.accounts) * kept


class DictCandles:
    """The candles as they were: a dict of minute -> [open, high, low, close, volume], capped by count."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.rows: dict[int, list[int]] = {}

    def add(self, minute: int, price: int, lots: int) -> None:
        c = self.rows.get(minute)
        if c is None:
            self.rows[minute] = [price, price, price, price, lots]
            self.rows = dict(sorted(self.rows.items())[-self.cap:])
            return
        c[1], c[2], c[3], c[4] = max(c[1], price), min(c[2], price), price, c[4] + lots


@settings(max_examples=150, deadline=None)
@given(cap=st.integers(1, 6), updates=st.lists(
    st.tuples(st.integers(-2, 6), st.integers(1, 1000), st.integers(0, 5)), min_size=1, max_size=200))
def test_candles_in_arrays_behave_as_the_dict_they_replaced(cap: int, updates: list[tuple[int, int, int]]) -> None:
    series, model = CandleSeries(cap), DictCandles(cap)
    minute = 0
    for step, price, lots in updates:
        # mostly forward, sometimes a minute already passed
        minute = max(0, minute + step) if step >= 0 or not model.rows else max(0, max(model.rows) // 60_000 + step)
        series.add(minute * 60_000, price, lots)
        model.add(minute * 60_000, price, lots)
        assert series.rows() == [(m, *c) for m, c in sorted(model.rows.items())]
    kept = sorted(model.rows)
    for at in {m + d for m in kept for d in (-60_000, 0, 60_000)}:  # every kept minute and its neighbours
        assert series.close_at(at) == (model.rows[at][3] if at in model.rows else None)
        earlier = [model.rows[m][3] for m in kept if m < at]
        assert series.close_before(at) == (earlier[-1] if earlier else None)


def test_an_expired_contracts_market_data_goes_after_expired_days() -> None:
    ex = Exchange(default_instruments(), seed=1, series=default_series(), retention=Retention(expired_days=2))
    maker = str(ex.apply(CreateAccount(10**16), T0).account_id)
    taker = str(ex.apply(CreateAccount(10**16), T0).account_id)
    symbol = "FF_XBTUSD_260130"
    assert symbol in ex.listed
    ex.apply(PlaceOrder(maker, symbol, SELL, "lmt", 10, 91_000), T0 + 1)
    ex.apply(PlaceOrder(taker, symbol, BUY, "lmt", 10, 91_000), T0 + 2)
    assert ex.market_data.trades[symbol]
    ltt = ex.instruments[symbol].last_trading_ms
    assert ltt is not None
    t = T0 + 3
    while t < ltt + 2 * DAY_MS - HOUR_MS:  # expired, but not yet for two days: still kept
        t += 4 * HOUR_MS
        ex.apply(Tick(), min(t, ltt + 2 * DAY_MS - HOUR_MS))
    assert symbol not in ex.listed and ex.market_data.has(symbol) and ex.market_data.trades[symbol]
    ex.apply(Tick(), ltt + 2 * DAY_MS + HOUR_MS)
    assert not ex.market_data.has(symbol)
    assert (symbol, "trade") not in ex.market_data.candles and symbol not in ex.market_data.trades
    assert ex.market_data.candles_between(symbol, "trade", T0, ltt, 60_000) == {}
    assert ex.digest()  # the digest copes with a contract whose data is gone


def naive_stats(trades: list[tuple[int, int, int]], now: int) -> tuple[int, int, int | None, int | None, int | None]:
    """The 24 h statistics as they were computed: a scan of every trade of the last day."""
    window = [(p, n) for ts, p, n in trades if ts > now - DAY_MS]
    if not window:
        return 0, 0, None, None, None
    return (sum(n for _p, n in window), sum(p * n for p, n in window), window[0][0], max(p for p, _n in window),
            min(p for p, _n in window))


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(0, 9 * HOUR_MS), st.integers(1, 50), st.integers(1, 9),
                                st.lists(st.integers(0, 30 * HOUR_MS), max_size=3)), min_size=1, max_size=60),
       compact_after=st.sampled_from([1, 2, 4096]))  # the columns shifted after every few trades, or rarely
def test_the_24h_statistics_kept_as_trades_come_equal_a_scan(
    steps: list[tuple[int, int, int, list[int]]], compact_after: int,
) -> None:
    from krakensim.engine import tape as tape_module
    from krakensim.engine.tape import Tape

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tape_module, "COMPACT_AFTER", compact_after)
        check_tape(Tape(), steps)


def check_tape(tape: Any, steps: list[tuple[int, int, int, list[int]]]) -> None:
    trades: list[tuple[int, int, int]] = []
    now = T0
    for dt, price, lots, reads in steps:
        now += dt
        tape.add(now, price, lots)
        trades.append((now, price, lots))
        for later in [0, *reads]:  # reads at the trade and later, with trades ageing out meanwhile
            assert tape.stats(now + later) == naive_stats(trades, now + later)
        assert list(tape.trades) == [(*t, n) for n, t in enumerate(trades, 1) if t[0] > now - DAY_MS]
