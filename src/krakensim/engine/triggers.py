"""Trigger orders (stop, take profit, trailing stop): they rest off the book until their
signal crosses the trigger price, then become a limit or market order.

Prices are ticks; percentages are integer hundredths of a percent (``1.25 %`` → ``125``).
"""

from __future__ import annotations

import msgspec
from sortedcontainers import SortedList

from .units import BUY

MARK = "mark"
INDEX = "index"
LAST = "last"
SIGNALS = (MARK, INDEX, LAST)
PERCENT = "PERCENT"
QUOTE = "QUOTE_CURRENCY"


class Trigger(msgspec.Struct, gc=False):  # gc=False: strings and numbers only
    order_id: str
    client_order_id: str | None
    account_id: str
    symbol: str
    side: int
    order_type: str  # stp | take_profit | trailing_stop
    quantity: int
    limit_price: int | None  # None: a market order when triggered (unless an offset gives the limit)
    trigger_price: int
    signal: str
    reduce_only: bool
    placed_at: int
    updated_at: int
    arrival: int  # placement sequence: triggers crossed together fire in this order
    offset: int | None = None  # relative limit: ticks (QUOTE) or 1/100 % (PERCENT)
    offset_unit: str | None = None
    deviation: int | None = None  # trailing deviation: ticks (QUOTE) or 1/100 % (PERCENT)
    deviation_unit: str | None = None
    peak: int = 0  # best signal seen (highest for a sell trailing stop, lowest for a buy)

    @property
    def above(self) -> bool:
        """A buy stop and a sell take-profit fire when the signal rises to the trigger price."""
        return (self.side == BUY) == (self.order_type != "take_profit")

    @property
    def trailing(self) -> bool:
        return self.order_type == "trailing_stop"

    def state(self) -> tuple[object, ...]:
        return msgspec.structs.astuple(self)

    def trail_to(self, signal: int) -> bool:
        """Follow the signal's peak; True when the trigger price moved."""
        assert self.deviation is not None
        if self.above:  # buy trailing stop: follows the lowest signal, trigger above it
            if signal >= self.peak and self.peak:
                return False
            self.peak = signal
            dev = self.deviation if self.deviation_unit == QUOTE else (signal * self.deviation + 9999) // 10000
            new = signal + dev
        else:
            if signal <= self.peak:
                return False
            self.peak = signal
            dev = self.deviation if self.deviation_unit == QUOTE else (signal * self.deviation + 9999) // 10000
            new = signal - dev
        if new == self.trigger_price:
            return False
        self.trigger_price = new
        return True

    def fires(self, signal: int) -> bool:
        return signal >= self.trigger_price if self.above else signal <= self.trigger_price

    def limit_when_fired(self) -> int | None:
        if self.limit_price is not None:
            return self.limit_price
        if self.offset is None:
            return None
        if self.offset_unit == QUOTE:
            return self.trigger_price + self.offset
        q = self.trigger_price * self.offset  # in 1/10000 of a tick; rounded half away from zero
        return self.trigger_price + (1 if q >= 0 else -1) * ((abs(q) + 5000) // 10000)


class TriggerBook:
    """The triggers of one symbol, indexed by signal and direction for cheap crossing checks."""

    __slots__ = ("by_id", "above", "below", "trailing")

    def __init__(self) -> None:
        self.by_id: dict[str, Trigger] = {}
        # fixed triggers: (trigger price, arrival, order id); "above" fires from the lowest, "below" from the highest
        self.above: dict[str, SortedList] = {s: SortedList() for s in SIGNALS}
        self.below: dict[str, SortedList] = {s: SortedList() for s in SIGNALS}
        self.trailing: dict[str, Trigger] = {}

    def __len__(self) -> int:
        return len(self.by_id)

    def add(self, t: Trigger) -> None:
        self.by_id[t.order_id] = t
        if t.trailing:
            self.trailing[t.order_id] = t
        elif t.above:
            self.above[t.signal].add((t.trigger_price, t.arrival, t.order_id))
        else:
            self.below[t.signal].add((-t.trigger_price, t.arrival, t.order_id))

    def remove(self, t: Trigger) -> None:
        del self.by_id[t.order_id]
        if t.trailing:
            del self.trailing[t.order_id]
        elif t.above:
            self.above[t.signal].remove((t.trigger_price, t.arrival, t.order_id))
        else:
            self.below[t.signal].remove((-t.trigger_price, t.arrival, t.order_id))

    def due(self, signals: dict[str, int], moved: list[Trigger] | None = None) -> list[Trigger]:
        """Triggers whose signal has crossed, in arrival order; the trailing stops whose trigger
        price followed the signal are appended to ``moved``."""
        out: list[Trigger] = []
        for name, value in signals.items():
            above = self.above[name]
            for _price, _arrival, oid in above.irange(maximum=(value, 1 << 62, "")):
                out.append(self.by_id[oid])
            below = self.below[name]
            for _neg, _arrival, oid in below.irange(maximum=(-value, 1 << 62, "")):
                out.append(self.by_id[oid])
        for t in self.trailing.values():
            if t.trail_to(signals[t.signal]) and moved is not None:
                moved.append(t)
            if t.fires(signals[t.signal]):
                out.append(t)
        out.sort(key=lambda t: t.arrival)
        return out
