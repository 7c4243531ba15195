"""Editing an open order or trigger: new size, limit, stop price or trailing deviation.

An order keeps its time priority only when its price stays and its size does not grow; an
edit that crosses the book trades at once (``takerAfterEdit``). Sizes in lots, prices in ticks.
"""

from __future__ import annotations

from collections.abc import Callable

from .accounts import Account
from .commands import EditOrder
from .events import Event, OrderEdited, TriggerEdited
from .orders import FULLY_EXECUTED, Order, snapshot
from .result import Result
from .risk import MAX_SMALL_ORDERS, SMALL_ORDER_USD8
from .trading import Trading
from .trigger_orders import TriggerOrders
from .triggers import Trigger


class Edits:
    def __init__(self, trading: Trading, triggers: TriggerOrders, emit: Callable[[Event], None]) -> None:
        self.trading = trading
        self.triggers = triggers
        self.emit = emit

    def edit(self, account: Account, cmd: EditOrder, now: int) -> Result:
        trading = self.trading
        key = trading.find_id(account, cmd.order_id, cmd.client_order_id)
        target: Order | Trigger | None = None
        if key is not None:
            target = account.triggers.get(key) or account.orders.get(key)
        if target is not None and trading.listings.market_state[target.symbol] in ("suspended", "inactive"):
            return Result("marketUnavailable", target.order_id, target.client_order_id)
        if isinstance(target, Trigger):
            return self.edit_trigger(account, target, cmd, now)
        if target is None:
            return Result("orderForEditNotFound", cmd.order_id, cmd.client_order_id)
        return self.edit_order(account, target, cmd, now)

    def edit_order(self, account: Account, order: Order, cmd: EditOrder, now: int) -> Result:
        trading, risk = self.trading, self.trading.risk
        oid, cli = order.order_id, order.client_order_id
        if cmd.stop_price is not None or cmd.trailing_deviation is not None:
            return Result("orderForEditNotAStop", oid, cli)
        inst = trading.listings.instruments[order.symbol]
        new_qty = order.quantity
        if cmd.quantity is not None:
            new_qty = cmd.quantity if cmd.quantity_mode == "ABSOLUTE" else order.filled + cmd.quantity
            if new_qty <= order.filled:
                return Result("invalidSize", oid, cli)
        new_price = order.price if cmd.limit_price is None else cmd.limit_price
        if order.reduce_only and new_qty - order.filled > trading.reduce_room(order):
            return Result("wouldNotReducePosition", oid, cli)
        matcher = trading.matchers[order.symbol]
        crosses = matcher.book.crosses(order.side, new_price)
        if crosses and (order.order_type == "post" or trading.listings.market_state[order.symbol] == "post_only"):
            return Result("postWouldExecute", oid, cli)
        if crosses and risk.outside_collar(order.symbol, new_price):
            return Result("outsidePriceCollar", oid, cli)
        if not order.reduce_only and not account.market_agent:
            extra = risk.order_margin(account, inst, new_qty - order.filled, new_price) - order.margin
            if extra > 0 and extra > risk.available_for(account, inst):
                return Result("insufficientAvailableFunds", oid, cli)
        if not order.small and risk.is_small(inst, new_qty, new_price) and account.small_orders >= MAX_SMALL_ORDERS:
            return Result("tooManySmallOrders", oid, cli)
        reject_own = account.self_trade_strategy == "REJECT_TAKER"
        if crosses:
            probe = snapshot(order)
            probe.quantity, probe.price = new_qty, new_price
            if matcher.walk(probe, trading, reject_own, trading.pricing.marks[order.symbol]).meets_own_order:
                return Result("selfFill", oid, cli)

        was_small = order.small
        old = snapshot(order)
        keeps_priority = new_price == order.price and new_qty <= order.quantity
        risk.release(account, order)
        if keeps_priority:
            shrunk = order.quantity - new_qty
            order.quantity = new_qty
            if shrunk:
                matcher.shrink(order, shrunk, now)
        else:
            matcher.take_off(order, now)
            order.quantity = new_qty
            order.price = new_price
        order.updated_at = now
        order.small = inst.notional_usd8(order.quantity, order.price) < SMALL_ORDER_USD8
        account.small_orders += int(order.small) - int(was_small)
        new = snapshot(order)
        if not order.reduce_only:  # as it is once edited: reserving what is open (before anything trades)
            new.margin = risk.order_margin(account, inst, new.quantity - new.filled, new.price)
        edited = OrderEdited(now, account.account_id, old, new, "edited_by_user")
        self.emit(edited)
        view: list[Event] = [edited]
        if not keeps_priority:
            if crosses:
                del trading.open[oid]
                del account.orders[oid]
                view += trading.sweep(matcher, order, reject_own, "takerAfterEdit", now)
                if order.filled >= order.quantity:
                    risk.unmark_small(account, order)
                    trading.finished.remember(order, FULLY_EXECUTED, "FULL_FILL", now)
                    self.triggers.run(order.symbol, now)
                    return Result("edited", oid, cli, order_events=view)
                trading.open[oid] = order
                account.orders[oid] = order
            matcher.rest(order, now)
        if crosses:  # (it may have traded: what is still open is reserved)
            risk.reserve(account, inst, order)
            self.triggers.run(order.symbol, now)
        else:  # nothing traded: the margin worked out for ``new`` is the margin of what rests
            order.margin = new.margin
            risk.hold(account, order, order.margin)
        return Result("edited", oid, cli, order_events=view)

    def edit_trigger(self, account: Account, trigger: Trigger, cmd: EditOrder, now: int) -> Result:
        oid, cli = trigger.order_id, trigger.client_order_id
        if trigger.trailing and cmd.stop_price is not None:
            return Result("cannotEditTriggerPriceOfTrailingStop", oid, cli)
        if trigger.trailing and cmd.limit_price is not None:
            return Result("cannotEditLimitPriceOfTrailingStop", oid, cli)
        if cmd.quantity is not None and cmd.quantity <= 0:
            return Result("invalidSize", oid, cli)
        old = snapshot(trigger)
        book = self.triggers.trigger_books[trigger.symbol]
        book.remove(trigger)
        if cmd.quantity is not None:
            trigger.quantity = cmd.quantity
        if cmd.limit_price is not None:
            trigger.limit_price = cmd.limit_price
            trigger.offset = trigger.offset_unit = None
        if cmd.stop_price is not None:
            trigger.trigger_price = cmd.stop_price
        if trigger.trailing and cmd.trailing_deviation is not None:
            trigger.deviation, trigger.deviation_unit = cmd.trailing_deviation
        if trigger.trailing:  # recalculated from the current signal
            trigger.peak = 0
            trigger.trail_to(self.trading.pricing.signals(trigger.symbol)[trigger.signal])
        trigger.updated_at = now
        book.add(trigger)
        event = TriggerEdited(now, account.account_id, old, snapshot(trigger), "edited_by_user")
        self.emit(event)
        self.triggers.run(trigger.symbol, now)
        return Result("edited", oid, cli, order_events=[event])
