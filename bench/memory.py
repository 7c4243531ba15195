#!/usr/bin/env python3
"""Memory of a venue over a long run, and what a restart needs.

Runs the default simulated market on a manual clock for ``--hours`` of exchange time (a step
every second, as at wall speed), in this process, journaling to a temporary file, and prints the
resident memory every ``--every`` hours. Then it snapshots, stops, and starts the venue again in
a fresh process from that journal (snapshot plus the tail) and from the journal alone, printing
each restart's time and peak memory beside the live process's.

    python bench/memory.py [--hours 24] [--every 1] [--json bench/results/memory.json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
HOUR_MS = 3_600_000


def rss_mb() -> float:
    """Resident memory now (MB)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def run(hours: float, every: float, journal_path: str) -> dict[str, Any]:
    from krakensim.engine.commands import Tick
    from krakensim.runtime.clock import ManualClock
    from krakensim.runtime.core import Runtime
    from krakensim.serve.market import attach_to_manual_clock, make_sim
    from krakensim.store.journal import Journal

    rt = Runtime(seed=1, journal=Journal(journal_path), clock=ManualClock(T0))
    rt.submit_sync(Tick())
    attach_to_manual_clock(rt, make_sim(rt, 1), 1000)
    samples: list[dict[str, float]] = []

    async def go() -> None:
        await rt.start()
        started = time.monotonic()
        done = 0.0
        while done < hours:
            step = min(every, hours - done)
            await rt.advance(int(step * HOUR_MS))
            done += step
            gc.collect()
            samples.append({"hours": done, "rss_mb": rss_mb(), "commands": rt.seq,
                            "seconds": time.monotonic() - started})
            print(f"{done:6.2f} h of exchange time: {rss_mb():7.1f} MB resident, {rt.seq:,} commands, "
                  f"{time.monotonic() - started:7.1f} s", flush=True)
        await rt.snapshot()
        await rt.stop()

    asyncio.run(go())
    return {"samples": samples, "live_peak_mb": peak_mb(), "commands": rt.seq}


def restart(journal_path: str, use_snapshot: bool) -> dict[str, float]:
    """Start the venue again from the journal in a fresh process: time and peak memory."""
    code = (
        "import resource, sys, time\n"
        f"sys.path.insert(0, {str(ROOT / 'src')!r})\n"
        "from krakensim.runtime.clock import ManualClock\n"
        "from krakensim.runtime.core import Runtime\n"
        "from krakensim.store.journal import Journal\n"
        "t = time.monotonic()\n"
        f"rt = Runtime(seed=1, journal=Journal({journal_path!r}), clock=ManualClock(0))\n"
        f"n = rt.replay(use_snapshot={use_snapshot!r})\n"
        "print(n, time.monotonic() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    return {"replayed": int(out[0]), "seconds": float(out[1]), "peak_mb": float(out[2])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hours", type=float, default=24.0, help="exchange time to run (default 24)")
    ap.add_argument("--every", type=float, default=1.0, help="hours between samples (default 1)")
    ap.add_argument("--json", default=None, help="also write the figures here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="krakensim-memory-") as tmp:
        path = str(Path(tmp) / "journal.sqlite")
        figures = run(args.hours, args.every, path)
        figures["journal_mb"] = sum(p.stat().st_size for p in Path(tmp).glob("journal.sqlite*")) / 1e6
        figures["restart_from_snapshot"] = restart(path, True)
        figures["restart_from_journal"] = restart(path, False)
    last = figures["samples"][-1]
    print(f"after {last['hours']:g} h: {last['rss_mb']:.0f} MB resident (live peak {figures['live_peak_mb']:.0f} MB), "
          f"journal {figures['journal_mb']:.0f} MB for {figures['commands']:,} commands")
    for name in ("restart_from_snapshot", "restart_from_journal"):
        r = figures[name]
        print(f"{name.replace('_', ' ')}: {r['replayed']:,} commands replayed in {r['seconds']:.1f} s, "
              f"peak {r['peak_mb']:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
