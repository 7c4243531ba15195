#!/usr/bin/env python3
"""Screenshots of the dashboard's three views for the README (docs/dashboard-*.png).

Starts ``krakensim serve --memory --market --speed 30`` on a free loopback port (half a minute of
market makes fifteen one-minute candles), gives the demo account a position, a resting order and
some fills over REST, and photographs the market, account and control views in Debian's chromium
(headless, Playwright, never a browser build of Playwright's own). Run from the repository:
``.venv/bin/python tools/dashboard_screenshots.py`` (needs requirements-dev.txt and chromium).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("KRAKENSIM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MARKET_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(base: str, key: str, secret: str, endpoint: str, query: str) -> dict[str, Any]:
    path = "/derivatives/api/v3/" + endpoint
    digest = hashlib.sha256((query + path[len("/derivatives"):]).encode()).digest()
    authent = base64.b64encode(hmac.new(base64.b64decode(secret), digest, hashlib.sha512).digest()).decode()
    req = urllib.request.Request(f"{base}{path}?{query}", method="POST", headers={"APIKey": key, "Authent": authent})
    with urllib.request.urlopen(req, timeout=10) as r:
        answer: dict[str, Any] = json.loads(r.read())
    return answer


def main() -> None:
    from playwright.sync_api import sync_playwright

    port, token = free_port(), secrets.token_urlsafe(24)
    key, secret = "screenshots" + "k" * 20, base64.b64encode(os.urandom(64)).decode()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)}
    server = subprocess.Popen([sys.executable, "-m", "krakensim", "serve", "--port", str(port), "--memory", "--market",
                               "--speed", "30", "--admin-token", token, "--api-key", key, "--api-secret", secret],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/derivatives/api/v3/instruments", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(MARKET_S / 2)
        post(base, key, secret, "sendorder", "orderType=mkt&symbol=PF_XBTUSD&side=buy&size=0.05")
        post(base, key, secret, "sendorder", "orderType=lmt&symbol=PF_XBTUSD&side=sell&size=0.02&limitPrice=99000")
        post(base, key, secret, "sendorder", "orderType=mkt&symbol=PF_XBTUSD&side=sell&size=0.01")
        time.sleep(MARKET_S / 2)
        with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="dash-shots-") as profile:
            context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=ARGS,
                                                           headless=True, viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(base + "/")
            page.wait_for_selector("body[data-ready=true]")
            page.wait_for_function("() => document.querySelectorAll('#tape-body tr').length > 0")
            time.sleep(2)
            page.screenshot(path=str(ROOT / "docs" / "dashboard-market.png"))
            page.click("#tab-account")
            page.fill("#api-key", key)
            page.fill("#api-secret", secret)
            page.click("#account-form button[type=submit]")
            page.wait_for_function("() => document.querySelectorAll('#fills-body tr').length > 0")
            time.sleep(1.5)
            page.screenshot(path=str(ROOT / "docs" / "dashboard-account.png"), full_page=True)
            page.click("#tab-control")
            page.fill("#control-token", token)
            page.click("#control-form button[type=submit]")
            page.wait_for_selector("#control-actions:not([hidden])")
            page.fill("#price-mark", "90500")
            page.click("#create-form button[type=submit]")
            page.wait_for_selector("#created:not([hidden])")
            page.screenshot(path=str(ROOT / "docs" / "dashboard-control.png"))
            context.close()
    finally:
        server.terminate()
        server.wait(10)
    print("wrote docs/dashboard-market.png, docs/dashboard-account.png, docs/dashboard-control.png")


if __name__ == "__main__":
    main()
