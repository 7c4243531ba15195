"""Accounts: balances, positions, fees and profit and loss (usd8, lots, ticks).

A position keeps its signed size and its cost (the signed sum of lots × ticks of what is open),
so its average entry price is exact; profit and loss is realised when a fill reduces it.
Linear contracts: PnL = size × (price − entry) × (usd8 per lot per tick). Inverse contracts are
worth a fixed number of USD per lot: PnL = size × USD × (1/entry − 1/price), kept in USD.

Every booking is also an entry of the account's log (``AccountLogged``: a fill of a position, a
settlement, the funds an account was created with), numbered from 1 per account; the last
``log_kept`` entries (the retention's) are kept for the History API's account-log and the
account_log feed. A fill or a settlement is two entries, as Kraken logs it: the position's leg
(``asset`` is the contract: its balances count lots) and then the wallet's leg (``asset`` USD, the
contract named: its balances count usd8, with the realised PnL and the fee).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from fractions import Fraction

import msgspec

from .events import AccountCreated, AccountLogged, BalanceChanged, Event, OrderFilled, PositionChanged
from .ids import derived_id
from .instruments import Instrument
from .orders import Order
from .triggers import Trigger
from .units import bps_of
from .wallets import Wallets, margin_account_name


def to_base(inst: Instrument, usd8: int, price: int) -> int:
    """An amount of usd8 in 1e-8 of an inverse contract's base currency at ``price`` (ticks), rounded down."""
    return usd8 * inst.tick_den // (inst.tick_num * price)

MAKER_FEE_BPS = 2  # 0.02 %
TAKER_FEE_BPS = 5  # 0.05 %
MAX_FUNDS_USD = 10**10  # what one deposit may bring: a balance stays a 64-bit integer of usd8
USD = "USD"
TRADE = "futures trade"  # account log entries (Kraken's words)
SETTLEMENT = "settlement"
ADMIN_TRANSFER = "admin transfer"
LIQUIDATION = "futures liquidation"
# the account log word of a fill, by its fill type (history.md's `info` enum)
FILL_INFO = {"liquidation": LIQUIDATION, "assignor": "futures assignor", "assignee": "futures assignee",
             "unwindBankrupt": "futures unwind bankrupt", "unwindCounterparty": "futures unwind counterparty"}


def fee_rate(fill_type: str) -> int:
    """The fee of a fill, in basis points of its notional: one tier for everyone."""
    return MAKER_FEE_BPS if fill_type == "maker" else TAKER_FEE_BPS


class Position(msgspec.Struct, gc=False):
    lots: int = 0  # signed: > 0 long
    cost: int = 0  # signed sum of lots × ticks of the open position

    def average_price(self) -> Fraction:
        """The average entry price, in ticks (exact)."""
        return Fraction(abs(self.cost), abs(self.lots))


def unrealized_pnl(inst: Instrument, position: Position, mark: int) -> int:
    """usd8 the position would realise if it were closed at ``mark``."""
    n = abs(position.lots)
    if n == 0:
        return 0
    sign = 1 if position.lots > 0 else -1
    c = abs(position.cost)
    if inst.linear:
        return sign * (n * mark - c) * inst.unit_usd8
    return sign * inst.unit_usd8 * n * (n * mark - c) // c


def traded_volume(account: Account, instruments: dict[str, Instrument], since: int) -> dict[str, int]:
    """usd8 of notional the account traded after ``since``, by fee schedule (the fills it keeps)."""
    volume: dict[str, int] = {}
    for f in account.fills:
        if f.time > since:
            inst = instruments[f.symbol]
            volume[inst.fee_schedule_uid] = volume.get(inst.fee_schedule_uid, 0) + inst.notional_usd8(f.lots, f.price)
    return volume


