"""Moving funds: deposits and withdrawals (the control API), transfers between an account's wallets and
between a master and its subaccounts, withdrawals to the spot wallet, and the conversion of a profit
into the currency a contract's PnL preference names.

Every movement is checked before anything changes (Kraken's words: ``invalidAccount``, ``invalidUnit``,
``invalidAmount``, ``insufficientFunds``), publishes ``FundsMoved`` per wallet touched and logs an entry
per wallet in the account log with Kraken's ``info`` word. Quantities are 1e-8 units of the currency.
"""

from __future__ import annotations

from collections.abc import Callable

from .accounts import Account, Accounts
from .collateral import COLLATERAL, USD, CollateralIndex
from .events import Event, FundsMoved
from .instruments import INVERSE, Instrument
from .margin_accounts import margin_account_summary
from .risk import Risk
from .units import bps_of
from .wallets import CASH, FLEX, SPOT, margin_account_name

ADMIN_TRANSFER = "admin transfer"  # the account log's words (history.md, AccountLogEntry.info)
TRANSFER = "transfer"
SUBACCOUNT_TRANSFER = "subaccount transfer"
CROSS_EXCHANGE = "cross-exchange transfer"  # to or from the spot wallet
CONVERSION = "conversion"
MAX_QUANTITY = 10**19  # a quantity stays a 64-bit integer (1e11 whole units)


