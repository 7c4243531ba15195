"""Nonces as Kraken bounds them: strictly ASCII digits, and never far ahead of the server's clock.

A nonce above the server's clock read in nanoseconds plus a day (``runtime.keys.nonce_ceiling``)
is refused with ``authenticationError`` and does not move the key's window, so one bad request
cannot lock a key out, not even across a restart with a journal.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from apihelpers import XBT_ID, Creds, HttpRecorder, RawClient, ServerProcess, new_key, new_secret, uid

# what clients count in: the guide's milliseconds, microseconds, the SDK's 10^-8 s, time_ns
UNITS = {"ms": 1_000_000, "us": 1_000, "sdk": 10, "ns": 1}


def now_in(unit: str) -> int:
    return time.time_ns() // UNITS[unit]


def far_ahead() -> str:
    """A nonce just over the ceiling (now in nanoseconds plus a day), with an hour to spare."""
    return str(time.time_ns() + 25 * 3_600 * 10**9)


def _order(cid: str) -> str:
    return urlencode({"orderType": "lmt", "symbol": XBT_ID, "side": "buy", "size": "0.001", "limitPrice": "45000",
                      "cliOrdId": cid})


def _open_ids(raw: RawClient) -> list[str]:
    return [o.get("cliOrdId") for o in raw.v3json("GET", "openorders")["openOrders"]]


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_every_unit_clients_count_in_is_accepted(raw_factory, fresh_account, unit: str) -> None:
    raw = raw_factory(fresh_account())
    for _ in range(3):
        assert raw.v3json("GET", "openorders", nonce=str(now_in(unit)))["result"] == "success"
        time.sleep(0.002)  # the next millisecond


@pytest.mark.parametrize("nonce", ["-5", "+5", "1_0", "1e3", "0x10", "1.5", "12a", "1" + "0" * 20, "9" * 4301])
def test_a_malformed_nonce_is_an_authentication_error(raw_factory, fresh_account, nonce: str) -> None:
    raw = raw_factory(fresh_account())
    r = raw.v3json("POST", "sendorder", body=_order(uid()), nonce=nonce)
    assert r["result"] == "error" and r["error"] == "authenticationError", r
    assert _open_ids(raw) == []


@pytest.mark.parametrize("unit", ["ms", "sdk", "ns"])
def test_a_far_ahead_nonce_is_refused_and_the_key_keeps_working(raw_factory, fresh_account, unit: str) -> None:
    raw = raw_factory(fresh_account())
    first = uid()
    assert raw.v3json("POST", "sendorder", body=_order(first), nonce=str(now_in(unit)))["result"] == "success"
    for nonce in (far_ahead(), str(10**20), str(2**63)):
        r = raw.v3json("POST", "sendorder", body=_order(uid()), nonce=nonce)
        assert r["result"] == "error" and r["error"] == "authenticationError", (nonce, r)
    # the threshold did not move: the key's ordinary nonces still work
    later = uid()
    assert raw.v3json("POST", "sendorder", body=_order(later), nonce=str(now_in(unit) + 1))["result"] == "success"
    assert sorted(_open_ids(raw)) == sorted([first, later])


@pytest.fixture
def journaled(tmp_path, recorder: HttpRecorder) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path, [Creds(new_key(), new_secret())], data=tmp_path / "journal.sqlite")
    srv.start()
    yield srv
    srv.stop()


def test_a_far_ahead_nonce_does_not_lock_the_key_across_a_restart(journaled: ServerProcess,
                                                                    recorder: HttpRecorder) -> None:
    raw = RawClient(journaled.base, journaled.accounts[0], recorder)
    first = uid()
    assert raw.v3json("POST", "sendorder", body=_order(first), nonce=str(now_in("ms")))["result"] == "success"
    refused = raw.v3json("POST", "sendorder", body=_order(uid()), nonce=far_ahead())  # a command: journaled if taken
    assert refused["error"] == "authenticationError"
    journaled.stop()
    journaled.start()
    raw = RawClient(journaled.base, journaled.accounts[0], recorder)
    later = uid()
    assert raw.v3json("POST", "sendorder", body=_order(later), nonce=str(now_in("ms") + 1))["result"] == "success"
    assert sorted(_open_ids(raw)) == sorted([first, later])
