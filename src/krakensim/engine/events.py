"""Events: what happened, in the past tense, for every state change and every party.

The engine emits them in the order it applies the changes; ``Result.events`` holds all of a
command's events and the runtime publishes them once they are durable. Inside the engine the
projections (order history, market data) are built from them as they are emitted.

Units as everywhere in the engine: ticks, lots, usd8, epoch milliseconds (``time``: when it
happened, which for a dead man's switch is its deadline, not the command that noticed it).
An event holds snapshots of orders (or a finished order itself), never an order that still
changes.
"""

from __future__ import annotations

import msgspec

from .assignment import Preference
from .orders import Order
from .triggers import Trigger


class Event(msgspec.Struct, frozen=True, gc=False, tag_field="type", tag=True):
    time: int


# ---------------------------------------------------------------- orders (private to the account)
class OrderPlaced(Event, frozen=True):
    """An order was accepted (before it met the book). ``reason``: new_user_order | stop_order_triggered."""

    account_id: str
    order: Order
    reason: str


class OrderEnteredBook(Event, frozen=True):
    """An order rests on the book, after whatever it traded on arrival (``order`` as it rests)."""

    account_id: str
    order: Order
    reduced_quantity: int | None  # reduce-only: lots cut off the size to fit the position (0: none)
    reason: str = "new_user_order"  # why it was placed: new_user_order | stop_order_triggered


class OrderFilled(Event, frozen=True):
    """One side of an execution: this account's order traded ``lots`` at ``price``."""

    account_id: str
    fill_id: str  # the execution's id (the same for both sides)
    order_before: Order
    order_after: Order
    price: int
    lots: int
    fill_type: str  # maker | taker | takerAfterEdit
    fee: int  # usd8 charged
    fee_rate: int  # bps
    realized_pnl: int  # usd8 realised by reducing the position
    position_after: int  # signed lots
    trade: TradePrinted
    seq: int = 0  # the account's fills counted from 0 (the fills feed's ``seq``)

    @property
    def order_id(self) -> str:
        return self.order_after.order_id

    @property
    def symbol(self) -> str:
        return self.order_after.symbol

    @property
    def side(self) -> int:
        return self.order_after.side


class OrderEdited(Event, frozen=True):
    account_id: str
    old: Order
    new: Order
    reason: str  # edited_by_user


class OrderCancelled(Event, frozen=True):
    """An order left the book unfinished. ``reason``: cancelled_by_user, dead_man_switch, contract_expired,
    self_trade, would_not_reduce_position, ioc_would_not_execute."""

    account_id: str
    order: Order
    reason: str


class OrderRejected(Event, frozen=True):
    """An order was refused with an order event (``reason``: Kraken's OrderError, e.g. POST_WOULD_EXECUTE)."""

    account_id: str
    order: Order
    reason: str


class OrderRefused(Event, frozen=True):
    """An order was refused before it existed: only a status (e.g. insufficientAvailableFunds) answers it."""

    account_id: str
    order_id: str
    client_order_id: str | None
    symbol: str
    status: str


class TriggerPlaced(Event, frozen=True):
    account_id: str
    trigger: Trigger
    reason: str


class TriggerEdited(Event, frozen=True):
    account_id: str
    old: Trigger
    new: Trigger
    reason: str


class TriggerCancelled(Event, frozen=True):
    account_id: str
    trigger: Trigger
    reason: str


class TriggerRejected(Event, frozen=True):
    account_id: str
    trigger: Trigger
    reason: str  # an OrderError


class TriggerRepriced(Event, frozen=True):
    """A trailing stop's trigger price followed its signal (``trigger`` as it is now)."""

    account_id: str
    trigger: Trigger


class TriggerActivated(Event, frozen=True):
    """The trigger's signal crossed: the trigger is gone and its order (same id) is placed next."""

    account_id: str
    trigger: Trigger


# ---------------------------------------------------------------- accounts
class AccountCreated(Event, frozen=True):
    account_id: str
    balance: int  # usd8


class BalanceChanged(Event, frozen=True):
    """``reason``: trade (fees and realised PnL of one fill) | settlement (a fixed maturity expired)."""

    account_id: str
    currency: str
    balance: int  # usd8 after
    delta: int
    reason: str


class PositionChanged(Event, frozen=True):
    """A position moved; ``cost`` is the signed sum of lots × ticks of the open position."""

    account_id: str
    symbol: str
    lots: int  # signed, after
    cost: int
    previous_lots: int
    previous_cost: int


class SelfTradeStrategyChanged(Event, frozen=True):
    account_id: str
    strategy: str


