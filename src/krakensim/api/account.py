"""Account endpoints: accounts (the margin wallets), openpositions and fills."""

from __future__ import annotations

from typing import Any

import msgspec

from ..engine.units import side_name
from .params import optional_iso
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
    account = ex.accounts[req.account_id]
    m = ex.risk.summary(account)
    # funding accrues with time: shown as of the clock, not of the latest command (margin figures follow)
    funding = ex.funding_payments.unrealized(account, max(ex.now, rt.clock()))
    m = msgspec.structs.replace(m, unrealized_funding=funding, equity=m.equity + funding - m.unrealized_funding,
                                available=m.available + funding - m.unrealized_funding)
    flex = {
        "type": "multiCollateralMarginAccount",
        "currencies": {
            "USD": {
                "quantity": usd_out(m.balance),
                "value": usd_out(m.balance),
                "collateral": usd_out(m.balance),
                "available": usd_out(m.available),
            }
        },
        "initialMargin": usd_out(m.initial_margin),
        "initialMarginWithOrders": usd_out(m.initial_margin + m.order_margin),
        "maintenanceMargin": usd_out(m.maintenance_margin),
        "balanceValue": usd_out(m.balance),
        "portfolioValue": usd_out(m.equity),
        "collateralValue": usd_out(m.balance),
        "pnl": usd_out(m.pnl),
        "unrealizedFunding": usd_out(m.unrealized_funding),
        "totalUnrealized": usd_out(m.pnl + m.unrealized_funding),
        "totalUnrealizedAsMargin": usd_out(m.pnl + m.unrealized_funding),
        "marginEquity": usd_out(m.equity),
        "availableMargin": usd_out(m.available),
    }
    cash = {"type": "cashAccount", "balances": {"usd": "0", "xbt": "0"}}
    return ok(rt.clock(), accounts={"cash": cash, "flex": flex})


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
                "pnlCurrency": "USD",
            }
        )
    return ok(rt.clock(), openPositions=out)
