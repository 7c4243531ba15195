"""Orders on the book: placing, resting, settling matches, cancelling.

Risk decides, matching executes, accounts book the money: an order is checked against the
account's limits and margin, swept against the book by its instrument's ``Matcher``, and each
match is settled here for both parties (fees, positions, margin, the fill events). What rests
is reserved margin on the book until it trades, is cancelled or expires.
"""

from __future__ import annotations

from collections.abc import Callable

from .accounts import FILL_INFO, TRADE, Account, Accounts, fee_rate
from .events import (
    Event,
    OrderCancelled,
    OrderEnteredBook,
    OrderFilled,
    OrderPlaced,
    OrderRejected,
    TradePrinted,
    TriggerCancelled,
)
from .ids import IdGen
from .listing import Listings
from .matching import Matcher
from .order_history import FinishedOrders
from .orders import CANCELLED, FULLY_EXECUTED, UPDATE_REASONS, Order, snapshot
from .pricing import Pricing
from .result import Result
from .risk import MAX_SMALL_ORDERS, SMALL_ORDER_USD8, Risk
from .triggers import Trigger, TriggerBook
from .units import BUY


class Trading:
    def __init__(
        self, ids: IdGen, listings: Listings, matchers: dict[str, Matcher], trigger_books: dict[str, TriggerBook],
        accounts: Accounts, risk: Risk, pricing: Pricing, finished: FinishedOrders, emit: Callable[[Event], None],
    ) -> None:
        self.ids = ids
        self.listings = listings
        self.matchers = matchers
        self.trigger_books = trigger_books
        self.accounts = accounts
        self.risk = risk
        self.pricing = pricing
        self.finished = finished
        self.emit = emit
        self.open: dict[str, Order] = {}  # every open order on every book, by id
        # while a taker sweeps: its fill type, and where its own fills are collected (its answer)
        self.taker_fill_type = "taker"
        self.taker_fills: list[Event] = []
        # pays a realised profit in the contract's PnL currency (the exchange wires Funds.pay_profit)
        self.pay_profit: Callable[[Account, str, int, int], None] | None = None

    # ------------------------------------------------------------------ what the matcher asks
    def position_lots(self, account_id: str, symbol: str) -> int:
        return self.accounts[account_id].lots(symbol)

    def reduce_room(self, order: Order | Trigger) -> int:
        held = self.accounts[order.account_id].lots(order.symbol)
        if held == 0 or (held > 0) == (order.side == BUY):
            return 0
        return abs(held)

    def settle(self, maker: Order, maker_before: Order, taker: Order, taker_before: Order, lots: int, price: int,
               number: int, now: int) -> None:
        symbol = maker.symbol
        inst = self.listings.instruments[symbol]
        trade = TradePrinted(now, symbol, self.ids.next(), number, price, lots, taker.side, maker_before, taker_before,
                             self.pricing.marks[symbol])
        self.emit(trade)
        maker_account = self.accounts[maker.account_id]
        self.risk.release(maker_account, maker)
        finished = maker.filled >= maker.quantity
        if finished:  # the matcher took it off the book
            del self.open[maker.order_id]
            del maker_account.orders[maker.order_id]
            self.risk.unmark_small(maker_account, maker)
        else:
            self.risk.reserve(maker_account, inst, maker)
        self._fill(maker_account, maker_before, maker if finished else snapshot(maker), lots, price, "maker", trade,
                   now)
        if finished:
            self.finished.remember(maker, FULLY_EXECUTED, "FULL_FILL", now)
        fill = self._fill(self.accounts[taker.account_id], taker_before, snapshot(taker), lots, price,
                          self.taker_fill_type, trade, now)
        self.taker_fills.append(fill)
        self.pricing.traded(symbol, price, lots, now)

    def _fill(self, account: Account, before: Order, after: Order, lots: int, price: int, fill_type: str,
              trade: TradePrinted, now: int) -> OrderFilled:
        inst = self.listings.instruments[after.symbol]
        rate = fee_rate(fill_type)
        fee, realized, position = self.accounts.fill(account, inst, after.side, lots, price, rate, now,
                                                     trade.trade_id, trade.mark, FILL_INFO.get(fill_type, TRADE))
        if realized > 0 and account.pnl_currency and self.pay_profit is not None:
            self.pay_profit(account, inst.symbol, realized, now)
        seq = account.fills_seen
        account.fills_seen += 1
        event = OrderFilled(now, account.account_id, trade.trade_id, before, after, price, lots, fill_type, fee, rate,
                            realized, position, trade, seq)
        self.emit(event)
        return event

    def cancel_resting(self, order: Order, now: int, reason: str) -> OrderCancelled:
        account = self.accounts[order.account_id]
        self.matchers[order.symbol].take_off(order, now)
        del self.open[order.order_id]
        del account.orders[order.order_id]
        self.risk.release(account, order)  # its reservation and its place among small orders go
        if order.small:
            account.small_orders -= 1
            order.small = False
        order.updated_at = now
        event = OrderCancelled(now, account.account_id, order, reason)  # a cancelled order never changes again
        self.emit(event)
        self.finished.remember(order, CANCELLED, UPDATE_REASONS[reason], now)
        return event

    def cancel_trigger(self, trigger: Trigger, now: int, reason: str) -> TriggerCancelled:
        account = self.accounts[trigger.account_id]
        self.trigger_books[trigger.symbol].remove(trigger)
        del account.triggers[trigger.order_id]
        trigger.updated_at = now
        event = TriggerCancelled(now, account.account_id, trigger, reason)
        self.emit(event)
        self.finished.remember(trigger, CANCELLED, UPDATE_REASONS[reason], now)
        return event

    # ------------------------------------------------------------------ placing
    def place(self, account: Account, order_id: str, client_order_id: str | None, symbol: str, side: int,
              order_type: str, lots: int, price: int | None, reduce_only: bool, now: int, reason: str) -> Result:
        """Check, sweep and rest one order. ``reason``: new_user_order, or stop_order_triggered.

        A refusal that never made an order answers with a status (and the OrderError in
        ``reason``) and emits nothing; the caller says what it was.
        """
        inst = self.listings.instruments[symbol]
        matcher = self.matchers[symbol]
        position = account.positions.get(symbol)
        held = position.lots if position is not None else 0
        if reduce_only and (held == 0 or (held > 0) == (side == BUY)):
            return Result("wouldNotReducePosition", order_id, client_order_id, reason="WOULD_NOT_REDUCE_POSITION")
        if order_type == "mkt":
            price = matcher.protection_price(side)
            if price is None:
                o = Order(order_id, client_order_id, account.account_id, symbol, side, "ioc", lots, 0, reduce_only,
                          now, now)
                return self.reject(account, o, "iocWouldNotExecute", "IOC_WOULD_NOT_EXECUTE", now)
            order_type = "ioc"
        assert price is not None
        order = Order(order_id, client_order_id, account.account_id, symbol, side, order_type, lots, price,
                      reduce_only, now, now)
        reduced: int | None = None
        if reduce_only:  # cut to the position it reduces
            reduced = max(0, lots - abs(held))
            order.quantity = min(lots, abs(held))
        notional = inst.notional_usd8(order.quantity, price)
        if not reduce_only:
            after = held + side * lots
            if (after > inst.max_lots or -after > inst.max_lots) and abs(after) > abs(held):
                return Result("maxPositionViolation", order_id, client_order_id, reason="MAX_POSITION_EXCEEDED")
            if self.risk.fixed_leverage_too_high(account, inst, held, side, lots, price):
                return Result("fixedLeverageTooHigh", order_id, client_order_id, reason="FIXED_LEVERAGE_TOO_HIGH")
            order.margin = self.risk.order_margin(account, inst, order.quantity, price)
            if not account.market_agent and self.risk.margin_needed(
                    account, inst, held, side, order.quantity, price, order.margin) > self.risk.available_for(account, inst):
                return Result("insufficientAvailableFunds", order_id, client_order_id, reason="INSUFFICIENT_MARGIN")
        order.small = notional < SMALL_ORDER_USD8
        if order.small and order_type != "ioc" and order_type != "fok" and account.small_orders >= MAX_SMALL_ORDERS:
            return Result("tooManySmallOrders", order_id, client_order_id, reason="SMALL_ORDER_LIMIT_EXCEEDED")

        best = (matcher.book.asks if side == BUY else matcher.book.bids).best()
        crosses = best is not None and (best <= price if side == BUY else best >= price)
        reject_own = crosses and account.self_trade_strategy == "REJECT_TAKER"
        if order_type == "post":
            if crosses:
                return self.reject(account, order, "postWouldExecute", "POST_WOULD_EXECUTE", now)
        elif crosses and self.risk.outside_collar(symbol, price):
            return Result("outsidePriceCollar", order_id, client_order_id, reason="PRICE_COLLAR")
        elif crosses:
            walk = matcher.walk(order, self, reject_own, self.pricing.marks[symbol])
            if walk.meets_own_order:
                return Result("selfFill", order_id, client_order_id, reason="WOULD_EXECUTE_SELF")
            if order_type == "fok" and walk.fillable < order.quantity:
                return self.reject(account, order, "iocWouldNotExecute", "IOC_WOULD_NOT_EXECUTE", now)
            loss = walk.beyond_mark * inst.unit_usd8 if inst.linear else 0
            if not reduce_only and loss > 0 and not account.market_agent and self.risk.would_liquidate(account, inst, order, walk.fillable, loss):
                return Result("wouldCauseLiquidation", order_id, client_order_id, reason="WOULD_CAUSE_LIQUIDATION")
        elif order_type in ("ioc", "fok"):
            return self.reject(account, order, "iocWouldNotExecute", "IOC_WOULD_NOT_EXECUTE", now)

        placed = snapshot(order)
        self.emit(OrderPlaced(now, account.account_id, placed, reason))
        view: list[Event] = self.sweep(matcher, order, reject_own, "taker", now) if crosses else []
        if order.filled < order.quantity:
            if order_type in ("ioc", "fok") or (order.reduce_only and self.reduce_room(order) == 0):
                order.updated_at = now
                why = "ioc_would_not_execute" if order_type in ("ioc", "fok") else "would_not_reduce_position"
                event: Event = OrderCancelled(now, account.account_id, order, why)
                self.emit(event)
                self.finished.remember(order, CANCELLED, "IOC_WOULD_NOT_EXECUTE_REASON", now)
            else:
                self.rest(order, account, matcher, now)
                event = OrderEnteredBook(now, account.account_id, snapshot(order) if view else placed, reduced, reason)
                self.emit(event)
            view.append(event)
        else:
            self.finished.remember(order, FULLY_EXECUTED, "FULL_FILL", now)
        return Result("placed", order_id, client_order_id, order_events=view)

    def sweep(self, matcher: Matcher, taker: Order, reject_own: bool, fill_type: str, now: int) -> list[Event]:
        """Trade ``taker`` against the book; its own fill events, in order."""
        self.taker_fill_type = fill_type
        fills: list[Event] = []
        self.taker_fills = fills
        matcher.sweep(taker, self, reject_own, now)
        self.taker_fills = []
        return fills

    def reject(self, account: Account, order: Order, status: str, reason: str, now: int) -> Result:
        event = OrderRejected(now, account.account_id, order, reason)
        self.emit(event)
        return Result(status, order.order_id, order.client_order_id, reason=reason, order_events=[event])

    def rest(self, order: Order, account: Account, matcher: Matcher, now: int) -> None:
        matcher.rest(order, now)
        self.open[order.order_id] = order
        account.orders[order.order_id] = order
        if order.small:
            account.small_orders += 1
        if order.filled:
            self.risk.reserve(account, self.listings.instruments[order.symbol], order)
        elif not order.reduce_only:  # the margin checked at placement is the margin reserved
            self.risk.hold(account, order, order.margin)

    # ------------------------------------------------------------------ cancelling
    @staticmethod
    def find_id(account: Account, order_id: str | None, client_order_id: str | None) -> str | None:
        """The order id a request names, by id or by the client's id."""
        if order_id is not None:
            return order_id
        if client_order_id is not None:
            return account.client_order_ids.get(client_order_id)
        return None

    def cancel(self, account: Account, order_id: str | None, client_order_id: str | None, now: int) -> Result:
        key = order_id if order_id is not None else self.find_id(account, None, client_order_id)
        order = account.orders.get(key) if key is not None else None
        if order is None:
            trigger = account.triggers.get(key) if key is not None else None
            if trigger is not None:
                event: Event = self.cancel_trigger(trigger, now, "cancelled_by_user")
                return Result("cancelled", trigger.order_id, trigger.client_order_id, order_events=[event])
            done = self.finished.get(key) if key is not None else None
            if done is not None and done.order.account_id == account.account_id and done.status == FULLY_EXECUTED:
                return Result("filled", key, done.order.client_order_id)
            return Result("notFound", order_id, client_order_id)
        event = self.cancel_resting(order, now, "cancelled_by_user")
        return Result("cancelled", order.order_id, order.client_order_id, order_events=[event])

    def cancel_all(self, account: Account, symbol: str | None, now: int, reason: str) -> Result:
        view: list[Event] = []
        for o in [o for o in account.orders.values() if symbol is None or o.symbol == symbol]:
            view.append(self.cancel_resting(o, now, reason))
        for t in [t for t in account.triggers.values() if symbol is None or t.symbol == symbol]:
            view.append(self.cancel_trigger(t, now, reason))
        return Result("cancelled" if view else "noOrdersToCancel", order_events=view)
