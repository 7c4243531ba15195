"""What became of orders: the History API's events per account, and the finished orders
remembered for ``orders/status`` (5 s window) and for a cancel that answers ``filled``.

``OrderHistory`` is a projection: it keeps the order and trigger events of each account as
they are emitted (the latest ``history_per_account``), each with its rank among the account's
events of the same kind, order and millisecond (what makes the History API's element ids
unique), and indexes the public ones (placed, updated, cancelled) per market in time order, so
that a market's order history is read a page at a time. ``FinishedOrders`` is state the engine
decides with (a cancel of a filled order, a client order id still taken).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable, Reversible

import msgspec
from sortedcontainers import SortedList

from .accounts import Account, Accounts
from .events import (
    ORDER_EVENTS,
    TRIGGER_EVENTS,
    Event,
    OrderCancelled,
    OrderEdited,
    OrderFilled,
    OrderPlaced,
    OrderRejected,
    TriggerActivated,
    TriggerCancelled,
    TriggerEdited,
    TriggerPlaced,
)
from .orders import Order
from .retention import Retention
from .triggers import Trigger

STATUS_WINDOW_MS = 5_000  # orders/status reports orders finished in the last 5 seconds

HISTORY_EVENTS = ORDER_EVENTS + TRIGGER_EVENTS
PUBLIC_EVENTS = (OrderPlaced, OrderFilled, OrderEdited, OrderCancelled)  # a market's order history shows these
# the History API's kind of each event (a fill and an edit are both an "OrderUpdated")
KIND = {OrderPlaced: 0, OrderFilled: 1, OrderEdited: 1, OrderCancelled: 2, OrderRejected: 3, TriggerPlaced: 4,
        TriggerActivated: 5, TriggerCancelled: 6, TriggerEdited: 7}

Entry = tuple[Event, int]  # an event and its rank among the account's same (kind, time, order) events
Public = tuple[int, str, int, int, Event]  # (time, account, the account's event number, rank, event)


def subject(e: Event) -> Order | Trigger:
    """The order or trigger a history event is about (as the event shows it)."""
    if isinstance(e, OrderFilled):
        return e.order_after
    if isinstance(e, OrderEdited | TriggerEdited):
        return e.new
    if isinstance(e, TriggerPlaced | TriggerActivated | TriggerCancelled):
        return e.trigger
    assert isinstance(e, OrderPlaced | OrderCancelled | OrderRejected)
    return e.order


class _AccountHistory:
    __slots__ = ("entries", "count", "same_time", "same")

    def __init__(self, kept: int) -> None:
        self.entries: deque[Entry] = deque(maxlen=kept)
        self.count = 0  # events recorded so far (the number of the next one, less one)
        self.same_time = -1  # the time of the latest event, and how many of each (kind, order) it saw
        self.same: dict[tuple[int, str], int] = {}


class OrderHistory:
    __slots__ = ("by_account", "public", "kept")

    def __init__(self, retention: Retention) -> None:
        self.kept = retention.history_per_account
        self.by_account: dict[str, _AccountHistory] = {}
        self.public: dict[str, SortedList] = {}  # symbol -> Public entries, oldest first

    def record(self, event: Event) -> None:
        account_id: str = event.account_id  # type: ignore[attr-defined]  # every HISTORY_EVENTS type has one
        h = self.by_account.get(account_id)
        if h is None:
            h = self.by_account[account_id] = _AccountHistory(self.kept)
        entries = h.entries
        h.count += 1
        if len(entries) == self.kept:  # the oldest goes, from the market's index too
            old, old_rank = entries[0]
            if type(old) in PUBLIC_EVENTS:
                self.public[subject(old).symbol].remove((old.time, account_id, h.count - self.kept, old_rank, old))
        if event.time != h.same_time:
            h.same_time, h.same = event.time, {}
        order = subject(event)
        key = (KIND[type(event)], order.order_id)
        rank = h.same.get(key, 0)
        h.same[key] = rank + 1
        entries.append((event, rank))
        if type(event) in PUBLIC_EVENTS:
            index = self.public.get(order.symbol)
            if index is None:
                index = self.public[order.symbol] = SortedList()
            index.add((event.time, account_id, h.count, rank, event))

    def of(self, account_id: str) -> Reversible[Entry]:
        """The account's events (the latest kept), oldest first, each with its rank."""
        h = self.by_account.get(account_id)
        return h.entries if h is not None else ()

    def public_window(self, symbol: str, since: int | None, before: int | None) -> tuple[SortedList, int, int]:
        """A market's public order events with since <= time < before: the index and the slice [lo, hi)."""
        index = self.public.get(symbol)
        if index is None:
            return SortedList(), 0, 0
        lo = 0 if since is None else index.bisect_left((since,))
        hi = len(index) if before is None else index.bisect_left((before,))
        return index, lo, max(lo, hi)

    def state(self) -> list[tuple[object, ...]]:
        return [
            (a, [(type(e).__name__, e.time, rank) for e, rank in self.by_account[a].entries])
            for a in sorted(self.by_account)
        ]


