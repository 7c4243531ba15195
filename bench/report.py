"""Assemble docs/benchmarks.md from the latest bench results, with the targets and ratios.

Reads bench/results/engine.json + engine.md (bench/engine.py) and bench/results/wire.json +
wire.md (bench/wire.py --json bench/results/wire.json). Figures are whatever the last run
measured on this machine; nothing here asserts a target.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

TARGET_ROUND_TRIPS = 5_000
TARGET_P99_MS = 10.0
TARGET_PRISM_RATIO = 3.0
TARGET_ENGINE_OPS = 300_000


def load(name: str) -> Any:
    p = RESULTS / name
    return json.loads(p.read_text()) if p.exists() else None


def best(points: list[dict[str, Any]], section: str, target: str) -> dict[str, Any] | None:
    rows = [p for p in points if p.get("section") == section and p.get("target") == target]
    return max(rows, key=lambda p: p.get("roundtrips") or sum((p.get("ok") or {}).values()), default=None)


def per_s(p: dict[str, Any], key: str = "roundtrips") -> float:
    if key == "roundtrips":
        return float(p["roundtrips"]) / float(p["duration"])
    return sum(p["ok"].values()) / float(p["duration"])


def summary(engine: Any, wire: Any) -> list[str]:
    lines = ["| figure | target | measured | met |", "|---|---|---|---|"]
    if wire:
        a = best(wire, "a", "krakensim --data")
        if a:
            rt = per_s(a)
            p99 = max(v[1] for v in a["lat_ms"].values())
            lines.append(
                f"| signed `sendorder`+`cancelorder` round trips/s, journal on (C={a['conns']}) | "
                f"≥ {TARGET_ROUND_TRIPS:,} | {rt:,.0f} pairs/s = {2 * rt:,.0f} signed requests/s | "
                f"{'yes' if rt >= TARGET_ROUND_TRIPS else 'no (pairs); ' + ('yes' if 2 * rt >= TARGET_ROUND_TRIPS else 'no') + ' (requests)'} |"
            )
            lines.append(f"| p99 latency at that point | ≤ {TARGET_P99_MS:g} ms | {p99:.2f} ms | "
                         f"{'yes' if p99 <= TARGET_P99_MS else 'no'} |")
        ratios = []
        for storage in ("krakensim --data", "krakensim --memory"):
            k = best(wire, "b", storage)
            prism = best(wire, "b", "prism")
            if k and prism:
                ratios.append((storage, per_s(k, "ok") / per_s(prism, "ok"), k["conns"]))
        for storage, ratio, _conns in ratios:
            lines.append(f"| unknown-order `cancelorder` vs Prism, {storage.split()[-1]} (best points) | "
                         f"≥ {TARGET_PRISM_RATIO:g}× | {ratio:.1f}× | {'yes' if ratio >= TARGET_PRISM_RATIO else 'no'} |")
        for storage in ("krakensim --data", "krakensim --memory"):
            d = best(wire, "d", storage)
            if d:
                lines.append(f"| mixed workload over the wire, {storage.split()[-1]} (C={d['conns']}) | — | "
                             f"{per_s(d, 'ok'):,.0f} requests/s | — |")
    if engine:
        ops = engine["add_cancel"][0]["ops"]
        lines.append(f"| engine add+cancel ops/s (empty book) | ≥ {TARGET_ENGINE_OPS:,} | {ops:,.0f} | "
                     f"{'yes' if ops >= TARGET_ENGINE_OPS else 'no'} |")
        lines.append(f"| bytes per resting order | — | {engine['bytes_per_order']:,.0f} | — |")
        lines.append(f"| engine mixed workload ops/s | — | {engine['mixed_ops']:,.0f} | — |")
    return lines


def main() -> None:
    engine = load("engine.json")
    wire = load("wire.json")
    parts = [
        "# Benchmarks",
        "",
        "Made by `make bench` (bench/engine.py, bench/wire.py, then bench/report.py writes this page). "
        "Figures are from the last run on the project's machine "
        f"({platform.machine()}, 2 cores, Python {platform.python_version()}); the load generator shares "
        "the two cores with the server, so absolute figures move by tens of percent between runs; ratios "
        "measured in the same run are steadier. Nothing in the test suite asserts a timing.",
        "",
        "## Against the targets",
        "",
        *summary(engine, wire),
        "",
        "A *round trip* here is the pair sendorder + cancelorder (two signed HTTP requests); the "
        "request rate is twice the pair rate. What limits it: one Python process serves HTTP (uvicorn "
        "with uvloop and httptools) and runs the engine on one core, about 50 µs of each request is the "
        "HTTP server and ASGI, about 20 µs ours (parsing, HMAC-SHA512, engine, JSON); with the journal on, "
        "each group commit adds an fsync (about 0.3 ms here) and a hand-off to the writer thread. The load "
        "generator takes most of the second core.",
        "",
        "HTTP server: granian 2.8 (`krakensim serve --http granian`) was measured against uvicorn with the "
        "same load generator and was not faster for this application (most of the time is Python on "
        "the event loop either way), so uvicorn stays the default.",
        "",
    ]
    for name in ("engine.md", "wire.md"):
        p = RESULTS / name
        if p.exists():
            parts += ["", p.read_text().strip(), ""]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(parts) + "\n")
    print("wrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
