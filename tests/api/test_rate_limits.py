"""Kraken's rate limits: the derivatives budget (500 per key every 10 s, each endpoint's cost) and the
History API's pool (100 tokens, 100 per 10 minutes), refilled on the venue's clock; beyond them the
answers the live venue gives and that the clients turn into their rate-limit exceptions."""

from __future__ import annotations

import time

import ccxt
import pytest
import requests

from apihelpers import kraken_sign
from krakensim.testing import Account, Venue
from krakensim.testing.plugin import krakensim, krakensim_server, krakensim_settings  # noqa: F401


def signed(venue: Venue, acct: Account, method: str, path: str, body: str = "") -> requests.Response:
    """``path`` as Kraken signs it: without /derivatives (the History API's /api/history/… as it is)."""
    nonce = str(time.time_ns())
    signed_path = path.removeprefix("/derivatives")
    headers = {"APIKey": acct.key, "Nonce": nonce, "Authent": kraken_sign(acct.secret, body + nonce + signed_path)}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return requests.request(method, venue.url + path, data=body or None, headers=headers, timeout=10)


def cancel_all(venue: Venue, acct: Account) -> dict[str, object]:
    doc: dict[str, object] = signed(venue, acct, "POST", "/derivatives/api/v3/cancelallorders").json()
    return doc


def test_the_derivatives_budget_is_500_per_10_seconds_per_key(krakensim: Venue) -> None:  # noqa: F811
    krakensim.rate_limits(True)
    a, b = krakensim.new_account(), krakensim.new_account()
    for _ in range(20):  # cancelallorders costs 25: twenty of them spend the 500
        assert cancel_all(krakensim, a)["result"] == "success"
    refused = cancel_all(krakensim, a)
    assert refused["result"] == "error" and refused["error"] == "apiLimitExceeded" and set(refused) == {
        "result", "serverTime", "error"}
    assert cancel_all(krakensim, b)["result"] == "success"  # another key has its own budget
    krakensim.advance(0.4)  # 0.4 s refills 20: not yet 25
    assert cancel_all(krakensim, a)["error"] == "apiLimitExceeded"
    krakensim.advance(0.1)
    assert cancel_all(krakensim, a)["result"] == "success"


def test_ccxt_sees_its_rate_limit_exception(krakensim: Venue) -> None:  # noqa: F811
    krakensim.rate_limits(True)
    acct = krakensim.new_account()
    ex = krakensim.ccxt(acct)
    ex.load_markets()
    with pytest.raises(ccxt.RateLimitExceeded):
        for _ in range(60):  # sendorder costs 10: the 51st is refused
            ex.create_order("BTC/USD:USD", "limit", "buy", 0.001, 50000)
    with pytest.raises(ccxt.RateLimitExceeded):  # a read costs 2: refused too, until the budget refills
        ex.fetch_open_orders()
    krakensim.advance(1)
    assert len(ex.fetch_open_orders()) == 50  # the refused order was not placed


def test_the_history_pool_answers_429_with_its_reset(krakensim: Venue) -> None:  # noqa: F811
    krakensim.rate_limits(True)
    acct = krakensim.new_account()
    for _ in range(100):  # executions cost 1 from a pool of 100
        assert signed(krakensim, acct, "GET", "/api/history/v3/executions").status_code == 200
    r = signed(krakensim, acct, "GET", "/api/history/v3/executions")
    assert r.status_code == 429 and r.text == "Rate limited." and r.headers["rate-limit-reset"] == "6"
    assert r.headers["content-type"].startswith("text/plain")
    krakensim.advance(6)  # 100 tokens per 10 minutes: one every 6 s
    assert signed(krakensim, acct, "GET", "/api/history/v3/executions").status_code == 200


def test_off_unless_switched_on_and_off_again_after_a_reset(krakensim: Venue) -> None:  # noqa: F811
    assert krakensim.control("GET", "rate-limits")["enabled"] is False  # the plugin's venue: off
    acct = krakensim.new_account()
    for _ in range(25):
        assert cancel_all(krakensim, acct)["result"] == "success"
    krakensim.rate_limits(True)
    krakensim.reset()
    assert krakensim.control("GET", "rate-limits")["enabled"] is False


def test_public_endpoints_cost_nothing(krakensim: Venue) -> None:  # noqa: F811
    krakensim.rate_limits(True)
    for _ in range(3):
        acct = krakensim.new_account()
        for _ in range(20):
            cancel_all(krakensim, acct)
    market = krakensim.kraken_futures().market
    for _ in range(30):
        assert market.get_tickers()["result"] == "success"
