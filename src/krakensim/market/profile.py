"""Liquidity profiles: how deep, how wide and how busy each instrument's simulated book is.

A profile is per instrument; ``default_profile`` gives the calibrated default (sources and
reasoning in docs/fidelity.md, "The simulated market"), and the ``[liquidity.SYMBOL]`` table of
the configuration file changes any field. Notionals are in USD, distances in ticks or basis
points of the fair price.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from ..engine.instruments import Instrument


@dataclass(frozen=True)
class BookProfile:
    half_spread_ticks: int = 1  # the tightest maker's best quote, ticks from the fair price
    near_usd: float = 50_000.0  # notional per side the makers show within 0.1 % of the fair price
    span_bps: float = 60.0  # the deepest level, basis points from the fair price
    levels: int = 8  # levels per side of each maker but the tightest (which shows 2)
    taker_rate: float = 0.3  # mean taker orders per step before clustering
    taker_usd: float = 1_000.0  # the smallest taker order's notional (sizes are Pareto above it)

    def __post_init__(self) -> None:
        if self.half_spread_ticks < 1 or not 2 <= self.levels <= 40:
            raise ValueError("half_spread_ticks must be at least 1 and levels 2 to 40")
        if self.near_usd <= 0 or self.span_bps <= 0 or self.taker_rate < 0 or self.taker_usd <= 0:
            raise ValueError("near_usd, span_bps and taker_usd must be positive, taker_rate not negative")


PROFILE_KEYS = tuple(f.name for f in fields(BookProfile))

# Calibrated defaults (docs/fidelity.md): the BTC perpetual a tick or two wide with about ten BTC a
# side within 0.1 %; ETH, SOL and the inverse perpetual thinner; fixed maturities thin and a few bp wide.
DEFAULTS: dict[str, BookProfile] = {
    "PF_XBTUSD": BookProfile(half_spread_ticks=1, near_usd=900_000, span_bps=50, levels=10, taker_rate=0.8,
                             taker_usd=2_000),
    "PF_ETHUSD": BookProfile(half_spread_ticks=1, near_usd=350_000, span_bps=60, levels=10, taker_rate=0.6,
                             taker_usd=1_500),
    "PF_SOLUSD": BookProfile(half_spread_ticks=1, near_usd=120_000, span_bps=80, levels=8, taker_rate=0.4,
                             taker_usd=800),
    "PI_XBTUSD": BookProfile(half_spread_ticks=2, near_usd=250_000, span_bps=60, levels=8, taker_rate=0.3,
                             taker_usd=1_000),
}
FIXED_MATURITY = BookProfile(half_spread_ticks=1, near_usd=40_000, span_bps=100, levels=6, taker_rate=0.05,
                             taker_usd=1_000)
OTHER_PERPETUAL = BookProfile(half_spread_ticks=1, near_usd=60_000, span_bps=100, levels=8, taker_rate=0.2,
                              taker_usd=500)
FIXED_HALF_SPREAD_BPS = 2  # a fixed maturity's tightest quote, in bp (at least a tick)


def default_profile(inst: Instrument) -> BookProfile:
    if inst.symbol in DEFAULTS:
        return DEFAULTS[inst.symbol]
    if not inst.perpetual:
        ticks = int(inst.reference_price / inst.tick_size * FIXED_HALF_SPREAD_BPS / 10_000)
        return replace(FIXED_MATURITY, half_spread_ticks=max(1, ticks))
    return OTHER_PERPETUAL


def parse_profile(table: dict[str, Any]) -> dict[str, Any]:
    """One ``[liquidity.SYMBOL]`` table, checked: the fields it changes (ValueError when wrong)."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in PROFILE_KEYS:
            raise ValueError(f"unknown key {key!r} (known: {', '.join(PROFILE_KEYS)})")
        whole = key in ("half_spread_ticks", "levels")
        if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
            raise ValueError(f"{key} must be {'an integer' if whole else 'a number'}")
        out[key] = value
    replace(BookProfile(), **out)  # the checks of __post_init__
    return out