class Funds:
    __slots__ = ("accounts", "risk", "instruments", "emit")

    def __init__(self, accounts: Accounts, risk: Risk, instruments: dict[str, Instrument],
                 emit: Callable[[Event], None]) -> None:
        self.accounts = accounts
        self.risk = risk
        self.instruments = instruments
        self.emit = emit

    @property
    def index(self) -> CollateralIndex:
        return self.risk.collateral

    # ------------------------------------------------------------------ wallets
    def margin_accounts(self) -> dict[str, str]:
        """Every single-collateral margin account (fi_xbtusd) and its currency, from the inverse contracts."""
        return {margin_account_name(i.base): i.base for i in self.instruments.values() if i.type == INVERSE}

    def wallet_takes(self, wallet: str, currency: str) -> str | None:
        """None when ``wallet`` may hold ``currency``; else Kraken's error (invalidAccount | invalidUnit)."""
        if wallet in (FLEX, CASH, SPOT):
            return None if currency in COLLATERAL else "invalidUnit"
        base = self.margin_accounts().get(wallet)
        if base is None:
            return "invalidAccount"
        return None if currency == base else "invalidUnit"

    @staticmethod
    def held(account: Account, wallet: str, currency: str) -> int:
        w = account.wallets
        if wallet == FLEX:
            return account.balance if currency == USD else w.flex.get(currency, 0)
        if wallet == CASH:
            return w.cash.get(currency, 0)
        if wallet == SPOT:
            return w.spot.get(currency, 0)
        return w.margin.get(wallet, 0)

    def _put(self, account: Account, wallet: str, currency: str, delta: int, info: str, now: int) -> None:
        old = self.held(account, wallet, currency)
        new = old + delta
        w = account.wallets
        if wallet == FLEX and currency == USD:
            account.balance = new
        else:
            table = w.flex if wallet == FLEX else w.cash if wallet == CASH else w.spot if wallet == SPOT else w.margin
            key = wallet if table is w.margin else currency
            if new:
                table[key] = new
            else:
                table.pop(key, None)
        self.emit(FundsMoved(now, account.account_id, wallet, currency, delta, new, info))
        if wallet != SPOT:  # the spot wallet is not a futures wallet: it has no futures account log
            self.accounts._log(account, now, info, None, old, new, asset=currency, margin_account=wallet)

    def withdrawable(self, account: Account, wallet: str, currency: str) -> int:
        """What may leave ``wallet``: all it holds, but from the flex wallet no more than keeps its
        available margin at or above zero (the collateral a quantity counts for, after its haircut)."""
        held = self.held(account, wallet, currency)
        if held <= 0:
            return 0
        if wallet in self.margin_accounts():  # what its positions and orders do not need
            return max(0, min(held, margin_account_summary(self.risk, account, currency).available))
        if wallet != FLEX:
            return held
        available = self.risk.available_margin(account)
        if available <= 0:
            return 0
        if currency == USD:
            return min(held, available)
        haircut = COLLATERAL[currency].haircut_bps
        price = self.index.price(currency)
        # quantity q counts for q × price × (1 − haircut): the largest q whose collateral fits in ``available``
        most = available * 10**8 * 10_000 // (price * (10_000 - haircut))
        return min(held, most)

    # ------------------------------------------------------------------ commands
    def deposit(self, account: Account, wallet: str, currency: str, quantity: int, now: int) -> str:
        """The control API brings (quantity > 0) or takes away (< 0) funds: an ``admin transfer``."""
        error = self.wallet_takes(wallet, currency)
        if error is not None:
            return error
        if quantity == 0 or abs(quantity) > MAX_QUANTITY:
            return "invalidAmount"
        if quantity < 0 and -quantity > self.withdrawable(account, wallet, currency):
            return "insufficientFunds"
        self._put(account, wallet, currency, quantity, ADMIN_TRANSFER, now)
        return "ok"

    def transfer(self, source: Account, target: Account, from_wallet: str, to_wallet: str, currency: str,
                 quantity: int, now: int) -> str:
        """Move ``quantity`` of ``currency`` from a wallet of ``source`` to a wallet of ``target`` (the same
        account: a wallet ``transfer``; another: a ``subaccount transfer``)."""
        for wallet in (from_wallet, to_wallet):
            if wallet == SPOT:
                return "invalidAccount"
            error = self.wallet_takes(wallet, currency)
            if error is not None:
                return error
        if source is target and from_wallet == to_wallet:
            return "invalidAccount"
        if quantity <= 0 or quantity > MAX_QUANTITY:
            return "invalidAmount"
        if quantity > self.withdrawable(source, from_wallet, currency):
            return "insufficientFunds"
        info = TRANSFER if source is target else SUBACCOUNT_TRANSFER
        self._put(source, from_wallet, currency, -quantity, info, now)
        self._put(target, to_wallet, currency, quantity, info, now)
        return "ok"

    def to_spot(self, account: Account, wallet: str, currency: str, quantity: int, now: int) -> str:
        """A withdrawal to the (simulated) spot wallet kept beside the account."""
        if wallet == SPOT:
            return "invalidAccount"
        error = self.wallet_takes(wallet, currency)
        if error is not None:
            return error
        if quantity <= 0 or quantity > MAX_QUANTITY:
            return "invalidAmount"
        if quantity > self.withdrawable(account, wallet, currency):
            return "insufficientFunds"
        self._put(account, wallet, currency, -quantity, CROSS_EXCHANGE, now)
        self._put(account, SPOT, currency, quantity, CROSS_EXCHANGE, now)
        return "ok"

    def pay_profit(self, account: Account, symbol: str, realized: int, now: int) -> None:
        """A realised profit (usd8, already in ``balance``) is paid in the contract's PnL currency instead:
        converted at the index, less that currency's conversion fee (a ``conversion`` entry each side)."""
        currency = account.pnl_currency.get(symbol, USD)
        if realized <= 0 or currency == USD:
            return
        fee = bps_of(realized, COLLATERAL[currency].conversion_fee_bps)
        quantity = self.index.units_for(currency, realized - fee)
        if quantity <= 0:
            return
        self.accounts.fees_collected += fee
        price = self.index.price(currency)
        old = account.balance
        account.balance -= realized
        self.emit(FundsMoved(now, account.account_id, FLEX, USD, -realized, account.balance, CONVERSION))
        self.accounts._log(account, now, CONVERSION, None, old, account.balance, asset=USD,
                           conversion_spot_price=price)
        w = account.wallets.flex
        before = w.get(currency, 0)
        w[currency] = before + quantity
        self.emit(FundsMoved(now, account.account_id, FLEX, currency, quantity, w[currency], CONVERSION))
        self.accounts._log(account, now, CONVERSION, None, before, w[currency], asset=currency,
                           conversion_spot_price=price)
