"""A journal that does not prove itself stops the start with one clear line (never a traceback) and is
left as it was; ``krakensim verify`` runs the same check and says what it found."""

from __future__ import annotations

import hashlib
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from serverproc import ROOT, free_port, new_secret, run_cli, serve_args, server_env, start_server

KEYS = [("refusal-a", new_secret())]
LEGACY = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_journal" / "journal.sqlite"


def serve_once(data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """A server that is expected to refuse (it is stopped if it starts after all)."""
    return subprocess.run(serve_args(free_port(), KEYS, "--data", str(data), *extra), cwd=ROOT, env=server_env(),
                          capture_output=True, text=True, timeout=60, check=False)


def a_journal(tmp_path: Path, clean: bool = False) -> Path:
    """A small journal written by a real server, killed (a start replays it all: every row is checked)
    or stopped cleanly (the final snapshot covers it: a start checks from the snapshot's group on)."""
    data = tmp_path / "journal.sqlite"
    port = free_port()
    proc = start_server(port, KEYS, "--data", str(data))
    if clean:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    else:
        proc.kill()
        proc.wait(20)
    return data


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_gap_stops_the_start_naming_the_seq_and_what_to_do(tmp_path: Path) -> None:
    data = a_journal(tmp_path)
    db = sqlite3.connect(data)
    first, last = db.execute("SELECT first_seq, last_seq FROM journal ORDER BY last_seq LIMIT 1 OFFSET 1").fetchone()
    db.execute("DELETE FROM journal WHERE last_seq = ?", (last,))
    db.commit()
    db.close()
    before = sha(data)
    line = one_line(serve_once(data))
    assert f"commands {first}-{last} are missing" in line and "krakensim verify" in line and "backup" in line
    assert sha(data) == before
    check = run_cli("verify", "--data", str(data))
    assert check.returncode == 1 and f"commands {first}-{last} are missing" in check.stderr
    assert "Traceback" not in check.stderr


def test_an_edited_record_stops_the_start(tmp_path: Path) -> None:
    data = a_journal(tmp_path)
    db = sqlite3.connect(data)
    db.execute("UPDATE journal SET records = CAST(replace(records, '100000', '900000') AS BLOB)")  # the funds
    assert db.total_changes > 0
    db.commit()
    db.close()
    line = one_line(serve_once(data))
    assert "does not match its checksum" in line
    assert run_cli("verify", "--data", str(data)).returncode == 1


def test_a_damaged_file_stops_the_start(tmp_path: Path) -> None:
    data = a_journal(tmp_path)
    with open(data, "r+b") as f:
        f.seek(4096)
        f.write(b"\xff" * 4096 * 2)
    line = one_line(serve_once(data))
    assert "damaged" in line or "checksum" in line or "cannot be read" in line, line
    assert run_cli("verify", "--data", str(data)).returncode == 1


def test_an_edit_before_the_latest_snapshot_is_found_by_verify(tmp_path: Path) -> None:
    """The start loads the snapshot and checks the chain from its group on: what came before has no
    effect on the state any more, and verify (or a start that has to replay everything) finds it."""
    data = a_journal(tmp_path, clean=True)
    db = sqlite3.connect(data)
    db.execute("UPDATE journal SET records = CAST(replace(records, '100000', '900000') AS BLOB) "
               "WHERE last_seq < (SELECT max(last_seq) FROM journal)")
    db.commit()
    db.close()
    port = free_port()
    proc = start_server(port, KEYS, "--data", str(data))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    check = run_cli("verify", "--data", str(data))
    assert check.returncode == 1 and "does not match its checksum" in check.stderr


def test_an_empty_file_needs_init(tmp_path: Path) -> None:
    data = tmp_path / "journal.sqlite"
    data.write_bytes(b"")
    line = one_line(serve_once(data))
    assert "is empty (0 bytes)" in line and "--init" in line
    assert data.stat().st_size == 0
    port = free_port()
    proc = start_server(port, KEYS, "--data", str(data), "--init")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    assert run_cli("verify", "--data", str(data)).returncode == 0
    # --init never applies to a journal that holds something
    proc = start_server(port, KEYS, "--data", str(data), "--init")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0
    assert "commands: 0" not in run_cli("verify", "--data", str(data)).stdout


def test_a_foreign_file_is_refused_even_with_init(tmp_path: Path) -> None:
    data = tmp_path / "notes.txt"
    data.write_text("my notes\n")
    for extra in ((), ("--init",)):
        line = one_line(serve_once(data, *extra))
        assert "not a krakensim journal" in line
    assert data.read_text() == "my notes\n"
    assert run_cli("verify", "--data", str(data)).returncode == 1


def test_verify_says_what_an_intact_journal_holds(tmp_path: Path) -> None:
    data = a_journal(tmp_path, clean=True)
    db = sqlite3.connect(data)
    last = db.execute("SELECT max(last_seq) FROM journal").fetchone()[0]
    head = db.execute("SELECT chain FROM journal WHERE last_seq = ?", (last,)).fetchone()[0].hex()
    groups = db.execute("SELECT count(*) FROM journal").fetchone()[0]
    db.close()
    out = run_cli("verify", "--data", str(data))
    assert out.returncode == 0, out.stderr
    assert f"commands: {last} (seq 1-{last}) in {groups} groups" in out.stdout
    assert f"chain head: {head}" in out.stdout
    assert re.search(r"time: \d{4}-\d\d-\d\dT\S+Z to \d{4}-", out.stdout)
    assert f"snapshot: after seq {last}" in out.stdout  # written at the clean stop


def test_verify_reads_a_running_servers_journal_without_writing(tmp_path: Path) -> None:
    data = a_journal(tmp_path)
    port = free_port()
    proc = start_server(port, KEYS, "--data", str(data))
    try:
        out = run_cli("verify", "--data", str(data))
        assert out.returncode == 0, out.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0


def test_verify_of_a_journal_of_an_earlier_release(tmp_path: Path) -> None:
    data = tmp_path / "legacy.sqlite"
    shutil.copyfile(LEGACY, data)
    before = sha(data)
    out = run_cli("verify", "--data", str(data))
    assert out.returncode == 0, out.stderr
    assert "commands: 19294 (seq 1-19294) in 1190 groups" in out.stdout
    assert "0 groups with a checksum, 1190 without" in out.stdout
    assert sha(data) == before  # read-only


def test_a_signal_during_start_up_stops_it_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "legacy.sqlite"
    shutil.copyfile(LEGACY, data)  # ~19,000 commands to check, chain and replay
    proc = subprocess.Popen(serve_args(free_port(), [], "--data", str(data), "--clock", "manual"), cwd=ROOT,
                            env=server_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # the handlers are installed just before the data lock is taken: signal once the lock file exists, while
    # the journal is checked and replayed (a fixed sleep raced Python's imports on a loaded machine)
    deadline = time.monotonic() + 60
    while not Path(str(data) + ".lock").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
