"""Portfolio margining of a futures-only venue: krakensim's parameters and a portfolio's simulation.

krakensim lists futures only, no options, so a portfolio's risk is the PnL of its futures under
uniform relative moves of each underlying (``PRICE_SHOCK_LEVELS``). Definitions (usd8, exact integers):

- scenario PnL(s) = Σ over positions of PnL(mark × (1 + s)) − PnL(mark), every underlying moved by s;
- market risk = max(0, −min over s of scenario PnL(s)) (the worst scenario loss);
- per-underlying risk L_u = max(0, −min over s of the scenario PnL of underlying u's positions alone);
- cross-asset netted market risk = (1 − f) × Σ_u L_u + f × market risk, f = ``CROSS_ASSET_NETTING_FACTOR``:
  f = 0 would add every underlying's worst loss (no netting), f = 1 would net them fully (all moved together).

Margin is the tiered margin (margin_tiers) of each instrument's net position at its mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .instruments import Instrument
from .margin_tiers import tiered_initial, tiered_maintenance
from .units import BPS

# the relative moves of every underlying that the simulation prices (bps): up to 15 %, beyond the 10 % price collar
PRICE_SHOCK_LEVELS_BPS = (-1500, -1000, -500, 500, 1000, 1500)
# half credit for offsetting risk across underlyings: crypto prices are correlated, not perfectly
CROSS_ASSET_NETTING_FACTOR_BPS = 5000
# the options-only parameters below change nothing, there being no options; they are reported as configured
EXTREME_PRICE_SHOCK_MULTIPLIER_BPS = 20000  # an extreme move is twice the largest shock level
VOL_SHOCK_MULTIPLICATION_FACTOR_BPS = 10000  # implied volatility shocked by its own size (×1)
VOL_SHOCK_EXPONENT_FACTOR_BPS = 5000  # scaled by the square root of time to expiry
OPTION_EXPIRY_TIME_SHOCK_HOURS = 24  # an option is priced one day nearer its expiry
OPTIONS_INITIAL_MARGIN_FACTOR_BPS = 12000  # initial margin 1.2 × the maintenance (market) risk
TOTAL_OPTION_ORDERS_CONSIDERED = 0  # no option orders exist to be considered


@dataclass(frozen=True)
class SimulatedPosition:
    inst: Instrument
    lots: int  # signed: > 0 long
    entry: Fraction  # average entry price in ticks (any positive ratio: entries are averages)


@dataclass(frozen=True)
class Simulation:
    """A portfolio's figures (usd8 unless said)."""

    pnl: int
    initial_margin: int
    maintenance_margin: int
    scenario_pnls: tuple[int, ...]  # one per PRICE_SHOCK_LEVELS_BPS
    market_risk: int
    netted_market_risk: int
    net_delta: int  # Σ signed notional at mark
    net_lots: dict[str, int]  # symbol -> signed lots (the futures' delta)


def position_pnl(inst: Instrument, lots: int, entry: Fraction, mark: Fraction) -> int:
    """usd8 (rounded down) a position of ``lots`` entered at ``entry`` would realise at ``mark`` (ticks):
    accounts.unrealized_pnl's formula, with cost = lots × entry."""
    n = abs(lots)
    if n == 0:
        return 0
    sign = 1 if lots > 0 else -1
    c = n * entry
    if inst.linear:
        return int(sign * (n * mark - c) * inst.unit_usd8 // 1)
    return int(sign * inst.unit_usd8 * n * (n * mark - c) // c)


def _scenario(positions: list[SimulatedPosition], marks: dict[str, int], shock_bps: int) -> int:
    total = 0
    for p in positions:
        mark = marks[p.inst.symbol]
        moved = Fraction(mark * (BPS + shock_bps), BPS)
        total += position_pnl(p.inst, p.lots, p.entry, moved) - position_pnl(p.inst, p.lots, p.entry, Fraction(mark))
    return total


def simulate(positions: list[SimulatedPosition], marks: dict[str, int]) -> Simulation:
    """The figures of ``positions`` at ``marks`` (ticks by symbol)."""
    pnl = sum(position_pnl(p.inst, p.lots, p.entry, Fraction(marks[p.inst.symbol])) for p in positions)
    net: dict[str, int] = {}
    insts: dict[str, Instrument] = {}
    for p in positions:
        net[p.inst.symbol] = net.get(p.inst.symbol, 0) + p.lots
        insts[p.inst.symbol] = p.inst
    initial = maintenance = delta = 0
    for symbol, lots in net.items():
        inst = insts[symbol]
        notional = inst.notional_usd8(abs(lots), marks[symbol])
        initial += tiered_initial(inst, notional)
        maintenance += tiered_maintenance(inst, notional)
        delta += notional if lots > 0 else -notional
    scenarios = tuple(_scenario(positions, marks, s) for s in PRICE_SHOCK_LEVELS_BPS)
    market_risk = max(0, -min(scenarios))
    by_underlying: dict[str, list[SimulatedPosition]] = {}
    for p in positions:
        by_underlying.setdefault(p.inst.base, []).append(p)
    per_underlying = sum(max(0, -min(_scenario(group, marks, s) for s in PRICE_SHOCK_LEVELS_BPS))
                         for group in by_underlying.values())
    f = CROSS_ASSET_NETTING_FACTOR_BPS
    netted = ((BPS - f) * per_underlying + f * market_risk) // BPS
    return Simulation(pnl, initial, maintenance, scenarios, market_risk, netted, delta, net)
