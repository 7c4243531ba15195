"""Instruments, their status, tickers and funding rates as Kraken's v3 shapes."""

from __future__ import annotations

from typing import Any

from ...engine.exchange import Exchange
from ...engine.funding import RATE_SCALE
from ...engine.instruments import Instrument, MarginLevel
from .numbers import iso, number, price_out, quote_volume_out, size_out


def instrument_json(inst: Instrument, state: str = "open") -> dict[str, Any]:
    def levels(rows: tuple[MarginLevel, ...]) -> list[dict[str, Any]]:
        key = "numNonContractUnits" if inst.linear else "contracts"
        return [
            {key: number(lv.threshold), "initialMargin": number(lv.initial), "maintenanceMargin": number(lv.maintenance)}
            for lv in rows
        ]

    d: dict[str, Any] = {
        "symbol": inst.symbol,
        "pair": inst.pair,
        "base": inst.base,
        "quote": inst.quote,
        "type": inst.type,
    }
    if inst.underlying:
        d["underlying"] = inst.underlying
    if inst.last_trading_ms is not None:
        d["lastTradingTime"] = iso(inst.last_trading_ms)
    d.update(
        {
            "tickSize": number(inst.tick_size),
            "contractSize": number(inst.contract_size),
            "tradeable": inst.tradeable and state != "inactive",
            "impactMidSize": number(inst.impact_mid_size),
            "maxPositionSize": number(inst.max_position_size),
            "openingDate": iso(inst.opening_date_ms),
            "marginLevels": levels(inst.margin_levels),
        }
    )
    if inst.perpetual:
        d["fundingRateCoefficient"] = inst.funding_rate_coefficient
        d["maxRelativeFundingRate"] = number(inst.max_relative_funding_rate)
    if inst.isin:
        d["isin"] = inst.isin
    d.update(
        {
            "contractValueTradePrecision": inst.precision,
            "postOnly": state == "post_only",
            "feeScheduleUid": inst.fee_schedule_uid,
            "retailMarginLevels": levels(inst.retail_margin_levels),
            "category": inst.category,
            "tags": [],
            "tradfi": False,
            "mtf": False,
        }
    )
    return d


def status_json(symbol: str) -> dict[str, Any]:
    return {
        "tradeable": symbol,
        "experiencingDislocation": False,
        "priceDislocationDirection": None,
        "experiencingExtremeVolatility": False,
        "extremeVolatilityInitialMarginMultiplier": 1,
    }


def funding_rate_json(inst: Instrument, relative_rate: int, mark: int) -> tuple[float, float]:
    """(absolute, relative) funding rate: the relative rate (1e-12) in Kraken's units, and it
    times the mark for linear contracts (divided by it for inverse ones), as Kraken defines them."""
    relative = relative_rate / RATE_SCALE
    mark_price = float(price_out(inst, mark))
    return (relative * mark_price if inst.linear else relative / mark_price), relative


def ticker_json(ex: Exchange, inst: Instrument, now: int) -> dict[str, Any]:
    symbol = inst.symbol
    book = ex.book(symbol)
    state = ex.listings.market_state[symbol]
    d: dict[str, Any] = {"symbol": symbol}
    last = ex.pricing.last.get(symbol)
    if last is not None:
        d["last"] = price_out(inst, last[0])
        d["lastTime"] = iso(last[2])
        d["lastSize"] = size_out(inst, last[1])
    d.update({"tag": inst.tag, "pair": inst.pair, "markPrice": price_out(inst, ex.pricing.marks[symbol])})
    for name, side in (("bid", book.bids), ("ask", book.asks)):
        best = side.best()
        if best is not None:
            d[name] = price_out(inst, best)
            d[name + "Size"] = size_out(inst, side.sizes[best])
    vol, quote, first, high, low = ex.market_data.stats_24h(symbol, now)
    last_px = last[0] if last is not None else None
    change = 0.0
    if first is not None and last_px is not None:
        change = round((last_px - first) * 100 / first, 2)
    d.update(
        {
            "vol24h": size_out(inst, vol),
            "volumeQuote": quote_volume_out(inst, quote),
            "openInterest": size_out(inst, ex.market_data.open_interest[symbol]),
        }
    )
    if first is not None:
        d["open24h"] = price_out(inst, first)
        d["high24h"] = price_out(inst, high or first)
        d["low24h"] = price_out(inst, low or first)
    d.update(
        {
            **_ticker_funding(ex, inst),
            "suspended": state == "suspended",
            "indexPrice": price_out(inst, ex.pricing.index[symbol]),
            "postOnly": state == "post_only",
            "change24h": change,
        }
    )
    return d


def _ticker_funding(ex: Exchange, inst: Instrument) -> dict[str, float]:
    """The last published funding rate and the one the premium gives now (absolute, as Kraken's tickers)."""
    if inst.symbol not in ex.funding.rates:
        return {}
    last = ex.funding.last(inst.symbol)
    current = funding_rate_json(inst, ex.funding.relative_rate(inst.symbol), ex.pricing.marks[inst.symbol])[0]
    published = funding_rate_json(inst, last[1], last[2])[0] if last else 0.0
    return {"fundingRate": published, "fundingRatePrediction": current}
