"""Market scenarios as the control API, the configuration file and the CLI name them: one parser.

A scenario is given as a flat object: ``name`` (crash, squeeze, volatility, drought, halt,
funding_spike, replay), ``target`` (an underlying such as ``XBT``, or a symbol for a halt),
``startInMs`` (from now on the exchange clock, default 0), ``durationMs`` (required but for a replay,
whose length is its path's), and the size its name reads: ``percent`` (crash, squeeze: how far the
index moves), ``factor`` (volatility: times the usual), ``depthPercent`` (drought: the depth the makers
keep), ``premiumBps`` (funding_spike), ``prices`` (replay: ``[[ms from start, price], …]``). What it
makes is one journaled ``RunScenario`` command (market/scenarios.py plays it).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ..engine.commands import SCENARIO_NAMES, RunScenario

SIZES = {"crash": ("percent", 100, 1, 9_900), "squeeze": ("percent", 100, 1, 1_000_000),
         "volatility": ("factor", 100, 0, 10_000), "drought": ("depthPercent", 1, 1, 100),
         "funding_spike": ("premiumBps", 1, -10_000, 10_000)}  # key, scale to ``amount``, bounds of ``amount``
MAX_MS = 10 * 365 * 86_400_000
MAX_ROWS = 100_000


class ScenarioError(ValueError):
    pass


def _number(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ScenarioError(f"{what} must be a number")
    try:
        d = Decimal(str(value))
    except InvalidOperation as e:
        raise ScenarioError(f"{what} must be a number") from e
    if not d.is_finite():
        raise ScenarioError(f"{what} must be a finite number")
    return d


def _ms(doc: dict[str, Any], key: str, default: int | None) -> int:
    value = doc.get(key, default)
    if value is None:
        raise ScenarioError(f"{key} is required")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MS:
        raise ScenarioError(f"{key} must be a whole number of milliseconds from 0 to {MAX_MS}")
    return value


def parse_scenario(doc: Any, now: int, bases: set[str], symbols: set[str]) -> RunScenario:
    """The command for ``doc`` at exchange time ``now``; ``ScenarioError`` saying what is wrong."""
    if not isinstance(doc, dict):
        raise ScenarioError("a scenario is an object")
    name = doc.get("name")
    if name not in SCENARIO_NAMES:
        raise ScenarioError(f"name must be one of {', '.join(SCENARIO_NAMES)}")
    known = {"name", "target", "startInMs", "durationMs"} | ({SIZES[name][0]} if name in SIZES else set())
    known |= {"prices"} if name == "replay" else set()
    unknown = set(doc) - known
    if unknown:
        raise ScenarioError(f"unknown keys for {name}: {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
    target = doc.get("target", "")
    if not isinstance(target, str):
        raise ScenarioError("target must be a string")
    if name == "halt" and target not in symbols:
        raise ScenarioError("a halt's target must be a listed symbol")
    if name == "replay" and target not in bases:
        raise ScenarioError(f"a replay's target must be an underlying ({', '.join(sorted(bases))})")
    if name not in ("halt", "replay") and target not in ("", *bases):
        raise ScenarioError(f"target must be an underlying ({', '.join(sorted(bases))}) or absent (all)")
    start = now + _ms(doc, "startInMs", 0)
    amount = 0
    path: tuple[tuple[int, int], ...] = ()
    if name in SIZES:
        key, scale, low, high = SIZES[name]
        amount = int(_number(doc.get(key), key) * scale) if key in doc else -1 << 62
        if not low <= amount <= high:
            raise ScenarioError(f"{key} is required, from {Decimal(low) / scale} to {Decimal(high) / scale}")
    if name == "replay":
        path = _path(doc.get("prices"))
        duration = _ms(doc, "durationMs", path[-1][0] + 1)
    else:
        duration = _ms(doc, "durationMs", None)
    if duration < 1 and name != "crash" and name != "squeeze":
        raise ScenarioError("durationMs must be at least 1")
    return RunScenario(name, start, duration, target, amount, path)


def _path(rows: Any) -> tuple[tuple[int, int], ...]:
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_ROWS:
        raise ScenarioError(f"prices must be a list of 1 to {MAX_ROWS} [ms from start, price] pairs")
    out: list[tuple[int, int]] = []
    for row in rows:
        if not isinstance(row, list) or len(row) != 2:
            raise ScenarioError("each price is a [ms from start, price] pair")
        ms = row[0]
        if isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms <= MAX_MS or (out and ms < out[-1][0]):
            raise ScenarioError("the times must be whole milliseconds from 0, not going back")
        price = _number(row[1], "a price")
        if not 0 < price < 10**9:
            raise ScenarioError("a price must be positive (below 1e9)")
        out.append((ms, int(price * 100_000_000)))
    return tuple(out)


def describe(sc: RunScenario, number: int, now: int) -> dict[str, Any]:
    """How the control API lists a scenario."""
    state = "pending" if now < sc.start else "active" if now < sc.start + sc.duration else "done"
    return {"number": number, "name": sc.name, "target": sc.target, "start": sc.start, "durationMs": sc.duration,
            "amount": sc.amount, "state": state}
