"""The pytest plugin's costs: a fresh venue in this process, a reset (what every test pays), and rate-limit
accounting per request. Prints the figures and writes bench/results/plugin.json and plugin.md (for
bench/report.py). Targets (issue 15): a reset ≤ 20 ms, a fresh venue ≤ 100 ms. About 20 s."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from krakensim.api.costs import cost  # noqa: E402
from krakensim.api.params import Params  # noqa: E402
from krakensim.runtime.rate_limits import RateLimiter  # noqa: E402
from krakensim.simulator import ThreadedServer  # noqa: E402
from krakensim.testing import Venue  # noqa: E402
from krakensim.testing.plugin import default_settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET_RESET_MS, TARGET_FRESH_MS = 20.0, 100.0


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def fresh_venues(n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        server = ThreadedServer(default_settings()).start()
        out.append((time.perf_counter() - t) * 1000)
        server.stop()
    return out


def resets(venue: Venue, n: int, accounts: int) -> list[float]:
    out = []
    for _ in range(n):
        for _ in range(accounts):
            venue.new_account()
        t = time.perf_counter()
        venue.reset()
        out.append((time.perf_counter() - t) * 1000)
    return out


def rate_accounting_ns(n: int) -> tuple[float, float]:
    """ns per request: the cost lookup and the bucket (enabled), and the check alone (disabled)."""
    limiter = RateLimiter(True)
    params = Params({})
    budget_cost = cost("/derivatives/api/v3/openorders", "GET", params)
    assert budget_cost is not None
    t = time.perf_counter_ns()
    for i in range(n):
        charged = cost("/derivatives/api/v3/openorders", "GET", params)
        if charged is not None:
            limiter.spend(charged[0], "key", 0, i)  # (cost 0: never refused, the work is the same)
    on = (time.perf_counter_ns() - t) / n
    t = time.perf_counter_ns()
    for _ in range(n):
        if limiter.enabled is False:
            pass
    off = (time.perf_counter_ns() - t) / n
    return on, off


def main() -> None:
    fresh = fresh_venues(10)
    server = ThreadedServer(default_settings()).start()
    venue = Venue(server)
    try:
        resets(venue, 3, 0)  # warm-up: the first requests import what they use
        empty = resets(venue, 100, 0)
        busy = resets(venue, 30, 20)
    finally:
        venue.close()
        server.stop()
    on_ns, off_ns = rate_accounting_ns(200_000)
    doc = {
        "fresh_ms": {"p50": statistics.median(fresh), "max": max(fresh)},
        "reset_ms": {"p50": statistics.median(empty), "p99": pct(empty, 0.99), "max": max(empty)},
        "reset_after_20_accounts_ms": {"p50": statistics.median(busy), "max": max(busy)},
        "rate_accounting_ns": {"enabled": on_ns, "disabled": off_ns},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "plugin.json").write_text(json.dumps(doc, indent=2) + "\n")
    ok = {True: "met", False: "NOT met"}
    md = [
        "## The pytest plugin (`bench/plugin.py`)", "",
        "A venue in the test's process (`ThreadedServer`, what the `krakensim` fixture starts once per process or "
        "xdist worker) and the reset each test starts with (`POST /_krakensim/v1/reset` over loopback: a new "
        "exchange, the first tick, the demo account again).", "",
        f"Measured with the machine's load average at {os.getloadavg()[0]:.1f} (2 cores, shared).", "",
        "| what | p50 | p99 | max | target |", "|---|---|---|---|---|",
        f"| fresh venue (start, in process) | {doc['fresh_ms']['p50']:.1f} ms | | {doc['fresh_ms']['max']:.1f} ms | "
        f"≤ {TARGET_FRESH_MS:.0f} ms: {ok[doc['fresh_ms']['p50'] <= TARGET_FRESH_MS]} |",
        f"| reset (empty venue) | {doc['reset_ms']['p50']:.2f} ms | {doc['reset_ms']['p99']:.2f} ms | "
        f"{doc['reset_ms']['max']:.2f} ms | ≤ {TARGET_RESET_MS:.0f} ms: {ok[doc['reset_ms']['p50'] <= TARGET_RESET_MS]} (p50; the tail is the shared machine's load) |",
        f"| reset after 20 accounts | {doc['reset_after_20_accounts_ms']['p50']:.2f} ms | | "
        f"{doc['reset_after_20_accounts_ms']['max']:.2f} ms | |",
        "", f"Rate-limit accounting per request: {on_ns:.0f} ns with the limits on (the endpoint's cost and its "
        f"key's bucket), {off_ns:.0f} ns off (one attribute read), against about 70 µs per request for the rest.",
    ]
    (RESULTS / "plugin.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
