"""Engine-only benchmark: add+cancel operations per second and bytes per resting order.

No HTTP, no JSON, no journal: the pure engine, called the way the runtime calls it.
Writes bench/results/engine.md and prints the figures.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from krakensim.engine import Exchange, default_instruments  # noqa: E402
from krakensim.engine.book import BUY, SELL  # noqa: E402

T0 = 1_700_000_000_000


PER_ACCOUNT = 400  # below the per-account open-order limit


def fill_book(ex: Exchange, n: int, spread: int) -> None:
    accounts = [ex.create_account(10**18) for _ in range(n // PER_ACCOUNT + 1)]
    for i in range(n):
        side = BUY if i % 2 else SELL
        price = 89000 - i % spread if side == BUY else 91000 + i % spread
        r = ex.place(accounts[i // PER_ACCOUNT], "PF_XBTUSD", side, "lmt", 100 + i % 7, price, None, False, T0)
        assert r.status == "placed", r.status


def add_cancel(n: int, resting: int) -> float:
    """Seconds for n (add + cancel) pairs against a book already holding ``resting`` orders."""
    ex = Exchange(default_instruments(), seed=1)
    fill_book(ex, resting, 500)
    a = ex.create_account(10**18)
    place, cancel = ex.place, ex.cancel
    # every answer is checked once, outside the timed loop, on a sample run
    r = place(a, "PF_XBTUSD", BUY, "lmt", 100, 89500, None, False, T0)
    assert r.status == "placed" and cancel(a, r.oid, None, T0).status == "cancelled"
    gc.collect()
    gc.disable()
    t = time.perf_counter()
    for i in range(n):
        side = BUY if i & 1 else SELL
        price = 89500 - (i % 300) if side == BUY else 90500 + (i % 300)
        r = place(a, "PF_XBTUSD", side, "lmt", 100 + (i & 7), price, None, False, T0 + i)
        cancel(a, r.oid, None, T0 + i)
    dt = time.perf_counter() - t
    gc.enable()
    return dt


def bytes_per_order(n: int) -> float:
    ex = Exchange(default_instruments(), seed=1)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fill_book(ex, n, 1000)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(ex.open) == n
    # the accounts themselves are not per-order cost
    per_account = sys.getsizeof(ex.accounts) / max(1, len(ex.accounts))
    return (after - before) / n - per_account / PER_ACCOUNT


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 20_000 if args.quick else 200_000
    runs = 3 if args.quick else 5
    rows = []
    for resting in (0, 10_000):
        times = [add_cancel(n, resting) for _ in range(runs)]
        best = min(times)
        ops = 2 * n / best
        med = 2 * n / statistics.median(times)
        rows.append((resting, ops, med))
        print(f"engine add+cancel, {resting} resting orders: {ops:,.0f} ops/s (best of {runs}), median {med:,.0f}")
    bpo = bytes_per_order(20_000 if args.quick else 100_000)
    print(f"bytes per resting order: {bpo:,.0f}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "### Engine only (no HTTP, no journal)",
        "",
        f"{n:,} limit adds each followed by its cancel, PF_XBTUSD, prices spread over 300 levels per side; "
        "one op = one add or one cancel. Python " + sys.version.split()[0] + ".",
        "",
        "| book already holding | add+cancel ops/s (best) | median |",
        "|---|---|---|",
        *[f"| {r:,} orders | {o:,.0f} | {m:,.0f} |" for r, o, m in rows],
        "",
        f"Bytes per resting order (tracemalloc, {20_000 if args.quick else 100_000:,} orders on 2,000 levels, "
        f"incl. book, indexes and account maps): **{bpo:,.0f}**",
        "",
    ]
    (out / "engine.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
