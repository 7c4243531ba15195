"""Market data endpoints: instruments (and their status), tickers and the order book."""

from __future__ import annotations

from ..engine.instruments import Instrument
from .errors import INVALID, ApiError
from .render.market import instrument_json, status_json, ticker_json
from .render.numbers import number, price_out, size_out
from .request import Reply, Request, find_instrument, ok

CONTRACT_TYPES = ("futures_inverse", "futures_vanilla", "flexible_futures")


def _selected(req: Request) -> list[Instrument]:
    """The listed instruments, filtered by the repeatable ``contractType`` parameter."""
    types = req.params.all("contractType")
    if any(t not in CONTRACT_TYPES for t in types):
        raise ApiError(INVALID)
    listed = req.rt.exchange.listed.values()
    return [i for i in listed if i.type in types] if types else list(listed)


async def instruments(req: Request) -> Reply:
    states = req.rt.exchange.listings.market_state
    return ok(req.rt.clock(), instruments=[instrument_json(i, states[i.symbol]) for i in _selected(req)])


async def trading_instruments(req: Request) -> Reply:
    """GET trading/instruments (authenticated): what the account can trade, with ``minimumTradeSize``."""
    states = req.rt.exchange.listings.market_state
    out = [{"minimumTradeSize": number(i.lot_size), **instrument_json(i, states[i.symbol])} for i in _selected(req)]
    return ok(req.rt.clock(), instruments=out)


async def instruments_status(req: Request) -> Reply:
    return ok(req.rt.clock(), instrumentStatus=[status_json(i.symbol) for i in _selected(req)])


async def instrument_status(req: Request) -> Reply:
    inst = find_instrument(req.rt.exchange.listed, req.path_args[0])
    if inst is None:
        raise ApiError("notFound", 404)
    return ok(req.rt.clock(), **status_json(inst.symbol))


async def tickers(req: Request) -> Reply:
    rt = req.rt
    now = rt.clock()
    return ok(now, tickers=[ticker_json(rt.exchange, i, now) for i in rt.exchange.listed.values()])


async def ticker(req: Request) -> Reply:
    rt = req.rt
    inst = find_instrument(rt.exchange.listed, req.path_args[0])
    if inst is None:
        raise ApiError("notFound", 404)
    now = rt.clock()
    return ok(now, ticker=ticker_json(rt.exchange, inst, now))


async def orderbook(req: Request) -> Reply:
    rt = req.rt
    inst = req.instrument(req.params.require("symbol"))
    book = rt.exchange.book(inst.symbol)
    return ok(
        rt.clock(),
        orderBook={
            "bids": [[price_out(inst, p), size_out(inst, q)] for p, q in book.bids.depth()],
            "asks": [[price_out(inst, p), size_out(inst, q)] for p, q in book.asks.depth()],
        },
    )
