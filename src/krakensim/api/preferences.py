"""Multi-collateral preferences: ``leveragepreferences`` (isolated margin at a maximum leverage, or cross
margin) and ``pnlpreferences`` (the currency a contract's profit is paid in)."""

from __future__ import annotations

from decimal import Decimal

from ..engine.collateral import WALLET_TO_PNL
from ..engine.commands import SetLeveragePreference, SetPnlPreference
from .errors import INVALID, ApiError
from .params import parse_decimal
from .request import Reply, Request, ok

MAX_LEVERAGE = Decimal(1000)  # far above any contract's; the engine refuses above the contract's own


async def leveragepreferences(req: Request) -> Reply:
    rt = req.rt
    account = rt.exchange.accounts[req.account_id]
    if req.method == "PUT":
        inst = req.instrument(req.params.require("symbol"))
        raw = req.params.get("maxLeverage")
        leverage: int | None = None
        if raw:  # absent (or empty): cross margin
            value = parse_decimal(raw)
            if not value.is_finite() or value <= 0 or value > MAX_LEVERAGE:
                raise ApiError(INVALID)
            leverage = int(value * 100)
        res = await rt.submit(SetLeveragePreference(req.account_id, inst.symbol, leverage), req.stamp)
        if res.status != "ok":
            raise ApiError(res.status)
        return ok(rt.clock())
    prefs = [{"symbol": s, "maxLeverage": v / 100} for s, v in account.max_leverage.items()]
    return ok(rt.clock(), leveragePreferences=prefs)


async def pnlpreferences(req: Request) -> Reply:
    rt = req.rt
    account = rt.exchange.accounts[req.account_id]
    if req.method == "PUT":
        inst = req.instrument(req.params.require("symbol"))
        currency = req.params.require("pnlPreference")
        res = await rt.submit(SetPnlPreference(req.account_id, inst.symbol, currency), req.stamp)
        if res.status != "ok":
            raise ApiError(res.status)
        return ok(rt.clock())
    prefs = [{"symbol": s, "pnlCurrency": WALLET_TO_PNL[c]} for s, c in account.pnl_currency.items()]
    return ok(rt.clock(), preferences=prefs)