class Account:
    __slots__ = ("account_id", "balance", "positions", "fills", "fills_seen", "log", "log_entries", "orders",
                 "triggers", "client_order_ids", "order_margin", "self_trade_strategy", "small_orders",
                 "wallets", "max_leverage", "pnl_currency", "master", "trading_enabled", "inverse_in_base",
                 "market_agent")

    def __init__(self, account_id: str, balance: int, fills_kept: int, log_kept: int = 20_000) -> None:
        self.account_id = account_id
        self.balance = balance  # usd8
        self.positions: dict[str, Position] = {}
        self.fills: deque[OrderFilled] = deque(maxlen=fills_kept)
        self.fills_seen = 0  # fills ever booked (the next fill's seq)
        self.log: deque[AccountLogged] = deque(maxlen=log_kept)  # the latest entries of the account log
        self.log_entries = 0  # entries ever logged (the last entry's id)
        self.orders: dict[str, Order] = {}  # open orders, in arrival order
        self.triggers: dict[str, Trigger] = {}  # open trigger orders, in arrival order
        self.client_order_ids: dict[str, str] = {}  # of open orders and of finished ones still remembered
        self.order_margin = 0  # usd8 reserved by open orders
        self.self_trade_strategy = "REJECT_TAKER"
        self.small_orders = 0  # open orders below the small-order notional
        self.wallets = Wallets()  # every currency but the flex wallet's USD (which is ``balance``)
        self.max_leverage: dict[str, int] = {}  # isolated margin: symbol -> maximum leverage (hundredths)
        self.pnl_currency: dict[str, str] = {}  # symbol -> the wallet currency its profit is paid in
        self.master: str | None = None  # a subaccount: its master account
        self.trading_enabled = True
        # inverse contracts margined in their base currency from their margin account (fi_xbtusd), as on
        # Kraken; False: in USD from the flex wallet, as accounts of journals before wallets were (replay)
        self.inverse_in_base = False
        # one of the simulated market's agents (1e9 USD each): its orders skip the margin checks and it is
        # never checked for liquidation (it is the venue's liquidity, not a trader under test)
        self.market_agent = False

    def lots(self, symbol: str) -> int:
        position = self.positions.get(symbol)
        return position.lots if position is not None else 0

    def state(self) -> tuple[object, ...]:
        return (
            self.account_id, self.balance, self.order_margin, self.self_trade_strategy, self.small_orders,
            self.fills_seen, self.log_entries,
            sorted(self.client_order_ids.items()), sorted((s, p.lots, p.cost) for s, p in self.positions.items()),
            list(self.orders), list(self.triggers),
            [(f.fill_id, f.order_id, f.lots, f.price, f.time, f.fill_type, f.fee) for f in self.fills],
            self.wallets.state(), sorted(self.max_leverage.items()), sorted(self.pnl_currency.items()), self.master,
            self.trading_enabled, self.inverse_in_base, self.market_agent,
        )


