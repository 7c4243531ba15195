"""Public trade history: ``/derivatives/api/v3/history`` and the History API's market executions."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from ..engine.book import BUY, Order
from ..engine.exchange import Trade
from ..engine.instruments import Instrument
from .params import INVALID, ApiError
from .wire import iso, parse_iso, price_out, side_str, size_out

if TYPE_CHECKING:
    from .app import Request

Reply = tuple[int, dict[str, Any]]
PAGE = 100
ORDER_TYPES = {"lmt": "Limit", "post": "Post", "ioc": "IoC", "fok": "FoK"}


def _ok(req: Request, **payload: Any) -> Reply:
    return 200, {"result": "success", **payload, "serverTime": iso(req.rt.clock())}


async def trade_history(req: Request) -> Reply:
    """GET /derivatives/api/v3/history?symbol=…[&lastTime=…]: the 100 trades before lastTime."""
    rt = req.rt
    symbol = req.params.require("symbol")
    inst = rt.exchange.instruments.get(symbol)
    if inst is None:
        raise ApiError(INVALID)
    last_time = req.params.get("lastTime")
    before = None
    if last_time not in (None, ""):
        assert last_time is not None
        before = parse_iso(last_time)
        if before is None:
            raise ApiError(INVALID)
    await rt.barrier()
    out: list[dict[str, Any]] = []
    for t in reversed(rt.exchange.trades[symbol]):
        if before is not None and t.ts >= before:
            continue
        out.append(
            {
                "trade_id": t.number,
                "price": price_out(inst, t.price),
                "size": str(size_out(inst, t.lots)),
                "side": side_str(t.taker_side),
                "type": "fill",
                "time": iso(t.ts),
                "uid": t.uid,
            }
        )
        if len(out) >= PAGE:
            break
    return _ok(req, history=out)


def _dec(v: int | float) -> str:
    return str(v)


def _hist_order(inst: Instrument, o: Order) -> dict[str, Any]:
    return {
        "uid": o.oid,
        "tradeable": o.symbol,
        "direction": "Buy" if o.side == BUY else "Sell",
        "quantity": _dec(size_out(inst, o.qty - o.filled)),
        "timestamp": o.ts,
        "limitPrice": _dec(price_out(inst, o.price)),
        "orderType": ORDER_TYPES.get(o.otype, "Limit"),
        "reduceOnly": o.reduce_only,
        "lastUpdateTimestamp": o.upd,
    }


def _execution_element(inst: Instrument, t: Trade) -> dict[str, Any]:
    usd = inst.notional_usd8(t.lots, t.price) / 100_000_000
    return {
        "uid": t.uid,
        "timestamp": t.ts,
        "event": {
            "Execution": {
                "execution": {
                    "uid": t.uid,
                    "makerOrder": _hist_order(inst, t.maker),
                    "takerOrder": _hist_order(inst, t.taker),
                    "timestamp": t.ts,
                    "quantity": _dec(size_out(inst, t.lots)),
                    "price": _dec(price_out(inst, t.price)),
                    "markPrice": _dec(price_out(inst, t.mark)),
                    "limitFilled": t.maker.filled + t.lots >= t.maker.qty,
                    "usdValue": f"{usd:.2f}",
                },
                "takerReducedQuantity": "",
            }
        },
    }


def _int_param(req: Request, name: str) -> int | None:
    v = req.params.get(name)
    if v in (None, ""):
        return None
    assert v is not None
    try:
        return int(v)
    except ValueError as e:
        raise ApiError(INVALID) from e


async def market_executions(req: Request) -> Reply:
    """GET /api/history/v{2,3}/market/{tradeable}/executions (public)."""
    rt = req.rt
    symbol = req.path_args[0]
    inst = rt.exchange.instruments.get(symbol)
    if inst is None:
        raise ApiError("notFound", 404)
    since = _int_param(req, "since")
    before = _int_param(req, "before")
    count = _int_param(req, "count") or PAGE
    sort = req.params.get("sort") or "desc"
    if sort not in ("asc", "desc") or count < 1:
        raise ApiError(INVALID)
    token = req.params.get("continuation_token")
    skip = 0
    if token:
        try:
            skip = int(base64.b64decode(token).decode())
        except ValueError as e:
            raise ApiError(INVALID) from e
    await rt.barrier()
    trades = [
        t for t in rt.exchange.trades[symbol]
        if (since is None or t.ts >= since) and (before is None or t.ts < before)
    ]
    if sort == "desc":
        trades.reverse()
    page = trades[skip: skip + count]
    body: dict[str, Any] = {"elements": [_execution_element(inst, t) for t in page], "len": len(page)}
    if skip + count < len(trades):
        body["continuationToken"] = base64.b64encode(str(skip + count).encode()).decode()
    return 200, body
