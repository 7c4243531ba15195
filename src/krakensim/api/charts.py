"""The Charts API (``/api/charts/v1/…``): trade, mark and spot (index) candles.

Candles are built from the engine's one-minute candles: trades for ``trade``, every mark
price change (trades and set prices) for ``mark``, every index change for ``spot``. Mark
and spot candles carry the last price through minutes without a change, as a price that
is always defined does; trade candles exist only where something traded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..engine.exchange import MINUTE_MS, TICK_TYPES
from ..engine.instruments import Instrument
from .params import INVALID, ApiError
from .wire import price_out, size_out

if TYPE_CHECKING:
    from .app import Request

Reply = tuple[int, Any]
PREFIX = "/api/charts/v1/"
RESOLUTIONS = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "4h": 240, "12h": 720, "1d": 1440, "1w": 10080}
MAX_CANDLES = 2000
WEEK_OFFSET_MS = 4 * 86_400_000  # weeks start on Monday 00:00 UTC (1970-01-01 was a Thursday)


def bucket(ms: int, res_ms: int) -> int:
    if res_ms == RESOLUTIONS["1w"] * MINUTE_MS:
        return (ms - WEEK_OFFSET_MS) // res_ms * res_ms + WEEK_OFFSET_MS
    return ms // res_ms * res_ms


def _dec(inst: Instrument, ticks: int) -> str:
    return str(price_out(inst, ticks))


def _seconds(req: Request, name: str) -> int | None:
    v = req.params.get(name)
    if v in (None, ""):
        return None
    assert v is not None
    try:
        return int(float(v) * 1000)
    except ValueError as e:
        raise ApiError(INVALID) from e


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
    inst = ex.instruments.get(parts[1])
    if inst is None:
        raise ApiError("notFound", 404)
    if len(parts) == 2:
        return 200, list(RESOLUTIONS)
    if len(parts) != 3 or parts[2] not in RESOLUTIONS:
        raise ApiError("notFound", 404)
    res_ms = RESOLUTIONS[parts[2]] * MINUTE_MS
    await rt.barrier()
    now = rt.clock()
    to = _seconds(req, "to")
    frm = _seconds(req, "from")
    count_text = req.params.get("count")
    count = MAX_CANDLES
    if count_text not in (None, ""):
        assert count_text is not None
        try:
            count = min(MAX_CANDLES, int(count_text))
        except ValueError as e:
            raise ApiError(INVALID) from e
        if count < 0:
            raise ApiError(INVALID)
    end = min(now if to is None else to, now)
    start = bucket(frm, res_ms) if frm is not None else bucket(end, res_ms) - (count - 1) * res_ms
    out: dict[int, list[int]] = {}
    close_before: int | None = None
    for minute, c in ex.candles[(inst.symbol, kind)].items():
        if minute < start:
            close_before = c[3]
            continue
        if minute > end:
            break
        b = bucket(minute, res_ms)
        agg = out.get(b)
        if agg is None:
            out[b] = list(c)
        else:
            agg[1] = max(agg[1], c[1])
            agg[2] = min(agg[2], c[2])
            agg[3] = c[3]
            agg[4] += c[4]
    if kind != "trade":  # a mark or index price is defined between its changes: carry it
        first = start if close_before is not None else (min(out) if out else None)
        if first is not None:
            last_close = close_before
            t = first
            while t <= end:
                have = out.get(t)
                if have is None and last_close is not None:
                    out[t] = [last_close, last_close, last_close, last_close, 0]
                elif have is not None:
                    last_close = have[3]
                t += res_ms
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
            "volume": size_out(inst, out[t][4]),
        }
        for t in times
    ]
    return 200, {"candles": candles, "more_candles": more}
