"""Trigger orders' life: placed off the book, activated when their signal crosses (becoming a
limit or market order with the same id), edited, refused.

Prices in ticks; deviations and offsets as ``triggers.py`` keeps them.
"""

from __future__ import annotations

from collections.abc import Callable

from .accounts import Account
from .commands import PlaceOrder
from .events import Event, OrderRejected, TriggerActivated, TriggerPlaced, TriggerRejected, TriggerRepriced
from .order_history import FinishedOrders
from .orders import TRIGGER_ACTIVATION_FAILURE, Order, snapshot
from .pricing import Pricing
from .result import Result
from .risk import MAX_TRAILING_STOPS, Risk
from .trading import Trading
from .triggers import Trigger, TriggerBook

MAX_ACTIVATION_ROUNDS = 1000  # fills may move the signal and fire more; never loop for ever


class TriggerOrders:
    def __init__(self, trading: Trading, trigger_books: dict[str, TriggerBook], pricing: Pricing, risk: Risk,
                 finished: FinishedOrders, emit: Callable[[Event], None]) -> None:
        self.trading = trading
        self.trigger_books = trigger_books
        self.pricing = pricing
        self.risk = risk
        self.finished = finished
        self.emit = emit
        self.arrivals = 0  # triggers made so far: their firing order

    def _next_arrival(self) -> int:
        self.arrivals += 1
        return self.arrivals

    def place(self, account: Account, order_id: str, cmd: PlaceOrder, now: int) -> Result:
        symbol, signal = cmd.symbol, cmd.trigger_signal
        signals = self.pricing.signals(symbol)
        if cmd.order_type == "trailing_stop":
            assert cmd.trailing_deviation is not None
            if sum(1 for t in account.triggers.values() if t.trailing) >= MAX_TRAILING_STOPS:
                refused = self.unplaced(account, order_id, cmd, None, 0, now)
                return self.reject(account, refused, "tooManyOrders", "TRAILING_STOP_ORDER_LIMIT_EXCEEDED", now)
            trigger = Trigger(order_id, cmd.client_order_id, account.account_id, symbol, cmd.side, cmd.order_type,
                              cmd.quantity, None, 0, signal, cmd.reduce_only, now, now, self._next_arrival())
            trigger.deviation, trigger.deviation_unit = cmd.trailing_deviation
            trigger.trail_to(signals[signal])
        else:
            assert cmd.stop_price is not None
            trigger = Trigger(order_id, cmd.client_order_id, account.account_id, symbol, cmd.side, cmd.order_type,
                              cmd.quantity, cmd.limit_price, cmd.stop_price, signal, cmd.reduce_only, now, now,
                              self._next_arrival())
        if cmd.limit_offset is not None:
            trigger.offset, trigger.offset_unit = cmd.limit_offset
        if trigger.trigger_price <= 0:
            return self.reject(account, trigger, "invalidPrice", "INVALID_PRICE", now)
        limit = trigger.limit_when_fired()
        if limit is not None and limit <= 0:
            return self.reject(account, trigger, "invalidPrice", "LIMIT_PRICE_OFFSET_TOO_LOW", now)
        if not cmd.reduce_only:
            inst = self.trading.listings.instruments[symbol]
            need = self.risk.order_margin(account, inst, cmd.quantity, limit or trigger.trigger_price)
            if need > self.risk.available_for(account, inst):
                return self.reject(account, trigger, "insufficientAvailableFunds", "INSUFFICIENT_MARGIN", now)
        self.trigger_books[symbol].add(trigger)
        account.triggers[order_id] = trigger
        if cmd.client_order_id is not None:
            account.client_order_ids[cmd.client_order_id] = order_id
        event = TriggerPlaced(now, account.account_id, snapshot(trigger), "new_user_order")
        self.emit(event)
        self.run(symbol, now)
        return Result("placed", order_id, cmd.client_order_id, order_events=[event])

    @staticmethod
    def unplaced(account: Account, order_id: str, cmd: PlaceOrder, limit: int | None, arrival: int,
                 now: int) -> Trigger:
        """The trigger a refused command describes (for its REJECT event)."""
        return Trigger(order_id, cmd.client_order_id, account.account_id, cmd.symbol, cmd.side, cmd.order_type,
                       cmd.quantity, limit, cmd.stop_price or 0, cmd.trigger_signal, cmd.reduce_only, now, now,
                       arrival)

    def reject(self, account: Account, trigger: Trigger, status: str, reason: str, now: int) -> Result:
        event = TriggerRejected(now, account.account_id, trigger, reason)
        self.emit(event)
        return Result(status, trigger.order_id, trigger.client_order_id, reason=reason, order_events=[event])

    def run(self, symbol: str, now: int) -> None:
        """Fire every trigger whose signal has crossed; fills may move prices and fire more."""
        book = self.trigger_books[symbol]
        moved: list[Trigger] = []
        for _round in range(MAX_ACTIVATION_ROUNDS):
            if not len(book):
                return
            due = book.due(self.pricing.signals(symbol), moved if book.trailing else None)
            for trigger in moved:
                self.emit(TriggerRepriced(now, trigger.account_id, snapshot(trigger)))
            moved.clear()
            if not due:
                return
            for trigger in due:
                if trigger.order_id in book.by_id:
                    self.activate(trigger, now)

    def activate(self, trigger: Trigger, now: int) -> None:
        account = self.trading.accounts[trigger.account_id]
        self.trigger_books[trigger.symbol].remove(trigger)
        del account.triggers[trigger.order_id]
        trigger.updated_at = now
        self.emit(TriggerActivated(now, account.account_id, snapshot(trigger)))
        limit = trigger.limit_when_fired()
        res = self.trading.place(account, trigger.order_id, trigger.client_order_id, trigger.symbol, trigger.side,
                                 "lmt" if limit is not None else "mkt", trigger.quantity, limit, trigger.reduce_only,
                                 now, "stop_order_triggered")
        if res.status == "placed":
            return
        reason = res.reason if res.reason is not None else "REJECTED_AFTER_EXECUTION"
        if not res.order_events:  # refused before it became an order: say so in the order history
            order = Order(trigger.order_id, trigger.client_order_id, account.account_id, trigger.symbol,
                          trigger.side, "lmt" if limit else "ioc", trigger.quantity, limit or 0, trigger.reduce_only,
                          now, now)
            self.emit(OrderRejected(now, account.account_id, order, reason))
        self.finished.remember(trigger, TRIGGER_ACTIVATION_FAILURE, reason, now)
        if trigger.client_order_id is not None and account.client_order_ids.get(trigger.client_order_id) == trigger.order_id:
            del account.client_order_ids[trigger.client_order_id]
