"""Restart time after SIGKILL with the simulated market running (a real server process).

Runs ``krakensim serve --market --speed S --data FILE`` and every ``--every`` seconds of wall time
kills it with SIGKILL, then restarts it on the same journal and measures the time from the launch to
the first answer, with how many commands the start replayed (the tail after the latest snapshot). The
market keeps running between kills, so the state and the journal grow as they would in a long run.

    python bench/restart.py [--speed 60] [--minutes 6] [--every 60]
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(args: list[str], out: Path) -> tuple[subprocess.Popen[bytes], float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONUNBUFFERED="1")
    with open(out, "wb") as f:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT)
    return proc, time.perf_counter()


def ready(proc: subprocess.Popen[bytes], port: int, out: Path) -> None:
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited:\n{out.read_text()[-3000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/derivatives/api/v3/instruments", timeout=1).ok:
                return
        except requests.RequestException:
            time.sleep(0.02)


def journal_figures(path: Path) -> tuple[int, int]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        last = db.execute("SELECT max(last_seq) FROM journal").fetchone()[0] or 0
        snap = db.execute("SELECT max(seq) FROM snapshots").fetchone()[0] or 0
        return int(last), int(snap)
    finally:
        db.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--speed", type=float, default=60)
    ap.add_argument("--minutes", type=float, default=6, help="wall time the market runs in all")
    ap.add_argument("--every", type=float, default=60, help="seconds of wall time between kills")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--keep", help="copy the journal here at the end (killed, not stopped: a crash's tail)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "journal.sqlite"
        out = Path(d) / "server.log"
        port = free_port()
        key, secret = "restart-bench", base64.b64encode(os.urandom(64)).decode()
        args = [a.python, "-m", "krakensim", "serve", "--port", str(port), "--data", str(data), "--market",
                "--speed", str(a.speed), "--api-key", key, "--api-secret", secret]
        proc, t0 = launch(args, out)
        ready(proc, port, out)
        began = time.perf_counter()
        print(f"market at --speed {a.speed:g}, a SIGKILL every {a.every:g} s for {a.minutes:g} min", flush=True)
        rows = []
        while time.perf_counter() - began < a.minutes * 60:
            time.sleep(a.every)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            last, snap = journal_figures(data)
            proc, t0 = launch(args, out)
            ready(proc, port, out)
            took = time.perf_counter() - t0
            m = re.search(r"\((\d+) journaled commands replayed\)", out.read_text())
            replayed = int(m.group(1)) if m else 0
            mb = data.stat().st_size / 1e6
            rows.append((took, replayed))
            print(f"after {time.perf_counter() - began:6.0f} s: journal {last:>9} commands ({mb:.0f} MB), "
                  f"tail after the latest snapshot {last - snap:>7}; restart to first answer {took:.2f} s, "
                  f"{replayed} replayed", flush=True)
        if a.keep:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(f"{data}{suffix}"):
                    shutil.copyfile(f"{data}{suffix}", f"{a.keep}{suffix}")
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        worst = max(rows)
        print(f"{len(rows)} kills: restart median {sorted(r[0] for r in rows)[len(rows) // 2]:.2f} s, "
              f"worst {worst[0]:.2f} s ({worst[1]} replayed)")


if __name__ == "__main__":
    main()
