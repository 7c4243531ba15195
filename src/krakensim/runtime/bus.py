"""The event bus: every committed group's events, in apply order, to every subscriber.

The runtime publishes a group's events once the group is durable (and never before), so a
subscriber never sees something a crash could take back. Publishing never waits: each
subscriber has a bounded queue, and one that falls more than ``limit`` events behind is
cut off (``Overflowed`` from its next ``get``; it must subscribe again and start from the
state, as a WebSocket client re-subscribes and gets a new snapshot). Neither the writer nor
the other subscribers ever wait for a slow one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

from ..engine.events import Event

DEFAULT_LIMIT = 100_000  # events a subscriber may fall behind before it is cut off


class Overflowed(Exception):
    """The subscriber fell too far behind: the events it missed are gone."""


class Closed(Exception):
    """The subscription was closed."""


class Subscription:
    __slots__ = ("bus", "limit", "pending", "overflowed", "closed", "_ready")

    def __init__(self, bus: EventBus, limit: int) -> None:
        self.bus = bus
        self.limit = limit
        self.pending: deque[Event] = deque()
        self.overflowed = False
        self.closed = False
        self._ready = asyncio.Event()

    def _deliver(self, events: Sequence[Event]) -> bool:
        """Queue ``events``; False (and the queue dropped) when that would pass the limit."""
        if len(self.pending) + len(events) > self.limit:
            self.pending.clear()
            self.overflowed = True
            self._ready.set()
            return False
        self.pending.extend(events)
        self._ready.set()
        return True

    async def get(self) -> list[Event]:
        """Every event queued so far (at least one), oldest first. Raises ``Overflowed`` once cut off."""
        while not self.pending:
            if self.overflowed:
                raise Overflowed
            if self.closed:
                raise Closed
            self._ready.clear()
            await self._ready.wait()
        events = list(self.pending)
        self.pending.clear()
        return events

    def get_nowait(self) -> list[Event]:
        if self.overflowed:
            raise Overflowed
        events = list(self.pending)
        self.pending.clear()
        return events

    def close(self) -> None:
        self.closed = True
        self.bus.unsubscribe(self)
        self._ready.set()


class EventBus:
    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self.published = 0  # events published so far

    def subscribe(self, limit: int = DEFAULT_LIMIT, kind: type[Subscription] = Subscription) -> Subscription:
        """A new subscription (a ``kind``); it sees the events of groups committed from now on."""
        sub = kind(self, limit)
        self._subscriptions.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)

    def publish(self, events: Sequence[Event]) -> None:
        """Hand ``events`` (one committed group's, in apply order) to every subscriber; never waits."""
        if not events:
            return
        self.published += len(events)
        for sub in list(self._subscriptions):
            if not sub._deliver(events):
                self._subscriptions.remove(sub)

    def __len__(self) -> int:
        return len(self._subscriptions)
