"""Authentication, nonces and key permissions."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import ccxt
import pytest
from kraken.exceptions import KrakenAuthenticationError
from kraken.futures import Trade, User

from apihelpers import BTC, XBT_ID, Creds, kraken_sign, new_secret, raw_open_orders, uid

PRICE = 88200
WORKED_SECRET = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw=="


def _nonce() -> str:
    return str(int(time.time() * 100_000_000))


def _order_body(cid: str, price: int = PRICE) -> str:
    return urlencode(
        {
            "orderType": "lmt",
            "side": "buy",
            "size": "0.001",
            "symbol": XBT_ID,
            "limitPrice": str(price),
            "cliOrdId": cid,
        }
    )


def test_signer_matches_clients_md_vectors() -> None:
    # clients.md §1.4: the hand-built signer used below is the one both clients use
    assert (
        kraken_sign(WORKED_SECRET, "/api/v3/openorders")
        == "01NpmRljuNFOYCFDW+OXrtHSByZQJbicy27eoNrFl8w05mo30EzFYxJjL+yj7ul6RPZy5zHB0z3sIuPz2gycng=="
    )
    assert (
        kraken_sign(WORKED_SECRET, "170000000000000000/api/v3/openorders")
        == "aqqsoW7JlsgPIBKehzVEtK6bfS1LerbuLl+I9loxUr29IDq4qsgAz2YhS2fulZyzyVTslx4J5WCaBD4JNgtw7Q=="
    )


def test_wrong_secret_is_authentication_error_and_changes_nothing(ccxt_factory, fresh_account) -> None:
    creds = fresh_account()
    good = ccxt_factory(creds)
    before = raw_open_orders(good)
    bad = ccxt_factory(Creds(creds.key, new_secret()))
    with pytest.raises(ccxt.AuthenticationError):
        bad.create_order(BTC, "limit", "buy", 0.001, PRICE, {"clientOrderId": uid("badsig")})
    body = bad.last_json_response
    assert body["result"] == "error"
    assert body["error"] == "authenticationError"
    assert "serverTime" in body
    with pytest.raises(ccxt.AuthenticationError):
        bad.fetch_open_orders()
    assert raw_open_orders(good) == before


def test_unknown_key_and_missing_headers(raw_factory) -> None:
    stranger = raw_factory(Creds("no-such-key", new_secret()))
    r = stranger.v3("GET", "openorders")
    assert r.status_code == 200
    assert r.json()["result"] == "error" and r.json()["error"] == "authenticationError"

    anonymous = raw_factory(None)
    r = anonymous.v3("GET", "accounts", sign=False)
    assert r.status_code == 200
    assert r.json()["result"] == "error" and r.json()["error"] == "authenticationError"

    r = anonymous.v3("POST", "sendorder", body=_order_body(uid("anon")), sign=False)
    assert r.json()["error"] == "authenticationError"


def test_sdk_wrong_secret_raises_typed_error(sdk_factory, fresh_account) -> None:
    creds = fresh_account()
    bad = sdk_factory(User, Creds(creds.key, new_secret()))
    with pytest.raises(KrakenAuthenticationError):
        bad.get_wallets()


def test_duplicate_nonce_rejected(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account())
    nonce = _nonce()
    cid1, cid2 = uid("n1"), uid("n2")
    first = raw.v3json("POST", "sendorder", body=_order_body(cid1), nonce=nonce)
    assert first["result"] == "success" and first["sendStatus"]["status"] == "placed"
    second = raw.v3json("POST", "sendorder", body=_order_body(cid2), nonce=nonce)
    assert second["result"] == "error"
    assert second["error"] == "nonceDuplicate"
    # replaying the very same signed request is rejected too
    third = raw.v3json("POST", "sendorder", body=_order_body(cid1), nonce=nonce)
    assert third["result"] == "error" and third["error"] == "nonceDuplicate"
    opened = raw.v3json("GET", "openorders", nonce=str(int(nonce) + 10))["openOrders"]
    assert [o.get("cliOrdId") for o in opened] == [cid1]
    raw.v3json("POST", "cancelorder", body=urlencode({"cliOrdId": cid1}), nonce=str(int(nonce) + 20))


def test_sdk_nonces_accepted_in_sequence(sdk_factory, fresh_account) -> None:
    user = sdk_factory(User, fresh_account())
    for _ in range(3):  # fresh nonce per call, strictly increasing
        assert user.get_open_orders()["result"] == "success"


def test_nonce_far_below_threshold_rejected(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account())
    high = _nonce()
    assert raw.v3json("GET", "openorders", nonce=high)["result"] == "success"
    low = raw.v3json("GET", "openorders", nonce="1000")
    assert low["result"] == "error"
    assert low["error"] == "nonceBelowThreshold"


def test_requests_without_nonce_always_accepted(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account())
    raw.v3json("GET", "openorders", nonce=_nonce())
    # ccxt never sends a nonce: still fine after a nonce was used
    for _ in range(2):
        assert raw.v3json("GET", "openorders")["result"] == "success"


def test_read_only_key_cannot_trade(server, ccxt_factory, sdk_factory, fresh_account) -> None:
    full = fresh_account()
    ro = server.read_only_key(full.key)
    ex_ro = ccxt_factory(ro)
    ex_full = ccxt_factory(full)
    # reads work with a read-only key
    assert ex_ro.fetch_balance()["USD"]["total"] == pytest.approx(100000)
    assert ex_ro.fetch_open_orders() == []

    with pytest.raises(ccxt.BaseError):
        ex_ro.create_order(BTC, "limit", "buy", 0.001, PRICE, {"clientOrderId": uid("ro")})
    body = ex_ro.last_json_response
    assert body["result"] == "error"
    assert body["error"] == "authenticationError"
    assert ex_full.fetch_open_orders() == []

    trade_ro = sdk_factory(Trade, ro)
    with pytest.raises(KrakenAuthenticationError):
        trade_ro.create_order(orderType="lmt", size=0.001, symbol=XBT_ID, side="buy", limitPrice=PRICE)
    assert ex_full.fetch_open_orders() == []

    # and cannot cancel an order placed with the full key
    order = ex_full.create_order(BTC, "limit", "buy", 0.001, PRICE)
    with pytest.raises(ccxt.BaseError):
        ex_ro.cancel_order(order["id"])
    assert ex_ro.last_json_response["error"] == "authenticationError"
    assert [o["id"] for o in ex_full.fetch_open_orders()] == [order["id"]]
    ex_full.cancel_order(order["id"])
