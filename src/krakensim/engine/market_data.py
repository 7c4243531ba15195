"""Public market data, built from the events: trades, the 24 h tape, one-minute candles, mark
price changes and open interest.

A projection: nothing here decides anything. Candles are ``[open, high, low, close, volume]``
in ticks and lots, one per minute that saw a price (``trade``: trades, ``mark``: every mark
set, ``spot``: every index set), oldest first.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable

from .events import (
    ContractListed,
    ContractSettled,
    Event,
    IndexPriceUpdated,
    MarkPriceUpdated,
    PositionChanged,
    TradePrinted,
)
from .units import DAY_MS, MINUTE_MS

PUBLIC_TRADES = 10_000  # public executions and mark changes remembered per symbol
CANDLE_MINUTES = 20_160  # one-minute candles kept per symbol and tick type (14 days)
TICK_TYPES = ("trade", "mark", "spot")


def candle_start(ms: int, width_ms: int, offset_ms: int = 0) -> int:
    """The start of the candle of ``width_ms`` holding ``ms`` (candles start at ``offset_ms`` + k × width)."""
    return (ms - offset_ms) // width_ms * width_ms + offset_ms


class MarketData:
    __slots__ = ("trades", "tape", "candles", "mark_changes", "open_interest")

    def __init__(self) -> None:
        self.trades: dict[str, deque[TradePrinted]] = {}
        self.tape: dict[str, deque[tuple[int, int, int]]] = {}  # (time, ticks, lots) of the last 24 h
        self.candles: dict[tuple[str, str], OrderedDict[int, list[int]]] = {}
        self.mark_changes: dict[str, deque[tuple[int, int]]] = {}  # (time, ticks)
        self.open_interest: dict[str, int] = {}  # lots held long

    def handlers(self) -> list[tuple[type[Event], Callable[[Event], None]]]:
        return [
            (ContractListed, self.on_listed), (TradePrinted, self.on_trade), (MarkPriceUpdated, self.on_mark),
            (IndexPriceUpdated, self.on_index), (PositionChanged, self.on_position),
            (ContractSettled, self.on_settled),
        ]

    # ------------------------------------------------------------------ projection
    def on_listed(self, e: Event) -> None:
        assert isinstance(e, ContractListed)
        s = e.symbol
        self.trades[s] = deque(maxlen=PUBLIC_TRADES)
        self.tape[s] = deque()
        self.mark_changes[s] = deque(maxlen=PUBLIC_TRADES)
        self.open_interest[s] = 0
        for kind in TICK_TYPES:
            self.candles[(s, kind)] = OrderedDict()

    def on_trade(self, e: Event) -> None:
        assert isinstance(e, TradePrinted)
        self.trades[e.symbol].append(e)
        self._candle(e.symbol, "trade", e.time, e.price, e.lots)
        tape = self.tape[e.symbol]
        tape.append((e.time, e.price, e.lots))
        while tape[0][0] <= e.time - DAY_MS:
            tape.popleft()

    def on_mark(self, e: Event) -> None:
        assert isinstance(e, MarkPriceUpdated)
        if e.price != e.previous:
            self.mark_changes[e.symbol].append((e.time, e.price))
        self._candle(e.symbol, "mark", e.time, e.price, 0)

    def on_index(self, e: Event) -> None:
        assert isinstance(e, IndexPriceUpdated)
        self._candle(e.symbol, "spot", e.time, e.price, 0)

    def on_position(self, e: Event) -> None:
        assert isinstance(e, PositionChanged)
        self.open_interest[e.symbol] += max(e.lots, 0) - max(e.previous_lots, 0)

    def on_settled(self, e: Event) -> None:
        assert isinstance(e, ContractSettled)
        if e.price != e.previous_mark:
            self.mark_changes[e.symbol].append((e.time, e.price))

    def _candle(self, symbol: str, kind: str, now: int, price: int, lots: int) -> None:
        book = self.candles[(symbol, kind)]
        minute = now - now % MINUTE_MS
        c = book.get(minute)
        if c is None:
            book[minute] = [price, price, price, price, lots]
            if len(book) > CANDLE_MINUTES:
                book.popitem(last=False)
            return
        if price > c[1]:
            c[1] = price
        if price < c[2]:
            c[2] = price
        c[3] = price
        c[4] += lots

    # ------------------------------------------------------------------ reads
    def candles_between(self, symbol: str, kind: str, start: int, end: int, width_ms: int,
                        offset_ms: int = 0) -> dict[int, list[int]]:
        """Candles of ``width_ms`` (starting at multiples of it, shifted by ``offset_ms``) from the
        one-minute candles between ``start`` and ``end``, by start time.

        Trade candles exist only where something traded. A mark or index price is defined
        between its changes, so its candles carry the last close through periods without one.
        """
        out: dict[int, list[int]] = {}
        close_before: int | None = None
        for minute, c in self.candles[(symbol, kind)].items():
            if minute < start:
                close_before = c[3]
                continue
            if minute > end:
                break
            b = candle_start(minute, width_ms, offset_ms)
            agg = out.get(b)
            if agg is None:
                out[b] = list(c)
            else:
                agg[1] = max(agg[1], c[1])
                agg[2] = min(agg[2], c[2])
                agg[3] = c[3]
                agg[4] += c[4]
        if kind != "trade":
            first = start if close_before is not None else (min(out) if out else None)
            if first is not None:
                last_close = close_before
                t = first
                while t <= end:
                    have = out.get(t)
                    if have is None and last_close is not None:
                        out[t] = [last_close, last_close, last_close, last_close, 0]
                    elif have is not None:
                        last_close = have[3]
                    t += width_ms
        return out

    def stats_24h(self, symbol: str, now: int) -> tuple[int, int, int | None, int | None, int | None]:
        """(volume lots, volume lots×ticks, open, high, low) of the trades in the last 24 h."""
        vol = quote = 0
        first = high = low = None
        for ts, p, n in self.tape[symbol]:
            if ts <= now - DAY_MS:
                continue
            vol += n
            quote += n * p
            if first is None:
                first = p
            high = p if high is None or p > high else high
            low = p if low is None or p < low else low
        return vol, quote, first, high, low

    def state(self, symbol: str) -> tuple[object, ...]:
        return (
            list(self.tape[symbol]), self.open_interest[symbol],
            [(t.trade_id, t.time, t.price, t.lots) for t in self.trades[symbol]],
            [list(self.candles[(symbol, k)].items()) for k in TICK_TYPES], list(self.mark_changes[symbol]),
        )
