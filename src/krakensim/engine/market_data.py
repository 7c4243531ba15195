"""Public market data, built from the events: trades, the 24 h tape, one-minute candles, mark
price changes and open interest.

A projection: nothing here decides anything. Candles (``candles.py``) are kept one per minute
that saw a price (``trade``: trades, ``mark``: every mark set, ``spot``: every index set). What
is kept is bounded by the retention policy; an expired contract's trades and candles go
``expired_days`` after its settlement.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

from .candles import CandleSeries
from .events import (
    ContractListed,
    ContractSettled,
    Event,
    FundingRatePublished,
    IndexPriceUpdated,
    MarkPriceUpdated,
    PositionChanged,
    TradePrinted,
)
from .retention import Retention
from .tape import Tape
from .units import DAY_MS, MINUTE_MS

TICK_TYPES = ("trade", "mark", "spot")


def candle_start(ms: int, width_ms: int, offset_ms: int = 0) -> int:
    """The start of the candle of ``width_ms`` holding ``ms`` (candles start at ``offset_ms`` + k × width)."""
    return (ms - offset_ms) // width_ms * width_ms + offset_ms


class MarketData:
    __slots__ = ("trades", "tape", "candles", "mark_changes", "open_interest", "settled", "retention", "coarse")

    def __init__(self, retention: Retention) -> None:
        self.retention = retention
        self.trades: dict[str, deque[TradePrinted]] = {}
        self.tape: dict[str, Tape] = {}  # the last 24 h of trades, with their statistics
        self.candles: dict[tuple[str, str], CandleSeries] = {}
        self.mark_changes: dict[str, deque[tuple[int, int]]] = {}  # (time, ticks)
        self.open_interest: dict[str, int] = {}  # lots held long
        self.settled: dict[str, int] = {}  # expired contracts whose data is still kept: when they settled
        # a seeded past older than the one-minute candles (past.py): (width ms, candles of that width), finest first
        self.coarse: dict[tuple[str, str], list[tuple[int, CandleSeries]]] = {}

    def handlers(self) -> list[tuple[type[Event], Callable[[Event], None]]]:
        return [
            (ContractListed, self.on_listed), (TradePrinted, self.on_trade), (MarkPriceUpdated, self.on_mark),
            (IndexPriceUpdated, self.on_index), (PositionChanged, self.on_position),
            (ContractSettled, self.on_settled), (FundingRatePublished, self.on_funding),
        ]

    # ------------------------------------------------------------------ projection
    def on_listed(self, e: Event) -> None:
        assert isinstance(e, ContractListed)
        s = e.symbol
        kept = self.retention.trades_per_market
        self.trades[s] = deque(maxlen=kept)
        self.tape[s] = Tape()
        self.mark_changes[s] = deque(maxlen=kept)
        self.open_interest[s] = 0
        for kind in TICK_TYPES:
            self.candles[(s, kind)] = CandleSeries(self.retention.candle_days * DAY_MS // MINUTE_MS)

    def on_trade(self, e: Event) -> None:
        assert isinstance(e, TradePrinted)
        self.trades[e.symbol].append(e)
        self._candle(e.symbol, "trade", e.time, e.price, e.lots)
        self.tape[e.symbol].add(e.time, e.price, e.lots)

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
        self.settled[e.symbol] = e.time

    def on_funding(self, e: Event) -> None:
        """Once an hour: drop what is kept of contracts that expired ``expired_days`` ago."""
        assert isinstance(e, FundingRatePublished)
        for symbol, settled in list(self.settled.items()):
            if e.time - settled >= self.retention.expired_ms:
                del self.settled[symbol], self.trades[symbol], self.tape[symbol], self.mark_changes[symbol]
                del self.open_interest[symbol]
                for kind in TICK_TYPES:
                    del self.candles[(symbol, kind)]
                    self.coarse.pop((symbol, kind), None)

    def has(self, symbol: str) -> bool:
        """Is anything kept of ``symbol``? (An expired contract's data goes after a while.)"""
        return symbol in self.trades

    def _candle(self, symbol: str, kind: str, now: int, price: int, lots: int) -> None:
        self.candles[(symbol, kind)].add(now - now % MINUTE_MS, price, lots)

    # ------------------------------------------------------------------ reads
    def candles_between(self, symbol: str, kind: str, start: int, end: int, width_ms: int,
                        offset_ms: int = 0) -> dict[int, list[int]]:
        """Candles of ``width_ms`` (starting at multiples of it, shifted by ``offset_ms``) from the
        one-minute candles between ``start`` and ``end``, by start time: [open, high, low, close, volume].

        Trade candles exist only where something traded. A mark or index price is defined
        between its changes, so its candles carry the last close through periods without one.
        """
        out: dict[int, list[int]] = {}
        series = self.candles.get((symbol, kind))
        if series is None:  # an expired contract whose data is no longer kept
            return out
        for minute, o, h, low, c, v in self._rows(symbol, kind, series, start, end, width_ms):
            b = candle_start(minute, width_ms, offset_ms)
            agg = out.get(b)
            if agg is None:
                out[b] = [o, h, low, c, v]
            else:
                agg[1] = max(agg[1], h)
                agg[2] = min(agg[2], low)
                agg[3] = c
                agg[4] += v
        if kind != "trade":
            close_before = self._close_before(symbol, kind, series, start)
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

    def _rows(self, symbol: str, kind: str, series: CandleSeries, start: int, end: int,
              width_ms: int) -> Iterator[tuple[int, int, int, int, int, int]]:
        """The candles between ``start`` and ``end``: a seeded past's coarse ones (those no wider than
        ``width_ms``, each before the finer candles begin), then the one-minute ones."""
        begins = series.minutes[series.first_kept()] if len(series) else end + 1
        bounded = []
        for width, tier in self.coarse.get((symbol, kind), ()):  # finest first
            bounded.append((width, tier, begins))
            if len(tier):
                begins = min(begins, tier.minutes[0])
        for width, tier, upto in reversed(bounded):  # oldest first
            if width <= width_ms:
                yield from tier.between(start, min(end, upto - 1))
        yield from series.between(start, end)

    def _close_before(self, symbol: str, kind: str, series: CandleSeries, start: int) -> int | None:
        close = series.close_before(start)
        if close is None:
            for _width, tier in self.coarse.get((symbol, kind), ()):
                close = tier.close_before(start)
                if close is not None:
                    break
        return close

    def stats_24h(self, symbol: str, now: int) -> tuple[int, int, int | None, int | None, int | None]:
        """(volume lots, volume lots×ticks, open, high, low) of the trades in the last 24 h."""
        return self.tape[symbol].stats(now)

    def state(self, symbol: str) -> tuple[object, ...]:
        return (
            self.tape[symbol].state(), self.open_interest[symbol],
            [(t.trade_id, t.time, t.price, t.lots) for t in self.trades[symbol]],
            [self.candles[(symbol, k)].fingerprint() for k in TICK_TYPES], list(self.mark_changes[symbol]),
            [[(w, tier.fingerprint()) for w, tier in self.coarse.get((symbol, k), ())] for k in TICK_TYPES],
        )
