"""Tiered margin: initial and maintenance margin from every margin level of an instrument.

An instrument's ``marginLevels`` start at thresholds of position size (USD notional for linear
contracts, contracts for inverse ones, where one contract is one USD: both are the notional in USD
here). The requirement is marginal, as Kraken's margin schedule reads (support.kraken.com, "Margin
schedule & maximum leverage"): each slice of a position between two thresholds is margined at its
level's rate, so the requirement grows continuously and never falls as the position grows.

Rates are kept in parts per million (a level of 0.075 is 75 000 ppm), money in usd8.
"""

from __future__ import annotations

from fractions import Fraction

from .instruments import Instrument, MarginLevel
from .units import USD8

PPM = 1_000_000


Tiers = tuple[tuple[int, int, int], ...]
# by id() of an instrument's levels, beside the levels themselves (held, so that id is never reused): an
# lru_cache keyed by the tuple hashed every level's Decimals on every call, a fifth of an order's cost
_BY_LEVELS: dict[int, tuple[tuple[MarginLevel, ...], Tiers]] = {}


def _tiers(levels: tuple[MarginLevel, ...]) -> Tiers:
    """(threshold usd8, initial ppm, maintenance ppm) of each level, by threshold."""
    hit = _BY_LEVELS.get(id(levels))
    if hit is not None and hit[0] is levels:
        return hit[1]
    rows = sorted(levels, key=lambda lv: lv.threshold)
    tiers = tuple(
        (int(Fraction(lv.threshold) * USD8), int(Fraction(lv.initial) * PPM), int(Fraction(lv.maintenance) * PPM))
        for lv in rows
    )
    _BY_LEVELS[id(levels)] = (levels, tiers)
    return tiers


def _margin(tiers: Tiers, notional: int, column: int) -> int:
    total = 0
    n = len(tiers)
    for i in range(n):
        start = tiers[i][0]
        if notional <= start:
            break
        end = tiers[i + 1][0] if i + 1 < n else notional
        total += (min(notional, end) - start) * tiers[i][column]
    return total // PPM


def tiered_initial(inst: Instrument, notional: int) -> int:
    """usd8 of initial margin of a position worth ``notional`` usd8 (its absolute value)."""
    return _margin(_tiers(inst.margin_levels), notional, 1)


def tiered_maintenance(inst: Instrument, notional: int) -> int:
    return _margin(_tiers(inst.margin_levels), notional, 2)


def max_leverage(inst: Instrument) -> Fraction:
    """The highest leverage the instrument allows (one over its lowest initial margin rate)."""
    return 1 / min(Fraction(lv.initial) for lv in inst.margin_levels)


def leverage_allowed(inst: Instrument, notional: int, leverage_cents: int) -> bool:
    """May a position worth ``notional`` be held at a fixed leverage (hundredths)? Only while the margin
    that leverage holds, notional / leverage, covers the tiered initial margin."""
    return notional * 100 // leverage_cents >= tiered_initial(inst, notional)
