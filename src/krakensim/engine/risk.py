"""Margin and the checks made before an order may trade (usd8 everywhere).

Risk decides, matching executes: the initial margin an order reserves, what an account has
available, its maintenance margin, whether a fill at worse-than-mark prices would leave it
below maintenance, and the limits on open orders.
"""

from __future__ import annotations

import msgspec

from .accounts import Account, Accounts, unrealized_pnl
from .funding_payments import FundingPayments
from .instruments import Instrument
from .orders import Order
from .pricing import Pricing
from .units import BPS, USD8, bps_of

MAX_OPEN_ORDERS = 500  # open orders and triggers per account
SMALL_ORDER_USD8 = 10 * USD8  # an order below 10 USD notional is "small"
MAX_SMALL_ORDERS = 50  # open small orders per account
MAX_TRAILING_STOPS = 100  # open trailing stops per account
PRICE_COLLAR_BPS = 1000  # a crossing order whose limit is more than 10 % from the mark is refused
MAX_PRICE_TICKS = 1 << 40  # no price is larger (the gateway's bound on prices)


class MarginSummary(msgspec.Struct, frozen=True):
    """An account's margin as Kraken's ``accounts`` reports it (usd8)."""

    balance: int
    pnl: int  # unrealised
    initial_margin: int  # of the positions
    order_margin: int  # reserved by open orders
    maintenance_margin: int
    equity: int  # balance + unrealised PnL + unrealised funding
    available: int  # equity − initial margin of positions and orders
    unrealized_funding: int = 0  # accrued on perpetual positions, not yet realised


class Risk:
    __slots__ = ("instruments", "pricing", "accounts", "funding")

    def __init__(self, instruments: dict[str, Instrument], pricing: Pricing, accounts: Accounts,
                 funding: FundingPayments | None = None) -> None:
        self.instruments = instruments
        self.pricing = pricing
        self.accounts = accounts
        self.funding = funding  # unrealised funding is part of margin equity

    def unrealized_funding(self, account: Account) -> int:
        return self.funding.unrealized(account) if self.funding is not None and account.positions else 0

    # ------------------------------------------------------------------ margin
    @staticmethod
    def initial_margin(inst: Instrument, lots: int, price: int) -> int:
        return bps_of(inst.notional_usd8(lots, price), inst.im_bps)

    def available_margin(self, account: Account) -> int:
        """Margin equity less the initial margin of positions and open orders."""
        if not account.positions:
            return account.balance - account.order_margin
        equity = account.balance + self.unrealized_funding(account)
        position_margin = 0
        marks = self.pricing.marks
        for symbol, position in account.positions.items():
            if position.lots:
                inst = self.instruments[symbol]
                equity += unrealized_pnl(inst, position, marks[symbol])
                position_margin += self.initial_margin(inst, abs(position.lots), marks[symbol])
        return equity - position_margin - account.order_margin

    def unrealized_pnl(self, account: Account) -> int:
        marks = self.pricing.marks
        return sum(
            unrealized_pnl(self.instruments[s], p, marks[s]) for s, p in account.positions.items() if p.lots
        )

    def maintenance_margin(self, account: Account) -> int:
        marks = self.pricing.marks
        total = 0
        for symbol, position in account.positions.items():
            if position.lots:
                inst = self.instruments[symbol]
                total += bps_of(inst.notional_usd8(abs(position.lots), marks[symbol]), inst.mm_bps)
        return total

    def summary(self, account: Account) -> MarginSummary:
        pnl = self.unrealized_pnl(account)
        marks = self.pricing.marks
        position_margin = 0
        for symbol, position in account.positions.items():
            if position.lots:
                inst = self.instruments[symbol]
                position_margin += self.initial_margin(inst, abs(position.lots), marks[symbol])
        funding = self.unrealized_funding(account)
        equity = account.balance + pnl + funding
        return MarginSummary(
            balance=account.balance, pnl=pnl, initial_margin=position_margin, order_margin=account.order_margin,
            maintenance_margin=self.maintenance_margin(account), equity=equity,
            available=equity - position_margin - account.order_margin, unrealized_funding=funding,
        )

    def liquidation_price(self, account: Account, symbol: str) -> int | None:
        """The mark (ticks) of ``symbol`` at which the account's margin equity would meet its maintenance
        margin, every other mark unchanged: the highest such price below the mark for a long, the lowest
        above it for a short. None without a position, or when no price up to 2^40 ticks would do it."""
        position = account.positions.get(symbol)
        if position is None or not position.lots:
            return None
        inst = self.instruments[symbol]
        marks = self.pricing.marks
        base = account.balance + self.unrealized_funding(account)
        for s, p in account.positions.items():
            if s != symbol and p.lots:
                other = self.instruments[s]
                base += unrealized_pnl(other, p, marks[s]) - bps_of(other.notional_usd8(abs(p.lots), marks[s]),
                                                                     other.mm_bps)
        lots = abs(position.lots)

        def safe(price: int) -> bool:  # equity above maintenance margin with the mark at ``price``
            return base + unrealized_pnl(inst, position, price) > bps_of(inst.notional_usd8(lots, price), inst.mm_bps)

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
        equity = account.balance + self.unrealized_pnl(account) + self.unrealized_funding(account) - loss
        held = account.lots(order.symbol)
        after = abs(held + order.side * min(fillable, order.quantity))
        mark = self.pricing.marks[order.symbol]
        mm = (
            self.maintenance_margin(account)
            - bps_of(inst.notional_usd8(abs(held), mark), inst.mm_bps)
            + bps_of(inst.notional_usd8(after, mark), inst.mm_bps)
        )
        return equity < mm

    def outside_collar(self, symbol: str, price: int) -> bool:
        mark = self.pricing.marks[symbol]
        return abs(price - mark) * BPS > mark * PRICE_COLLAR_BPS

    # ------------------------------------------------------------------ reservations
    def reserve(self, account: Account, inst: Instrument, order: Order) -> None:
        """Reserve the initial margin of what is still open of ``order`` (nothing for reduce-only)."""
        order.margin = 0 if order.reduce_only else self.initial_margin(inst, order.quantity - order.filled, order.price)
        account.order_margin += order.margin

    @staticmethod
    def release(account: Account, order: Order) -> None:
        account.order_margin -= order.margin
        order.margin = 0

    @staticmethod
    def is_small(inst: Instrument, lots: int, price: int) -> bool:
        return inst.notional_usd8(lots, price) < SMALL_ORDER_USD8

    @staticmethod
    def unmark_small(account: Account, order: Order) -> None:
        if order.small:
            account.small_orders -= 1
            order.small = False
