"""The legacy ``initialmargin`` and ``initialmargin/maxordersize``: what an order would need, and the
largest orders the account's available margin allows (risk.margin_needed, the check sendorder makes)."""

from __future__ import annotations

from typing import Any

from ..engine.accounts import Account
from ..engine.instruments import Instrument
from ..engine.risk import Risk
from ..engine.units import BUY, SELL
from ..engine.what_if import liquidation_price_after
from .errors import INVALID, REQUIRED, ApiError
from .order_params import side_of
from .params import parse_decimal
from .render.numbers import price_out, size_out, usd_out
from .request import Reply, Request, ok

ORDER_TYPES = ("lmt", "mkt")  # lmt: a limit order; mkt: an immediate-or-cancel order with 1 % price protection
CLOSED = ("suspended", "inactive")  # market states in which there is no market to trade in


def _order_type(req: Request) -> str:
    order_type = req.params.require("orderType")
    if order_type not in ORDER_TYPES:
        raise ApiError(INVALID)
    return order_type


def _limit_price(req: Request, inst: Instrument, order_type: str) -> int | None:
    """The limit price in ticks (``lmt``: required), None for ``mkt`` (priced from the book)."""
    if order_type == "mkt":
        return None
    text = req.params.get("limitPrice")
    if text is None or text == "":
        raise ApiError(REQUIRED)
    ticks = inst.price_to_ticks(parse_decimal(text))
    if ticks is None:
        raise ApiError(INVALID)
    return ticks


def _price(req: Request, inst: Instrument, side: int, limit: int | None) -> int | None:
    """The order's price: its limit, or for ``mkt`` 1 % through the best opposite price (None: no market)."""
    return limit if limit is not None else req.rt.exchange.matchers[inst.symbol].protection_price(side)


def needed(risk: Risk, account: Account, inst: Instrument, side: int, lots: int, price: int) -> int:
    """What an order of ``lots`` must find available (what it reserves, or more when it grows the position)."""
    held = account.lots(inst.symbol)
    return risk.margin_needed(account, inst, held, side, lots, price, risk.order_margin(account, inst, lots, price))


async def initialmargin(req: Request) -> Reply:
    ex = req.rt.exchange
    order_type = _order_type(req)
    inst = req.instrument(req.params.require("symbol"))
    side = side_of(req.params.require("side"))
    lots = inst.size_to_lots(parse_decimal(req.params.require("size")))
    if lots is None:
        raise ApiError(INVALID)
    limit = _limit_price(req, inst, order_type)
    now = req.rt.clock()
    if ex.listings.market_state.get(inst.symbol) in CLOSED:
        return ok(now, initialMargin=0, estimatedLiquidationThreshold=0, price=0, error="MARKET_SUSPENDED")
    price = _price(req, inst, side, limit)
    if price is None:
        return ok(now, initialMargin=None, estimatedLiquidationThreshold=None, price=None)
    account = ex.accounts[req.account_id]
    liquidation = liquidation_price_after(ex.risk, account, inst.symbol, side, lots, price)
    return ok(now, initialMargin=usd_out(needed(ex.risk, account, inst, side, lots, price)),
              estimatedLiquidationThreshold=0 if liquidation is None else price_out(inst, liquidation),
              price=price_out(inst, price))


def max_lots(risk: Risk, account: Account, inst: Instrument, side: int, price: int) -> int:
    """The most lots an order on ``side`` at ``price`` may have: within the position limit and what the
    available margin covers (margin_needed grows with size: a bisection over lots)."""
    held = account.lots(inst.symbol)
    upper = max(0, inst.max_lots - side * held)  # |held + side × lots| ≤ max_lots
    available = risk.available_for(account, inst)
    lo, hi = 0, upper  # lo fits; the answer is in [lo, hi]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if needed(risk, account, inst, side, mid, price) <= available:
            lo = mid
        else:
            hi = mid - 1
    return lo


async def maxordersize(req: Request) -> Reply:
    ex = req.rt.exchange
    order_type = _order_type(req)
    inst = req.instrument(req.params.require("symbol"))
    limit = _limit_price(req, inst, order_type)
    account = ex.accounts[req.account_id]
    closed = ex.listings.market_state.get(inst.symbol) in CLOSED
    out: dict[str, Any] = {}
    for side, size_key, price_key in ((BUY, "maxBuySize", "buyPrice"), (SELL, "maxSellSize", "sellPrice")):
        price = _price(req, inst, side, limit)
        out[price_key] = None if price is None else price_out(inst, price)
        out[size_key] = None if price is None or closed else size_out(inst, max_lots(ex.risk, account, inst, side,
                                                                                      price))
    return ok(req.rt.clock(), **out)
