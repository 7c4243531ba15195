#!/usr/bin/env python3
"""The longest any request can stall others: the heaviest requests krakensim serves, against a full book.

A real server process (``krakensim serve --memory``) is filled with ``--accounts`` accounts of 491
resting buy orders each (one ``batchorder`` apiece, every order at its own price level: a book of
about ten thousand levels), with trades and history behind them. A probe thread then sends a cheap
public request (``instruments/status``) back to back while the main thread sends each heavy request
in turn: the full ``orderbook``, ``openorders`` of a full account, a ``batchorder`` of 491 orders and
one of 491 cancels, ``cancelallorders`` of a full account, an IOC order sweeping thousands of levels,
the History API's pages, ``tickers``. The server runs one event loop, so a request's synchronous
part stalls every other client: each heavy request's own time and the probe's slowest answer while it
ran are what a user waits at worst.

    python bench/stall.py [--accounts 20] [--repeat 5] [--json bench/results/stall.json]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

ROOT = Path(__file__).resolve().parent.parent
SYMBOL = "PF_XBTUSD"
BATCH = 491  # the largest batch krakensim (and Kraken's rate limiter) accepts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    """Signed Kraken Futures REST over one keep-alive session."""

    def __init__(self, base: str, key: str, secret: str) -> None:
        self.base, self.key, self.secret = base, key, base64.b64decode(secret)
        self.s = requests.Session()

    def call(self, method: str, endpoint: str, params: dict[str, str] | None = None) -> Any:
        query = urlencode(params or {})
        path = endpoint if endpoint.startswith("/api/") else "/derivatives/api/v3/" + endpoint
        signed = path[len("/derivatives"):] if path.startswith("/derivatives") else path
        digest = hashlib.sha256((query + signed).encode()).digest()
        authent = base64.b64encode(hmac.new(self.secret, digest, hashlib.sha512).digest()).decode()
        url = self.base + path + ("?" + query if query and method == "GET" else "")
        data = query if method == "POST" else None
        headers = {"APIKey": self.key, "Authent": authent}
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        r = self.s.request(method, url, data=data, headers=headers, timeout=600)
        r.raise_for_status()
        return r.json()


class Probe(threading.Thread):
    """Back-to-back cheap requests; the latencies of those that ran during a window."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.url = base + "/derivatives/api/v3/instruments/status"
        self.stop = threading.Event()
        self.samples: list[tuple[float, float]] = []  # (start, seconds)

    def run(self) -> None:
        s = requests.Session()
        while not self.stop.is_set():
            t = time.perf_counter()
            s.get(self.url, timeout=600).raise_for_status()
            self.samples.append((t, time.perf_counter() - t))
            time.sleep(0.002)

    def worst_between(self, a: float, b: float) -> float:
        """The slowest probe answer that overlapped [a, b]."""
        return max((d for t, d in list(self.samples) if t <= b and t + d >= a), default=0.0)


def new_account(base: str, token: str) -> Client:
    r = requests.post(base + "/_krakensim/v1/accounts", json={"usd": "1000000000"},
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)
    r.raise_for_status()
    doc = r.json()
    return Client(base, doc["apiKey"], doc["apiSecret"])


def batch(c: Client, instructions: list[dict[str, Any]]) -> Any:
    return c.call("POST", "batchorder", {"json": json.dumps({"batchOrder": instructions})})


