#!/usr/bin/env python3
"""The dashboard's cost in the server on a busy market, and how fast its book follows REST.

Measures, over loopback, with the journal on (``--data``) and the simulated market at ``--speed``:

  (a) signed ``sendorder`` + ``cancelorder`` round trips per second (8 keep-alive connections, a
      resting PF_XBTUSD bid each time: every command changes the book the page shows and the open
      orders of the account it watches) with one dashboard open against none, runs interleaved
      (none, page, page, none), medians; the server's CPU share in each;
  (b) the time from a REST ``sendorder``'s answer to the page's ladder showing the new level (the
      page's market view, via its feed; read by the test driver, so it includes a frame or two).

"One dashboard open": Debian's chromium (headless, Playwright) on ``/`` with the market view of
PF_XBTUSD and the account view connected with the same key the load trades with (so its private
feeds carry every order), the worst case for the server. "None": the same browser on about:blank.
The browser shares the two cores with the server and the load generator: its rendering competes
with both, so (a) also pays the page's client side. Nothing asserts a figure; ``--quick`` is short.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from ws_fanout import PRODUCT, Server, cpu_s, measure_rest, pct  # noqa: E402

CHROMIUM = os.environ.get("KRAKENSIM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TARGET_RATIO = 0.95


def signed_post(base: str, key: str, secret: str, endpoint: str, query: str) -> dict[str, Any]:
    path = "/derivatives/api/v3/" + endpoint
    digest = hashlib.sha256((query + path[len("/derivatives"):]).encode()).digest()
    authent = base64.b64encode(hmac.new(base64.b64decode(secret), digest, hashlib.sha512).digest()).decode()
    req = urllib.request.Request(f"{base}{path}?{query}", method="POST", headers={"APIKey": key, "Authent": authent})
    with urllib.request.urlopen(req, timeout=10) as r:
        answer: dict[str, Any] = json.loads(r.read())
    return answer


def open_dashboard(context: Any, base: str, key: str, secret: str) -> Any:
    page = context.new_page()
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready=true]")
    page.click("#tab-account")
    page.fill("#api-key", key)
    page.fill("#api-secret", secret)
    page.click("#account-form button[type=submit]")
    page.wait_for_function("() => document.querySelector('#b-balance').textContent !== '–'")
    page.click("#tab-market")  # the market view shown; the account's feeds stay subscribed
    page.wait_for_function("() => document.querySelectorAll('#ladder-body tr[data-side]').length > 0")
    return page


def book_latency(page: Any, base: str, key: str, secret: str, samples: int) -> list[float]:
    """Milliseconds from a resting order's REST answer to its level in the page's ladder."""
    out = []
    for i in range(samples):
        price = 61_000 + i  # below the market's bids, inside the ladder's 20 levels
        answer = signed_post(base, key, secret, "sendorder",
                             f"orderType=lmt&symbol={PRODUCT}&side=buy&size=0.0077&limitPrice={price}")
        t0 = time.perf_counter()
        page.wait_for_function(f"() => document.querySelector('#ladder-body tr[data-price=\"{price}\"]') !== null",
                               polling="raf", timeout=10_000)
        out.append((time.perf_counter() - t0) * 1000)
        signed_post(base, key, secret, "cancelorder", f"order_id={answer['sendStatus']['order_id']}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--speed", type=float, default=10.0, help="the simulated market's --speed (default 10)")
    ap.add_argument("--duration", type=float, default=6.0, help="seconds of each REST run")
    ap.add_argument("--reps", type=int, default=2, help="runs of each setting (interleaved: none, page, page, none)")
    ap.add_argument("--rest-conns", type=int, default=8)
    ap.add_argument("--samples", type=int, default=20, help="book latency samples")
    ap.add_argument("--storage", choices=("data", "memory"), default="data")
    ap.add_argument("--quick", action="store_true", help="a short smoke run")
    ap.add_argument("--json", default=str(BENCH_DIR / "results" / "dashboard.json"))
    ap.add_argument("--out", default=str(BENCH_DIR / "results" / "dashboard.md"))
    args = ap.parse_args()
    if args.quick:
        args.duration, args.reps, args.samples = 2.0, 1, 5
    from playwright.sync_api import sync_playwright

    t0 = time.monotonic()
    server = Server(args.speed, args.storage)
    base = f"http://127.0.0.1:{server.port}"
    key, secret = server.info["key"], server.info["secret"]
    runs: dict[str, list[float]] = {"none": [], "page": []}
    cpu: dict[str, list[float]] = {"none": [], "page": []}
    order = ["none", "page", "page", "none"] * args.reps
    latencies: list[float] = []
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="dash-bench-") as profile:
        context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=ARGS, headless=True,
                                                       viewport={"width": 1400, "height": 900})
        page = None
        time.sleep(2.0)  # the market's first steps
        for setting in order:
            if setting == "page" and page is None:
                page = open_dashboard(context, base, key, secret)
                time.sleep(1.0)
            elif setting == "none" and page is not None:
                page.close()
                page = None
                time.sleep(0.5)
            c0 = cpu_s(server.proc.pid or 0)
            rate = measure_rest(server.port, key, secret, args.rest_conns, args.duration)
            share = (cpu_s(server.proc.pid or 0) - c0) / args.duration
            runs[setting].append(rate)
            cpu[setting].append(share)
            print(f"REST round trips, {setting:4s}: {rate:,.0f}/s (server CPU {share:.0%})", flush=True)
        if page is None:
            page = open_dashboard(context, base, key, secret)
        latencies = book_latency(page, base, key, secret, args.samples)
        context.close()
    server.stop()
    ratio = statistics.median(runs["page"]) / statistics.median(runs["none"])
    result = {"speed": args.speed, "duration": args.duration, "storage": args.storage, "rest_conns": args.rest_conns,
              "runs": runs, "server_cpu": cpu, "ratio": ratio, "target": TARGET_RATIO,
              "book_latency_ms": {"p50": pct(latencies, 0.5), "p90": pct(latencies, 0.9), "max": max(latencies),
                                  "samples": len(latencies)},
              "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
              "date": time.strftime("%Y-%m-%d"), "load": os.getloadavg()[0], "seconds": time.monotonic() - t0}
    print(f"REST round trips with one dashboard open ÷ none: {ratio:.3f} (target ≥ {TARGET_RATIO}); "
          f"book on the page after a REST order: p50 {result['book_latency_ms']['p50']:.0f} ms, "
          f"p90 {result['book_latency_ms']['p90']:.0f} ms")
    if not args.quick:
        Path(args.json).write_text(json.dumps(result, indent=1))
        Path(args.out).write_text(markdown(result))
        print(f"wrote {args.json} and {args.out}")


def markdown(r: dict[str, Any]) -> str:
    lat = r["book_latency_ms"]
    fmt = ", ".join
    return "\n".join([
        "## The dashboard's cost (`bench/dashboard.py`)",
        "",
        f"Measured {r['date']} ({r['machine']}, {r['cpus']} cores, Python {r['python']}; load average {r['load']:.1f} "
        f"at the end: the machine is shared). The server (`--{r['storage']}`) runs the simulated market at "
        f"`--speed {r['speed']:g}`; the load is {r['rest_conns']} keep-alive connections of signed `sendorder` + "
        "`cancelorder` pairs (a resting PF_XBTUSD bid: each command changes the book the page shows). *One dashboard "
        "open*: Debian's chromium, headless, on `/` (market view of PF_XBTUSD) with the account view connected with "
        "the key the load trades with, so its private feeds carry every order too; *none*: the same browser on "
        "about:blank. Runs interleaved (none, page, page, none), "
        f"{r['duration']:g} s each; the browser shares the two cores with the server and the load generator.",
        "",
        "| setting | round trips (pairs/s) | server CPU |",
        "|---|---|---|",
        f"| none | {fmt(f'{v:,.0f}' for v in r['runs']['none'])} | {fmt(f'{v:.0%}' for v in r['server_cpu']['none'])} |",
        f"| one dashboard open | {fmt(f'{v:,.0f}' for v in r['runs']['page'])} | "
        f"{fmt(f'{v:.0%}' for v in r['server_cpu']['page'])} |",
        "",
        f"Ratio of the medians (one dashboard ÷ none): **{r['ratio']:.3f}** (target ≥ {r['target']:g}).",
        "",
        f"The book on the page after a REST order (from `sendorder`'s answer to the level in the page's ladder, "
        f"read by the test driver once per frame; {lat['samples']} samples, same market): p50 {lat['p50']:.0f} ms, "
        f"p90 {lat['p90']:.0f} ms, max {lat['max']:.0f} ms.",
        "",
    ])


if __name__ == "__main__":
    main()
