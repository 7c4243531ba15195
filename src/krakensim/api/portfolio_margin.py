"""Portfolio margining: ``portfolio-margining/parameters`` and ``portfolio-margining/simulate``.

krakensim lists futures only: the parameters are its own constants (engine/portfolio_margin.py) and
the simulation prices futures positions at the current marks (no option greeks, premium or limits)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from ..engine import portfolio_margin as pm
from ..engine.instruments import Instrument
from ..engine.units import BPS
from .errors import INVALID, REQUIRED, ApiError
from .params import parse_json_field
from .render.numbers import signed_size_out, size_out, usd_out
from .request import Reply, Request, find_instrument, ok

MAX_POSITIONS = 500  # positions one simulation prices (the open-order limit's size: a portfolio of that scale)


def _ratio(bps: int) -> int | float:
    return bps // BPS if bps % BPS == 0 else bps / BPS


def options_user_limits(listed: dict[str, Instrument]) -> dict[str, Any]:
    """The options limits, there being no options: per base currency the largest position (contracts) any of
    its listed futures allows, which bounds both a position and its open orders; the net delta limit the
    largest of these (a future's delta is its size)."""
    per_base: dict[str, int | float] = {}
    for inst in listed.values():
        limit = size_out(inst, inst.max_lots)
        per_base[inst.base] = max(per_base.get(inst.base, 0), limit)
    return {"maxNetPositionDelta": max(per_base.values(), default=0),
            "limitsPerBaseCurrency": {b: {"maxTotalPositionSize": v, "maxTotalOpenOrdersSize": v}
                                      for b, v in sorted(per_base.items())}}


async def parameters(req: Request) -> Reply:
    return ok(req.rt.clock(),
              crossAssetNettingFactor=_ratio(pm.CROSS_ASSET_NETTING_FACTOR_BPS),
              extremePriceShockMultiplier=_ratio(pm.EXTREME_PRICE_SHOCK_MULTIPLIER_BPS),
              volShockMultiplicationFactor=_ratio(pm.VOL_SHOCK_MULTIPLICATION_FACTOR_BPS),
              volShockExponentFactor=_ratio(pm.VOL_SHOCK_EXPONENT_FACTOR_BPS),
              optionExpiryTimeShockHours=pm.OPTION_EXPIRY_TIME_SHOCK_HOURS,
              optionsInitialMarginFactor=_ratio(pm.OPTIONS_INITIAL_MARGIN_FACTOR_BPS),
              totalOptionOrdersConsideredInInitialMarginCalc=pm.TOTAL_OPTION_ORDERS_CONSIDERED,
              priceShockLevels=[_ratio(s) for s in pm.PRICE_SHOCK_LEVELS_BPS],
              optionsUserLimits=options_user_limits(req.rt.exchange.listed))


def _number(value: object) -> Decimal:
    """A JSON number (not a boolean) as an exact Decimal, or ``invalidArgument``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ApiError(INVALID)
    try:
        d = Decimal(str(value))  # the shortest repr: what the client wrote
    except InvalidOperation as e:
        raise ApiError(INVALID) from e
    if not d.is_finite():
        raise ApiError(INVALID)
    return d


def _position(req: Request, row: object) -> pm.SimulatedPosition:
    if not isinstance(row, dict) or not isinstance(row.get("instrument"), str):
        raise ApiError(INVALID)
    inst = find_instrument(req.rt.exchange.listed, row["instrument"])
    if inst is None:
        raise ApiError(INVALID)
    size, entry = _number(row.get("size")), _number(row.get("entryPrice"))
    lots = 0
    if size:
        lots = inst.size_to_lots(abs(size)) or 0
        if not lots:  # not a multiple of the lot size, or beyond any size
            raise ApiError(INVALID)
        lots = lots if size > 0 else -lots
    if entry < inst.tick_size or entry > Decimal(2**40) * inst.tick_size:  # the prices an order may have
        raise ApiError(INVALID)
    return pm.SimulatedPosition(inst, lots, Fraction(entry) / Fraction(inst.tick_size))


def parse_portfolio(req: Request) -> list[pm.SimulatedPosition]:
    raw = req.params.get("json")
    if raw is None or raw == "":
        raise ApiError(REQUIRED)
    doc = parse_json_field(raw)
    if not isinstance(doc, dict) or not isinstance(doc.get("positions"), list):
        raise ApiError(INVALID)
    rows = doc["positions"]
    if len(rows) > MAX_POSITIONS:
        raise ApiError(INVALID)
    return [_position(req, row) for row in rows]


async def simulate(req: Request) -> Reply:
    positions = parse_portfolio(req)
    ex = req.rt.exchange
    sim = pm.simulate(positions, ex.pricing.marks)
    insts = {p.inst.symbol: p.inst for p in positions}
    greeks = {s: {"iv": -1.0, "delta": signed_size_out(insts[s], lots), "gamma": None, "vega": None, "theta": None,
                  "rho": None} for s, lots in sim.net_lots.items()}
    breakdown = {
        "totalCrossAssetNettedMarketRisk": usd_out(sim.netted_market_risk),
        "totalMarketRisk": usd_out(sim.market_risk),
        "totalScenarioPnls": [usd_out(v) for v in sim.scenario_pnls],
        "totalAbsoluteOptionPositionDeltaNotional": 0,  # no options
        "netPortfolioDelta": usd_out(sim.net_delta),
        "totalPremium": 0,
        "isBuyOnly": True,  # an account that holds no short options
        "futuresMaintenanceMargin": usd_out(sim.maintenance_margin),
    }
    return ok(req.rt.clock(), maintenanceMargin=usd_out(sim.maintenance_margin),
              initialMargin=usd_out(sim.initial_margin), pnl=usd_out(sim.pnl), portfolioMarginBreakdown=breakdown,
              greeks=greeks)
