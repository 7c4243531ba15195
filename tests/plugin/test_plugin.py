"""The pytest plugin as a user's test sees it: the ``krakensim`` fixture, reset per test, its helpers and
ready clients (the fixtures are imported here; a user gets them from the ``pytest11`` entry point)."""

from __future__ import annotations

import asyncio

import ccxt
import pytest

from krakensim.testing import ControlError, Venue
from krakensim.testing.plugin import krakensim, krakensim_server, krakensim_settings  # noqa: F401

START_MS = 1767225600000  # 2026-01-01T00:00:00Z


def test_a_new_account_holds_its_funds_through_ccxt(krakensim: Venue) -> None:  # noqa: F811
    acct = krakensim.new_account(funds=5000)
    key, secret = acct
    assert (key, secret) == (acct.key, acct.secret)
    ex = krakensim.ccxt(acct)
    assert ex.fetch_balance()["USD"]["total"] == 5000


def test_every_test_starts_from_the_start(krakensim: Venue) -> None:  # noqa: F811
    acct = krakensim.new_account()
    krakensim.set_price("XBT", 80000)
    krakensim.advance(3600)
    assert krakensim.status()["accounts"] == 2  # the demo account and this one
    krakensim.reset()
    status = krakensim.status()
    assert status["accounts"] == 1 and status["now"] == "2026-01-01T00:00:00.000Z"
    with pytest.raises(ccxt.AuthenticationError):  # its key went with the reset
        krakensim.ccxt(acct).fetch_balance()
    demo = krakensim.demo  # the demo account is made again, with the same key
    assert krakensim.ccxt(demo).fetch_balance()["USD"]["total"] == 100000


def test_set_price_moves_every_contract_on_the_underlying(krakensim: Venue) -> None:  # noqa: F811
    krakensim.set_price("XBT", 80000)
    tickers = krakensim.kraken_futures().market.get_tickers()["tickers"]
    xbt = {t["symbol"]: t for t in tickers if "XBT" in t["symbol"] and "markPrice" in t}
    assert xbt["PF_XBTUSD"]["markPrice"] == 80000 and xbt["PI_XBTUSD"]["markPrice"] == 80000
    eth = next(t for t in tickers if t["symbol"] == "PF_ETHUSD")
    assert eth["markPrice"] != 80000


def test_advance_moves_the_manual_clock(krakensim: Venue) -> None:  # noqa: F811
    assert krakensim.now_ms() == START_MS
    krakensim.advance(90)
    assert krakensim.now_ms() == START_MS + 90_000


def test_python_kraken_sdk_trades_with_a_new_account(krakensim: Venue) -> None:  # noqa: F811
    sdk = krakensim.kraken_futures(krakensim.new_account(funds=20000))
    placed = sdk.trade.create_order(orderType="lmt", side="buy", size=0.001, symbol="PF_XBTUSD", limitPrice=50000)
    assert placed["result"] == "success" and placed["sendStatus"]["status"] == "placed"
    assert [o["order_id"] for o in sdk.user.get_open_orders()["openOrders"]] == [placed["sendStatus"]["order_id"]]


def test_a_snapshot_taken_is_the_state_restored(krakensim: Venue) -> None:  # noqa: F811
    acct = krakensim.new_account(funds=777)
    krakensim.set_price("ETH", 3000)
    state = krakensim.snapshot()
    digest = krakensim.control("GET", "digest")["digest"]
    krakensim.reset()
    assert krakensim.control("GET", "digest")["digest"] != digest
    krakensim.reset(state)
    assert krakensim.control("GET", "digest")["digest"] == digest
    assert krakensim.ccxt(acct).fetch_balance()["USD"]["total"] == 777


def test_the_control_api_names_the_field_it_refuses(krakensim: Venue) -> None:  # noqa: F811
    with pytest.raises(ControlError) as e:
        krakensim.set_price("NOPE", 1)
    assert e.value.status == 400 and e.value.answer["message"].startswith("base:")
    with pytest.raises(ControlError) as e:
        krakensim.set_price("XBT", -1)
    assert e.value.answer["message"].startswith("price:")


def test_ccxt_pro_watches_the_venue(krakensim: Venue) -> None:  # noqa: F811
    async def watch() -> float:
        ex = krakensim.ccxt_pro()
        try:
            ticker = await ex.watch_ticker("BTC/USD:USD")
            return float(ticker["info"]["markPrice"])
        finally:
            await ex.close()

    krakensim.set_price("XBT", 81000)
    assert asyncio.run(watch()) == 81000
