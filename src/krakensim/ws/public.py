"""The public feeds' messages (book, ticker, ticker_lite, trade, heartbeat) from engine state and events.

Spelling, key order and types as in the spec's ``public-feeds.md``: prices and sizes are JSON
numbers made exactly from ticks and lots (an integer when whole, as the REST answers), times are
epoch milliseconds. Each function returns the message as a dict; the hub serialises it once.
"""

from __future__ import annotations

from typing import Any

from ..api.render.market import funding_rate_json, ticker_json
from ..api.render.numbers import price_out, size_out
from ..engine.book import Book
from ..engine.events import BookLevelChanged, TradePrinted
from ..engine.exchange import Exchange
from ..engine.instruments import Instrument
from ..engine.units import BUY, side_name

TRADE_SNAPSHOT = 100  # trades in a trade_snapshot (spec: the last 100, newest first)

Message = dict[str, Any]


def book_snapshot(inst: Instrument, book: Book, now: int) -> Message:
    """The whole book (no zero levels), best first, numbered with the book's change counter."""
    return {
        "feed": "book_snapshot",
        "product_id": inst.symbol,
        "timestamp": now,
        "seq": book.seq,
        "tickSize": None,
        "bids": [{"price": price_out(inst, p), "qty": size_out(inst, q)} for p, q in book.bids.depth()],
        "asks": [{"price": price_out(inst, p), "qty": size_out(inst, q)} for p, q in book.asks.depth()],
    }


def book_delta(inst: Instrument, e: BookLevelChanged) -> Message:
    """One level's new total (0: the level is gone)."""
    return {
        "feed": "book",
        "product_id": e.symbol,
        "side": "buy" if e.side == BUY else "sell",
        "seq": e.seq,
        "price": price_out(inst, e.price),
        "qty": size_out(inst, e.lots),
        "timestamp": e.time,
    }


def trade(inst: Instrument, e: TradePrinted) -> Message:
    """One match: ``uid`` is the execution's id everywhere (REST history, fills, events)."""
    return {
        "feed": "trade",
        "product_id": e.symbol,
        "uid": e.trade_id,
        "side": side_name(e.taker_side),
        "type": "liquidation" if e.taker_order.order_type == "liquidation" else "fill",
        "seq": e.number,
        "time": e.time,
        "qty": size_out(inst, e.lots),
        "price": price_out(inst, e.price),
    }


def trade_snapshot(inst: Instrument, ex: Exchange) -> Message:
    kept = ex.market_data.trades.get(inst.symbol)
    recent: list[TradePrinted] = []
    if kept:
        for e in reversed(kept):
            recent.append(e)
            if len(recent) >= TRADE_SNAPSHOT:
                break
    return {"feed": "trade_snapshot", "product_id": inst.symbol, "trades": [trade(inst, e) for e in recent]}


def _days_to_maturity(inst: Instrument, now: int) -> int:
    if inst.last_trading_ms is None:
        return 0
    return max(0, -(-(inst.last_trading_ms - now) // 86_400_000))


def _premium(rest: dict[str, Any]) -> float:
    """Premium of the mark over the index, in percent (rounded to 0.01 %)."""
    index = rest["indexPrice"]
    return round((rest["markPrice"] - index) * 100 / index, 2) if index else 0.0


def ticker(ex: Exchange, inst: Instrument, now: int) -> Message:
    """The full ticker: the REST ticker's values under the feed's names (an empty side of the book
    leaves out its price and size; zero funding fields are left out, as the spec's)."""
    rest = ticker_json(ex, inst, now)
    d: Message = {"time": now, "product_id": inst.symbol}
    if inst.perpetual:
        for name, key in (("funding_rate", "fundingRate"), ("funding_rate_prediction", "fundingRatePrediction")):
            value = rest.get(key)
            if value:
                d[name] = value
        relative = _relative_funding(ex, inst)
        for name, value in zip(("relative_funding_rate", "relative_funding_rate_prediction"), relative, strict=True):
            if value:
                d[name] = value
        next_time = ex.funding.next_time
        if next_time is not None:
            d["next_funding_rate_time"] = next_time
    d["feed"] = "ticker"
    for name, key in (("bid", "bid"), ("ask", "ask"), ("bid_size", "bidSize"), ("ask_size", "askSize")):
        if key in rest:
            d[name] = rest[key]
    d.update({
        "volume": rest["vol24h"],
        "dtm": _days_to_maturity(inst, now),
        "leverage": _leverage(inst),
        "index": rest["indexPrice"],
        "premium": _premium(rest),
    })
    if "last" in rest:
        d["last"] = rest["last"]
    d.update({
        "change": rest["change24h"],
        "suspended": rest["suspended"],
        "tag": inst.tag,
        "pair": inst.pair,
        "openInterest": rest["openInterest"],
        "markPrice": rest["markPrice"],
        "maturityTime": inst.last_trading_ms or 0,
        "post_only": rest["postOnly"],
        "volumeQuote": rest["volumeQuote"],
    })
    for name, key in (("open", "open24h"), ("high", "high24h"), ("low", "low24h")):
        if key in rest:
            d[name] = rest[key]
    return d


def ticker_lite(ex: Exchange, inst: Instrument, now: int) -> Message:
    rest = ticker_json(ex, inst, now)
    d: Message = {"feed": "ticker_lite", "product_id": inst.symbol}
    for name in ("bid", "ask"):
        if name in rest:
            d[name] = rest[name]
    d.update({
        "change": rest["change24h"],
        "premium": _premium(rest),
        "volume": rest["vol24h"],
        "tag": inst.tag,
        "pair": inst.pair,
        "dtm": _days_to_maturity(inst, now),
        "maturityTime": inst.last_trading_ms or 0,
        "volumeQuote": rest["volumeQuote"],
    })
    return d


def _leverage(inst: Instrument) -> str:
    """The maximum leverage: one over the first level's initial margin (``"50x"``)."""
    initial = inst.margin_levels[0].initial if inst.margin_levels else None
    if not initial:
        return "1x"
    return f"{round(1 / float(initial)):d}x"


def _relative_funding(ex: Exchange, inst: Instrument) -> tuple[float, float]:
    """(last published, predicted now) relative funding rates."""
    last = ex.funding.last(inst.symbol)
    published = funding_rate_json(inst, last[1], last[2])[1] if last else 0.0
    mark = ex.pricing.marks[inst.symbol]
    predicted = funding_rate_json(inst, ex.funding.relative_rate(inst.symbol), mark)[1]
    return published, predicted


def heartbeat(now: int) -> Message:
    return {"feed": "heartbeat", "time": now}