class Accounts(dict[str, Account]):
    """Every account, by id (a dict: looking one up is the hot path of every command)."""

    __slots__ = ("fees_collected", "emit", "fills_kept", "log_kept")

    def __init__(self, emit: Callable[[Event], None], fills_kept: int, log_kept: int = 20_000) -> None:
        super().__init__()
        self.fees_collected = 0  # usd8
        self.emit = emit
        self.fills_kept = fills_kept
        self.log_kept = log_kept

    def create(self, account_id: str, balance: int, now: int) -> Account:
        account = self[account_id] = Account(account_id, balance, self.fills_kept, self.log_kept)
        self.emit(AccountCreated(now, account_id, balance))
        self._log(account, now, ADMIN_TRANSFER, None, 0, balance)
        return account

    def _log(self, account: Account, now: int, info: str, symbol: str | None, old: int, new: int, *,
             old_cost: int = 0, new_cost: int = 0, trade_price: int | None = None, mark_price: int | None = None,
             realized_pnl: int = 0, fee: int = 0, execution: str = "", asset: str = USD,
             margin_account: str = "flex", funding_rate: int | None = None, realized_funding: int = 0,
             liquidation_fee: int = 0, conversion_spot_price: int | None = None) -> None:
        """Append an entry to the account's log (and publish it)."""
        account.log_entries += 1
        n = account.log_entries
        entry = AccountLogged(now, account.account_id, n, derived_id(f"{account.account_id}|log|{n}"), info, symbol,
                              old, new, old_cost, new_cost, trade_price, mark_price, realized_pnl, fee, execution,
                              asset, margin_account, funding_rate, realized_funding, liquidation_fee,
                              conversion_spot_price)
        account.log.append(entry)
        self.emit(entry)

    def fill(self, account: Account, inst: Instrument, side: int, lots: int, price: int, rate: int,
             now: int, execution: str = "", mark: int | None = None, info: str = TRADE) -> tuple[int, int, int]:
        """Book a fill of ``lots`` at ``price`` (the execution ``execution``, the mark ``mark`` then): its
        fee, its realised PnL, the new position.

        Returns (fee, realised PnL, signed lots after), all usd8 but the lots.
        """
        fee = bps_of(inst.notional_usd8(lots, price), rate)
        self.fees_collected += fee
        symbol = inst.symbol
        position = account.positions.get(symbol)
        if position is None:
            position = account.positions[symbol] = Position()
        before_lots, before_cost = position.lots, position.cost
        signed = side * lots
        realized = 0
        if before_lots == 0 or (before_lots > 0) == (signed > 0):
            position.lots += signed
            position.cost += signed * price
        else:
            held = abs(before_lots)
            closing = min(lots, held)
            sign = 1 if before_lots > 0 else -1
            c = abs(before_cost) * closing // held
            if inst.linear:
                realized = sign * (closing * price - c) * inst.unit_usd8
            else:
                realized = sign * inst.unit_usd8 * closing * (closing * price - c) // c
            position.cost -= sign * c
            position.lots += signed
            if lots > closing:  # flipped
                position.cost = position.lots * price
        if position.lots == 0:
            position.cost = 0
        currency, wallet, before_balance, after = self._book(account, inst, realized - fee, price)
        self.emit(PositionChanged(now, account.account_id, symbol, position.lots, position.cost, before_lots,
                                  before_cost))
        self.emit(BalanceChanged(now, account.account_id, currency, after, realized - fee, "trade"))
        self._log(account, now, info, symbol, before_lots, position.lots, old_cost=before_cost,
                  new_cost=position.cost, trade_price=price, mark_price=mark, realized_pnl=realized, fee=fee,
                  execution=execution, asset=symbol)
        self._log(account, now, info, symbol, before_balance, after, trade_price=price, mark_price=mark,
                  realized_pnl=realized, fee=fee, execution=execution, asset=currency, margin_account=wallet)
        return fee, realized, position.lots

    def settle(self, account: Account, inst: Instrument, price: int, now: int) -> None:
        """Close the account's position in an expired contract at ``price``, with a taker fee (as Kraken)."""
        position = account.positions.get(inst.symbol)
        if position is None or not position.lots:
            return
        fee = bps_of(inst.notional_usd8(abs(position.lots), price), TAKER_FEE_BPS)
        delta = unrealized_pnl(inst, position, price) - fee
        currency, wallet, before_balance, after = self._book(account, inst, delta, price)
        self.fees_collected += fee
        before_lots, before_cost = position.lots, position.cost
        position.lots = position.cost = 0
        self.emit(PositionChanged(now, account.account_id, inst.symbol, 0, 0, before_lots, before_cost))
        self.emit(BalanceChanged(now, account.account_id, currency, after, delta, "settlement"))
        self._log(account, now, SETTLEMENT, inst.symbol, before_lots, 0, old_cost=before_cost, trade_price=price,
                  mark_price=price, realized_pnl=delta + fee, fee=fee, asset=inst.symbol)
        self._log(account, now, SETTLEMENT, inst.symbol, before_balance, after, trade_price=price,
                  mark_price=price, realized_pnl=delta + fee, fee=fee, asset=currency, margin_account=wallet)

    @staticmethod
    def _book(account: Account, inst: Instrument, usd8: int, price: int) -> tuple[str, str, int, int]:
        """Book a realised amount (usd8 at ``price``): into the flex wallet's USD, or, for an inverse
        contract of an account margined in base currency, into its margin account in the base currency
        (the USD amount at that price). Returns the currency, the wallet and its balance before and after."""
        if inst.linear or not account.inverse_in_base:
            account.balance += usd8
            return USD, "flex", account.balance - usd8, account.balance
        name = margin_account_name(inst.base)
        margin = account.wallets.margin
        before = margin.get(name, 0)
        margin[name] = before + to_base(inst, usd8, price)
        return inst.base, name, before, margin[name]

    def record_fill(self, event: Event) -> None:
        """Projection: every fill, in the account's fills (``fills`` reads them)."""
        assert isinstance(event, OrderFilled)
        self[event.account_id].fills.append(event)

    def state(self) -> list[tuple[object, ...]]:
        return [self[a].state() for a in sorted(self)] + [(self.fees_collected,)]
