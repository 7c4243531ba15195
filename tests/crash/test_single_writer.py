"""One writer per data file: a second server on the same journal refuses at once and touches nothing.

Two servers on one file used to interleave their groups (after a restart acknowledged orders came
back under other ids); a second server on the same file and port wrote to the journal before it
failed to bind, and the first then died on its next commit.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from serverproc import (
    ROOT,
    SignedClient,
    free_port,
    journal_state,
    new_secret,
    serve_args,
    server_env,
    start_server,
)

KEYS = [("writer-a", new_secret()), ("writer-b", new_secret())]


def file_bytes(data: Path) -> dict[str, str]:
    """The digest of the journal and its WAL (whatever SQLite keeps beside it)."""
    out = {}
    for p in sorted(data.parent.glob(data.name + "*")):
        if not p.name.endswith(".lock"):
            out[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_second(port: int, data: Path, keys: list[tuple[str, str]]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(serve_args(port, keys, "--data", str(data)), cwd=ROOT, env=server_env(),
                          capture_output=True, text=True, timeout=30, check=False)


def place(c: SignedClient, price: int) -> str:
    r = c.call("POST", "sendorder", {"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy", "size": "0.001",
                                     "limitPrice": str(price)})
    assert r["sendStatus"]["status"] == "placed", r
    return str(r["sendStatus"]["order_id"])


def open_ids(c: SignedClient) -> set[str]:
    return {o["order_id"] for o in c.call("GET", "openorders")["openOrders"]}


def test_a_second_server_on_the_same_file_refuses_and_the_first_goes_on(tmp_path: Path) -> None:
    data = tmp_path / "journal.sqlite"
    port = free_port()
    first = start_server(port, KEYS, "--data", str(data))
    try:
        c = SignedClient(f"http://127.0.0.1:{port}", *KEYS[0])
        before = [place(c, 80000 + i) for i in range(5)]
        seq_before = journal_state(data)[0]
        second = run_second(free_port(), data, [("intruder", new_secret())])
        assert second.returncode != 0
        assert "Traceback" not in second.stderr
        lines = [line for line in second.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and str(data) in lines[0] and "in use" in lines[0], second.stderr
        assert str(first.pid) in lines[0]  # the process holding it
        assert journal_state(data)[0] == seq_before  # the second wrote nothing
        # the first keeps working, on an intact journal
        after = [place(c, 81000 + i) for i in range(5)]
        assert open_ids(c) == set(before + after)
    finally:
        first.terminate()
        assert first.wait(20) == 0
    # and everything it acknowledged is there after a restart, under the same ids
    again = start_server(port, KEYS, "--data", str(data))
    try:
        assert open_ids(SignedClient(f"http://127.0.0.1:{port}", *KEYS[0])) == set(before + after)
    finally:
        again.terminate()
        again.wait(20)


def test_a_second_server_on_the_same_file_and_port_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "journal.sqlite"
    port = free_port()
    first = start_server(port, KEYS, "--data", str(data))
    try:
        c = SignedClient(f"http://127.0.0.1:{port}", *KEYS[0])
        ids = [place(c, 80000 + i) for i in range(3)]
        seq_before = journal_state(data)[0]
        bytes_before = file_bytes(data)
        second = run_second(port, data, [("intruder", new_secret())])  # a new key: it would journal an account
        assert second.returncode != 0
        assert "Traceback" not in second.stderr
        assert len([line for line in second.stderr.splitlines() if line.strip()]) == 1, second.stderr
        assert file_bytes(data) == bytes_before
        assert journal_state(data)[0] == seq_before
        # the first did not die on its next commit
        ids.append(place(c, 80100))
        assert open_ids(c) == set(ids)
    finally:
        first.terminate()
        assert first.wait(20) == 0


def test_a_busy_port_is_refused_before_the_journal_is_touched(tmp_path: Path) -> None:
    """Bind first: a server that cannot listen never creates or opens its journal."""
    data = tmp_path / "journal.sqlite"
    port = free_port()
    blocker = start_server(port, KEYS, "--memory")
    try:
        second = run_second(port, data, KEYS)
        assert second.returncode != 0
        assert "Traceback" not in second.stderr
        assert f"{port}" in second.stderr
        assert not data.exists()
    finally:
        blocker.terminate()
        blocker.wait(20)