def ladder(start: int, tick: Decimal, top: Decimal, size: str) -> list[dict[str, Any]]:
    """491 buy orders, one per level, from ``start`` ticks below ``top`` downwards."""
    return [{"order": "send", "order_tag": str(i), "orderType": "lmt", "symbol": SYMBOL, "side": "buy",
             "size": size, "limitPrice": str(top - tick * (start + i))} for i in range(BATCH)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=20, help="accounts of 491 resting orders each")
    ap.add_argument("--repeat", type=int, default=5, help="times each heavy request is measured")
    ap.add_argument("--json", default=None, help="write the figures there too")
    args = ap.parse_args()

    port, token = free_port(), secrets.token_urlsafe(24)
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "krakensim", "serve", "--memory", "--port", str(port),
                             "--admin-token", token, "--price", "XBT=90000",
                             "--quiet", "--no-rate-limits"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if requests.get(base + "/derivatives/api/v3/instruments", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        inst = next(i for i in requests.get(base + "/derivatives/api/v3/instruments", timeout=10).json()["instruments"]
                    if i["symbol"] == SYMBOL)
        tick, size = Decimal(str(inst["tickSize"])), "0.001"  # above the small-order notional
        top = Decimal("89000")
        t = time.perf_counter()
        makers = [new_account(base, token) for _ in range(args.accounts)]
        for n, m in enumerate(makers):
            done = batch(m, ladder(n * BATCH, tick, top, size))
            bad = [s for s in done["batchStatus"] if s["status"] != "placed"]
            assert not bad, (len(bad), bad[:2])
        levels = args.accounts * BATCH
        print(f"book: {levels:,} resting buy orders at {levels:,} levels ({time.perf_counter() - t:.1f} s to place)")
        taker, spare = new_account(base, token), new_account(base, token)
        probe = Probe(base)
        probe.start()
        time.sleep(0.5)
        idle = [d for _, d in probe.samples]
        rows: list[dict[str, Any]] = []

        def measure(name: str, call: Any, setup: Any = None) -> None:
            own, worst = [], []
            for _ in range(args.repeat):
                if setup is not None:
                    setup()
                    time.sleep(0.1)  # the probe's answers that waited for the setup are not this request's
                a = time.perf_counter()
                call()
                b = time.perf_counter()
                time.sleep(0.05)  # the probe's answer that waited for it
                own.append(b - a)
                worst.append(probe.worst_between(a, b))
            rows.append({"request": name, "own_p50_ms": statistics.median(own) * 1e3, "own_max_ms": max(own) * 1e3,
                         "probe_worst_ms": max(worst) * 1e3})
            print(f"  {name:<58} own p50 {rows[-1]['own_p50_ms']:8.1f} ms  max {rows[-1]['own_max_ms']:8.1f} ms"
                  f"   others waited at most {rows[-1]['probe_worst_ms']:8.1f} ms", flush=True)

        sweep = 2000

        def swept(answer: Any) -> None:
            fills = [e for e in answer["sendStatus"].get("orderEvents", []) if e["type"] == "EXECUTION"]
            assert len(fills) == sweep, answer["sendStatus"]["status"]
        measure(f"GET orderbook ({levels:,} bid levels)",
                lambda: requests.get(base + f"/derivatives/api/v3/orderbook?symbol={SYMBOL}", timeout=600).json())
        measure("GET openorders (an account with 491 open orders)", lambda: makers[0].call("GET", "openorders"))
        measure("GET tickers", lambda: requests.get(base + "/derivatives/api/v3/tickers", timeout=600).json())
        measure("POST batchorder: 491 new orders", lambda: batch(spare, ladder(levels + 10, tick, top, size)),
                setup=lambda: spare.call("POST", "cancelallorders"))
        ids: list[str] = []

        def place_spare() -> None:
            spare.call("POST", "cancelallorders")
            done = batch(spare, ladder(levels + 10, tick, top, size))
            ids[:] = [s["order_id"] for s in done["batchStatus"]]

        measure("POST batchorder: 491 cancels",
                lambda: batch(spare, [{"order": "cancel", "order_id": i} for i in ids]), setup=place_spare)
        measure("POST cancelallorders (491 open orders)", lambda: spare.call("POST", "cancelallorders"),
                setup=place_spare)
        measure(f"POST sendorder: IOC sell sweeping {sweep:,} levels",
                lambda: swept(taker.call("POST", "sendorder", {"orderType": "ioc", "symbol": SYMBOL, "side": "sell",
                                                               "size": str(Decimal(size) * sweep),
                                                               "limitPrice": "82000"})),  # inside the 10 % collar
                setup=lambda: [batch(m, ladder(n * BATCH, tick, top, size)) for n, m in enumerate(makers[:5])])
        measure("GET history executions (a page, 1,000)",
                lambda: taker.call("GET", "/api/history/v3/executions", {"count": "1000"}))
        measure("GET history market orders (a page, 1,000)",
                lambda: requests.get(base + f"/api/history/v3/market/{SYMBOL}/orders?count=1000", timeout=600).json())
        measure("GET history market executions (a page, 1,000)",
                lambda: requests.get(base + f"/api/history/v3/market/{SYMBOL}/executions?count=1000",
                                     timeout=600).json())
        measure("GET fills", lambda: taker.call("GET", "fills"))
        probe.stop.set()
        worst = max(rows, key=lambda r: r["probe_worst_ms"])
        print(f"idle probe: p50 {statistics.median(idle) * 1e3:.2f} ms, max {max(idle) * 1e3:.2f} ms")
        print(f"longest stall of others: {worst['probe_worst_ms']:.0f} ms, by {worst['request']}")
        if args.json:
            Path(args.json).write_text(json.dumps({"levels": levels, "rows": rows,
                                                   "idle_probe_max_ms": max(idle) * 1e3}, indent=1) + "\n")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
