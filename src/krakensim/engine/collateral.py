"""Collateral currencies of the multi-collateral (``flex``) wallet: their haircuts and their index prices.

Kraken values every currency of the flex wallet at its index price in USD and counts it as margin
after a haircut (support.kraken.com, "Futures Collateral Currencies": USD 0 %, EUR/GBP/USDC/USDT 1 %,
BTC/ETH 3 %, ADA/XRP 5 %, LTC/DOT/SOL/LINK 7.5 %; conversion fees 0.05 % for cash and stablecoins,
0.5 % for the rest). Units: a quantity is 1e-8 of the currency, a price is usd8 per whole unit.

A currency with a linear perpetual (``PF_XBTUSD`` for XBT) takes its price from that contract's index;
the others (EUR, GBP, USDT, …) have an index of their own here, moved by the control API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .events import CollateralPriceSet, Event
from .instruments import Instrument
from .pricing import Pricing
from .units import BPS, USD8

UNIT = 10**8  # a quantity counts 1e-8 of its currency


class Collateral(NamedTuple):
    haircut_bps: int
    conversion_fee_bps: int
    default_price: int  # usd8 per unit until an index publishes one (a currency with no contract)


USD = "USD"
COLLATERAL: dict[str, Collateral] = {
    "USD": Collateral(0, 0, USD8),
    "EUR": Collateral(100, 5, 108 * USD8 // 100),
    "GBP": Collateral(100, 5, 127 * USD8 // 100),
    "USDC": Collateral(100, 5, USD8),
    "USDT": Collateral(100, 5, USD8),
    "XBT": Collateral(300, 50, 90_000 * USD8),
    "ETH": Collateral(300, 50, 3_000 * USD8),
    "ADA": Collateral(500, 50, 50 * USD8 // 100),
    "XRP": Collateral(500, 50, 60 * USD8 // 100),
    "LTC": Collateral(750, 50, 80 * USD8),
    "DOT": Collateral(750, 50, 5 * USD8),
    "SOL": Collateral(750, 50, 150 * USD8),
    "LINK": Collateral(750, 50, 15 * USD8),
}
# the order Kraken converts collateral to cover a USD debt: lowest haircut first (then by name)
BY_HAIRCUT = sorted(COLLATERAL, key=lambda c: (COLLATERAL[c].haircut_bps, c != USD, c))
# the PnL currencies a linear contract may realise in (``pnlCurrency``), and their wallet currency
PNL_CURRENCIES = {"USD": "USD", "EUR": "EUR", "GBP": "GBP", "USDC": "USDC", "USDT": "USDT", "BTC": "XBT", "ETH": "ETH"}
WALLET_TO_PNL = {v: k for k, v in PNL_CURRENCIES.items()}


def currency_of(name: str) -> str | None:
    """The collateral currency a client names in any case (``btc`` is XBT), or None."""
    up = name.upper()
    up = "XBT" if up == "BTC" else up
    return up if up in COLLATERAL else None


class CollateralIndex:
    """Index prices of the collateral currencies (usd8 per unit), from the pricing room."""

    __slots__ = ("instruments", "pricing", "prices", "emit")

    def __init__(self, instruments: dict[str, Instrument], pricing: Pricing, emit: Callable[[Event], None]) -> None:
        self.instruments = instruments
        self.pricing = pricing
        self.prices: dict[str, int] = {}  # set by the control API, for currencies without a contract
        self.emit = emit

    def price(self, currency: str) -> int:
        if currency == USD:
            return USD8
        inst = self.instruments.get(f"PF_{currency}USD")
        if inst is not None and inst.symbol in self.pricing.index:
            ticks = self.pricing.index[inst.symbol]
            return ticks * inst.tick_num * USD8 // inst.tick_den
        return self.prices.get(currency, COLLATERAL[currency].default_price)

    def has_contract(self, currency: str) -> bool:
        return f"PF_{currency}USD" in self.instruments

    def set(self, currency: str, price: int, now: int) -> None:
        self.prices[currency] = price
        self.emit(CollateralPriceSet(now, currency, price))

    def value(self, currency: str, quantity: int) -> int:
        """usd8 that ``quantity`` (1e-8 units) is worth at the index (rounded down)."""
        return quantity * self.price(currency) // UNIT

    def collateral(self, currency: str, quantity: int) -> int:
        """usd8 of margin ``quantity`` counts for: its value less the haircut (a debt counts in full)."""
        v = self.value(currency, quantity)
        return v if v <= 0 else v * (BPS - COLLATERAL[currency].haircut_bps) // BPS

    def units_for(self, currency: str, usd8: int) -> int:
        """The quantity (1e-8 units, rounded down) worth ``usd8`` at the index."""
        return usd8 * UNIT // self.price(currency)

    def state(self) -> list[tuple[str, int]]:
        return sorted(self.prices.items())
