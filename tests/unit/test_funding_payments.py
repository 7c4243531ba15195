"""Funding payments: accrued continuously from the published rate, realised hourly and on a position
change, part of margin equity, and summing to exactly zero over all accounts."""

from __future__ import annotations

from krakensim.engine import Exchange, default_instruments
from krakensim.engine import events as ev
from krakensim.engine.commands import CreateAccount, PlaceOrder, SetPrices, Tick
from krakensim.engine.funding_payments import FUNDING_UNIT
from krakensim.engine.units import BUY, SELL

USD = 100_000_000
HOUR = 3_600_000
T0 = 1_700_000_000_000
XBT = "PF_XBTUSD"


def setup() -> tuple[Exchange, str, str, int, list[ev.Event]]:
    ex = Exchange(default_instruments(), seed=5)
    events: list[ev.Event] = []
    t = T0
    long = ex.apply(CreateAccount(100_000 * USD), t).account_id
    short = ex.apply(CreateAccount(100_000 * USD), t).account_id
    assert long is not None and short is not None
    ex.apply(PlaceOrder(short, XBT, SELL, "lmt", 10_000, 90000), t)
    ex.apply(PlaceOrder(long, XBT, BUY, "ioc", 10_000, 90000), t)
    ex.apply(SetPrices(XBT, mark=90090, index=90000), t)  # 0.1 % premium: 0.0125 % an hour (coefficient 8)
    hour = ex.funding.next_time
    assert hour is not None
    events += ex.apply(Tick(), hour).events  # the rate of the hour starting now is published
    return ex, long, short, hour, events


def test_funding_accrues_from_the_published_rate_and_is_realised_at_the_hour() -> None:
    ex, long, short, hour, events = setup()
    assert ex.funding.last(XBT) == (hour, 125_000_000, 90090)
    ex.apply(Tick(), hour + HOUR // 2)
    la, sa = ex.accounts[long], ex.accounts[short]
    half_hour = 90090 * 125 * USD // 10**6 // 2  # 0.0125 % of 90,090 USD for half an hour, in usd8
    assert ex.risk.summary(la).unrealized_funding == -half_hour == -563_062_500
    assert ex.risk.summary(sa).unrealized_funding == half_hour
    summary = ex.risk.summary(la)
    assert summary.equity == summary.balance + summary.pnl + summary.unrealized_funding
    before = la.balance
    events += ex.apply(Tick(), hour + HOUR).events  # the end of the hour: realised
    assert la.balance - before == -2 * half_hour and ex.risk.summary(la).unrealized_funding == 0
    rows = [e for e in events if isinstance(e, ev.AccountLogged) and e.info == "funding rate change"]
    assert {(e.account_id, e.realized_funding, e.funding_rate, e.symbol) for e in rows} == {
        (long, -2 * half_hour, 125_000_000, XBT), (short, 2 * half_hour, 125_000_000, XBT)}


def test_a_position_change_realises_what_it_accrued() -> None:
    ex, long, short, hour, _ = setup()
    third = ex.apply(CreateAccount(100_000 * USD), hour).account_id
    assert third is not None
    ex.apply(PlaceOrder(third, XBT, BUY, "lmt", 5_000, 90000), hour + HOUR // 4)
    r = ex.apply(PlaceOrder(long, XBT, SELL, "ioc", 5_000, 90000), hour + HOUR // 4)
    rows = [e for e in r.events if isinstance(e, ev.AccountLogged) and e.info == "funding rate change"]
    assert [(e.account_id, e.realized_funding) for e in rows] == [(long, -(90090 * 125 * USD // 10**6 // 4))]
    assert ex.risk.summary(ex.accounts[long]).unrealized_funding == 0


def test_funding_sums_to_zero_exactly() -> None:
    ex, long, short, hour, events = setup()
    for i in range(1, 7):
        events += ex.apply(SetPrices(XBT, mark=90090 + 37 * i, index=90000 - 11 * i), hour + i * 777_777).events
        events += ex.apply(Tick(), hour + i * 777_777 + 1).events
    booked = sum(e.realized_funding for e in events if isinstance(e, ev.AccountLogged))
    assert booked != 0 and ex.funding_payments.total_units() != 0
    assert booked * FUNDING_UNIT + ex.funding_payments.total_units() == 0
