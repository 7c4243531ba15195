"""SIGINT and SIGTERM stop the server cleanly in every mode, under load.

Clients place and cancel orders (and, with a manual clock, advance it) while the signal arrives.
Then: exit status 0, no traceback (nor any error) on stderr; with a journal, the groups were drained
and the final snapshot covers the last command, so the next start replays nothing.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from serverproc import (
    ADMIN_HEADERS,
    ROOT,
    SignedClient,
    free_port,
    journal_state,
    new_secret,
    serve_args,
    server_env,
    wait_ready,
)

KEYS = [(f"stop-{i}", new_secret()) for i in range(3)]

MODES = {
    "memory": ["--memory", "--market"],
    "journal": [],
    "market": ["--market"],
    "manual-clock": ["--market", "--clock", "manual"],
    "scaled-clock": ["--market", "--speed", "60"],
}


def load(base: str, key: str, secret: str, stop: threading.Event, manual: bool, done: list[int]) -> None:
    c = SignedClient(base, key, secret)
    i = 0
    while not stop.is_set():
        i += 1
        try:
            r = c.call("POST", "sendorder", {"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy",
                                             "size": "0.001", "limitPrice": str(80000 + i % 500)})
            if i % 2 == 0:
                c.call("POST", "cancelorder", {"order_id": r["sendStatus"]["order_id"]})
            if manual and i % 5 == 0:
                requests.post(base + "/_krakensim/v1/clock", json={"advanceMs": 1000}, headers=ADMIN_HEADERS, timeout=5)
        except (requests.RequestException, ValueError, KeyError):
            return  # the server went away
        done.append(1)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("mode", list(MODES))
def test_a_signal_stops_the_server_cleanly_under_load(tmp_path: Path, mode: str, sig: int) -> None:
    data = tmp_path / "journal.sqlite"
    extra = MODES[mode] if mode == "memory" else ["--data", str(data), *MODES[mode]]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    err_path = tmp_path / "stderr.txt"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(serve_args(port, KEYS, *extra), cwd=ROOT, env=server_env(),
                                stdout=subprocess.DEVNULL, stderr=err)
    assert wait_ready(proc, port), err_path.read_text()
    stop = threading.Event()
    done: list[int] = []
    threads = [threading.Thread(target=load, args=(base, k, s, stop, mode == "manual-clock", done)) for k, s in KEYS]
    try:
        for t in threads:
            t.start()
        time.sleep(1.5)  # the market steps, clients are mid-request
        proc.send_signal(sig)
        status = proc.wait(30)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        if proc.poll() is None:
            proc.kill()
    stderr = err_path.read_text()
    assert len(done) > 20, "the load did not run"
    assert status == 0, stderr
    assert stderr.strip() == "", stderr
    if mode != "memory":
        last, snap = journal_state(data)
        assert last > 0 and snap == last  # drained, and the final snapshot covers it all
