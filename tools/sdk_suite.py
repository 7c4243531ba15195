"""Run python-kraken-sdk's own Futures tests (User, Market, Funding) against a krakensim server.

    python tools/sdk_suite.py CHECKOUT [pytest arguments…]

CHECKOUT is a checkout of github.com/btschwertfeger/python-kraken-sdk (its ``tests/`` and
``pyproject.toml`` are enough; PyPI's sdist has no tests, so this is not part of ``make test``).
The tests run unchanged: a pytest plugin sets the SDK's Futures URL to the server (the only thing a
user changes) and the tests' own environment variables carry a funded account's key. The server is
a fresh ``krakensim serve --memory --market`` on a free loopback port.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SUITES = ("test_futures_user.py", "test_futures_market.py", "test_futures_funding.py")
PLUGIN = '''
import os
from kraken.base_api import FuturesClient
FuturesClient.URL = FuturesClient.SANDBOX_URL = os.environ["KRAKENSIM_URL"]
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"krakensim exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/derivatives/api/v3/instruments", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("krakensim did not answer in time")


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    checkout = Path(argv[0]).resolve()
    tests = checkout / "tests" / "futures"
    if not tests.is_dir():
        raise SystemExit(f"no tests/futures in {checkout}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    key = secrets.token_urlsafe(27)
    secret = base64.b64encode(secrets.token_bytes(64)).decode()
    server = subprocess.Popen(
        [sys.executable, "-m", "krakensim", "serve", "--memory", "--market", "--port", str(port),
         "--api-key", key, "--api-secret", secret],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(url, server)
        with tempfile.TemporaryDirectory() as plugin_dir:
            Path(plugin_dir, "krakensim_sdk_url.py").write_text(PLUGIN)
            env = dict(os.environ, KRAKENSIM_URL=url, FUTURES_API_KEY=key, FUTURES_SECRET_KEY=secret,
                       PYTHONPATH=os.pathsep.join(filter(None, [plugin_dir, os.environ.get("PYTHONPATH")])))
            command = [sys.executable, "-m", "pytest", "-p", "krakensim_sdk_url", "-p", "no:cacheprovider",
                       *(str(tests / s) for s in SUITES), *argv[1:]]
            return subprocess.call(command, cwd=checkout, env=env)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
