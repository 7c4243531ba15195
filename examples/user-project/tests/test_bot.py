"""The bot against a krakensim venue: each test gets it fresh (reset), on a clock that moves only when told."""

from __future__ import annotations

import ccxt
import pytest

import bot


def test_the_bot_quotes_around_the_price_it_was_given(krakensim):
    krakensim.set_price("XBT", 80000)
    ex = krakensim.ccxt(krakensim.new_account(funds=50_000))
    ids = bot.quote(ex, size=0.01, half_spread=0.001)
    prices = sorted(float(o["info"]["limitPrice"]) for o in ex.fetch_open_orders(bot.SYMBOL))
    assert prices == [79920.0, 80080.0]
    assert bot.pull(ex) == len(ids) == 2


def test_an_order_beyond_the_funds_is_refused(krakensim):
    ex = krakensim.ccxt(krakensim.new_account(funds=10))
    with pytest.raises(ccxt.InsufficientFunds):
        bot.quote(ex, size=1, half_spread=0.001)


def test_every_test_starts_with_a_fresh_venue(krakensim):
    ex = krakensim.ccxt(krakensim.new_account())
    assert ex.fetch_open_orders(bot.SYMBOL) == []  # the previous tests' orders are gone


def test_python_kraken_sdk_sees_the_same_venue(krakensim):
    key, secret = krakensim.new_account(funds=25_000)  # a key and a secret, as Kraken's settings page gives
    from kraken.futures import User

    wallets = User(key=key, secret=secret, url=krakensim.url).get_wallets()
    assert wallets["accounts"]["flex"]["currencies"]["USD"]["quantity"] == 25_000
    assert krakensim.kraken_futures().market.get_tickers()["result"] == "success"  # ready-made clients too


def test_time_moves_only_when_the_test_says(krakensim):
    before = krakensim.now_ms()
    krakensim.advance(8 * 3600)  # past a funding time: funding is applied on the way
    assert krakensim.now_ms() - before == 8 * 3600 * 1000