class AccountLogged(Event, frozen=True):
    """One entry of the account's log: a booking in its wallet or in one of its positions.

    ``info`` is Kraken's word (futures trade | settlement | admin transfer | …). A position's entry
    (``asset`` is its contract, ``symbol``) counts signed lots in its balances and keeps the position's
    cost (signed lots × ticks: the average entry price is cost / lots); a wallet's entry (any other
    ``asset``, ``symbol`` the contract it concerns if any) counts 1e-8 of its asset.
    """

    account_id: str
    entry_id: int  # the account's entries counted from 1
    booking_uid: str
    info: str
    symbol: str | None  # the contract of a position's entry
    old_balance: int
    new_balance: int
    old_cost: int = 0
    new_cost: int = 0
    trade_price: int | None = None  # ticks
    mark_price: int | None = None
    realized_pnl: int = 0  # usd8
    fee: int = 0  # usd8
    execution: str = ""  # the fill's execution id
    asset: str = "USD"  # a wallet entry's currency (balances in 1e-8 of it); a position entry's: its symbol
    margin_account: str = "flex"  # flex | the single-collateral account of an inverse contract (fi_xbtusd)
    funding_rate: int | None = None  # relative, 1e-12 per hour (a funding entry)
    realized_funding: int = 0  # usd8
    liquidation_fee: int = 0  # usd8
    conversion_spot_price: int | None = None  # 1e-8 USD per unit of ``asset`` (a conversion entry)


class AssignmentPreferenceAdded(Event, frozen=True):
    """An account joined the assignment program with a preference."""

    account_id: str
    preference: Preference


class AssignmentPreferenceDeleted(Event, frozen=True):
    account_id: str
    preference: Preference


class DeadManSwitchArmed(Event, frozen=True):
    account_id: str
    deadline: int | None  # None: disarmed


class DeadManSwitchFired(Event, frozen=True):
    """The switch's deadline passed: every order of the account was cancelled (``time`` is the deadline)."""

    account_id: str


# ---------------------------------------------------------------- the market (public)
class TradePrinted(Event, frozen=True):
    """A public execution. ``number`` counts the symbol's trades from 1."""

    symbol: str
    trade_id: str
    number: int
    price: int
    lots: int
    taker_side: int
    maker_order: Order  # as they were before this execution
    taker_order: Order
    mark: int  # the mark price when it happened


class BookLevelChanged(Event, frozen=True):
    """The open size at one price changed; ``lots`` is the new total (0: the level is gone)."""

    symbol: str
    side: int
    price: int
    lots: int
    seq: int = 0  # the book's changes counted from 1 (the book feed's ``seq``)


class MarkPriceUpdated(Event, frozen=True):
    symbol: str
    price: int
    previous: int


class IndexPriceUpdated(Event, frozen=True):
    symbol: str
    price: int


class FundingRatePublished(Event, frozen=True):
    """The hourly rate (relative, in 1e-12) of the period starting at ``time``, and the mark then."""

    symbol: str
    relative_rate: int
    mark: int


class MarketStateChanged(Event, frozen=True):
    symbol: str
    state: str


class ContractListed(Event, frozen=True):
    symbol: str


class ContractSettled(Event, frozen=True):
    """A fixed maturity expired: its orders are cancelled and its positions closed at ``price``."""

    symbol: str
    price: int
    previous_mark: int


class VenueOpened(Event, frozen=True):
    """The first command: the funding clock starts and the fixed maturities are listed."""

    next_funding: int


# ---------------------------------------------------------------- wallets, preferences, subaccounts
class CollateralPriceSet(Event, frozen=True):
    """The index of a collateral currency without a contract (EUR, GBP, USDT, …) moved: usd8 per unit."""

    currency: str
    price: int


class FundsMoved(Event, frozen=True):
    """Funds left or entered one wallet of an account (1e-8 units of ``currency``); ``info`` is the log's word."""

    account_id: str
    wallet: str  # flex | cash | a margin account (fi_xbtusd) | spot
    currency: str
    delta: int
    balance: int  # after
    info: str


class LeveragePreferenceSet(Event, frozen=True):
    account_id: str
    symbol: str
    max_leverage: int | None  # hundredths; None: cross margin


class PnlPreferenceSet(Event, frozen=True):
    account_id: str
    symbol: str
    currency: str


class SubaccountTradingSet(Event, frozen=True):
    account_id: str
    enabled: bool


class PastSeeded(Event, frozen=True):
    """The venue was given a seeded past (engine/past.py): ``days`` of one-minute history and coarser
    candles before them, ``candles`` one-minute candles per kind written in all."""

    seed: int
    days: int
    candles: int


class ScenarioScheduled(Event, frozen=True):
    """A market scenario was scheduled (``RunScenario``); ``number`` counts them from 1."""

    number: int
    name: str
    start: int
    duration: int
    target: str
    amount: int


ORDER_EVENTS = (OrderPlaced, OrderFilled, OrderEdited, OrderCancelled, OrderRejected)
TRIGGER_EVENTS = (TriggerPlaced, TriggerActivated, TriggerCancelled, TriggerEdited)


class NotificationPosted(Event, frozen=True):
    """The venue announced something to every account (REST notifications, the notifications_auth feed)."""

    notification_id: int  # counted from 1
    kind: str  # market | general | new_feature | bug_fix | maintenance | settlement
    priority: str  # low | medium | high
    note: str
    effective_time: int  # epoch ms
    expected_downtime_minutes: int | None = None
