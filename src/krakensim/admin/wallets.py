"""The control API's wallet endpoints: deposits and withdrawals of collateral of any currency, the index of a
collateral currency without a contract, and a read of every wallet (the simulated spot wallet included).

``POST deposit`` / ``POST withdraw`` ``{"accountUid", "currency", "amount", "wallet"?}`` (wallet: flex, the
default; cash; a margin account such as fi_xbtusd); ``GET wallets?accountUid=``. Refusals are Kraken's
transfer words with 400 (invalidUnit, invalidAmount, invalidAccount, insufficientFunds), 404 for an
unknown account.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..api.errors import INVALID, REQUIRED, ApiError
from ..api.render.numbers import iso, usd_out
from ..api.render.wallets import units_str
from ..engine.collateral import USD, currency_of
from ..engine.commands import MoveFunds, SetCollateralPrice
from ..engine.transfers import MAX_QUANTITY
from ..engine.units import USD8
from ..engine.wallets import FLEX
from ..runtime.core import Runtime

BAD_REQUEST, NOT_FOUND = 400, 404


def _success(rt: Runtime, **payload: Any) -> tuple[int, Any]:
    return 200, {"result": "success", **payload, "serverTime": iso(rt.clock())}


def quantity(value: Any) -> int:
    """A positive amount of at most 1e-8 precision, as 1e-8 units (else invalidAmount)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ApiError("invalidAmount", BAD_REQUEST)
    try:
        d = Decimal(str(value)).scaleb(8)
    except ArithmeticError as e:
        raise ApiError("invalidAmount", BAD_REQUEST) from e
    if not d.is_finite() or d <= 0 or d != d.to_integral_value() or d > MAX_QUANTITY:
        raise ApiError("invalidAmount", BAD_REQUEST)
    return int(d)


def currency(value: Any) -> str:
    c = currency_of(value) if isinstance(value, str) else None
    if c is None:
        raise ApiError("invalidUnit", BAD_REQUEST)
    return c


def funds_of(doc: dict[str, Any]) -> tuple[tuple[str, str, int], ...]:
    """An account's first funds beside its USD: ``balances`` {currency: amount} into flex, ``wallets``
    {wallet: {currency: amount}} into any wallet."""
    out: list[tuple[str, str, int]] = []
    balances = doc.get("balances", {})
    wallets = doc.get("wallets", {})
    if not isinstance(balances, dict) or not isinstance(wallets, dict):
        raise ApiError(INVALID, BAD_REQUEST)
    for wallet, table in [(FLEX, balances), *wallets.items()]:
        if not isinstance(table, dict) or not isinstance(wallet, str):
            raise ApiError(INVALID, BAD_REQUEST)
        for c, amount in table.items():
            out.append((wallet.lower(), currency(c), quantity(amount)))
    return tuple(out)


def _account(rt: Runtime, doc: dict[str, Any]) -> str:
    if "accountUid" not in doc:
        raise ApiError(REQUIRED, BAD_REQUEST)
    account_id = doc["accountUid"]
    if not isinstance(account_id, str) or account_id not in rt.exchange.accounts:
        raise ApiError("notFound", NOT_FOUND)
    return account_id


async def _move(rt: Runtime, doc: dict[str, Any], sign: int) -> tuple[int, Any]:
    account_id = _account(rt, doc)
    if "currency" not in doc or "amount" not in doc:
        raise ApiError(REQUIRED, BAD_REQUEST)
    wallet = doc.get("wallet", FLEX)
    if not isinstance(wallet, str):
        raise ApiError("invalidAccount", BAD_REQUEST)
    res = await rt.submit(MoveFunds(account_id, currency(doc["currency"]), sign * quantity(doc["amount"]),
                                    wallet.lower()))
    if res.status != "ok":
        raise ApiError(res.status, BAD_REQUEST)
    return _success(rt, **wallets_of(rt, account_id))


async def deposit(rt: Runtime, doc: dict[str, Any]) -> tuple[int, Any]:
    return await _move(rt, doc, 1)


async def withdraw(rt: Runtime, doc: dict[str, Any]) -> tuple[int, Any]:
    return await _move(rt, doc, -1)


def wallets_of(rt: Runtime, account_id: str) -> dict[str, Any]:
    a = rt.exchange.accounts[account_id]
    w = a.wallets
    flex = {USD: units_str(a.balance), **{c: units_str(q) for c, q in sorted(w.flex.items()) if q}}
    return {"accountUid": account_id, "master": a.master, "tradingEnabled": a.trading_enabled, "flex": flex,
            "cash": {c: units_str(q) for c, q in sorted(w.cash.items()) if q},
            "marginAccounts": {n: units_str(q) for n, q in sorted(w.margin.items()) if q},
            "spot": {c: units_str(q) for c, q in sorted(w.spot.items()) if q}}


async def wallets(rt: Runtime, doc: dict[str, Any]) -> tuple[int, Any]:
    return _success(rt, **wallets_of(rt, _account(rt, doc)))


async def set_collateral_price(rt: Runtime, currency_name: Any, index: Any, to_decimal: Any) -> tuple[int, Any]:
    """``prices`` with ``currency`` (EUR, GBP, USDT, …): the index of a collateral currency, in USD."""
    c = currency(currency_name)
    price = to_decimal(index)
    if not price.is_finite() or price <= 0 or price * USD8 != int(price * USD8) or price > 10**9:
        raise ApiError(INVALID, BAD_REQUEST)
    res = await rt.submit(SetCollateralPrice(c, int(price * USD8)))
    if res.status != "ok":  # USD, or a currency that follows its contract's index (XBT: PF_XBTUSD)
        raise ApiError(res.status, BAD_REQUEST)
    return _success(rt, currency=c, index=usd_out(int(price * USD8)))
