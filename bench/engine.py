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


def mixed(n: int, seed: int = 7) -> tuple[float, dict[str, int]]:
    """n operations: 50 % limit adds, 30 % cancels, 15 % aggressive (ioc/mkt), 5 % triggers.

    Returns (seconds, counts of outcomes); every answer is checked.
    """
    import random

    rng = random.Random(seed)
    ex = Exchange(default_instruments(), seed=1)
    fill_book(ex, 2_000, 200)  # other accounts' resting liquidity around the mark
    # makers add, cancel and place stops; takers send the aggressive orders (no self-trades)
    accounts = [ex.create_account(10**16) for _ in range(max(8, n // 1500))]
    takers = [ex.create_account(10**16) for _ in range(8)]
    resting: list[list[str]] = [[] for _ in accounts]
    counts: dict[str, int] = {}
    ops = []
    for i in range(n):
        r = rng.random()
        k = i % len(accounts)
        side = BUY if rng.random() < 0.5 else SELL
        if r < 0.50:
            price = 89900 - rng.randrange(800) if side == BUY else 90100 + rng.randrange(800)
            ops.append(("add", k, side, 10 + rng.randrange(90), price))
        elif r < 0.80:
            ops.append(("cancel", k, 0, 0, 0))
        elif r < 0.95:
            ops.append(("aggr", k, side, 1 + rng.randrange(20), 0))
        else:
            ops.append(("trig", k, side, 10, 85000 if side == SELL else 95000))
    place, cancel = ex.place, ex.cancel
    t = time.perf_counter()
    for i, (op, k, side, lots, price) in enumerate(ops):
        a = accounts[k]
        now = T0 + i
        if op == "add":
            res = place(a, "PF_XBTUSD", side, "lmt", lots, price, None, False, now)
            if res.status == "placed" and res.oid in ex.open:
                resting[k].append(res.oid)
        elif op == "cancel":
            if resting[k]:
                res = cancel(a, resting[k].pop(), None, now)
            else:
                res = cancel(a, "00000000-0000-4000-8000-000000000000", None, now)
        elif op == "aggr":
            res = place(takers[k % len(takers)], "PF_XBTUSD", side, "mkt" if i % 2 else "ioc", lots, 91000 if side == BUY else 89000,
                        None, False, now)
        else:
            res = place(a, "PF_XBTUSD", side, "stp", lots, None, None, False, now, None, price, "mark")
            if res.status == "placed":
                resting[k].append(res.oid)
        key = f"{op}:{res.status}"
        counts[key] = counts.get(key, 0) + 1
    return time.perf_counter() - t, counts


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
    m = 20_000 if args.quick else 200_000
    mixed_times = []
    counts: dict[str, int] = {}
    for _ in range(runs):
        dt, counts = mixed(m)
        mixed_times.append(dt)
    mixed_ops = m / min(mixed_times)
    bad = {k: v for k, v in counts.items() if not k.endswith((":placed", ":cancelled", ":filled", ":notFound",
                                                                ":iocWouldNotExecute"))}
    assert not bad, f"unexpected outcomes in the mixed workload: {bad}"
    print(f"engine mixed workload: {mixed_ops:,.0f} ops/s (best of {runs}); outcomes {dict(sorted(counts.items()))}")
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
        f"Mixed workload, {m:,} operations (50 % limit adds, 30 % cancels, 15 % aggressive ioc/market orders, "
        f"5 % stop orders), maker and taker accounts over a book of 2,000 resting orders: **{mixed_ops:,.0f} ops/s** "
        f"(best of {runs}). Outcomes: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())) + ".",
        "",
    ]
    (out / "engine.md").write_text("\n".join(lines))
    import json

    (out / "engine.json").write_text(json.dumps({
        "add_cancel": [{"resting": r, "ops": o, "median": md} for r, o, md in rows],
        "bytes_per_order": bpo,
        "mixed_ops": mixed_ops,
        "mixed_outcomes": counts,
    }, indent=1))


if __name__ == "__main__":
    main()
