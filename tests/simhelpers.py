"""The simulated market stepped in-process, exactly as a manual-clock server steps it."""

from __future__ import annotations

import asyncio

from krakensim.market.sources import PriceSource
from krakensim.runtime.clock import ManualClock
from krakensim.runtime.core import Runtime
from krakensim.serve.market import attach_to_manual_clock, make_sim

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def run_market(seed: int, steps: int, sources: dict[str, PriceSource] | None = None) -> Runtime:
    """A runtime with the simulated market stepped ``steps`` times (one a second)."""
    rt = Runtime(seed=1, clock=ManualClock(T0))
    attach_to_manual_clock(rt, make_sim(rt, seed, sources=sources))
    asyncio.run(rt.advance(steps * 1000))
    return rt
