"""Margin and the checks made before an order may trade (usd8 everywhere).

Risk decides, matching executes: the initial margin an order reserves, what an account has
available, its maintenance margin, whether a fill at worse-than-mark prices would leave it
below maintenance, and the limits on open orders.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import msgspec

from .accounts import Account, Accounts, to_base, unrealized_pnl
from .collateral import COLLATERAL, USD, CollateralIndex
from .funding_payments import FundingPayments
from .instruments import Instrument
from .margin_accounts import margin_account_liquidation_price, margin_account_summary
from .margin_tiers import leverage_allowed, tiered_initial, tiered_maintenance
from .orders import Order
from .pricing import Pricing
from .units import BPS, USD8, bps_of
from .wallets import margin_account_name

MAX_OPEN_ORDERS = 500  # open orders and triggers per account
SMALL_ORDER_USD8 = 10 * USD8  # an order below 10 USD notional is "small"
MAX_SMALL_ORDERS = 50  # open small orders per account
MAX_TRAILING_STOPS = 100  # open trailing stops per account
PRICE_COLLAR_BPS = 1000  # a crossing order whose limit is more than 10 % from the mark is refused
MAX_PRICE_TICKS = 1 << 40  # no price is larger (the gateway's bound on prices)


class MarginSummary(msgspec.Struct, frozen=True):
    """An account's flex (multi-collateral) wallet as Kraken's ``accounts`` reports it (usd8)."""

    balance: int  # the wallet's USD
    pnl: int  # unrealised
    initial_margin: int  # of the positions (tiered; an isolated position's fixed margin)
    order_margin: int  # reserved by open orders
    maintenance_margin: int
    equity: int  # margin equity: collateral value + unrealised PnL as margin
    available: int  # equity − initial margin of positions and orders
    balance_value: int = 0  # every currency at its index
    collateral_value: int = 0  # every currency at its index less its haircut
    unrealized_as_margin: int = 0  # unrealised PnL, a profit paid in another currency less haircut and fee
    unrealized_funding: int = 0  # accrued on perpetual positions, not yet realised (part of equity)


class Risk:
    __slots__ = ("instruments", "pricing", "accounts", "collateral", "funding", "steady")

    def __init__(self, instruments: dict[str, Instrument], pricing: Pricing, accounts: Accounts,
                 funding: FundingPayments | None = None) -> None:
        self.instruments = instruments
        self.pricing = pricing
        self.accounts = accounts
        self.collateral = CollateralIndex(instruments, pricing, accounts.emit)
        self.funding = funding  # unrealised funding is part of margin equity
        # (account, its margin equity less its positions' initial margin) while only its orders may change
        self.steady: tuple[Account, int] | None = None

    @contextmanager
    def steadily(self, account: Account) -> Iterator[None]:
        """Inside, ``account``'s positions, wallets and every price stand still (only its orders come and
        go): its available margin is read once and kept up to date with its order margin alone."""
        if account.market_agent:  # (its orders are not checked)
            yield
            return
        m = self.summary(account)
        self.steady = (account, m.equity - m.initial_margin)
        try:
            yield
        finally:
            self.steady = None

    def unrealized_funding(self, account: Account) -> int:
        return self.funding.unrealized(account) if self.funding is not None and account.positions else 0

    # ------------------------------------------------------------------ margin
    @staticmethod
    def initial_margin(inst: Instrument, lots: int, price: int) -> int:
        """The tiered initial margin of ``lots`` at ``price`` held alone."""
        return tiered_initial(inst, inst.notional_usd8(lots, price))

    @staticmethod
    def position_margin(account: Account, inst: Instrument, lots: int, price: int) -> int:
        """Initial margin of a position of ``lots`` (absolute) at ``price``: tiered under cross margin,
        notional / maximum leverage under isolated margin (the leverage preference)."""
        notional = inst.notional_usd8(lots, price)
        if not inst.linear and account.inverse_in_base:  # in the base currency, from its margin account
            return to_base(inst, tiered_initial(inst, notional), price)
        leverage = account.max_leverage.get(inst.symbol)
        if leverage is not None:
            return notional * 100 // leverage
        return tiered_initial(inst, notional)

    def order_margin(self, account: Account, inst: Instrument, lots: int, price: int) -> int:
        """What an order reserves while it rests: the initial margin of its own size at its price, held
        alone (tiered under cross margin, notional / leverage under isolated margin)."""
        return self.position_margin(account, inst, lots, price)

    def margin_needed(self, account: Account, inst: Instrument, held: int, side: int, lots: int, price: int,
                      reserved: int) -> int:
        """The margin an order must find available: what it reserves, or, when more, what it adds to the
        tiered margin of the position it leads to (a large order reaches the higher levels)."""
        after = abs(held + side * lots)
        if after <= abs(held):
            return reserved
        added = self.position_margin(account, inst, after, price) - self.position_margin(account, inst, abs(held),
                                                                                         price)
        return max(reserved, added)

    def fixed_leverage_too_high(self, account: Account, inst: Instrument, held: int, side: int, lots: int,
                                price: int) -> bool:
        """An isolated position whose fixed leverage the position the order leads to would exceed the
        margin levels allow (``fixedLeverageTooHigh``)."""
        leverage = account.max_leverage.get(inst.symbol)
        after = abs(held + side * lots)
        if leverage is None or after <= abs(held):
            return False
        return not leverage_allowed(inst, inst.notional_usd8(after, price), leverage)

    def available_margin(self, account: Account) -> int:
        """Margin equity less the initial margin of positions and open orders."""
        if not account.positions and not account.wallets.flex:
            return account.balance - account.order_margin
        steady = self.steady
        if steady is not None and steady[0] is account:
            return steady[1] - account.order_margin
        return self.summary(account).available

    def available_for(self, account: Account, inst: Instrument) -> int:
        """What an order in ``inst`` may use: the flex wallet's available margin (usd8), or for an inverse
        contract margined in base currency, its margin account's available funds (in that currency)."""
        if not inst.linear and account.inverse_in_base:
            return margin_account_summary(self, account, inst.base).available
        return self.available_margin(account)

    def in_flex(self, account: Account, symbol: str) -> bool:
        """Is the position in ``symbol`` margined by the flex wallet (else by its margin account)?"""
        return not account.inverse_in_base or self.instruments[symbol].linear

    def unrealized_pnl(self, account: Account) -> int:
        marks = self.pricing.marks
        return sum(
            unrealized_pnl(self.instruments[s], p, marks[s]) for s, p in account.positions.items()
            if p.lots and self.in_flex(account, s)
        )

    def as_margin(self, account: Account, symbol: str, pnl: int) -> int:
        """Unrealised PnL usable as margin: a profit paid in a currency other than USD counts after that
        currency's haircut and conversion fee; a loss counts in full."""
        currency = account.pnl_currency.get(symbol, USD)
        if pnl <= 0 or currency == USD:
            return pnl
        c = COLLATERAL[currency]
        return pnl * (BPS - c.haircut_bps) // BPS - bps_of(pnl, c.conversion_fee_bps)

    def maintenance_margin(self, account: Account) -> int:
        marks = self.pricing.marks
        total = 0
        for symbol, position in account.positions.items():
            if position.lots and self.in_flex(account, symbol):
                inst = self.instruments[symbol]
                total += tiered_maintenance(inst, inst.notional_usd8(abs(position.lots), marks[symbol]))
        return total

    def collateral_values(self, account: Account) -> tuple[int, int]:
        """(balance value, collateral value) of the flex wallet, usd8."""
        value = collateral = account.balance
        index = self.collateral
        for currency, quantity in account.wallets.flex.items():
            if quantity:
                value += index.value(currency, quantity)
                collateral += index.collateral(currency, quantity)
        return value, collateral

    def summary(self, account: Account) -> MarginSummary:
        marks = self.pricing.marks
        pnl = as_margin = position_margin = maintenance = 0
        for symbol, position in account.positions.items():
            if position.lots and self.in_flex(account, symbol):
                inst = self.instruments[symbol]
                mark = marks[symbol]
                p = unrealized_pnl(inst, position, mark)
                pnl += p
                as_margin += self.as_margin(account, symbol, p)
                position_margin += self.position_margin(account, inst, abs(position.lots), mark)
                maintenance += tiered_maintenance(inst, inst.notional_usd8(abs(position.lots), mark))
        value, collateral = self.collateral_values(account)
        funding = self.unrealized_funding(account)
        equity = collateral + as_margin + funding
        return MarginSummary(
            balance=account.balance, pnl=pnl, initial_margin=position_margin, order_margin=account.order_margin,
            maintenance_margin=maintenance, equity=equity, available=equity - position_margin - account.order_margin,
            balance_value=value, collateral_value=collateral, unrealized_as_margin=as_margin,
            unrealized_funding=funding,
        )

    def liquidation_price(self, account: Account, symbol: str) -> int | None:
        """The mark (ticks) of ``symbol`` at which the account's margin equity would meet its maintenance
        margin, every other mark unchanged: the highest such price below the mark for a long, the lowest
        above it for a short. None without a position, or when no price up to 2^40 ticks would do it."""
        position = account.positions.get(symbol)
        if position is None or not position.lots:
            return None
        if not self.in_flex(account, symbol):
            return margin_account_liquidation_price(self, account, symbol)
        inst = self.instruments[symbol]
        marks = self.pricing.marks
        base = self.collateral_values(account)[1] + self.unrealized_funding(account)
        for s, p in account.positions.items():
            if s != symbol and p.lots and self.in_flex(account, s):
                other = self.instruments[s]
                base += (self.as_margin(account, s, unrealized_pnl(other, p, marks[s]))
                         - tiered_maintenance(other, other.notional_usd8(abs(p.lots), marks[s])))
        lots = abs(position.lots)

        def safe(price: int) -> bool:  # equity above maintenance margin with the mark at ``price``
            pnl = self.as_margin(account, symbol, unrealized_pnl(inst, position, price))
            return base + pnl > tiered_maintenance(inst, inst.notional_usd8(lots, price))

        mark = marks[symbol]
        if position.lots > 0:  # equity rises with the price: the liquidation price is below
            if safe(1):
                return None
            lo, hi = 1, mark  # lo is not safe
            if not safe(hi):
                return mark
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if safe(mid) else (mid, hi)
            return lo
        lo, hi = mark, mark  # a short: the liquidation price is above; lo is safe
        if not safe(lo):
            return mark
        while safe(hi):
            if hi > MAX_PRICE_TICKS:
                return None
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if safe(mid) else (lo, mid)
        return hi

    def would_liquidate(self, account: Account, inst: Instrument, order: Order, fillable: int, loss: int) -> bool:
        """Would filling now at worse-than-mark prices leave equity below maintenance margin?"""
        m = self.summary(account)
        equity = m.equity - loss
        held = account.lots(order.symbol)
        after = abs(held + order.side * min(fillable, order.quantity))
        mark = self.pricing.marks[order.symbol]
        mm = (
            m.maintenance_margin
            - tiered_maintenance(inst, inst.notional_usd8(abs(held), mark))
            + tiered_maintenance(inst, inst.notional_usd8(after, mark))
        )
        return equity < mm

    def outside_collar(self, symbol: str, price: int) -> bool:
        mark = self.pricing.marks[symbol]
        return abs(price - mark) * BPS > mark * PRICE_COLLAR_BPS

    # ------------------------------------------------------------------ reservations
    def reserve(self, account: Account, inst: Instrument, order: Order) -> None:
        """Reserve the initial margin of what is still open of ``order`` (nothing for reduce-only)."""
        order.margin = 0 if order.reduce_only else self.order_margin(account, inst, order.quantity - order.filled,
                                                                      order.price)
        self.hold(account, order, order.margin)

    def release(self, account: Account, order: Order) -> None:
        self.hold(account, order, -order.margin)
        order.margin = 0

    def hold(self, account: Account, order: Order, amount: int) -> None:
        """Reserve (or give back) an order's margin: in the flex wallet, or in the margin account of an
        inverse contract margined in base currency."""
        if account.inverse_in_base and not self.instruments[order.symbol].linear:
            name = margin_account_name(self.instruments[order.symbol].base)
            held = account.wallets.order_margin
            held[name] = held.get(name, 0) + amount
            if not held[name]:
                del held[name]
        else:
            account.order_margin += amount

    @staticmethod
    def is_small(inst: Instrument, lots: int, price: int) -> bool:
        return inst.notional_usd8(lots, price) < SMALL_ORDER_USD8

    @staticmethod
    def unmark_small(account: Account, order: Order) -> None:
        if order.small:
            account.small_orders -= 1
            order.small = False
