"""Faults on purpose: a venue that misbehaves when told to, seeded and scheduled on the exchange's clock.

A fault applies to the requests whose path matches ``endpoint`` (a glob: ``*`` for every path,
``/derivatives/api/v3/sendorder``, ``/api/history/*``) and ``method`` (or any), while the exchange's
clock is in ``[start, end)`` (either may be open), to a share ``probability`` of them drawn from a
generator seeded by the plan's seed (the same seed and the same requests: the same faults).

kinds:
- ``latency``: the answer waits ``ms`` (fixed), or a draw of ``distribution`` (``uniform`` between ``ms``
  and ``max_ms``, ``normal`` with mean ``ms`` and ``sd_ms``, ``exponential`` with mean ``ms``), wall time;
- ``unavailable``, ``market_unavailable``: Kraken's ``Unavailable`` / ``marketUnavailable`` envelope;
- ``http_5xx``: the HTML error page of Kraken's edge with ``status`` (502, 503, 504, 520…);
- ``timeout``: no answer at all, until the client gives up;
- ``maintenance``: the order-entry endpoints answer ``marketUnavailable`` (endpoint ``*`` by default).
Dropping the WebSocket connections is an action, not a rule (``POST /_krakensim/v1/faults/drop-websockets``).
"""

from __future__ import annotations

import fnmatch
import random
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("latency", "unavailable", "market_unavailable", "http_5xx", "timeout", "maintenance")
DISTRIBUTIONS = ("fixed", "uniform", "normal", "exponential")
MAX_LATENCY_MS = 600_000
ORDER_ENTRY = ("/derivatives/api/v3/sendorder", "/derivatives/api/v3/editorder", "/derivatives/api/v3/batchorder",
               "/derivatives/api/v3/cancelorder", "/derivatives/api/v3/cancelallorders",
               "/derivatives/api/v3/cancelallordersafter")


class FaultError(ValueError):
    """A fault that cannot be: the message names the field."""


@dataclass
class Fault:
    kind: str
    endpoint: str = "*"
    method: str | None = None
    probability: float = 1.0
    start: int | None = None  # exchange time (epoch ms) from which it applies
    end: int | None = None  # and until which
    ms: float = 0.0
    max_ms: float = 0.0
    sd_ms: float = 0.0
    distribution: str = "fixed"
    status: int = 503
    id: int = 0

    def matches(self, method: str, path: str, now: int) -> bool:
        if self.start is not None and now < self.start or self.end is not None and now >= self.end:
            return False
        if self.method is not None and self.method != method:
            return False
        if self.kind == "maintenance" and self.endpoint == "*":
            return path in ORDER_ENTRY
        return fnmatch.fnmatchcase(path, self.endpoint)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _number(doc: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = doc.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise FaultError(f"{name}: a number from {low:g} to {high:g}")
    return float(value)


def _time(doc: dict[str, Any], name: str) -> int | None:
    value = doc.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FaultError(f"{name}: exchange time in epoch milliseconds")
    return value


def parse_fault(doc: dict[str, Any], now: int) -> Fault:
    """A fault from the control API's or the configuration's fields; ``after_s``/``for_s`` count from ``now``."""
    known = {"kind", "endpoint", "method", "probability", "start", "end", "after_s", "for_s", "ms", "max_ms", "sd_ms",
             "distribution", "status"}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise FaultError(f"{unknown[0]}: not a field of a fault (fields: {', '.join(sorted(known))})")
    kind = doc.get("kind")
    if kind not in KINDS:
        raise FaultError(f"kind: required, one of {', '.join(KINDS)}")
    endpoint = doc.get("endpoint", "*")
    if not isinstance(endpoint, str) or not endpoint.startswith(("/", "*")):
        raise FaultError("endpoint: a path or a glob (* for every path)")
    method = doc.get("method")
    if method is not None and method not in ("GET", "POST", "PUT", "DELETE"):
        raise FaultError("method: GET, POST, PUT or DELETE")
    distribution = doc.get("distribution", "fixed")
    if distribution not in DISTRIBUTIONS:
        raise FaultError(f"distribution: one of {', '.join(DISTRIBUTIONS)}")
    status = doc.get("status", 503)
    if isinstance(status, bool) or not isinstance(status, int) or not 500 <= status <= 599:
        raise FaultError("status: an HTTP status from 500 to 599")
    start, end = _time(doc, "start"), _time(doc, "end")
    if "after_s" in doc:
        start = now + round(_number(doc, "after_s", 0, 0, 10**9) * 1000)
    if "for_s" in doc:
        end = (start if start is not None else now) + round(_number(doc, "for_s", 0, 0, 10**9) * 1000)
    if start is not None and end is not None and end <= start:
        raise FaultError("end: after start")
    fault = Fault(kind, endpoint, method, _number(doc, "probability", 1.0, 0.0, 1.0), start, end,
                  _number(doc, "ms", 0, 0, MAX_LATENCY_MS), _number(doc, "max_ms", 0, 0, MAX_LATENCY_MS),
                  _number(doc, "sd_ms", 0, 0, MAX_LATENCY_MS), distribution, status)
    if kind == "latency" and distribution == "uniform" and fault.max_ms < fault.ms:
        raise FaultError("max_ms: at least ms")
    return fault


@dataclass
class FaultPlan:
    """The faults in force, and the seeded generator that decides which requests they hit."""

    seed: int = 0
    configured: list[Fault] = field(default_factory=list)  # from the configuration: what a reset goes back to
    faults: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.next_id = 1
        self.reset()

    def add(self, fault: Fault) -> Fault:
        fault.id = self.next_id
        self.next_id += 1
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        self.faults = []
        self.rng = random.Random(self.seed)
        for f in self.configured:
            self.add(Fault(**{k: v for k, v in asdict(f).items() if k != "id"}))

    def hits(self, method: str, path: str, now: int) -> list[Fault]:
        """The faults that strike this request (a draw for each one that matches and is not certain)."""
        out = []
        for f in self.faults:
            if f.matches(method, path, now) and (f.probability >= 1.0 or self.rng.random() < f.probability):
                out.append(f)
        return out

    def latency_s(self, fault: Fault) -> float:
        if fault.distribution == "uniform":
            ms = self.rng.uniform(fault.ms, fault.max_ms)
        elif fault.distribution == "normal":
            ms = self.rng.gauss(fault.ms, fault.sd_ms)
        elif fault.distribution == "exponential":
            ms = self.rng.expovariate(1 / fault.ms) if fault.ms > 0 else 0.0
        else:
            ms = fault.ms
        return min(max(ms, 0.0), MAX_LATENCY_MS) / 1000
