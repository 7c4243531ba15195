"""Events to messages: what each engine event makes the feeds say, and to whom (a ``Router`` per hub).

Public events go to the product's channel (a ``book`` delta, a ``trade``) and mark the product's
tickers as changed; an account's events go to its private channels (``open_orders`` with the reason
the spec names, ``fills``, ``account_log``) and mark its numbered feeds (positions, balances) to be
read again at the group's end. Nothing is rendered for a channel nobody follows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..engine import events as ev
from . import private, public
from .feeds import ORDER_FEEDS
from .frames import message

if TYPE_CHECKING:
    from .hub import Hub

Message = dict[str, Any]

ON_BOOK = ("maker", "takerAfterEdit")  # fill types of an order that rested (not liquidation, assignment, unwind)

# why an order left the book (engine) → the open_orders reason (spec private-feeds.md §1.4)
CANCEL_REASONS = {
    "cancelled_by_user": "cancelled_by_user",
    "dead_man_switch": "dead_man_switch",
    "contract_expired": "contract_expired",
    "self_trade": "would_execute_self",
    "would_not_reduce_position": "would_not_reduce_position",
    "liquidation": "liquidation",
}
# an order refused with an order event (engine's OrderError) → the verbose feed's reason
REJECT_REASONS = {
    "POST_WOULD_EXECUTE": "post_order_failed_because_it_would_filled",
    "IOC_WOULD_NOT_EXECUTE": "ioc_order_failed_because_it_would_not_be_executed",
    "WOULD_EXECUTE_SELF": "would_execute_self",
    "WOULD_NOT_REDUCE_POSITION": "would_not_reduce_position",
    "INSUFFICIENT_MARGIN": "not_enough_margin",
}


class Router:
    __slots__ = ("hub", "handlers")

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.handlers: dict[type[ev.Event], Callable[[Any], None]] = {
            ev.BookLevelChanged: self._on_level, ev.TradePrinted: self._on_trade,
            ev.MarkPriceUpdated: self._on_market, ev.IndexPriceUpdated: self._on_market,
            ev.FundingRatePublished: self._on_market, ev.MarketStateChanged: self._on_market,
            ev.OrderEnteredBook: self._on_entered, ev.OrderFilled: self._on_filled, ev.OrderEdited: self._on_edited,
            ev.OrderCancelled: self._on_cancelled, ev.OrderRejected: self._on_rejected,
            ev.OrderPlaced: self._on_placed,
            ev.TriggerPlaced: self._on_trigger_placed, ev.TriggerEdited: self._on_trigger_edited,
            ev.TriggerCancelled: self._on_trigger_cancelled, ev.TriggerActivated: self._on_trigger_activated,
            ev.AccountLogged: self._on_logged, ev.BalanceChanged: self._on_account, ev.PositionChanged: self._on_account,
            ev.NotificationPosted: self._on_notification,
        }

    def _on_level(self, e: ev.BookLevelChanged) -> None:
        self.hub.dirty_tickers.add(e.symbol)
        subs = self.hub.channels.get(("book", e.symbol))
        if subs:
            self.hub.fan(subs, message(public.book_delta(self.hub.ex.instruments[e.symbol], e)))

    def _on_trade(self, e: ev.TradePrinted) -> None:
        self.hub.dirty_tickers.add(e.symbol)
        subs = self.hub.channels.get(("trade", e.symbol))
        if subs:
            self.hub.fan(subs, message(public.trade(self.hub.ex.instruments[e.symbol], e)))

    def _on_market(self, e: ev.MarkPriceUpdated | ev.IndexPriceUpdated | ev.FundingRatePublished
                   | ev.MarketStateChanged) -> None:
        self.hub.dirty_tickers.add(e.symbol)

    def _on_account(self, e: ev.BalanceChanged | ev.PositionChanged) -> None:
        if e.account_id in self.hub.state_subs:
            self.hub.dirty_accounts.add(e.account_id)

    def _watched(self, account_id: str) -> bool:
        """Does anyone follow this account's open orders? (Nothing is rendered otherwise.)"""
        channels = self.hub.channels
        return ("open_orders", account_id) in channels or ("open_orders_verbose", account_id) in channels

    def _orders(self, account_id: str, build: Callable[[str], Message], verbose_only: bool = False) -> None:
        """An open_orders message to the account's subscribers (of the verbose feed only, if so)."""
        for feed in ORDER_FEEDS[1:] if verbose_only else ORDER_FEEDS:
            subs = self.hub.channels.get((feed, account_id))
            if subs:
                self.hub.fan(subs, message(build(feed)))

    def _on_placed(self, e: ev.OrderPlaced) -> None:
        self.hub.arriving.add(e.order.order_id)

    def _on_entered(self, e: ev.OrderEnteredBook) -> None:
        self.hub.arriving.discard(e.order.order_id)
        if e.account_id in self.hub.state_subs:
            self.hub.dirty_accounts.add(e.account_id)
        if not self._watched(e.account_id):
            return
        order = private.open_order(self.hub.ex.instruments[e.order.symbol], e.order)
        reason = "limit_order_from_stop" if e.reason == "stop_order_triggered" else "new_placed_order_by_user"
        self._orders(e.account_id, lambda feed: private.order_update(feed, order, False, reason))

    def _on_filled(self, e: ev.OrderFilled) -> None:
        account_id = e.account_id
        inst = self.hub.ex.instruments[e.symbol]
        if account_id in self.hub.state_subs:
            self.hub.dirty_accounts.add(account_id)
        after = e.order_after
        done = after.filled >= after.quantity
        if e.fill_type in ON_BOOK and self._watched(account_id):  # it was on the book: the open orders feeds
            if done:
                self._orders(account_id, lambda feed: private.order_removed(feed, after.order_id,
                                                                            after.client_order_id, "full_fill"))
            else:
                order = private.open_order(inst, after)
                self._orders(account_id, lambda feed: private.order_update(feed, order, False, "partial_fill"))
        elif done:
            self.hub.arriving.discard(after.order_id)
        subs = self.hub.channels.get(("fills", account_id))
        if subs:
            frame = message(private.fills_update(inst, e))
            for peer, sub in subs.items():
                if sub.products is None or e.symbol in sub.products:
                    self.hub.push(peer, frame)

    def _on_edited(self, e: ev.OrderEdited) -> None:
        if e.account_id in self.hub.state_subs:
            self.hub.dirty_accounts.add(e.account_id)
        if not self._watched(e.account_id):
            return
        order = private.open_order(self.hub.ex.instruments[e.new.symbol], e.new)
        self._orders(e.account_id, lambda feed: private.order_update(feed, order, False, "edited_by_user"))

    def _on_cancelled(self, e: ev.OrderCancelled) -> None:
        o = e.order
        if e.account_id in self.hub.state_subs:
            self.hub.dirty_accounts.add(e.account_id)
        if o.order_id in self.hub.arriving:  # cancelled on arrival (an ioc's or reduce-only's rest): never open
            self.hub.arriving.discard(o.order_id)
            if e.reason == "would_not_reduce_position" and not o.filled and self._watched(e.account_id):
                order = private.open_order(self.hub.ex.instruments[o.symbol], o)
                self._orders(e.account_id, lambda feed: private.order_update(
                    feed, order, True, "would_not_reduce_position"), verbose_only=True)
            return
        reason = CANCEL_REASONS.get(e.reason, "cancelled_by_admin")
        self._orders(e.account_id, lambda feed: private.order_removed(feed, o.order_id, o.client_order_id, reason))

    def _on_rejected(self, e: ev.OrderRejected) -> None:
        reason = REJECT_REASONS.get(e.reason)
        if reason is None or not self._watched(e.account_id):
            return
        order = private.open_order(self.hub.ex.instruments[e.order.symbol], e.order)
        self._orders(e.account_id, lambda feed: private.order_update(feed, order, True, reason), verbose_only=True)

    def _on_trigger_placed(self, e: ev.TriggerPlaced) -> None:
        if not self._watched(e.account_id):
            return
        order = private.open_trigger(self.hub.ex.instruments[e.trigger.symbol], e.trigger)
        self._orders(e.account_id, lambda feed: private.order_update(feed, order, False, "new_placed_order_by_user"))

    def _on_trigger_edited(self, e: ev.TriggerEdited) -> None:
        if not self._watched(e.account_id):
            return
        order = private.open_trigger(self.hub.ex.instruments[e.new.symbol], e.new)
        self._orders(e.account_id, lambda feed: private.order_update(feed, order, False, "edited_by_user"))

    def _on_trigger_cancelled(self, e: ev.TriggerCancelled) -> None:
        t = e.trigger
        reason = CANCEL_REASONS.get(e.reason, "cancelled_by_admin")
        self._orders(e.account_id, lambda feed: private.order_removed(feed, t.order_id, t.client_order_id, reason))

    def _on_trigger_activated(self, e: ev.TriggerActivated) -> None:
        t = e.trigger
        self._orders(e.account_id, lambda feed: private.order_removed(feed, t.order_id, t.client_order_id,
                                                                      "stop_order_triggered"))

    def _on_logged(self, e: ev.AccountLogged) -> None:
        subs = self.hub.channels.get(("account_log", e.account_id))
        if subs:
            self.hub.fan(subs, message(private.account_log_update(self.hub.instrument, e)))

    def _on_notification(self, e: ev.NotificationPosted) -> None:
        """To every account's notifications_auth subscribers: the notification just posted."""
        frame: bytes | None = None
        for key, subs in self.hub.channels.items():
            if key[0] == "notifications_auth" and subs:
                frame = frame or message(private.notifications((e,)))
                self.hub.fan(subs, frame)
