"""Orders on the book, and the words the engine uses for what happens to them.

An ``Order`` is a limit order resting on (or on its way to) a book: sizes in lots, prices in
ticks, times in epoch milliseconds. ``quantity`` is the whole size, ``filled`` what has traded.
Events hold ``snapshot(order)`` copies (never changed afterwards) or, once an order has finished,
the order itself, which then never changes again.
"""

from __future__ import annotations

import msgspec

from .units import BUY

# A copy of an order (or trigger) as it is now, for an event; events never change.
snapshot = msgspec.structs.replace


class Order(msgspec.Struct, gc=False):  # gc=False: holds only strings and numbers, never a cycle
    order_id: str
    client_order_id: str | None
    account_id: str
    symbol: str
    side: int  # BUY or SELL
    order_type: str  # lmt | post | ioc | fok (a market order is an ioc with a protection limit)
    quantity: int  # lots
    price: int  # ticks
    reduce_only: bool
    placed_at: int
    updated_at: int
    filled: int = 0  # lots traded so far
    margin: int = 0  # usd8 of initial margin reserved for the open part (0 for reduce-only orders)
    small: bool = False  # counted among the account's small open orders

    @property
    def remaining(self) -> int:
        return self.quantity - self.filled

    @property
    def is_buy(self) -> bool:
        return self.side == BUY

    def state(self) -> tuple[object, ...]:
        """Everything that makes two orders the same (the digest)."""
        return (
            self.order_id, self.client_order_id, self.account_id, self.symbol, self.side, self.order_type,
            self.quantity, self.filled, self.price, self.reduce_only, self.placed_at, self.updated_at, self.margin,
        )


# order types a client sends; the trigger types rest off the book until their signal crosses
ORDER_TYPES = ("lmt", "post", "ioc", "mkt", "fok", "stp", "take_profit", "trailing_stop")
TRIGGER_TYPES = frozenset(("stp", "take_profit", "trailing_stop"))

SELF_TRADE_STRATEGIES = ("REJECT_TAKER", "CANCEL_MAKER_SELF", "CANCEL_MAKER_CHILD", "CANCEL_MAKER_ANY")
MARKET_STATES = ("open", "suspended", "inactive", "post_only")

# why an order left the book (the History API's reasons) → the OrderUpdateReason of orders/status
UPDATE_REASONS = {
    "cancelled_by_user": "CANCELLED_BY_USER",
    "dead_man_switch": "DEAD_MAN_SWITCH",
    "contract_expired": "CONTRACT_EXPIRED",
    "self_trade": "WOULD_EXECUTE_SELF_REASON",
    "would_not_reduce_position": "WOULD_NOT_REDUCE_POSITION",
    "liquidation": "NOT_ENOUGH_MARGIN",  # cancelled as its account was liquidated
}

# statuses of a finished order (orders/status)
FULLY_EXECUTED = "FULLY_EXECUTED"
CANCELLED = "CANCELLED"
TRIGGER_ACTIVATION_FAILURE = "TRIGGER_ACTIVATION_FAILURE"

# a trigger order refused at placement is answered with a REJECT event carrying this OrderError
TRIGGER_REFUSALS = {
    "marketSuspended": "MARKET_SUSPENDED",
    "marketIsPostOnly": "MARKET_IS_POST_ONLY",
    "clientOrderIdAlreadyExist": "CLIENT_ORDER_ID_IN_USE",
    "tooManyOrders": "ORDER_LIMIT_EXCEEDED",
    "insufficientAvailableFunds": "INSUFFICIENT_MARGIN",
}
# OrderErrors found by the gateway in a trigger order, and the sendStatus each goes with
# (any other: invalidPrice)
TRIGGER_ERROR_STATUS = {"INVALID_QUANTITY": "invalidSize", "CLIENT_ORDER_ID_TOO_LONG": "clientOrderIdTooBig"}
