"""Fee schedules (and an account's volume per schedule) and the perpetuals' funding rate history."""

from __future__ import annotations

from ..engine.accounts import MAKER_FEE_BPS, TAKER_FEE_BPS, traded_volume
from ..engine.instruments import PF_FEE_SCHEDULE, PI_FEE_SCHEDULE
from ..engine.units import DAY_MS
from .errors import INVALID, ApiError
from .render.market import funding_rate_json
from .render.numbers import iso, usd_out
from .request import Reply, Request, ok

FEE_SCHEDULES = (
    (PF_FEE_SCHEDULE, "krakensim flexible futures"),
    (PI_FEE_SCHEDULE, "krakensim inverse futures"),
)
VOLUME_WINDOW_MS = 30 * DAY_MS


async def feeschedules(req: Request) -> Reply:
    """The fees krakensim charges: one tier (percent, as Kraken lists them)."""
    tiers = [{"makerFee": MAKER_FEE_BPS / 100, "takerFee": TAKER_FEE_BPS / 100, "usdVolume": 0}]
    return ok(req.rt.clock(), feeSchedules=[{"uid": uid, "name": name, "tiers": tiers} for uid, name in FEE_SCHEDULES])


async def feeschedules_volumes(req: Request) -> Reply:
    """The account's 30-day traded USD volume per fee schedule."""
    rt = req.rt
    ex = rt.exchange
    now = rt.clock()
    volume = {uid: 0 for uid, _ in FEE_SCHEDULES}
    volume.update(traded_volume(ex.accounts[req.account_id], ex.instruments, now - VOLUME_WINDOW_MS))
    return ok(now, volumesByFeeSchedule={uid: usd_out(v) for uid, v in volume.items()})


async def historical_funding_rates(req: Request) -> Reply:
    """GET historical-funding-rates (v3) and historicalfundingrates (v4): every published rate, oldest first."""
    rt = req.rt
    ex = rt.exchange
    inst = req.any_instrument(req.params.get("symbol") or "")
    if inst is None or inst.symbol not in ex.funding.rates:
        raise ApiError(INVALID, 400)  # "Symbol is invalid or does not reference a perpetual market."
    rates = []
    for ts, rel, mark in ex.funding.rates[inst.symbol]:
        absolute, relative = funding_rate_json(inst, rel, mark)
        rates.append({"timestamp": iso(ts), "fundingRate": absolute, "relativeFundingRate": relative})
    return ok(rt.clock(), rates=rates)
