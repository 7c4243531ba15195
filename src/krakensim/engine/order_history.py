"""What became of orders: the History API's events per account, and the finished orders
remembered for ``orders/status`` (5 s window) and for a cancel that answers ``filled``.

``OrderHistory`` is a projection: it keeps the order and trigger events of each account as
they are emitted. ``FinishedOrders`` is state the engine decides with (a cancel of a filled
order, a client order id still taken), kept by the rooms that finish orders.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict, deque
from collections.abc import Iterable
from functools import partial

import msgspec

from .accounts import Account, Accounts
from .events import ORDER_EVENTS, TRIGGER_EVENTS, Event
from .orders import Order
from .triggers import Trigger

HISTORY_KEPT = 10_000  # history events kept per account
FINISHED_KEPT = 100_000  # finished orders remembered
STATUS_WINDOW_MS = 5_000  # orders/status reports orders finished in the last 5 seconds

HISTORY_EVENTS = ORDER_EVENTS + TRIGGER_EVENTS


class OrderHistory:
    __slots__ = ("by_account",)

    def __init__(self) -> None:
        self.by_account: defaultdict[str, deque[Event]] = defaultdict(partial(deque, maxlen=HISTORY_KEPT))

    def record(self, event: Event) -> None:
        self.by_account[event.account_id].append(event)  # type: ignore[attr-defined]  # all HISTORY_EVENTS have one

    def of(self, account_id: str) -> Iterable[Event]:
        return self.by_account.get(account_id, ())  # (get: a read never makes an empty history)

    def state(self) -> list[tuple[object, ...]]:
        return [
            (a, [(type(e).__name__, e.time) for e in self.by_account[a]]) for a in sorted(self.by_account)
        ]


class Finished(msgspec.Struct, gc=False):
    order: Order | Trigger
    status: str  # FULLY_EXECUTED | CANCELLED | TRIGGER_ACTIVATION_FAILURE
    reason: str | None  # an OrderUpdateReason, or the OrderError of a failed activation
    time: int


class FinishedOrders:
    __slots__ = ("by_id", "accounts")

    def __init__(self, accounts: Accounts) -> None:
        # oldest first; an OrderedDict because evicting from the front of a plain dict makes
        # next(iter(d)) walk over every deleted slot (quadratic over time)
        self.by_id: OrderedDict[str, Finished] = OrderedDict()
        self.accounts = accounts

    def get(self, order_id: str) -> Finished | None:
        return self.by_id.get(order_id)

    def remember(self, order: Order | Trigger, status: str, reason: str | None, now: int) -> None:
        finished = self.by_id
        finished[order.order_id] = Finished(order, status, reason, now)
        if len(finished) > FINISHED_KEPT:  # (rare until the store is full, then once per call)
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

