"""The events of the command being applied, and the projections that are built from them.

Rooms ``emit`` as they change state; each event is appended to the command's list and handed,
at once and in order, to the projection subscribed to its type (order history, market data,
the accounts' fills), so that a projection is never behind the state it describes.
"""

from __future__ import annotations

from collections.abc import Callable

from .events import Event

Handler = Callable[[Event], None]


class _Both:
    """Two handlers of one type, in the order they subscribed (a class: the state must pickle)."""

    __slots__ = ("first", "second")

    def __init__(self, first: Handler, second: Handler) -> None:
        self.first = first
        self.second = second

    def __call__(self, event: Event) -> None:
        self.first(event)
        self.second(event)


class EventStream:
    __slots__ = ("events", "_handlers")

    def __init__(self) -> None:
        self.events: list[Event] = []
        # one handler per type (several subscribers are chained): emit is the engine's hottest call
        self._handlers: dict[type[Event], Handler] = {}

    def subscribe(self, event_type: type[Event], handler: Handler) -> None:
        before = self._handlers.get(event_type)
        self._handlers[event_type] = handler if before is None else _Both(before, handler)

    def emit(self, event: Event) -> None:
        self.events.append(event)
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(event)

    def take(self) -> list[Event]:
        """The events emitted since the last call (and a fresh list for the next command)."""
        events = self.events
        self.events = []
        return events
