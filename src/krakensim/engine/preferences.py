"""Leverage preferences (isolated margin with a maximum leverage per contract, or cross margin) and PnL
preferences (the currency a contract's profit is paid in). Both are for multi-collateral (linear)
contracts only, as Kraken's ``leveragepreferences`` and ``pnlpreferences`` are.
"""

from __future__ import annotations

from collections.abc import Callable

from .accounts import Account
from .collateral import PNL_CURRENCIES
from .events import Event, LeveragePreferenceSet, PnlPreferenceSet
from .instruments import Instrument
from .margin_tiers import max_leverage
from .risk import Risk


class Preferences:
    __slots__ = ("risk", "emit")

    def __init__(self, risk: Risk, emit: Callable[[Event], None]) -> None:
        self.risk = risk
        self.emit = emit

    def set_leverage(self, account: Account, inst: Instrument, leverage: int | None, now: int) -> str:
        """Isolated margin at ``leverage`` (hundredths), or cross margin (None). Refused, nothing changed:
        not a multi-collateral contract or a leverage out of [1, the contract's maximum] (invalidArgument);
        a position whose new margin the account cannot afford (wouldCauseLiquidation)."""
        if not inst.linear:
            return "invalidArgument"
        if leverage is not None and not 100 <= leverage <= max_leverage(inst) * 100:
            return "invalidArgument"
        symbol = inst.symbol
        before = account.max_leverage.get(symbol)
        if leverage is None:
            account.max_leverage.pop(symbol, None)
        else:
            account.max_leverage[symbol] = leverage
        held = account.lots(symbol)
        if held and self.risk.available_margin(account) < 0:
            if before is None:
                account.max_leverage.pop(symbol, None)
            else:
                account.max_leverage[symbol] = before
            return "wouldCauseLiquidation"
        self.emit(LeveragePreferenceSet(now, account.account_id, symbol, leverage))
        return "ok"

    def set_pnl_currency(self, account: Account, inst: Instrument, name: str, now: int) -> str:
        """The currency ``inst``'s realised profit is paid in (Kraken's names: USD, EUR, GBP, USDC, USDT,
        BTC, ETH)."""
        if not inst.linear:
            return "invalidArgument"
        currency = PNL_CURRENCIES.get(name.upper())
        if currency is None:
            return "invalidArgument"
        account.pnl_currency[inst.symbol] = currency  # kept even for USD: the preference lists it
        self.emit(PnlPreferenceSet(now, account.account_id, inst.symbol, currency))
        return "ok"
