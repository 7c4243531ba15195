"""Engine-only benchmark: add+cancel operations per second and bytes per resting order.

No HTTP, no JSON, no journal: the pure engine, called the way the runtime calls it.
Writes bench/results/engine.md and prints the figures.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _src_from_argv() -> Path:
    """``--src DIR``: whose krakensim to measure (default this checkout's; an older checkout's
    ``src`` measures that release the same way, for side-by-side figures)."""
    if "--src" in sys.argv:
        return Path(sys.argv[sys.argv.index("--src") + 1]).resolve()
    return ROOT / "src"


sys.path.insert(0, str(_src_from_argv()))

from krakensim.engine import Exchange, default_instruments  # noqa: E402

T0 = 1_700_000_000_000
BUY, SELL = 1, -1
PER_ACCOUNT = 400  # below the per-account open-order limit


class Driver:
    """Drives an engine the way its runtime does: typed commands through ``apply`` (this release),
    or command dicts through ``execute`` (releases before typed commands)."""

    def __init__(self) -> None:
        try:
            commands = importlib.import_module("krakensim.engine.commands")
        except ImportError:
            commands = None
        self.typed = commands is not None
        self.c = commands

    def exchange(self) -> Any:
        return Exchange(default_instruments(), seed=1)

    def account(self, ex: Any, usd8: int) -> str:
        if self.typed:
            return str(ex.apply(self.c.CreateAccount(usd8), T0).account_id)
        return str(ex.execute({"c": "acct", "usd8": usd8}, T0).extra)

    def place_fn(self, ex: Any) -> Any:
        """place(account, side, type, lots, price, now) -> (status, order id)."""
        if self.typed:
            apply, place_order = ex.apply, self.c.PlaceOrder

            def place(a: str, side: int, otype: str, lots: int, price: int | None, now: int) -> tuple[str, Any]:
                r = apply(place_order(a, "PF_XBTUSD", side, otype, lots, price), now)
                return r.status, r.order_id
            return place
        execute = ex.execute

        def place_old(a: str, side: int, otype: str, lots: int, price: int | None, now: int) -> tuple[str, Any]:
            cmd: dict[str, Any] = {"c": "place", "a": a, "s": "PF_XBTUSD", "d": side, "t": otype, "q": lots}
            if price is not None:
                cmd["p"] = price
            r = execute(cmd, now)
            return r.status, r.oid
        return place_old

    def stop_fn(self, ex: Any) -> Any:
        if self.typed:
            apply, place_order = ex.apply, self.c.PlaceOrder

            def stop(a: str, side: int, lots: int, trigger: int, now: int) -> tuple[str, Any]:
                r = apply(place_order(a, "PF_XBTUSD", side, "stp", lots, stop_price=trigger, trigger_signal="mark"),
                          now)
                return r.status, r.order_id
            return stop
        execute = ex.execute

        def stop_old(a: str, side: int, lots: int, trigger: int, now: int) -> tuple[str, Any]:
            r = execute({"c": "place", "a": a, "s": "PF_XBTUSD", "d": side, "t": "stp", "q": lots, "sp": trigger,
                         "sig": "mark"}, now)
            return r.status, r.oid
        return stop_old

    def cancel_fn(self, ex: Any) -> Any:
        if self.typed:
            apply, cancel_order = ex.apply, self.c.CancelOrder
            return lambda a, oid, now: apply(cancel_order(a, oid), now).status
        execute = ex.execute
        return lambda a, oid, now: execute({"c": "cancel", "a": a, "o": oid}, now).status


D = Driver()


def fill_book(ex: Any, n: int, spread: int) -> None:
    accounts = [D.account(ex, 10**18) for _ in range(n // PER_ACCOUNT + 1)]
    place = D.place_fn(ex)
    for i in range(n):
        side = BUY if i % 2 else SELL
        price = 89000 - i % spread if side == BUY else 91000 + i % spread
        status, _ = place(accounts[i // PER_ACCOUNT], side, "lmt", 100 + i % 7, price, T0)
        assert status == "placed", status


def add_cancel(n: int, resting: int) -> float:
    """Seconds for n (add + cancel) pairs against a book already holding ``resting`` orders."""
    ex = D.exchange()
    fill_book(ex, resting, 500)
    a = D.account(ex, 10**18)
    place, cancel = D.place_fn(ex), D.cancel_fn(ex)
    # every answer is checked once, outside the timed loop, on a sample run
    status, oid = place(a, BUY, "lmt", 100, 89500, T0)
    assert status == "placed" and cancel(a, oid, T0) == "cancelled"
    gc.collect()
    gc.disable()
    t = time.perf_counter()
    for i in range(n):
        side = BUY if i & 1 else SELL
        price = 89500 - (i % 300) if side == BUY else 90500 + (i % 300)
        _, oid = place(a, side, "lmt", 100 + (i & 7), price, T0 + i)
        cancel(a, oid, T0 + i)
    dt = time.perf_counter() - t
    gc.enable()
    return dt


def open_orders_of(ex: Any) -> dict[str, Any]:
    """Every open order by id (``open`` in checkouts before the property was renamed, as ``--src`` may measure)."""
    return ex.open_orders if hasattr(ex, "open_orders") else ex.open  # type: ignore[no-any-return]


def mixed(n: int, seed: int = 7) -> tuple[float, dict[str, int]]:
    """n operations: 50 % limit adds, 30 % cancels, 15 % aggressive (ioc/mkt), 5 % triggers.

    Returns (seconds, counts of outcomes); every answer is checked.
    """
    import random

    rng = random.Random(seed)
    ex = D.exchange()
    fill_book(ex, 2_000, 200)  # other accounts' resting liquidity around the mark
    # makers add, cancel and place stops; takers send the aggressive orders (no self-trades)
    accounts = [D.account(ex, 10**16) for _ in range(max(8, n // 1500))]
    takers = [D.account(ex, 10**16) for _ in range(8)]
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
    place, cancel, stop = D.place_fn(ex), D.cancel_fn(ex), D.stop_fn(ex)
    open_orders = open_orders_of(ex)
    t = time.perf_counter()
    for i, (op, k, side, lots, price) in enumerate(ops):
        a = accounts[k]
        now = T0 + i
        if op == "add":
            status, oid = place(a, side, "lmt", lots, price, now)
            if status == "placed" and oid in open_orders:
                resting[k].append(oid)
        elif op == "cancel":
            if resting[k]:
                status = cancel(a, resting[k].pop(), now)
            else:
                status = cancel(a, "00000000-0000-4000-8000-000000000000", now)
        elif op == "aggr":
            status, _ = place(takers[k % len(takers)], side, "mkt" if i % 2 else "ioc", lots,
                              91000 if side == BUY else 89000, now)
        else:
            status, oid = stop(a, side, lots, price, now)
            if status == "placed":
                resting[k].append(oid)
        key = f"{op}:{status}"
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
    assert len(open_orders_of(ex)) == n
    # the accounts themselves are not per-order cost
    per_account = sys.getsizeof(ex.accounts) / max(1, len(ex.accounts))
    return (after - before) / n - per_account / PER_ACCOUNT


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--src", default=None, help="the krakensim source tree to measure (default this checkout's)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"), help="where engine.md and engine.json go")
    ap.add_argument("--runs", type=int, default=None, help="runs of each figure (default 5; quick 3)")
    args = ap.parse_args()
    n = 20_000 if args.quick else 200_000
    runs = args.runs or (3 if args.quick else 5)
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
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "### Engine only (no HTTP, no journal)",
        "",
        f"{n:,} limit adds each followed by its cancel, PF_XBTUSD, prices spread over 300 levels per side; "
        "one op = one add or one cancel, each a command applied the way the runtime applies it "
        "(a typed command through `Exchange.apply`). Python " + sys.version.split()[0] + ".",
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
