"""How the exchange applies the commands of wallets, preferences and subaccounts (kept out of
exchange.py: each returns Kraken's word for its outcome in ``Result.status``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import commands as c
from .collateral import COLLATERAL, USD
from .events import SubaccountTradingSet
from .result import Result

if TYPE_CHECKING:
    from .exchange import Check, Exchange


class WalletCommands:
    """Bound methods, not closures: the exchange is pickled into snapshots."""

    def __init__(self, ex: Exchange) -> None:
        self.ex = ex

    def move_funds(self, cmd: c.MoveFunds, now: int) -> Result:
        account = self.ex.accounts[cmd.account_id]
        return Result(self.ex.funds.deposit(account, cmd.wallet, cmd.currency, cmd.quantity, now))

    def set_collateral_price(self, cmd: c.SetCollateralPrice, now: int) -> Result:
        if cmd.currency not in COLLATERAL or cmd.currency == USD or self.ex.funds.index.has_contract(cmd.currency):
            return Result("invalidUnit")  # a currency with a contract follows that contract's index
        if cmd.price <= 0:
            return Result("invalidArgument")
        self.ex.funds.index.set(cmd.currency, cmd.price, now)
        return Result("ok")

    def transfer(self, cmd: c.Transfer, now: int) -> Result:
        master = self.ex.accounts[cmd.account_id]
        ends = []
        for named in (cmd.from_account, cmd.to_account):
            account = master if named is None or named == master.account_id else self.ex.accounts.get(named)
            if account is None or (account is not master and account.master != master.account_id):
                return Result("invalidAccount")  # neither the account nor one of its subaccounts
            ends.append(account)
        return Result(self.ex.funds.transfer(ends[0], ends[1], cmd.from_wallet, cmd.to_wallet, cmd.currency,
                                             cmd.quantity, now))

    def withdraw(self, cmd: c.WithdrawToSpot, now: int) -> Result:
        account = self.ex.accounts[cmd.account_id]
        return Result(self.ex.funds.to_spot(account, cmd.wallet, cmd.currency, cmd.quantity, now))

    def set_leverage(self, cmd: c.SetLeveragePreference, now: int) -> Result:
        inst = self.ex.listings.listed.get(cmd.symbol)
        if inst is None:
            return Result("invalidArgument")
        account = self.ex.accounts[cmd.account_id]
        return Result(self.ex.preferences.set_leverage(account, inst, cmd.max_leverage, now))

    def set_pnl(self, cmd: c.SetPnlPreference, now: int) -> Result:
        inst = self.ex.listings.listed.get(cmd.symbol)
        if inst is None:
            return Result("invalidArgument")
        account = self.ex.accounts[cmd.account_id]
        return Result(self.ex.preferences.set_pnl_currency(account, inst, cmd.currency, now))

    def set_trading(self, cmd: c.SetSubaccountTrading, now: int) -> Result:
        sub = self.ex.accounts.get(cmd.subaccount)
        if sub is None or sub.master != cmd.account_id:
            return Result("notFound")
        sub.trading_enabled = cmd.enabled
        self.ex.stream.emit(SubaccountTradingSet(now, sub.account_id, cmd.enabled))
        return Result("ok")

    def table(self) -> dict[type[c.Command], tuple[Callable[[Any, int], Result], bool, Check | None]]:
        return {
            c.MoveFunds: (self.move_funds, True, None),
            c.SetCollateralPrice: (self.set_collateral_price, False, None),
            c.Transfer: (self.transfer, True, None), c.WithdrawToSpot: (self.withdraw, True, None),
            c.SetLeveragePreference: (self.set_leverage, True, None),
            c.SetPnlPreference: (self.set_pnl, True, None),
            c.SetSubaccountTrading: (self.set_trading, True, None),
        }
