"""The simulated market's shape and speed, measured with tests/marketshape.py (the harness the
tests assert on): spread and depth near the touch per instrument, a 10 BTC sweep's impact and the
book's recovery on PF_XBTUSD, and steps and commands a second on the manual clock.

    PYTHONPATH=src python bench/market_shape.py [STEPS] > bench/results/market_shape.md   # then bench/report.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from marketshape import market, shapes, steps, sweep  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 120
    rt, _ = market(seed=1)
    applied = 0
    original = rt.apply_now

    def counting(cmd, *a, **k):  # type: ignore[no-untyped-def]
        nonlocal applied
        applied += 1
        return original(cmd, *a, **k)

    rt.apply_now = counting  # type: ignore[method-assign]
    steps(rt, 10)
    t = time.perf_counter()
    applied = 0
    shape = shapes(rt, n)
    wall = time.perf_counter() - t
    print("## The simulated market's shape and speed (`bench/market_shape.py`)\n")
    print(f"### Book shape (seed 1, {n} steps of 1 s after 10 of warm-up, default agents)\n")
    print("| instrument | spread (ticks), median / max | within 0.1 % of mid, bid / ask (base units, median) "
          "| thinner side within 0.1 % (USD, median) |")
    print("|---|---|---|---|")
    for symbol, s in shape.items():
        print(f"| {symbol} | {s.median('spread_ticks'):g} / {max(s.spread_ticks)} | "
              f"{s.median('near_bid'):.4g} / {s.median('near_ask'):.4g} | {s.median('near_usd'):,.0f} |")
    print(f"\nSpeed: {n / wall:.0f} steps/s, {applied / wall:,.0f} commands/s "
          f"({applied / n:.0f} commands a step, {len(shape)} instruments, in-process manual clock, no journal)\n")
    print("### A 10 BTC market buy on PF_XBTUSD, and the recovery (seeds 1-5)\n")
    print("| seed | impact (bp beyond the mid) | ask depth within 0.1 % right after, then after 1, 2, 5, 10 steps "
          "(share of the 20 steps before) |")
    print("|---|---|---|")
    for seed in range(1, 6):
        rt, _ = market(seed=seed)
        steps(rt, 10)
        sw = sweep(rt, "PF_XBTUSD", 10, after=10)
        shares = [sw.near_after[i] / sw.near_before for i in (0, 1, 2, 5, 10)]
        print(f"| {seed} | {sw.impact_bps:.1f} | {', '.join(f'{x:.0%}' for x in shares)} |")
    print("\nrefill = 0.3 a step (the default); a step is 1 s of exchange time")


if __name__ == "__main__":
    main()
