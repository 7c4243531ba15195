"""A day of the full simulated market on the manual clock, faster than real time (issue 14, part 5).

Every listed contract (13 by default) and the default agents (three makers, the takers, the
arbitrageur), advanced on the manual clock with the market stepping every S seconds of exchange
time (``POST /_krakensim/v1/clock {"advanceMs": …, "marketStepMs": S × 1000}``; 1 s is the market's
interval). Two ways:

* *in process*: a ``Runtime`` without a journal, advanced hour by hour; the wall time is split into
  the engine (applying commands) and the rest (the agents deciding, the runtime);
* *server*: ``krakensim serve --clock manual --market`` with its SQLite journal (synchronous FULL),
  one control API call advancing the whole span.

    PYTHONPATH=src python bench/market_day.py [--hours H] [--steps 1,10,20,30] [--server-steps 20]
        > bench/results/market_day.md      # then bench/report.py
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from krakensim.engine.commands import Command, PlaceOrder, Requote  # noqa: E402
from krakensim.runtime.clock import ManualClock  # noqa: E402
from krakensim.runtime.core import Runtime  # noqa: E402
from krakensim.serve.market import attach_to_manual_clock, make_sim  # noqa: E402
from serverproc import ADMIN_HEADERS, free_port, serve_args, server_env, wait_ready  # noqa: E402

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
HOUR_MS = 3_600_000


def in_process(step_s: float, hours: float) -> dict[str, Any]:
    rt = Runtime(seed=1, clock=ManualClock(T0))
    sim = make_sim(rt, 1)
    attach_to_manual_clock(rt, sim, 1000)
    commands = 0
    orders: collections.Counter[str] = collections.Counter()
    engine_s = 0.0
    apply_now = rt.apply_now

    def counted(cmd: Command, *args: Any, **kwargs: Any) -> Any:
        nonlocal commands, engine_s
        commands += 1
        if isinstance(cmd, Requote):
            orders["placed"] += len(cmd.place)
            orders["moved"] += len(cmd.move)
            orders["cancelled"] += len(cmd.cancel)
        elif isinstance(cmd, PlaceOrder):
            orders["taker"] += 1
        t = time.perf_counter()
        out = apply_now(cmd, *args, **kwargs)
        engine_s += time.perf_counter() - t
        return out

    rt.apply_now = counted  # type: ignore[method-assign]
    step_ms = round(step_s * 1000)
    t0, cpu0 = time.perf_counter(), time.process_time()
    span = round(hours * HOUR_MS)
    while span > 0:
        asyncio.run(rt.advance(min(HOUR_MS, span), step_ms))
        span -= HOUR_MS
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    steps = hours * HOUR_MS / step_ms
    return {"step_s": step_s, "hours": hours, "wall": wall, "steps_per_s": steps / wall,
            "commands_per_s": commands / wall, "orders_per_s": sum(orders.values()) / wall,
            "day_s": wall * 24 / hours, "cpu_day_s": cpu * 24 / hours, "engine_share": engine_s / wall, "orders": dict(orders)}


def server(step_s: float, hours: float) -> dict[str, Any]:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        args = serve_args(port, [], "--market", "--clock", "manual", "--data", str(Path(tmp) / "day.sqlite"))
        proc = subprocess.Popen(args, env=server_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            if not wait_ready(proc, port, timeout=60):
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "the server did not start")
            base = f"http://127.0.0.1:{port}/_krakensim/v1/"
            seq0 = requests.get(base + "digest", headers=ADMIN_HEADERS, timeout=30).json()["journalSeq"]
            t0 = time.perf_counter()
            r = requests.post(base + "clock", headers=ADMIN_HEADERS, timeout=3600,
                              json={"advanceMs": round(hours * HOUR_MS), "marketStepMs": round(step_s * 1000)})
            wall = time.perf_counter() - t0
            r.raise_for_status()
            seq1 = requests.get(base + "digest", headers=ADMIN_HEADERS, timeout=30).json()["journalSeq"]
            size = (Path(tmp) / "day.sqlite").stat().st_size
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {"step_s": step_s, "hours": hours, "wall": wall, "day_s": wall * 24 / hours,
            "steps_per_s": hours * HOUR_MS / (step_s * 1000) / wall, "commands_per_s": (seq1 - seq0) / wall,
            "journal_mb": size / 1e6}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=24.0, help="exchange hours simulated per point (default a day)")
    ap.add_argument("--steps", default="1,10,20,30", help="market steps (s) measured in process")
    ap.add_argument("--one-second-hours", type=float, default=2.0,
                    help="hours simulated at the 1 s step (a day there takes minutes: projected)")
    ap.add_argument("--server-steps", default="20", help="market steps (s) measured through a server")
    a = ap.parse_args()
    rows = []
    for step in (float(x) for x in a.steps.split(",") if x):
        hours = a.one_second_hours if step <= 1 else a.hours
        rows.append(in_process(step, hours))
        print(f"in process, step {step:g} s: {rows[-1]['day_s']:.0f} s a day", file=sys.stderr)
    served = []
    for step in (float(x) for x in a.server_steps.split(",") if x):
        served.append(server(step, a.hours))
        print(f"server, step {step:g} s: {served[-1]['day_s']:.0f} s a day", file=sys.stderr)
    print("## A day of the full market on the manual clock (`bench/market_day.py`)\n")
    print("Every listed contract (13) and the default agents, the clock advanced with the market stepping every "
          "*step* seconds of exchange time (`marketStepMs`; the market's own interval is 1 s). *day* = wall seconds "
          "for 24 exchange hours (measured over *hours*, scaled), *CPU* the process's CPU seconds for them (the host's "
          "noise shows as the gap); *engine* = share of the wall time spent applying "
          "commands (the rest: the agents deciding, the runtime); *orders/s* = order operations (placed, moved, "
          "cancelled by makers; takers' orders). Target: a day in at most 60 s.\n")
    print("| where | step | hours simulated | wall (s) | day (s) | CPU a day (s) | × real time | steps/s | commands/s "
          "| orders/s | engine |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| in process, no journal | {r['step_s']:g} s | {r['hours']:g} | {r['wall']:.1f} | {r['day_s']:.0f} | "
              f"{r['cpu_day_s']:.0f} | {86_400 / r['day_s']:,.0f} | {r['steps_per_s']:,.0f} | {r['commands_per_s']:,.0f} | "
              f"{r['orders_per_s']:,.0f} | {r['engine_share']:.0%} |")
    for r in served:
        print(f"| server, journal (FULL) | {r['step_s']:g} s | {r['hours']:g} | {r['wall']:.1f} | {r['day_s']:.0f} | – | "
              f"{86_400 / r['day_s']:,.0f} | {r['steps_per_s']:,.0f} | {r['commands_per_s']:,.0f} | – | – |")
    if rows:
        r = rows[-1]
        mix = ", ".join(f"{k} {v / (r['hours'] * 3600):.1f}" for k, v in sorted(r["orders"].items()))
        print(f"\nOrder operations per exchange second at the {r['step_s']:g} s step: {mix}.")
    if served:
        print(f"\nJournal after the server's {served[-1]['hours']:g} h: {served[-1]['journal_mb']:.0f} MB.")


if __name__ == "__main__":
    main()
