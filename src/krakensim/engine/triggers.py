"""Trigger orders (stop, take profit, trailing stop): they rest off the book until their
signal crosses the trigger price, then become a limit or market order.

Prices are ticks; percentages are integer hundredths of a percent (``1.25 %`` → ``125``).
"""

from __future__ import annotations

from sortedcontainers import SortedList

from .book import BUY

MARK = "mark"
INDEX = "index"
LAST = "last"
SIGNALS = (MARK, INDEX, LAST)
PERCENT = "PERCENT"
QUOTE = "QUOTE_CURRENCY"


class Trigger:
    __slots__ = (
        "oid", "cli", "acct", "symbol", "side", "otype", "qty", "limit", "offset", "offset_unit", "trigger",
        "above", "signal", "reduce_only", "ts", "upd", "dev", "dev_unit", "peak", "seq",
    )

    def __init__(
        self, oid: str, cli: str | None, acct: str, symbol: str, side: int, otype: str, qty: int,
        limit: int | None, trigger: int, signal: str, reduce_only: bool, ts: int, seq: int,
    ) -> None:
        self.oid = oid
        self.cli = cli
        self.acct = acct
        self.symbol = symbol
        self.side = side
        self.otype = otype  # stp | take_profit | trailing_stop
        self.qty = qty
        self.limit = limit  # None: a market order when triggered
        self.offset: int | None = None  # relative limit: ticks (QUOTE) or 1/100 % (PERCENT)
        self.offset_unit: str | None = None
        self.trigger = trigger
        # a buy stop and a sell take-profit fire when the signal rises to the trigger
        self.above = (side == BUY) == (otype != "take_profit")
        self.signal = signal
        self.reduce_only = reduce_only
        self.ts = ts
        self.upd = ts
        self.dev: int | None = None  # trailing deviation: ticks (QUOTE) or 1/100 % (PERCENT)
        self.dev_unit: str | None = None
        self.peak = 0  # best signal seen (highest for a sell trailing stop, lowest for a buy)
        self.seq = seq

    @property
    def trailing(self) -> bool:
        return self.otype == "trailing_stop"

    def snap(self) -> Trigger:
        t = Trigger.__new__(Trigger)
        for name in Trigger.__slots__:
            setattr(t, name, getattr(self, name))
        return t

    def state(self) -> tuple[object, ...]:
        return tuple(getattr(self, n) for n in Trigger.__slots__)

    def trail_to(self, signal: int) -> bool:
        """Follow the signal's peak; True when the trigger price moved."""
        assert self.dev is not None
        if self.above:  # buy trailing stop: follows the lowest signal, trigger above it
            if signal >= self.peak and self.peak:
                return False
            self.peak = signal
            dev = self.dev if self.dev_unit == QUOTE else (signal * self.dev + 9999) // 10000
            new = signal + dev
        else:
            if signal <= self.peak:
                return False
            self.peak = signal
            dev = self.dev if self.dev_unit == QUOTE else (signal * self.dev + 9999) // 10000
            new = signal - dev
        if new == self.trigger:
            return False
        self.trigger = new
        return True

    def fires(self, signal: int) -> bool:
        return signal >= self.trigger if self.above else signal <= self.trigger

    def limit_when_fired(self) -> int | None:
        if self.limit is not None:
            return self.limit
        if self.offset is None:
            return None
        if self.offset_unit == QUOTE:
            return self.trigger + self.offset
        q = self.trigger * self.offset  # in 1/10000 of a tick; rounded half away from zero
        return self.trigger + (1 if q >= 0 else -1) * ((abs(q) + 5000) // 10000)


class TriggerBook:
    """The triggers of one symbol, indexed by signal and direction for cheap crossing checks."""

    __slots__ = ("by_id", "above", "below", "trailing")

    def __init__(self) -> None:
        self.by_id: dict[str, Trigger] = {}
        # fixed triggers: (trigger, seq, oid); "above" fires from the lowest, "below" from the highest
        self.above: dict[str, SortedList] = {s: SortedList() for s in SIGNALS}
        self.below: dict[str, SortedList] = {s: SortedList() for s in SIGNALS}
        self.trailing: dict[str, Trigger] = {}

    def __len__(self) -> int:
        return len(self.by_id)

    def add(self, t: Trigger) -> None:
        self.by_id[t.oid] = t
        if t.trailing:
            self.trailing[t.oid] = t
        elif t.above:
            self.above[t.signal].add((t.trigger, t.seq, t.oid))
        else:
            self.below[t.signal].add((-t.trigger, t.seq, t.oid))

    def remove(self, t: Trigger) -> None:
        del self.by_id[t.oid]
        if t.trailing:
            del self.trailing[t.oid]
        elif t.above:
            self.above[t.signal].remove((t.trigger, t.seq, t.oid))
        else:
            self.below[t.signal].remove((-t.trigger, t.seq, t.oid))

    def due(self, signals: dict[str, int]) -> list[Trigger]:
        """Triggers whose signal has crossed, in (trigger price priority, arrival) order."""
        out: list[Trigger] = []
        for name, value in signals.items():
            above = self.above[name]
            for _trig, _seq, oid in above.irange(maximum=(value, 1 << 62, "")):
                out.append(self.by_id[oid])
            below = self.below[name]
            for _neg, _seq, oid in below.irange(maximum=(-value, 1 << 62, "")):
                out.append(self.by_id[oid])
        for t in self.trailing.values():
            t.trail_to(signals[t.signal])
            if t.fires(signals[t.signal]):
                out.append(t)
        out.sort(key=lambda t: t.seq)
        return out
