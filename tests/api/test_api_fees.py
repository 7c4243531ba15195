"""Fee schedules (deprecated by Kraken, still answered): what ccxt's fetch_trading_fees reads."""

from __future__ import annotations

from apihelpers import BTC


def test_fetch_trading_fees_matches_the_fees_charged(venue) -> None:
    maker, taker = venue.ccxt(venue.account()), venue.ccxt(venue.account())
    fees = maker.fetch_trading_fees()
    assert fees[BTC]["maker"] == 0.0002 and fees[BTC]["taker"] == 0.0005
    maker.create_order(BTC, "limit", "sell", 0.01, 90000)
    taker.create_order(BTC, "limit", "buy", 0.01, 90000)
    vol = taker.privateGetFeeschedulesVolumes()["volumesByFeeSchedule"]
    assert vol["5b755fea-c5b0-4307-a66e-b392cd5bd931"] == 900
    balance = taker.fetch_balance()["USD"]["total"]
    assert balance == 100000 - 900 * 0.0005  # the taker fee the schedule announces
