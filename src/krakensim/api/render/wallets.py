"""The wallets as ``accounts`` and ``subaccounts`` write them: the flex (multi-collateral) wallet, the cash
account and the single-collateral margin accounts of the inverse contracts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from ...engine.accounts import Account
from ...engine.collateral import COLLATERAL, USD
from ...engine.exchange import Exchange
from ...engine.margin_accounts import margin_account_summary, trigger_estimates
from ...engine.risk import MarginSummary
from ...engine.units import BPS
from .numbers import price_out, signed_size_out, usd_out

Message = dict[str, Any]


def units_str(quantity: int) -> str:
    """1e-8 units as Kraken's decimal strings (``"141.31756797"``, ``"0"``)."""
    text = f"{Decimal(quantity).scaleb(-8):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def flex_currencies(ex: Exchange, account: Account, m: MarginSummary) -> dict[str, Message]:
    """Each currency of the flex wallet: quantity, value at the index, collateral after the haircut, and
    what of it is available: the available margin in that currency, grossed up by its haircut, at most
    the quantity held (USD always listed, the others while held)."""
    index = ex.risk.collateral
    held = {USD: account.balance, **{c: q for c, q in account.wallets.flex.items() if q}}
    out: dict[str, Message] = {}
    for currency, quantity in held.items():
        value = index.value(currency, quantity)
        haircut = COLLATERAL[currency].haircut_bps
        if currency == USD:
            available = min(quantity, m.available)
        else:
            price = index.price(currency)
            gross = m.available * 10**8 * BPS // (price * (BPS - haircut))
            available = min(quantity, gross)
        out[currency] = {"quantity": usd_out(quantity), "value": usd_out(value),
                         "collateral": usd_out(index.collateral(currency, quantity)),
                         "available": usd_out(available)}
    return out


def flex_totals(m: MarginSummary, unrealized_funding: int = 0) -> Message:
    """The flex wallet's totals (USD), every one computed from the margin summary."""
    return {
        "initialMargin": usd_out(m.initial_margin),
        "initialMarginWithOrders": usd_out(m.initial_margin + m.order_margin),
        "maintenanceMargin": usd_out(m.maintenance_margin),
        "balanceValue": usd_out(m.balance_value),
        "portfolioValue": usd_out(m.balance_value + m.pnl + unrealized_funding),
        "collateralValue": usd_out(m.collateral_value),
        "pnl": usd_out(m.pnl),
        "unrealizedFunding": usd_out(unrealized_funding),
        "totalUnrealized": usd_out(m.pnl + unrealized_funding),
        "totalUnrealizedAsMargin": usd_out(m.unrealized_as_margin + unrealized_funding),
        "marginEquity": usd_out(m.equity),
        "availableMargin": usd_out(m.available),
    }


def flex(ex: Exchange, account: Account, now: int | None = None) -> Message:
    """The flex wallet; its unrealised funding as of ``now`` (funding accrues with time: the figures that
    hold it follow), else as of the latest command."""
    m = ex.risk.summary(account)
    if now is not None:
        funding = ex.funding_payments.unrealized(account, now)
        moved = funding - m.unrealized_funding
        m = msgspec.structs.replace(m, unrealized_funding=funding, equity=m.equity + moved,
                                    available=m.available + moved)
    return {"type": "multiCollateralMarginAccount", "currencies": flex_currencies(ex, account, m),
            **flex_totals(m, m.unrealized_funding)}


def cash(account: Account) -> Message:
    balances = {c.lower(): units_str(q) for c, q in sorted(account.wallets.cash.items()) if q}
    for c in ("usd", "xbt"):  # always listed, as before any deposit
        balances.setdefault(c, "0")
    return {"type": "cashAccount", "balances": balances}


def margin_accounts(ex: Exchange, account: Account) -> dict[str, Message]:
    """Every single-collateral margin account (one per inverse base currency), in its currency: its
    balance and its positions' sizes, portfolio value, PnL, available funds, requirements, and the marks
    (of its perpetual, or of its first contract) at which each requirement would be met."""
    out: dict[str, Message] = {}
    risk = ex.risk
    for name, base in sorted(ex.funds.margin_accounts().items()):
        m = margin_account_summary(risk, account, base)
        balances = {}
        symbols = []
        if account.inverse_in_base:
            for symbol, p in account.positions.items():
                inst = ex.instruments[symbol]
                if p.lots and not inst.linear and inst.base == base:
                    balances[symbol] = str(signed_size_out(inst, p.lots))
                    symbols.append(symbol)
        balances[base.lower()] = units_str(m.balance)
        perpetual = f"PI_{base}USD"
        anchor = perpetual if perpetual in ex.listed else (symbols[0] if symbols else None)
        estimates: dict[str, int | float] = {"im": 0, "mm": 0, "lt": 0, "tt": 0}
        if anchor is not None and symbols:
            for k, ticks in trigger_estimates(risk, account, base, anchor).items():
                estimates[k] = price_out(ex.instruments[anchor], ticks) if ticks is not None else 0
        out[name] = {
            "type": "marginAccount",
            "currency": base.lower(),
            "balances": balances,
            "auxiliary": {"usd": 0, "pv": usd_out(m.portfolio_value), "pnl": usd_out(m.pnl),
                          "af": usd_out(m.available), "funding": 0},
            "marginRequirements": {"im": usd_out(m.initial_margin + m.order_margin),
                                   "mm": usd_out(m.maintenance_margin), "lt": usd_out(m.liquidation_threshold),
                                   "tt": usd_out(m.termination_threshold)},
            "triggerEstimates": estimates,
        }
    return out


def accounts(ex: Exchange, account: Account, now: int | None = None) -> Message:
    return {"cash": cash(account), "flex": flex(ex, account, now), **margin_accounts(ex, account)}
