#!/usr/bin/env python3
"""The old and the new side by side in one run: engine and wire figures of this checkout against
an earlier revision, runs interleaved (old, new, old, new…) so both see the same machine.

    python bench/compare.py --baseline 40cd364 [--reps 3] [--wire-reps 2] [--no-wire]

The baseline is checked out in a temporary git worktree (removed afterwards) and measured by
*this* checkout's benchmark scripts, pointed at its ``src`` (bench/engine.py and bench/wire.py
both take ``--src``); each engine drives commands the way its own runtime does. Writes
bench/results/compare.md and compare.json; bench/report.py puts them into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def sh(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def engine_run(src: Path, out: Path, n: int) -> dict[str, Any]:
    argv = [sys.executable, str(ROOT / "bench" / "engine.py"), "--src", str(src), "--runs", "1", "--out", str(out)]
    if n < 200_000:
        argv.append("--quick")
    subprocess.run(argv, check=True, capture_output=True, text=True)
    data: dict[str, Any] = json.loads((out / "engine.json").read_text())
    return data


def instructions(src: Path, workload: str, n: int) -> int:
    """Instructions (callgrind's count: the same for the same code and inputs, whatever else the
    machine does) of ``n`` operations of ``workload`` (add_cancel: pairs; mixed: operations;
    asgi: signed sendorder+cancelorder pairs through the ASGI app)."""
    if workload == "asgi":
        argv = [sys.executable, str(ROOT / "bench" / "asgi_path.py"), "--src", str(src), "-n", str(n)]
    else:
        code = (f"import sys; sys.argv = ['engine', '--src', {str(src)!r}]; sys.path.insert(0, {str(ROOT / 'bench')!r})\n"
                f"import engine\nengine.{workload}({n}" + (", 0)" if workload == "add_cancel" else ")"))
        argv = [sys.executable, "-c", code]
    with tempfile.NamedTemporaryFile(suffix=".cg") as out:
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", *argv],
                       check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        for line in Path(out.name).read_text().splitlines():
            if line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError("callgrind wrote no summary")


def per_op_instructions(src: Path, workload: str, n: int = 2000) -> float:
    """Instructions per operation: a run of n operations less a run of one (start-up and setup cancel)."""
    return (instructions(src, workload, n + 1) - instructions(src, workload, 1)) / n


def wire_run(src: Path, out: Path, duration: float) -> list[dict[str, Any]]:
    argv = [sys.executable, str(ROOT / "bench" / "wire.py"), "--src", str(src), "--parts", "a", "--conc", "32",
            "--duration", str(duration), "--warmup", "2", "--idle-wait", "20", "--json", str(out / "wire.json"),
            "--out", str(out / "wire.md")]
    subprocess.run(argv, check=True, capture_output=True, text=True)
    points: list[dict[str, Any]] = json.loads((out / "wire.json").read_text())
    return points


def wire_figures(points: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out = {}
    for p in points:
        if p.get("section") != "a":
            continue
        lat = p["lat_ms"]["request"] if "request" in p["lat_ms"] else next(iter(p["lat_ms"].values()))
        out[p["target"]] = {"pairs": p["roundtrips"] / p["duration"], "p50": lat[0], "p99": lat[1]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", required=True, help="the revision to compare with (e.g. 40cd364)")
    ap.add_argument("--reps", type=int, default=3, help="engine runs of each, interleaved (default 3)")
    ap.add_argument("--wire-reps", type=int, default=2, help="wire runs of each, interleaved (default 2)")
    ap.add_argument("--duration", type=float, default=8.0, help="measured seconds per wire point (default 8)")
    ap.add_argument("--engine-n", type=int, default=200_000, help="engine pairs per run (default 200,000)")
    ap.add_argument("--no-wire", action="store_true")
    ap.add_argument("--no-instructions", action="store_true", help="skip the callgrind instruction counts")
    args = ap.parse_args()
    base_rev = sh("git", "rev-parse", "--short", args.baseline)
    head_rev = sh("git", "rev-parse", "--short", "HEAD") + ("+dirty" if sh("git", "status", "--porcelain", "src") else "")
    with tempfile.TemporaryDirectory(prefix="krakensim-baseline-") as tmp:
        worktree = Path(tmp) / "baseline"
        sh("git", "worktree", "add", "--detach", str(worktree), args.baseline)
        try:
            sources = {"old": worktree / "src", "new": ROOT / "src"}
            engine: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
            wire: dict[str, list[dict[str, dict[str, float]]]] = {"old": [], "new": []}
            for rep in range(args.reps):
                for label, src in sources.items():
                    out = Path(tmp) / f"engine-{label}-{rep}"
                    engine[label].append(engine_run(src, out, args.engine_n))
                    print(f"engine {label} {rep + 1}/{args.reps}: "
                          f"{engine[label][-1]['add_cancel'][0]['ops']:,.0f} add+cancel ops/s", flush=True)
            counts: dict[str, dict[str, float]] = {"old": {}, "new": {}}
            if not args.no_instructions and shutil.which("valgrind"):
                for label, src in sources.items():
                    for workload in ("add_cancel", "mixed", "asgi"):
                        counts[label][workload] = per_op_instructions(src, workload)
                        print(f"instructions {label} {workload}: {counts[label][workload]:,.0f} per op", flush=True)
            for rep in range(0 if args.no_wire else args.wire_reps):
                for label, src in sources.items():
                    out = Path(tmp) / f"wire-{label}-{rep}"
                    out.mkdir()
                    wire[label].append(wire_figures(wire_run(src, out, args.duration)))
                    print(f"wire {label} {rep + 1}/{args.wire_reps}: {wire[label][-1]}", flush=True)
        finally:
            sh("git", "worktree", "remove", "--force", str(worktree))

    def med(values: list[float]) -> float:
        return statistics.median(values)

    rows: list[tuple[str, float, float, str]] = []  # (figure, old, new, better: "higher" | "lower")
    for i, resting in enumerate(("empty book", "10,000 resting orders")):
        rows.append((f"engine add+cancel ops/s, {resting}", med([r["add_cancel"][i]["ops"] for r in engine["old"]]),
                     med([r["add_cancel"][i]["ops"] for r in engine["new"]]), "higher"))
    rows.append(("engine mixed workload ops/s", med([r["mixed_ops"] for r in engine["old"]]),
                 med([r["mixed_ops"] for r in engine["new"]]), "higher"))
    for workload, name in (("add_cancel", "engine instructions per add+cancel pair"),
                           ("mixed", "engine instructions per mixed-workload operation"),
                           ("asgi", "instructions per signed sendorder+cancelorder pair through the ASGI app "
                                    "(`bench/asgi_path.py`: all of ours on the wire path, no HTTP server)")):
        if workload in counts["new"]:
            rows.append((f"{name} (callgrind)", counts["old"][workload], counts["new"][workload], "lower"))
    rows.append(("bytes per resting order", med([r["bytes_per_order"] for r in engine["old"]]),
                 med([r["bytes_per_order"] for r in engine["new"]]), "lower"))
    for target in ("krakensim --data", "krakensim --memory"):
        if wire["old"] and all(target in w for w in wire["old"] + wire["new"]):
            for key, name, better in (("pairs", "sendorder+cancelorder pairs/s", "higher"),
                                      ("p50", "request p50 ms", "lower"), ("p99", "request p99 ms", "lower")):
                rows.append((f"wire {name}, C=32, {target.split()[1]}", med([w[target][key] for w in wire["old"]]),
                             med([w[target][key] for w in wire["new"]]), better))
    lines = [
        f"### The change against {base_rev} (old) in one run",
        "",
        f"`bench/compare.py --baseline {args.baseline}`: this checkout ({head_rev}) and {base_rev}, each measured by "
        f"the same scripts, runs interleaved; medians of {args.reps} engine runs and {len(wire['new'])} wire runs "
        "(part (a), C=32). Each engine is driven the way its runtime drives it: typed commands through "
        "`Exchange.apply` (new), command dicts through `Exchange.execute` (old). Instruction counts "
        "(callgrind, 2,000 operations less one) are exact and the same on every run; the timed "
        "figures move by tens of percent on this machine.",
        "",
        "| figure | old | new | new ÷ old |",
        "|---|--:|--:|--:|",
    ]
    for name, old, new, better in rows:
        ratio = new / old if old else float("nan")
        lines.append(f"| {name} | {old:,.2f} | {new:,.2f} | {ratio:.3f}× ({better} is better) |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "compare.md").write_text("\n".join(lines) + "\n")
    (RESULTS / "compare.json").write_text(json.dumps({"baseline": base_rev, "head": head_rev, "rows": rows,
                                                       "engine": engine, "wire": wire, "instructions": counts},
                                                      indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
