"""The wallets of an account besides the flex wallet's USD (``Account.balance``).

- ``flex``: the other currencies of the multi-collateral wallet (EUR, XBT, USDT, …);
- ``margin``: the single-collateral margin accounts of the inverse contracts, one per base currency,
  named as Kraken names them (``fi_xbtusd``), holding that base currency;
- ``cash``: the cash (holding) account, any currency;
- ``spot``: what was withdrawn to the (simulated) Kraken spot wallet.

Quantities count 1e-8 of their currency (usd8 for USD). A currency absent holds zero.
"""

from __future__ import annotations

FLEX = "flex"
CASH = "cash"
SPOT = "spot"


def margin_account_name(base: str) -> str:
    """The single-collateral margin account of an inverse contract's base currency (XBT -> fi_xbtusd)."""
    return f"fi_{base.lower()}usd"


class Wallets:
    __slots__ = ("flex", "margin", "cash", "spot", "order_margin")

    def __init__(self) -> None:
        self.flex: dict[str, int] = {}  # currency -> quantity (never USD: that is Account.balance)
        self.margin: dict[str, int] = {}  # margin account name -> quantity of its base currency
        self.cash: dict[str, int] = {}
        self.spot: dict[str, int] = {}
        self.order_margin: dict[str, int] = {}  # margin account name -> base currency its open orders reserve

    def state(self) -> tuple[object, ...]:
        return tuple(sorted((k, v) for k, v in d.items() if v)
                     for d in (self.flex, self.margin, self.cash, self.spot, self.order_margin))