class Finished(msgspec.Struct, gc=False):
    order: Order | Trigger
    status: str  # FULLY_EXECUTED | CANCELLED | TRIGGER_ACTIVATION_FAILURE
    reason: str | None  # an OrderUpdateReason, or the OrderError of a failed activation
    time: int


class FinishedOrders:
    __slots__ = ("by_id", "accounts", "kept")

    def __init__(self, accounts: Accounts, kept: int) -> None:
        self.kept = kept
        # oldest first; an OrderedDict because evicting from the front of a plain dict makes
        # next(iter(d)) walk over every deleted slot (quadratic over time)
        self.by_id: OrderedDict[str, Finished] = OrderedDict()
        self.accounts = accounts

    def get(self, order_id: str) -> Finished | None:
        return self.by_id.get(order_id)

    def remember(self, order: Order | Trigger, status: str, reason: str | None, now: int) -> None:
        finished = self.by_id
        finished[order.order_id] = Finished(order, status, reason, now)
        if len(finished) > self.kept:  # (rare until the store is full, then once per call)
            old_id, evicted = finished.popitem(last=False)
            old = evicted.order
            if old.client_order_id is not None:  # its client order id is free from now on
                ids = self.accounts[old.account_id].client_order_ids
                if ids.get(old.client_order_id) == old_id:
                    del ids[old.client_order_id]

    def statuses(self, account: Account, order_ids: Iterable[str], now: int) -> list[tuple[Order | Trigger, str, str | None]]:
        """(order, status, update reason) of the open orders and of those finished in the last 5 s."""
        out: list[tuple[Order | Trigger, str, str | None]] = []
        for k in order_ids:
            o = account.orders.get(k)
            if o is not None:
                out.append((o, "ENTERED_BOOK", "PARTIAL_FILL" if o.filled else "NEW_USER_ORDER"))
                continue
            t = account.triggers.get(k)
            if t is not None:
                out.append((t, "TRIGGER_PLACED", "NEW_USER_ORDER"))
                continue
            d = self.by_id.get(k)
            if d is not None and d.order.account_id == account.account_id and now - d.time <= STATUS_WINDOW_MS:
                out.append((d.order, d.status, d.reason))
        return out

    def recent(self, account_id: str, now: int) -> list[str]:
        """Ids of the account's orders finished in the last 5 s, oldest first."""
        recent = []
        for k, d in reversed(self.by_id.items()):  # newest first; stop at the end of the window
            if now - d.time > STATUS_WINDOW_MS:
                break
            if d.order.account_id == account_id:
                recent.append(k)
        recent.reverse()
        return recent

    def state(self) -> list[tuple[object, ...]]:
        return [(k, d.status, d.reason, d.time, d.order.state()) for k, d in self.by_id.items()]

