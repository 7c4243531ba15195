"""The venue's settings changed through the control API are journaled (runtime/settings.py): a server killed
(SIGKILL: no final snapshot, the restart replays the journal) or stopped (SIGTERM: the restart loads the final
snapshot) comes back on the same data with the same rate-limit switch, the same faults (the same schedule on
the exchange's clock, the same seeded draws), the market still paused and the clock at the same speed; a
reset, journaled too, puts them back as the server was started; a state file does not carry them."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from apihelpers import Creds, ServerProcess, kraken_sign, manual_clock_args

TICKERS = "/derivatives/api/v3/tickers"


@pytest.fixture
def servers() -> Iterator[list[ServerProcess]]:
    made: list[ServerProcess] = []
    yield made
    for srv in made:
        srv.stop(signal.SIGKILL)


def server(servers: list[ServerProcess], tmp_path: Path, *extra: str) -> ServerProcess:
    srv = ServerProcess(tmp_path, [], data=tmp_path / "j.sqlite", extra_args=list(extra))
    servers.append(srv)
    srv.start()
    return srv


def restart(srv: ServerProcess, sig: int = signal.SIGKILL) -> None:
    srv.stop(sig)
    srv.start()


def cancel_all(srv: ServerProcess, creds: Creds) -> str:
    """``success``, or the error of a signed cancelallorders (it costs 25 of the 500 per 10 s)."""
    path, nonce = "/api/v3/cancelallorders", str(time.time_ns())
    headers = {"APIKey": creds.key, "Nonce": nonce, "Authent": kraken_sign(creds.secret, nonce + path)}
    doc = requests.post(srv.base + "/derivatives" + path, headers=headers, timeout=10).json()
    return str(doc["result"] if doc["result"] == "success" else doc["error"])


def refused_after(srv: ServerProcess, creds: Creds) -> int:
    """How many cancelallorders pass before the first ``apiLimitExceeded`` (at most 30 tried)."""
    for n in range(30):
        if cancel_all(srv, creds) == "apiLimitExceeded":
            return n
    return 30


def pick(doc: dict[str, Any], *names: str) -> tuple[Any, ...]:
    return tuple(doc[n] for n in names)


def tickers_struck(srv: ServerProcess, times: int = 1) -> list[int]:
    return [int(requests.get(srv.base + TICKERS, timeout=10).json()["result"] == "error") for _ in range(times)]


def test_the_rate_limit_switch_survives_a_crash_and_a_stop_until_a_reset(
        servers: list[ServerProcess], tmp_path: Path) -> None:
    srv = server(servers, tmp_path, *manual_clock_args())  # started with --no-rate-limits
    acct = srv.new_account()
    assert refused_after(srv, acct) == 30
    assert srv.admin("rate-limits", {"enabled": True})["enabled"] is True
    assert refused_after(srv, acct) == 20
    restart(srv)  # replayed from the journal
    assert pick(srv.admin("rate-limits"), "enabled", "configured") == (True, False)
    assert refused_after(srv, acct) == 20  # every bucket full after a restart, as after the switch
    restart(srv, signal.SIGTERM)  # from the final snapshot
    assert srv.admin("rate-limits")["enabled"] is True and refused_after(srv, acct) == 20
    state = srv.admin("snapshot")["state"]
    assert '"c":"setting"' not in state  # the settings are the server's, not the exchange's
    srv.admin("reset", {})
    acct = srv.new_account()
    assert srv.admin("rate-limits")["enabled"] is False
    restart(srv)
    assert srv.admin("rate-limits")["enabled"] is False and refused_after(srv, acct) == 30
    srv.admin("rate-limits", {"enabled": True})
    srv.admin("restore", {"state": state})  # a state loaded: the settings as configured, as after a reset
    assert srv.admin("rate-limits")["enabled"] is False
    restart(srv)
    assert srv.admin("rate-limits")["enabled"] is False


def test_faults_survive_a_crash_on_the_same_schedule_and_seed(servers: list[ServerProcess], tmp_path: Path) -> None:
    srv = server(servers, tmp_path, *manual_clock_args())
    window = srv.admin("faults", {"kind": "unavailable", "endpoint": TICKERS, "after_s": 60, "for_s": 60})["fault"]
    dice = srv.admin("faults", {"kind": "unavailable", "endpoint": "/derivatives/api/v3/instruments",
                                "probability": 0.5})["fault"]
    gone = srv.admin("faults", {"kind": "http_5xx", "endpoint": "/derivatives/api/v3/orderbook"})["fault"]
    srv.admin("faults/clear", {})
    for fault in (window, dice):  # (the window's start and end on the exchange's clock, as answered)
        srv.admin("faults", {k: v for k, v in fault.items() if k != "id"})
    in_force = srv.admin("faults")["faults"]
    assert [f["id"] for f in in_force] == [gone["id"] + 1, gone["id"] + 2]

    def drawn() -> list[int]:
        url = srv.base + "/derivatives/api/v3/instruments"
        return [int(requests.get(url, timeout=10).json()["result"] == "error") for _ in range(30)]

    first = drawn()
    assert 3 < sum(first) < 27
    restart(srv)
    assert srv.admin("faults")["faults"] == in_force
    assert drawn() == first  # the plan's generator starts again from the seed at a restart, as at a reset
    assert tickers_struck(srv) == [0]
    srv.admin("clock", {"advanceMs": 60_000})
    assert tickers_struck(srv) == [1]
    srv.admin("clock", {"advanceMs": 60_000})
    assert tickers_struck(srv) == [0]
    srv.admin("faults/clear", {})
    restart(srv)
    assert srv.admin("faults")["faults"] == [] and sum(drawn()) == 0


def test_a_paused_market_stays_paused_after_a_crash(servers: list[ServerProcess], tmp_path: Path) -> None:
    srv = server(servers, tmp_path, "--market", *manual_clock_args())

    def mark() -> str:
        tickers = requests.get(srv.base + TICKERS, timeout=10).json()["tickers"]
        return str(next(t for t in tickers if t["symbol"] == "PF_XBTUSD")["markPrice"])

    srv.admin("clock", {"advanceMs": 30_000})
    assert srv.admin("market", {"running": False})["running"] is False
    before = mark()
    restart(srv)
    assert srv.admin("market")["running"] is False
    srv.admin("clock", {"advanceMs": 60_000})  # sixty steps' time, and no step
    assert mark() == before
    srv.admin("market", {"running": True})
    restart(srv)
    assert srv.admin("market")["running"] is True
    srv.admin("clock", {"advanceMs": 60_000})
    assert mark() != before  # (what a paused market's mark would have done)


def test_the_clock_speed_survives_a_crash_until_a_reset(servers: list[ServerProcess], tmp_path: Path) -> None:
    srv = server(servers, tmp_path, "--speed", "2")
    assert pick(srv.admin("clock/speed"), "speed", "configured") == (2, 2)
    assert srv.admin("clock/speed", {"speed": 50})["speed"] == 50
    restart(srv)
    assert pick(srv.admin("clock/speed"), "speed", "configured") == (50, 2)
    restart(srv, signal.SIGTERM)
    assert srv.admin("clock/speed")["speed"] == 50
    srv.admin("reset", {})
    assert srv.admin("clock/speed")["speed"] == 2
    restart(srv)
    assert srv.admin("clock/speed")["speed"] == 2
