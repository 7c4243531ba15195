"""The seeded past's cost at start-up: time and memory of ``SeedPast`` for every default instrument.

    PYTHONPATH=src python bench/past.py [DAYS ...]     # default: 1 3 7 14

Time is measured without tracing; memory in a second run under tracemalloc (the Python objects the
past adds: candle arrays, trades, tape, mark changes, funding rates).
"""

from __future__ import annotations

import sys
import time
import tracemalloc

from krakensim.engine.commands import SeedPast, Tick
from krakensim.runtime.clock import ManualClock
from krakensim.runtime.core import Runtime

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def fresh() -> Runtime:
    rt = Runtime(seed=1, clock=ManualClock(T0))
    rt.submit_sync(Tick())
    return rt


def main() -> None:
    days_list = [int(a) for a in sys.argv[1:]] or [1, 3, 7, 14]
    print("## The seeded past at start-up (`bench/past.py`)\n")
    print("A fresh venue's `SeedPast` for every default instrument: one-minute candles for the days asked, "
          "then 15-minute, hourly and daily ones (500 at every Charts resolution), the last day's trades, "
          "hourly funding rates. Time without tracing; memory under tracemalloc.\n")
    print("| days of one-minute history | instruments | seconds | MB (traced) | MB per day beyond the first |")
    print("|---|---|---|---|---|")
    base_mb = None
    for days in days_list:
        rt = fresh()
        t = time.perf_counter()
        rt.submit_sync(SeedPast(1, days))
        seconds = time.perf_counter() - t
        rt = fresh()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        rt.submit_sync(SeedPast(1, days))
        mb = (tracemalloc.get_traced_memory()[0] - before) / 1e6
        tracemalloc.stop()
        if base_mb is None:
            base_mb, base_days = mb, days
        per_day = f"{(mb - base_mb) / (days - base_days):.1f}" if days != base_days else "—"
        print(f"| {days} | {len(rt.exchange.listed)} | {seconds:.2f} | {mb:.1f} | {per_day} |")


if __name__ == "__main__":
    main()
