"""A command missing a required argument is answered ``requiredArgumentMissing`` before its key is
checked, as live Kraken answers (issue 13 part 8, docs/fidelity.md): a bogus key too. Nothing is
applied and the key's nonce window does not move."""

from __future__ import annotations

import time

import pytest

from apihelpers import Creds, new_key, new_secret

CASES = [
    ("sendorder", "orderType=lmt&symbol=PF_XBTUSD&side=buy&limitPrice=9000"),  # no size
    ("sendorder", "symbol=PF_XBTUSD&side=buy&size=0.001"),  # no orderType
    ("cancelorder", ""),
    ("cancelorder", "order_id="),
    ("editorder", "size=0.002"),  # neither orderId nor cliOrdId
    ("batchorder", ""),
]


@pytest.mark.parametrize(("endpoint", "body"), CASES)
def test_missing_argument_with_a_bogus_key(raw_factory, endpoint: str, body: str) -> None:
    raw = raw_factory(Creds(new_key(), new_secret(), ""))
    assert raw.v3json("POST", endpoint, body=body)["error"] == "requiredArgumentMissing"


def test_bogus_key_with_every_argument_is_still_an_authentication_error(raw_factory) -> None:
    raw = raw_factory(Creds(new_key(), new_secret(), ""))
    body = "orderType=lmt&symbol=PF_XBTUSD&side=buy&size=0.001&limitPrice=9000"
    assert raw.v3json("POST", "sendorder", body=body)["error"] == "authenticationError"


def test_self_trade_strategy_put_without_strategy(raw_factory) -> None:
    raw = raw_factory(Creds(new_key(), new_secret(), ""))
    r = raw.v3("PUT", "self-trade-strategy")
    assert r.status_code == 200 and r.json()["error"] == "requiredArgumentMissing"


def test_missing_argument_moves_no_nonce_and_applies_nothing(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account())
    high = str(time.time_ns())
    refused = raw.v3json("POST", "sendorder", body="orderType=lmt&symbol=PF_XBTUSD&side=buy", nonce=high)
    assert refused["error"] == "requiredArgumentMissing"
    # the refused nonce was not taken: sending it again with every argument works
    body = "orderType=post&symbol=PF_XBTUSD&side=buy&size=0.001&limitPrice=9000"
    sent = raw.v3json("POST", "sendorder", body=body, nonce=high)
    assert sent["sendStatus"]["status"] == "placed", sent
    assert len(raw.v3json("GET", "openorders")["openOrders"]) == 1
