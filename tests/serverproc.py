"""Starting a real krakensim server process for a test (loopback, a free port), and talking to it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
# the control API's token of every server started here (``--admin-token``)
ADMIN_TOKEN = secrets.token_urlsafe(24)
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def new_secret() -> str:
    return base64.b64encode(os.urandom(64)).decode()


def server_env() -> dict[str, str]:
    """The environment of a server process: this checkout's code first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def serve_args(port: int, keys: list[tuple[str, str]], *extra: str) -> list[str]:
    # serve runs the market by default (a --config file's [market] enabled decides for itself)
    quiet = [] if "--market" in extra or "--config" in extra else ["--quiet"]
    if "--rate-limits" not in extra:  # and Kraken's rate limits: the tests' clients run unthrottled
        quiet.append("--no-rate-limits")
    args = [sys.executable, "-m", "krakensim", "serve", "--port", str(port), "--admin-token", ADMIN_TOKEN, *quiet,
            *extra]
    for k, s in keys:
        args += ["--api-key", k, "--api-secret", s]
    return args


def wait_ready(proc: subprocess.Popen[bytes], port: int, timeout: float = 30) -> bool:
    """True once the server answers; False when it exited first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if requests.get(f"http://127.0.0.1:{port}/derivatives/api/v3/instruments", timeout=1).ok:
                return True
        except requests.RequestException:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("krakensim did not start")


def start_server(port: int, keys: list[tuple[str, str]], *extra: str, stderr: Any = subprocess.DEVNULL,
                 timeout: float = 30) -> subprocess.Popen[bytes]:
    """``python -m krakensim serve`` with one account per (key, secret) and the control-API token
    ``ADMIN_TOKEN``; returns once it answers."""
    proc = subprocess.Popen(serve_args(port, keys, *extra), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
                            env=server_env())
    if not wait_ready(proc, port, timeout):
        raise RuntimeError(f"krakensim exited with {proc.returncode}")
    return proc


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m krakensim ARGS`` to completion, with its output."""
    return subprocess.run([sys.executable, "-m", "krakensim", *args], cwd=ROOT, env=server_env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


class SignedClient:
    """Kraken Futures REST v3 over one keep-alive session, signed with the key's secret."""

    def __init__(self, base: str, key: str, secret: str) -> None:
        self.base, self.key, self.secret = base, key, secret
        self.s = requests.Session()

    def call(self, method: str, endpoint: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        query = urlencode(params or {})
        path = "/derivatives/api/v3/" + endpoint
        digest = hashlib.sha256((query + path[len("/derivatives"):]).encode()).digest()
        authent = base64.b64encode(hmac.new(base64.b64decode(self.secret), digest, hashlib.sha512).digest())
        url = self.base + path + ("?" + query if query else "")
        r = self.s.request(method, url, headers={"APIKey": self.key, "Authent": authent.decode()}, timeout=5)
        body: dict[str, Any] = r.json()
        return body


def journal_state(path: Path) -> tuple[int, int | None]:
    """The journal's last seq and the seq of its newest snapshot (read-only)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        last = db.execute("SELECT max(last_seq) FROM journal").fetchone()[0] or 0
        snap = db.execute("SELECT max(seq) FROM snapshots").fetchone()[0]
        return int(last), snap
    finally:
        db.close()
