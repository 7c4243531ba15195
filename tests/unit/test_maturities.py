"""Fixed maturities (listing, expiry, settlement) and the index-driven mark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from krakensim.engine import Exchange, default_instruments
from krakensim.engine.accounts import TAKER_FEE_BPS
from krakensim.engine.calendar import last_trading_ms, yymmdd
from krakensim.engine.commands import CreateAccount, PlaceOrder, PublishIndex, SetPrices, Tick
from krakensim.engine.instruments import default_series
from krakensim.engine.units import BUY, MINUTE_MS, SELL

USD = 100_000_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
JAN = last_trading_ms(2026, 1)  # FI_XBTUSD_260130


def test_last_trading_time_is_the_last_friday_at_four_in_london() -> None:
    london = ZoneInfo("Europe/London")
    for y in range(2020, 2032):
        for m in range(1, 13):
            d = datetime.fromtimestamp(last_trading_ms(y, m) / 1000, london)
            assert (d.hour, d.minute, d.weekday(), d.month) == (16, 0, 4, m)
            assert (d + timedelta(days=7)).month != m
            u = datetime.fromtimestamp(last_trading_ms(y, m, 8, london=False) / 1000, UTC)
            assert (u.hour, u.weekday(), u.day) == (8, 4, d.day)
    # the spec's example: FI_XBTUSD_220930 stops at 15:00 UTC (16:00 BST)
    assert datetime.fromtimestamp(last_trading_ms(2022, 9) / 1000, UTC).isoformat() == "2022-09-30T15:00:00+00:00"
    assert yymmdd(last_trading_ms(2022, 9)) == "220930"


def test_the_series_list_months_quarters_and_a_semiannual() -> None:
    ff, fi = default_series()
    assert [(yymmdd(t), tag) for t, tag in fi.maturities(T0)] == [
        ("260130", "month"), ("260227", "month"), ("260327", "quarter"), ("260626", "quarter")]
    assert [tag for _, tag in ff.maturities(T0)] == ["month", "month", "quarter", "quarter", "semiannual"]
    # after the March quarterly expired: April and May monthlies, June and September quarterlies
    after = last_trading_ms(2026, 3) + 1
    assert [(yymmdd(t), tag) for t, tag in fi.maturities(after)] == [
        ("260424", "month"), ("260529", "month"), ("260626", "quarter"), ("260925", "quarter")]


def setup() -> tuple[Exchange, list[str]]:
    ex = Exchange(default_instruments(), seed=3, series=default_series())
    accts = [ex.apply(CreateAccount(1_000_000 * USD), T0).account_id for _ in range(2)]
    ex.apply(Tick(), T0)  # the first command (at T0, the accounts' creation now) lists the maturities
    return ex, accts


def test_the_first_command_lists_the_maturities_at_the_index() -> None:
    ex, _ = setup()
    fixed = sorted(s for s in ex.listed if s.startswith(("FI_", "FF_")))
    assert fixed[:2] == ["FF_XBTUSD_260130", "FF_XBTUSD_260227"] and "FI_XBTUSD_260626" in fixed
    assert len(fixed) == 9
    inst = ex.listed["FI_XBTUSD_260130"]
    assert inst.last_trading_ms == JAN and inst.tag == "month" and not inst.perpetual
    assert ex.pricing.index["FI_XBTUSD_260130"] == ex.pricing.index["PI_XBTUSD"]
    assert "FI_XBTUSD_260130" not in ex.funding.rates and "PF_XBTUSD" in ex.funding.rates
    assert ex.next_deadline() is not None


def test_expiry_cancels_orders_settles_positions_and_lists_the_next() -> None:
    ex, (a, b) = setup()
    sym = "FF_XBTUSD_260130"
    ltt = ex.listed[sym].last_trading_ms
    assert ltt is not None
    resting = ex.apply(PlaceOrder(a, sym, BUY, "lmt", 10_000, limit_price=80_000), T0 + 1)
    ex.apply(PlaceOrder(a, sym, SELL, "lmt", 5_000, limit_price=90_000), T0 + 2)
    ex.apply(PlaceOrder(b, sym, BUY, "mkt", 5_000), T0 + 3)  # b long 0.5 at 90000
    # the settlement averages the index over the 30 minutes before the last trading time
    for i in range(40):
        t = ltt - 40 * MINUTE_MS + i * MINUTE_MS
        ex.apply(SetPrices(sym, index=92_000 if i >= 25 else 91_000), t)  # 15 of the 30 at 92000
    before = {u: ex.accounts[u].balance for u in (a, b)}
    total_before = sum(x.balance for x in ex.accounts.values()) + ex.accounts.fees_collected
    ex.apply(Tick(), ltt)
    assert sym not in ex.listed and ex.listings.market_state[sym] == "inactive"
    price = 91_500
    assert ex.instruments[sym].last_trading_ms == ltt and ex.pricing.marks[sym] == price  # settled at the average
    assert ex.accounts[a].positions[sym].lots == 0 and ex.accounts[b].positions[sym].lots == 0
    fee = 5_000 * price * ex.instruments[sym].unit_usd8 * TAKER_FEE_BPS // 10000
    pnl = 5_000 * (price - 90_000) * ex.instruments[sym].unit_usd8
    assert ex.accounts[b].balance == before[b] + pnl - fee
    assert ex.accounts[a].balance == before[a] - pnl - fee
    # value conserved
    assert sum(x.balance for x in ex.accounts.values()) + ex.accounts.fees_collected == total_before
    assert resting.order_id not in ex.open_orders and ex.finished.by_id[resting.order_id].reason == "CONTRACT_EXPIRED"
    assert ex.accounts[a].order_margin == 0
    # the next monthly took its place; orders for the expired symbol are refused
    # (two monthlies: February and March, a quarterly too; quarterlies March and June; semiannual December)
    assert sorted(s for s in ex.listed if s.startswith("FF_")) == [
        "FF_XBTUSD_260227", "FF_XBTUSD_260327", "FF_XBTUSD_260626", "FF_XBTUSD_261225"]
    r = ex.apply(PlaceOrder(a, sym, BUY, "lmt", 1, limit_price=80_000), ltt + 1)
    assert r.status == "marketInactive"
    # prices for it change nothing (the settlement price stays) and need not be journaled
    digest = ex.digest()
    for cmd in (PublishIndex(sym, 99_000), SetPrices(sym, mark=99_000)):
        r = ex.apply(cmd, ltt + 2)
        assert r.status == "marketInactive" and r.events == []
    assert ex.pricing.marks[sym] == price and ex.digest() == digest


def test_the_index_drives_the_mark_through_the_impact_mid() -> None:
    ex, (a, b) = setup()
    sym = "PF_XBTUSD"
    ex.apply(PublishIndex(sym, 90_000), T0 + 1)
    assert ex.pricing.marks[sym] == 90_000  # an empty book: no premium
    # a book whose impact mid (1 contract each side) is 90,100: 100 over the index
    ex.apply(PlaceOrder(a, sym, BUY, "lmt", 20_000, limit_price=90_050), T0 + 2)
    ex.apply(PlaceOrder(a, sym, SELL, "lmt", 20_000, limit_price=90_150), T0 + 3)
    marks = []
    for i in range(200):
        ex.apply(PublishIndex(sym, 90_000), T0 + 1000 * (i + 2))
        marks.append(ex.pricing.marks[sym])
    assert marks[0] == 90_000 + round(100 * 2 / 31)  # the first sample moves it by 2/(span+1)
    assert marks == sorted(marks) and marks[-1] == 90_100  # and it converges to the premium
    assert ex.funding.relative_rate(sym) > 0  # mark over index: longs pay
    # trades no longer move the mark
    ex.apply(PlaceOrder(b, sym, BUY, "mkt", 1), T0 + 300_000)
    assert ex.pricing.last[sym][0] == 90_150 and ex.pricing.marks[sym] == 90_100


def test_without_a_price_source_the_mark_follows_trades() -> None:
    ex, (a, b) = setup()
    ex.apply(PlaceOrder(a, "PF_ETHUSD", SELL, "lmt", 1000, limit_price=30_500), T0 + 1)
    ex.apply(PlaceOrder(b, "PF_ETHUSD", BUY, "mkt", 1000), T0 + 2)
    assert ex.pricing.marks["PF_ETHUSD"] == 30_500
