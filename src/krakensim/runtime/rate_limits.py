"""Rate limiting as Kraken's: token buckets per API key, refilled on the exchange's clock.

Two budgets (auth-and-limits.md §3): the derivatives API's 500 every 10 seconds, and the History
API's pool of 100 tokens replenished at 100 every 10 minutes. A bucket refills continuously with
the exchange's time (``now`` from the runtime's clock): on a manual clock it refills only when the
clock is advanced, so a test can spend a budget, see ``apiLimitExceeded``, advance 10 s and go on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    name: str
    capacity: int  # tokens a full bucket holds
    per_ms: float  # tokens refilled per millisecond of exchange time


DERIVATIVES = Budget("derivatives", 500, 500 / 10_000)
HISTORY = Budget("history", 100, 100 / 600_000)


class RateLimiter:
    """Buckets by (budget, API key). ``enabled`` may be switched at any time (control API, plugin)."""

    def __init__(self, enabled: bool = False) -> None:
        self.configured = enabled  # what a reset goes back to
        self.enabled = enabled
        self._buckets: dict[tuple[str, str], list[float]] = {}  # -> [tokens, at (ms)]

    def spend(self, budget: Budget, key: str, cost: int, now: int) -> int:
        """Take ``cost`` tokens of ``key``'s bucket: 0 when taken, else the milliseconds until they would be
        (nothing is taken then)."""
        slot = self._buckets.get((budget.name, key))
        if slot is None:
            slot = self._buckets[(budget.name, key)] = [float(budget.capacity), float(now)]
        tokens, at = slot
        if now > at:  # (a clock put back by a reset refills nothing)
            tokens = min(float(budget.capacity), tokens + (now - at) * budget.per_ms)
        slot[1] = float(now)
        if tokens >= cost:
            slot[0] = tokens - cost
            return 0
        slot[0] = tokens
        return max(1, int((cost - tokens) / budget.per_ms + 0.999))

    def left(self, budget: Budget, key: str, now: int) -> float:
        slot = self._buckets.get((budget.name, key))
        if slot is None:
            return float(budget.capacity)
        return min(float(budget.capacity), slot[0] + max(0, now - slot[1]) * budget.per_ms)

    def reset_buckets(self) -> None:
        self._buckets.clear()

    def reset(self) -> None:
        """Full buckets, and the configured switch (a venue's reset)."""
        self._buckets.clear()
        self.enabled = self.configured
