"""Named market scenarios, played by the simulated market on the exchange clock.

A scenario is a journaled ``RunScenario`` command the engine keeps (``Exchange.scenarios``); each
market step reads what is in force at its time, so the same scenarios at the same times give the
same market, and a restart picks them up from the journal. ``amount`` says how much:

| name | effect from ``start`` for ``duration`` ms | ``amount`` | ``target`` |
|---|---|---|---|
| ``crash`` | the index falls linearly by ``amount`` bp over the duration, and stays there | bp (2000: −20 %) | underlying or all |
| ``squeeze`` | the same, upwards | bp | underlying or all |
| ``volatility`` | the price source's volatility times ``amount`` % | percent (300: 3×) | underlying or all |
| ``drought`` | the makers keep ``amount`` % of their depth and quote four times wider | percent | underlying or all |
| ``halt`` | the market is ``suspended``, then ``open`` again | — | symbol (required) |
| ``funding_spike`` | the perpetuals' fair price (and so the mark and funding) ``amount`` bp over the index | bp | underlying or all |
| ``replay`` | the index follows ``path`` (ms from start, price in 1e-8 USD), then continues from its last price | — | underlying (required) |
"""

from __future__ import annotations

from dataclasses import replace

from ..engine.commands import SCENARIO_NAMES, RunScenario
from ..engine.instruments import Instrument
from .profile import BookProfile

NAMES = SCENARIO_NAMES
DROUGHT_WIDEN = 4  # a drought's spread: this many times the usual


def applies(sc: RunScenario, inst: Instrument | None, base: str) -> bool:
    return sc.target in ("", base) or (inst is not None and sc.target == inst.symbol)


def active(sc: RunScenario, now: int) -> bool:
    return sc.start <= now < sc.start + sc.duration


def price_factor(scenarios: list[RunScenario], base: str, now: int) -> float:
    """The crashes' and squeezes' combined multiplier of the underlying's price at ``now``."""
    f = 1.0
    for sc in scenarios:
        if sc.name in ("crash", "squeeze") and applies(sc, None, base) and now >= sc.start:
            done = min(1.0, (now - sc.start) / max(1, sc.duration))
            sign = -1 if sc.name == "crash" else 1
            f *= max(0.01, 1 + sign * sc.amount / 10_000 * done)
    return f


def vol_factor(scenarios: list[RunScenario], base: str, now: int) -> float:
    f = 1.0
    for sc in scenarios:
        if sc.name == "volatility" and applies(sc, None, base) and active(sc, now):
            f *= sc.amount / 100
    return f


def replay_price(scenarios: list[RunScenario], base: str, now: int) -> float | None:
    """The price a replay in force gives the underlying at ``now`` (the last row at or before it)."""
    for sc in reversed(scenarios):
        if sc.name == "replay" and sc.target == base and active(sc, now) and sc.path:
            elapsed = now - sc.start
            price = sc.path[0][1]
            for ms, p in sc.path:
                if ms > elapsed:
                    break
                price = p
            return price / 100_000_000
    return None


def replay_ended(scenarios: list[RunScenario], base: str, now: int, dt_ms: int) -> bool:
    """Did a replay of the underlying end within the step ending at ``now``? (Its source continues from
    the replay's last price.)"""
    return any(sc.name == "replay" and sc.target == base and now - dt_ms < sc.start + sc.duration <= now
               for sc in scenarios)


def profile(scenarios: list[RunScenario], inst: Instrument, p: BookProfile, now: int) -> BookProfile:
    for sc in scenarios:
        if sc.name == "drought" and applies(sc, inst, inst.base) and active(sc, now):
            p = replace(p, near_usd=p.near_usd * max(1, sc.amount) / 100,
                        half_spread_ticks=p.half_spread_ticks * DROUGHT_WIDEN,
                        taker_rate=p.taker_rate * max(1, sc.amount) / 100)
    return p


def premium_bps(scenarios: list[RunScenario], inst: Instrument, now: int) -> float:
    return sum(sc.amount for sc in scenarios
               if sc.name == "funding_spike" and applies(sc, inst, inst.base) and active(sc, now))


def halted(scenarios: list[RunScenario], symbol: str, now: int) -> bool | None:
    """True while a halt of ``symbol`` is in force, False once the last one ended, None if never halted."""
    state = None
    for sc in scenarios:
        if sc.name == "halt" and sc.target == symbol and now >= sc.start:
            state = bool(state) or active(sc, now)
    return state
