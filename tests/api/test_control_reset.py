"""Reset and state files on a server with a journal: a reset is journaled (a ``ResetState`` command, then
the start's accounts again), so a restart after a crash replays to the same state; a loaded state file is
journaled the same way; a file that does not load changes nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import requests

from apihelpers import Creds, ServerProcess, bearer, kraken_sign, manual_clock_args, new_key, new_secret


def wallet_status(srv: ServerProcess, creds: Creds) -> int:
    """The HTTP status and result of a signed accounts read with ``creds`` (200 'success' or an error)."""
    path = "/api/v3/accounts"
    nonce = str(__import__("time").time_ns())
    headers = {"APIKey": creds.key, "Nonce": nonce, "Authent": kraken_sign(creds.secret, nonce + path)}
    r = requests.get(srv.base + "/derivatives" + path, headers=headers, timeout=10)
    return 0 if r.json().get("result") == "success" else 1


def digest(srv: ServerProcess) -> str:
    return str(srv.admin("digest")["digest"])


def verify(data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "krakensim", "verify", "--data", str(data)], capture_output=True,
                          text=True, timeout=120)


def test_a_reset_replays_after_a_crash(tmp_path: Path) -> None:
    configured = Creds(new_key(), new_secret())
    srv = ServerProcess(tmp_path, [configured], data=tmp_path / "j.sqlite", extra_args=manual_clock_args())
    srv.start()
    try:
        before = srv.new_account("5000")
        srv.admin("clock", {"advanceMs": 3_600_000})
        assert srv.admin("status")["accounts"] == 2  # the configured one (the demo account) and this one
        srv.admin("reset", {})
        status = srv.admin("status")
        assert status["accounts"] == 1 and status["now"] == "2026-01-01T00:00:00.000Z"
        assert wallet_status(srv, before) == 1 and wallet_status(srv, configured) == 0
        after = srv.new_account("6000")
        at_crash = digest(srv)
    finally:
        srv.stop(signal.SIGKILL)  # no final snapshot: the restart replays the journal, the reset with it
    assert srv.data is not None and verify(srv.data).returncode == 0
    srv.start()
    try:
        assert digest(srv) == at_crash
        assert wallet_status(srv, after) == 0 and wallet_status(srv, before) == 1
        assert wallet_status(srv, configured) == 0
    finally:
        srv.stop()


def test_a_loaded_state_file_replays_after_a_crash_and_a_bad_one_changes_nothing(tmp_path: Path) -> None:
    srv = ServerProcess(tmp_path, [], data=tmp_path / "j.sqlite", extra_args=manual_clock_args())
    srv.start()
    try:
        kept = srv.new_account("777")
        state = srv.admin("snapshot")["state"]
        saved = digest(srv)
        srv.admin("reset", {})
        srv.new_account("1")
        before_bad = digest(srv), srv.admin("status")["journalSeq"]
        lines = state.split("\n")
        for bad in ("", "not json", lines[0] + "\n[1,{\"c\":\"nope\"}]\n", "\n".join(lines[:-2]) + "\n",
                    state.replace('"seed":1', '"seed":2')):
            r = requests.post(srv.base + "/_krakensim/v1/restore", json={"state": bad},
                              headers=bearer(srv.admin_token), timeout=10)
            assert r.status_code == 400, r.text
            assert r.json()["message"].startswith("state")
        r = requests.post(srv.base + "/_krakensim/v1/restore", json={}, headers=bearer(srv.admin_token), timeout=10)
        assert r.status_code == 400 and r.json()["message"].startswith("state:")
        assert (digest(srv), srv.admin("status")["journalSeq"]) == before_bad
        srv.admin("restore", {"state": state})
        assert digest(srv) == saved and wallet_status(srv, kept) == 0
    finally:
        srv.stop(signal.SIGKILL)
    srv.start()
    try:
        assert digest(srv) == saved and wallet_status(srv, kept) == 0
    finally:
        srv.stop()


def test_a_memory_server_with_the_running_market_says_it_keeps_no_state_file() -> None:
    from krakensim import Settings, ThreadedServer
    from krakensim.testing import ControlError, Venue

    with ThreadedServer(Settings(data=None, port=0, market=True)) as server:
        venue = Venue(server)
        try:
            try:
                venue.snapshot()
            except ControlError as e:
                assert e.status == 409 and "--data" in e.answer["message"]
            else:
                raise AssertionError("a state file without the commands behind it")
            venue.reset()  # a reset needs none
            assert venue.status()["market"] is True
        finally:
            venue.close()


def test_the_market_pauses_and_resumes() -> None:
    from krakensim import Settings, ThreadedServer
    from krakensim.testing import ControlError, Venue
    from krakensim.testing.plugin import default_settings

    settings = default_settings()
    settings.market = True  # stepped as the manual clock advances
    with ThreadedServer(settings) as server:
        venue = Venue(server)
        try:
            def mark() -> float:
                tickers = venue.kraken_futures().market.get_tickers()["tickers"]
                return float(next(t for t in tickers if t["symbol"] == "PF_XBTUSD")["markPrice"])

            venue.advance(30)
            assert venue.control("POST", "market", {"running": False}) == {
                **venue.control("GET", "market"), "simulated": True, "running": False}
            before = mark()
            venue.advance(60)  # no market step: its index and ladder stand still
            assert mark() == before
            venue.control("POST", "market", {"running": True})
            venue.advance(60)
            assert mark() != before  # sixty steps of its index later
            venue.reset()
            assert venue.control("GET", "market")["running"] is True
        finally:
            venue.close()
    with ThreadedServer(Settings(data=None, port=0)) as quiet:
        venue = Venue(quiet)
        try:
            try:
                venue.control("POST", "market", {"running": True})
            except ControlError as e:
                assert e.status == 409 and e.answer["message"].startswith("running:")
            else:
                raise AssertionError("a market paused that does not exist")
        finally:
            venue.close()


def test_a_scaled_clock_changes_speed() -> None:
    from krakensim import Settings, ThreadedServer
    from krakensim.runtime.clock import ScaledClock
    from krakensim.testing import ControlError, Venue

    with ThreadedServer(Settings(data=None, port=0, speed=2.0)) as server:
        venue = Venue(server)
        try:
            assert venue.control("POST", "clock/speed", {"speed": 50})["speed"] == 50
            assert server.built is not None
            clock = server.built.runtime.clock
            assert isinstance(clock, ScaledClock) and clock.speed == 50
            for bad in (0, -1, "fast", True, 10**9):
                try:
                    venue.control("POST", "clock/speed", {"speed": bad})
                except ControlError as e:
                    assert e.status == 400 and e.answer["message"].startswith("speed:")
                else:
                    raise AssertionError(f"speed {bad!r} taken")
        finally:
            venue.close()
    with ThreadedServer(Settings(data=None, port=0)) as wall:
        venue = Venue(wall)
        try:
            try:
                venue.control("POST", "clock/speed", {"speed": 2})
            except ControlError as e:
                assert e.status == 409 and "--speed" in e.answer["message"]
            else:
                raise AssertionError("the wall clock sped up")
        finally:
            venue.close()


def test_scaled_clock_set_speed_goes_on_from_where_it_is() -> None:
    from krakensim.runtime.clock import ScaledClock

    clock = ScaledClock(1.0, resume_from=10**13)
    before = clock()
    clock.set_speed(1000.0)
    assert clock() >= before and clock.speed == 1000.0
