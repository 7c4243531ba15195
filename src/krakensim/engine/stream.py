"""The events of the command being applied, and the projections that are built from them.

Rooms ``emit`` as they change state; each event is appended to the command's list and handed,
at once and in order, to the projections subscribed to its type (order history, market data,
the accounts' fills), so that a projection is never behind the state it describes.
"""

from __future__ import annotations

from collections.abc import Callable

from .events import Event

Handler = Callable[[Event], None]


class EventStream:
    __slots__ = ("events", "_handlers")

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._handlers: dict[type[Event], tuple[Handler, ...]] = {}

    def subscribe(self, event_type: type[Event], handler: Handler) -> None:
        self._handlers[event_type] = (*self._handlers.get(event_type, ()), handler)

    def emit(self, event: Event) -> None:
        self.events.append(event)
        handlers = self._handlers.get(type(event))
        if handlers is not None:
            for handler in handlers:
                handler(event)

    def take(self) -> list[Event]:
        """The events emitted since the last call (and a fresh list for the next command)."""
        events = self.events
        self.events = []
        return events
