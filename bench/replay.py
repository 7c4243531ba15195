"""Replay benchmark: how fast a start re-applies the journal, checks its chain and loads a snapshot.

The simulated market (the heaviest steady writer: ~90 commands a second of exchange time with the
defaults) runs in-process on a manual clock through a real journal (group commit), for several
stretches of exchange time; after each stretch a fresh start is measured: opening the journal (the
chain check over every row), replaying it all, pickling and loading a snapshot of the state.
These figures choose the snapshot cadence (runtime/core.py) and are quoted in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from krakensim.runtime import snapshots  # noqa: E402
from krakensim.runtime.clock import ManualClock  # noqa: E402
from krakensim.runtime.core import Runtime  # noqa: E402
from krakensim.serve.market import attach_to_manual_clock, make_sim  # noqa: E402
from krakensim.store.journal import Journal  # noqa: E402

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def fresh(path: str) -> tuple[Runtime, float]:
    t = time.perf_counter()
    rt = Runtime(seed=1, journal=Journal(path, seed=1), clock=ManualClock(T0))
    return rt, time.perf_counter() - t


def measure(path: str, label: str) -> dict[str, float]:
    rt, open_s = fresh(path)
    t = time.perf_counter()
    n = rt.replay(use_snapshot=False)
    replay_s = time.perf_counter() - t
    state = (rt.exchange, rt.keys)
    t = time.perf_counter()
    blob = snapshots.dump(state)
    dump_s = time.perf_counter() - t
    t = time.perf_counter()
    snapshots.load_state(blob)
    load_s = time.perf_counter() - t
    assert rt.journal is not None
    rt.journal.close()
    out = {"commands": n, "open_s": open_s, "replay_s": replay_s, "rate": n / replay_s, "dump_s": dump_s,
           "load_s": load_s, "snapshot_mb": len(blob) / 1e6, "journal_mb": os.path.getsize(path) / 1e6}
    print(f"{label:>10}: {n:>9} commands, journal {out['journal_mb']:.1f} MB; open+chain {open_s:.2f} s; "
          f"replay {replay_s:.2f} s = {out['rate']:,.0f} commands/s; snapshot {out['snapshot_mb']:.1f} MB, "
          f"pickle {dump_s:.2f} s, load {load_s:.2f} s", flush=True)
    return out


async def run(rt: Runtime, seconds: int) -> None:
    await rt.start()
    for _ in range(seconds // 60):
        await rt.advance(60_000)
    await rt.barrier()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--stretches", default="600,3000,7200",
                    help="seconds of exchange time added before each measurement (cumulative)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "journal.sqlite")
        total = 0
        for seconds in (int(x) for x in args.stretches.split(",")):
            rt, _ = fresh(path)
            rt.replay()
            attach_to_manual_clock(rt, make_sim(rt, 1))
            rt.clock.now = max(rt.clock.now, (rt.journal.last_ts() if rt.journal else None) or T0)
            t = time.perf_counter()
            asyncio.run(run_and_stop(rt, seconds))
            total += seconds
            print(f"(market ran {seconds} s of exchange time in {time.perf_counter() - t:.1f} s)", flush=True)
            measure(path, f"{total // 60} min")


async def run_and_stop(rt: Runtime, seconds: int) -> None:
    await run(rt, seconds)
    rt.journal and rt.journal.db.execute("DELETE FROM snapshots")  # measure the whole replay
    await rt.stop()


if __name__ == "__main__":
    main()
