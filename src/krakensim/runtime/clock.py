"""Clocks. The engine never reads time itself: the runtime passes ``now`` in."""

from __future__ import annotations

import time


def wall_ms() -> int:
    """Epoch milliseconds from the wall clock (what clients' nonces count, whatever the exchange's clock)."""
    return time.time_ns() // 1_000_000


class WallClock:
    """Epoch milliseconds from the wall clock, never going backwards."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self) -> int:
        now = time.time_ns() // 1_000_000
        if now < self.last:
            now = self.last
        self.last = now
        return now


class ManualClock:
    """A clock that moves only when told to (tests, research)."""

    def __init__(self, start_ms: int) -> None:
        self.now = start_ms

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> int:
        self.now += ms
        return self.now


class ScaledClock:
    """Exchange time that runs ``speed`` times faster than the wall clock (never backwards)."""

    def __init__(self, speed: float, resume_from: int = 0) -> None:
        self.speed = speed
        self.start_speed = speed  # what a reset goes back to (runtime/settings.py)
        self.wall0 = time.time_ns() // 1_000_000
        self.base = max(self.wall0, resume_from)
        self.last = 0

    def __call__(self) -> int:
        now = self.base + int((time.time_ns() // 1_000_000 - self.wall0) * self.speed)
        if now < self.last:
            now = self.last
        self.last = now
        return now

    def set_speed(self, speed: float) -> None:
        """Run ``speed`` times faster from now on (exchange time goes on from where it is)."""
        self.base, self.wall0, self.speed = self(), time.time_ns() // 1_000_000, speed
