"""Starting a real krakensim server process for a test (loopback, a free port)."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
# the control API's token of every server started here (``--admin-token``)
ADMIN_TOKEN = secrets.token_urlsafe(24)
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, keys: list[tuple[str, str]], *extra: str, stderr: int | None = subprocess.DEVNULL,
                 timeout: float = 20) -> subprocess.Popen[bytes]:
    """``python -m krakensim serve`` with one account per (key, secret) and the control-API token
    ``ADMIN_TOKEN``; returns once it answers."""
    args = [sys.executable, "-m", "krakensim", "serve", "--port", str(port), "--admin-token", ADMIN_TOKEN, *extra]
    for k, s in keys:
        args += ["--api-key", k, "--api-secret", s]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/derivatives/api/v3/instruments", timeout=1).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("krakensim did not start")
