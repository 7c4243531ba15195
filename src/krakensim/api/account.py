"""Account endpoints: accounts (the margin wallets), openpositions and fills."""

from __future__ import annotations

from typing import Any

from ..engine.collateral import USD, WALLET_TO_PNL
from ..engine.units import side_name
from .params import optional_iso
from .render import wallets
from .render.numbers import average_price_out, iso, price_out, size_out, usd_out
from .request import Reply, Request, ok

FILLS_PAGE = 100


async def fills(req: Request) -> Reply:
    rt = req.rt
    before = optional_iso(req.params, "lastFillTime")
    out: list[dict[str, Any]] = []
    for f in reversed(rt.exchange.accounts[req.account_id].fills):
        if before is not None and f.time >= before:
            continue
        inst = req.instrument_of(f.symbol)
        d: dict[str, Any] = {
            "fill_id": f.fill_id,
            "symbol": f.symbol,
            "side": side_name(f.side),
            "order_id": f.order_id,
            "size": size_out(inst, f.lots),
            "price": price_out(inst, f.price),
            "fillTime": iso(f.time),
            "fillType": f.fill_type,
        }
        if f.order_after.client_order_id is not None:
            d["cliOrdId"] = f.order_after.client_order_id
        out.append(d)
        if len(out) >= FILLS_PAGE:
            break
    return ok(rt.clock(), fills=out)


async def accounts(req: Request) -> Reply:
    rt = req.rt
    ex = rt.exchange
    return ok(rt.clock(), accounts=wallets.accounts(ex, ex.accounts[req.account_id], max(ex.now, rt.clock())))


async def openpositions(req: Request) -> Reply:
    rt = req.rt
    ex = rt.exchange
    account = ex.accounts[req.account_id]
    now = max(ex.now, rt.clock())
    out = []
    for s, position in account.positions.items():
        if not position.lots:
            continue
        inst = req.instrument_of(s)
        last_fill = next((f.time for f in reversed(account.fills) if f.symbol == s), ex.now)
        out.append(
            {
                "side": "long" if position.lots > 0 else "short",
                "symbol": s,
                "price": average_price_out(inst, position.average_price()),
                "fillTime": iso(last_fill),
                "size": size_out(inst, abs(position.lots)),
                "unrealizedFunding": usd_out(ex.funding_payments.position_unrealized(account, s, now)),
            }
        )
        if inst.linear:  # multi-collateral contracts: the PnL currency, and the leverage of an isolated position
            out[-1]["pnlCurrency"] = WALLET_TO_PNL[account.pnl_currency.get(s, USD)]
            leverage = account.max_leverage.get(s)
            if leverage is not None:
                out[-1]["maxFixedLeverage"] = leverage / 100
    return ok(rt.clock(), openPositions=out)
