"""The Charts API (``/api/charts/v1/…``): trade, mark and spot (index) candles at Kraken's
resolutions, from the engine's one-minute candles (``MarketData.candles_between``)."""

from __future__ import annotations

from ..engine.instruments import Instrument
from ..engine.market_data import TICK_TYPES, candle_start
from ..engine.units import MINUTE_MS
from .errors import INVALID, ApiError
from .params import INT64_MAX, optional_unsigned, parse_decimal
from .render.numbers import price_out, size_out
from .request import Reply, Request

PREFIX = "/api/charts/v1/"
RESOLUTIONS = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "4h": 240, "12h": 720, "1d": 1440, "1w": 10080}
MAX_CANDLES = 2000
WEEK_OFFSET_MS = 4 * 86_400_000  # weeks start on Monday 00:00 UTC (1970-01-01 was a Thursday)


WEEK_MS = RESOLUTIONS["1w"] * MINUTE_MS


def bucket(ms: int, res_ms: int) -> int:
    return candle_start(ms, res_ms, WEEK_OFFSET_MS if res_ms == WEEK_MS else 0)


def _dec(inst: Instrument, ticks: int) -> str:
    return str(price_out(inst, ticks))


def _seconds(req: Request, name: str) -> int | None:
    """``from``/``to``: epoch seconds (the spec's type is number), as epoch milliseconds."""
    v = req.params.get(name)
    if v is None or v == "":
        return None
    ms = int(parse_decimal(v) * 1000)
    if not 0 <= ms <= INT64_MAX:
        raise ApiError(INVALID)
    return ms


async def charts(req: Request) -> Reply:
    rt = req.rt
    ex = rt.exchange
    parts = [p for p in req.path[len(PREFIX):].split("/") if p]
    if not parts:
        return 200, list(TICK_TYPES)
    kind = parts[0]
    if kind not in TICK_TYPES:
        raise ApiError("notFound", 404)
    if len(parts) == 1:
        return 200, list(ex.instruments)
    inst = req.any_instrument(parts[1])
    if inst is None:
        raise ApiError("notFound", 404)
    if len(parts) == 2:
        return 200, list(RESOLUTIONS)
    if len(parts) != 3 or parts[2] not in RESOLUTIONS:
        raise ApiError("notFound", 404)
    res_ms = RESOLUTIONS[parts[2]] * MINUTE_MS
    now = rt.clock()
    to = _seconds(req, "to")
    frm = _seconds(req, "from")
    asked = optional_unsigned(req.params, "count")
    count = MAX_CANDLES if asked is None else min(MAX_CANDLES, asked)
    end = min(now if to is None else to, now)
    start = bucket(frm, res_ms) if frm is not None else bucket(end, res_ms) - (count - 1) * res_ms
    out = ex.market_data.candles_between(inst.symbol, kind, start, end, res_ms, WEEK_OFFSET_MS if res_ms == WEEK_MS
                                         else 0)
    times = sorted(out)
    more = len(times) > count
    times = times[:count]
    candles = [
        {
            "time": t,
            "open": _dec(inst, out[t][0]),
            "high": _dec(inst, out[t][1]),
            "low": _dec(inst, out[t][2]),
            "close": _dec(inst, out[t][3]),
            "volume": str(size_out(inst, out[t][4])),  # a string on the live wire (docs/fidelity.md)
        }
        for t in times
    ]
    return 200, {"candles": candles, "more_candles": more}
