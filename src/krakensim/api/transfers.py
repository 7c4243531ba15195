"""Transfers and subaccounts: ``transfer`` (between the wallets of the account), ``transfer/subaccount``
(between the account and its subaccounts), ``withdrawal`` (to the spot wallet), ``subaccounts``, and
``subaccount/{uid}/trading-enabled``. Refusals are Kraken's words in its error envelope (transfers.md,
auth-and-limits.md): invalidAccount, invalidUnit, invalidAmount, insufficientFunds."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ..engine.accounts import Account
from ..engine.collateral import COLLATERAL, USD, currency_of
from ..engine.commands import SetSubaccountTrading, Transfer, WithdrawToSpot
from ..engine.exchange import Exchange
from ..engine.margin_accounts import margin_account_summary
from ..engine.transfers import MAX_QUANTITY
from ..engine.wallets import CASH, SPOT
from .errors import ApiError
from .params import parse_bool
from .render.numbers import usd_out
from .render.wallets import flex_currencies, flex_totals
from .request import Reply, Request, ok

NOT_FOUND = 404  # the trading-enabled paths answer an unknown subaccount with 404 (transfers.md)
LISTED = ("usd", "usdt", "usdc", "eur", "gbp", "xbt", "eth")  # the flex currencies subaccounts always list


def wallet_name(text: str) -> str:
    """A wallet as a client names it, in any case (``FLEX``, ``fi_xbtusd``); ``spot`` is not a futures wallet."""
    name = text.strip().lower()
    if name == SPOT:
        raise ApiError("invalidAccount")
    return name


def unit_of(text: str) -> str:
    currency = currency_of(text.strip())
    if currency is None:
        raise ApiError("invalidUnit")
    return currency


def quantity_of(text: str) -> int:
    """An amount as 1e-8 units: positive, finite, no finer than 1e-8 (else ``invalidAmount``)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation as e:
        raise ApiError("invalidAmount") from e
    if not value.is_finite() or value <= 0:
        raise ApiError("invalidAmount")
    scaled = value.scaleb(8)
    if scaled != scaled.to_integral_value() or scaled > MAX_QUANTITY:
        raise ApiError("invalidAmount")
    return int(scaled)


async def _submit_transfer(req: Request, from_user: str | None, to_user: str | None) -> Reply:
    p = req.params
    from_wallet = wallet_name(p.require("fromAccount"))
    to_wallet = wallet_name(p.require("toAccount"))
    currency = unit_of(p.require("unit"))
    quantity = quantity_of(p.require("amount"))
    res = await req.rt.submit(Transfer(req.account_id, from_wallet, to_wallet, currency, quantity, from_user,
                                       to_user), req.stamp)
    if res.status != "ok":
        raise ApiError(res.status)
    return ok(req.rt.clock())


async def transfer(req: Request) -> Reply:
    return await _submit_transfer(req, None, None)


async def transfer_subaccount(req: Request) -> Reply:
    return await _submit_transfer(req, req.params.require("fromUser"), req.params.require("toUser"))


async def withdrawal(req: Request) -> Reply:
    p = req.params
    currency = unit_of(p.require("currency"))
    quantity = quantity_of(p.require("amount"))
    wallet = wallet_name(p.get("sourceWallet") or CASH)
    res = await req.rt.submit(WithdrawToSpot(req.account_id, currency, quantity, wallet), req.stamp)
    if res.status != "ok":
        raise ApiError(res.status)
    account = req.rt.exchange.accounts[req.account_id]
    booking = next(e.booking_uid for e in reversed(account.log) if e.margin_account == wallet)
    return ok(req.rt.clock(), uid=booking)


def subaccount_entry(ex: Exchange, sub: Account) -> dict[str, Any]:
    m = ex.risk.summary(sub)
    currencies = flex_currencies(ex, sub, m)
    flex_list = []
    for name in sorted(set(LISTED) | {c.lower() for c in currencies}):
        c = currencies.get(name.upper()) or {"quantity": 0, "value": 0, "collateral": 0, "available": 0}
        flex_list.append({"currency": name, **c})
    totals = flex_totals(m)
    holding = [{"currency": c.lower(), "amount": usd_out(sub.wallets.cash.get(c, 0))}
               for c in sorted(COLLATERAL) if c == USD or sub.wallets.cash.get(c) or c in ("XBT", "ETH")]
    futures = []
    for base in sorted(ex.funds.margin_accounts().values()):
        available = margin_account_summary(ex.risk, sub, base).available
        futures.append({"name": f"f-{base.lower()}:usd", "availableMargin": usd_out(available)})
    return {"accountUid": sub.account_id, "email": "", "fullName": None, "holdingAccounts": holding,
            "futuresAccounts": futures, "flexAccount": {"currencies": flex_list, **totals}}


async def subaccounts(req: Request) -> Reply:
    ex = req.rt.exchange
    subs = [a for a in ex.accounts.values() if a.master == req.account_id]
    return ok(req.rt.clock(), masterAccountUid=req.account_id,
              subaccounts=[subaccount_entry(ex, s) for s in subs])


async def trading_enabled(req: Request) -> Reply:
    rt = req.rt
    uid = req.path_args[0]
    sub = rt.exchange.accounts.get(uid)
    if sub is None or sub.master != req.account_id:
        raise ApiError("notFound", NOT_FOUND)
    if req.method == "PUT":
        enabled = parse_bool(req.params.require("tradingEnabled"))
        res = await rt.submit(SetSubaccountTrading(req.account_id, uid, enabled), req.stamp)
        if res.status != "ok":
            raise ApiError("notFound", NOT_FOUND)
    return 200, {"tradingEnabled": sub.trading_enabled}


def spot_wallet(account: Account) -> dict[str, Any]:
    """The simulated spot wallet (the control API shows it): currency -> amount."""
    return {c: usd_out(q) for c, q in sorted(account.wallets.spot.items()) if q}
