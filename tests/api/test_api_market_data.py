"""Every market-data method of ccxt and python-kraken-sdk against the simulated market.

One server (module-scoped) runs the simulated market with a manual clock; it is advanced
three hours of exchange time in ten-minute steps, so the maker's ladder is quoted, the
takers trade, candles form and funding rates are published on every hour. The tests then
read it with the unchanged clients, check what each method returns for consistency
(books against tickers, trades against candles, candles against each other, funding
history against the hours that passed) and check that the two clients see the same data.
Nothing moves between the reads: the clock only moves when a test says so.

Other instruments (fixed maturities and whatever comes next) may be listed beside the
perpetuals used here; the tests only require that the ones they read are there.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import ccxt
import pytest
from kraken.futures import Market

from apihelpers import (
    BTC,
    MANUAL_START_MS,
    XBT_ID,
    Creds,
    HttpRecorder,
    ServerProcess,
    Venue,
    make_ccxt,
    manual_clock_args,
    new_key,
    new_secret,
    num,
    validate_body,
)

ETH, ETH_ID = "ETH/USD:USD", "PF_ETHUSD"
BTC_INV, PI_ID = "BTC/USD:BTC", "PI_XBTUSD"
PERPETUALS = ((BTC, XBT_ID), (ETH, ETH_ID), (BTC_INV, PI_ID))

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
TIMEFRAMES = {"1m": MINUTE, "5m": 5 * MINUTE, "15m": 15 * MINUTE, "30m": 30 * MINUTE, "1h": HOUR,
              "4h": 4 * HOUR, "12h": 12 * HOUR, "1d": DAY, "1w": WEEK}

# The simulated market: a step every 10 s of exchange time (fewer steps than the default
# 1 s keep the start-up short), a five-level ladder of 20000 USD a level and a taker order
# in half of the steps; no seeded past (these tests count what the three hours made).
INTERVAL_MS = 10_000
LEVELS = 5
LEVEL_USD = 20_000
MARKET_TOML = f"""
[market]
enabled = true
past_days = 0
interval_ms = {INTERVAL_MS}
levels = {LEVELS}
spread_bps = 5
step_bps = 5
level_usd = {LEVEL_USD}
taker_prob = 0.5
taker_usd = 2000
"""
HOURS = 3
STEP_MS = 10 * MINUTE  # how far each control-API call moves the clock
TAIL_MS = 90 * 1000  # a little past the last full hour: the newest candles are partial
T0 = MANUAL_START_MS  # 2026-01-01T00:00:00Z
NOW = T0 + HOURS * HOUR + TAIL_MS


def iso_ms(text: str) -> int:
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def bucket(ms: int, tf: str) -> int:
    size = TIMEFRAMES[tf]
    if tf == "1w":  # weeks start on Monday 00:00 UTC; 1970-01-01 was a Thursday
        return (ms - 4 * DAY) // size * size + 4 * DAY
    return ms // size * size


def check_candles(candles: list[list[float]], tf: str, *, since: int | None = None) -> None:
    """Aligned, strictly increasing, not in the future, and low <= open, close <= high."""
    assert candles, f"no {tf} candles"
    times = [c[0] for c in candles]
    assert times == sorted(set(times)), times
    for t, o, h, lo, c, v in candles:
        assert t == bucket(t, tf), f"{tf} candle at {t} is not aligned"
        assert t <= NOW and (since is None or t >= since)
        assert lo <= min(o, c) and max(o, c) <= h, (t, o, h, lo, c)
        assert lo > 0 and v >= 0


def aggregate(minutes: list[list[float]], tf: str) -> list[list[float]]:
    """Higher-timeframe candles built from one-minute candles."""
    out: dict[int, list[float]] = {}
    for t, o, h, lo, c, v in minutes:
        b = bucket(t, tf)
        agg = out.get(b)
        if agg is None:
            out[b] = [b, o, h, lo, c, v]
        else:
            agg[2], agg[3], agg[4], agg[5] = max(agg[2], h), min(agg[3], lo), c, agg[5] + v
    return [out[b] for b in sorted(out)]


def assert_same_candles(got: list[list[float]], want: list[list[float]]) -> None:
    assert [c[:5] for c in got] == [c[:5] for c in want]
    assert [c[5] for c in got] == pytest.approx([c[5] for c in want], rel=1e-9, abs=1e-9)


def sdk_candles(resp: dict[str, Any]) -> list[list[float]]:
    return [[c["time"], num(c["open"]), num(c["high"]), num(c["low"]), num(c["close"]), num(c["volume"])]
            for c in resp["candles"]]


def quiet_sdk(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a python-kraken-sdk method the SDK marks deprecated (the fee schedules)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return call(*args, **kwargs)


# --------------------------------------------------------------------------- #
# The market server: three hours of simulated market, shared by the module
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory, recorder: HttpRecorder) -> Iterator[Venue]:
    workdir = tmp_path_factory.mktemp("market-data")
    config = workdir / "market.toml"
    config.write_text(MARKET_TOML)
    demo = Creds(new_key(), new_secret())  # the first --api-key is the funded demo account
    srv = ServerProcess(workdir, [demo], extra_args=[*manual_clock_args(), "--config", str(config)])
    srv.start()
    venue = Venue(srv, recorder)
    try:
        for _ in range(HOURS * HOUR // STEP_MS):
            venue.advance(STEP_MS)
        assert iso_ms(venue.advance(TAIL_MS)) == NOW
        yield venue
    finally:
        venue.close()
        srv.stop()


@pytest.fixture
def ex(sim: Venue) -> ccxt.krakenfutures:
    return sim.ccxt()


@pytest.fixture
def sdk(sim: Venue) -> Market:
    return sim.sdk(Market)


# --------------------------------------------------------------------------- #
# Instruments
# --------------------------------------------------------------------------- #


def test_markets_and_instruments(ex: ccxt.krakenfutures, sdk: Market) -> None:
    markets = ex.fetch_markets()  # GET D instruments, what load_markets uses
    instruments = sdk.get_instruments()["instruments"]
    by_symbol = {i["symbol"]: i for i in instruments}
    assert len(by_symbol) == len(instruments)  # no instrument listed twice
    assert {XBT_ID, ETH_ID, PI_ID} <= set(by_symbol)
    # every instrument becomes a ccxt market (the load would fail on a malformed one), and
    # ccxt's raw instrument is the SDK's
    assert sorted(m["id"] for m in markets) == sorted(by_symbol)
    for m in markets:
        info = by_symbol[m["id"]]
        assert m["info"] == info
        assert m["active"] is info["tradeable"]
        assert m["precision"]["price"] == num(info["tickSize"])
        assert m["precision"]["amount"] == pytest.approx(10.0 ** -int(info["contractValueTradePrecision"]))
        assert m["swap"] is ("lastTradingTime" not in info)
    for symbol, market_id in PERPETUALS:
        m = ex.markets[symbol]
        assert m["id"] == market_id and m["swap"] and m["active"]
        assert by_symbol[market_id]["tradeable"] is True
    assert ex.markets[BTC]["linear"] and ex.markets[ETH]["linear"]
    assert ex.markets[BTC_INV]["inverse"] and ex.markets[BTC_INV]["settle"] == "BTC"

    statuses = sdk.get_instruments_status()["instrumentStatus"]
    by_tradeable = {s["tradeable"]: s for s in statuses}
    assert {XBT_ID, ETH_ID, PI_ID} <= set(by_tradeable) <= set(by_symbol)
    for market_id in (XBT_ID, ETH_ID, PI_ID):
        s = by_tradeable[market_id]
        assert s["experiencingDislocation"] is False and s["priceDislocationDirection"] is None
        assert s["experiencingExtremeVolatility"] is False and s["extremeVolatilityInitialMarginMultiplier"] >= 1
    one = sdk.get_instruments_status(instrument=XBT_ID)
    assert {k: v for k, v in one.items() if k not in ("result", "serverTime")} == by_tradeable[XBT_ID]


# --------------------------------------------------------------------------- #
# Tickers and order books
# --------------------------------------------------------------------------- #


def test_tickers(ex: ccxt.krakenfutures, sdk: Market) -> None:
    every = ex.fetch_tickers()  # GET D tickers
    sdk_tickers = {t["symbol"]: t for t in sdk.get_tickers()["tickers"]}
    assert {BTC, ETH, BTC_INV} <= set(every)
    for symbol, t in every.items():  # the two clients read the same tickers
        assert t["symbol"] == symbol
        assert t["info"] == sdk_tickers[t["info"]["symbol"]]

    for symbol, market_id in PERPETUALS:
        t = ex.fetch_ticker(symbol)  # GET D tickers/{id}
        info = t["info"]
        assert info == every[symbol]["info"] == sdk_tickers[market_id]  # nothing moved in between
        assert info["symbol"] == market_id and info["tag"] == "perpetual" and info["suspended"] is False
        bid, ask = t["bid"], t["ask"]
        mark, index = num(info["markPrice"]), num(info["indexPrice"])
        assert 0 < bid < ask
        assert (bid + ask) / 2 == pytest.approx(mark, rel=0.005)  # the maker quotes around the mark
        assert mark == pytest.approx(index, rel=0.01)
        assert t["bidVolume"] > 0 and t["askVolume"] > 0
        # the takers traded: a last price, 24h volume and range
        vol24h = num(info["vol24h"])
        assert vol24h > 0 and num(info["volumeQuote"]) > 0
        if ex.markets[symbol]["linear"]:
            assert t["baseVolume"] == vol24h
            vwap = num(info["volumeQuote"]) / vol24h
            assert num(info["low24h"]) <= vwap <= num(info["high24h"])
        else:  # ccxt reads an inverse contract's vol24h (contracts = USD) as quote volume
            assert t["quoteVolume"] == vol24h
        low, high = num(info["low24h"]), num(info["high24h"])
        assert low <= t["last"] <= high and low <= t["open"] <= high
        assert t["last"] == num(info["last"]) and t["open"] == num(info["open24h"])
        assert num(info["change24h"]) == pytest.approx((t["last"] - t["open"]) * 100 / t["open"], abs=0.01)
        assert T0 < t["timestamp"] == iso_ms(info["lastTime"]) <= NOW
        assert num(info["openInterest"]) >= 0

    two = ex.fetch_tickers([BTC, ETH])
    assert set(two) == {BTC, ETH}
    assert two[BTC]["info"] == every[BTC]["info"]


def test_order_books(ex: ccxt.krakenfutures, sdk: Market) -> None:
    for symbol, market_id in PERPETUALS:
        book = ex.fetch_order_book(symbol)  # GET D orderbook?symbol=
        bids, asks = book["bids"], book["asks"]
        assert book["symbol"] == symbol and book["timestamp"] == NOW
        # the maker's ladder, and nobody else's orders
        assert len(bids) == LEVELS and len(asks) == LEVELS
        assert [p for p, _ in bids] == sorted({p for p, _ in bids}, reverse=True)
        assert [p for p, _ in asks] == sorted({p for p, _ in asks})
        assert bids[0][0] < asks[0][0]  # not crossed
        assert all(s > 0 for _, s in bids + asks)

        t = ex.fetch_ticker(symbol)
        assert (t["bid"], t["bidVolume"]) == tuple(bids[0]) and (t["ask"], t["askVolume"]) == tuple(asks[0])
        mark = num(t["info"]["markPrice"])
        # five levels 5 bps apart from 5 bps off the fair price: the whole ladder is near the mark
        assert bids[-1][0] >= mark * 0.995 and asks[-1][0] <= mark * 1.005
        for p, s in bids[1:] + asks[1:]:  # levels behind the top are untouched by takers
            if ex.markets[symbol]["linear"]:
                assert p * s == pytest.approx(LEVEL_USD, rel=0.01)
            else:  # an inverse contract is worth one USD
                assert s == LEVEL_USD

        raw = sdk.get_orderbook(symbol=market_id)["orderBook"]
        assert [[num(p), num(s)] for p, s in raw["bids"]] == bids
        assert [[num(p), num(s)] for p, s in raw["asks"]] == asks

        # ccxt does not send a limit to Kraken (the whole book comes back)
        assert ex.fetch_order_book(symbol, limit=2)["bids"] == bids


# --------------------------------------------------------------------------- #
# Public trades
# --------------------------------------------------------------------------- #


def test_public_trades(ex: ccxt.krakenfutures, sdk: Market) -> None:
    trades = ex.fetch_trades(BTC)  # GET H3 market/PF_XBTUSD/executions: the newest page
    assert len(trades) >= 50
    times = [t["timestamp"] for t in trades]
    assert times == sorted(times) and times[-1] <= NOW
    assert len({t["id"] for t in trades}) == len(trades)
    assert {t["side"] for t in trades} == {"buy", "sell"}  # the takers go both ways
    ticker = ex.fetch_ticker(BTC)
    for t in trades:
        assert t["symbol"] == BTC and t["takerOrMaker"] == "taker"
        assert t["amount"] > 0 and t["cost"] == pytest.approx(t["price"] * t["amount"])
        assert num(ticker["info"]["low24h"]) <= t["price"] <= num(ticker["info"]["high24h"])
    newest = trades[-1]
    assert newest["price"] == ticker["last"] and newest["timestamp"] == ticker["timestamp"]
    assert newest["amount"] == num(ticker["info"]["lastSize"])

    # the History API's page size is the server's choice; /history gives the newest 100
    legacy = ex.fetch_trades(BTC, params={"method": "publicGetHistory"})  # GET D history?symbol=
    assert len(legacy) == 100
    summary = [(t["id"], t["timestamp"], t["price"], t["amount"], t["side"]) for t in legacy]
    n = min(len(trades), len(legacy))
    assert [(t["id"], t["timestamp"], t["price"], t["amount"], t["side"]) for t in trades[-n:]] == summary[-n:]

    history = sdk.get_trade_history(symbol=XBT_ID)["history"]  # the same endpoint, newest first
    assert [(h["uid"], iso_ms(h["time"]), num(h["price"]), num(h["size"]), h["side"])
            for h in reversed(history)] == summary
    assert {h["type"] for h in history} == {"fill"}
    top_id = history[0]["trade_id"]
    assert [h["trade_id"] for h in history] == list(range(top_id, top_id - len(history), -1))
    older = sdk.get_trade_history(symbol=XBT_ID, lastTime=history[-1]["time"])["history"]
    assert older and all(iso_ms(h["time"]) < iso_ms(history[-1]["time"]) for h in older)
    assert older[0]["trade_id"] == history[-1]["trade_id"] - 1  # the next page follows on

    window = ex.fetch_trades(BTC, since=trades[10]["timestamp"], limit=5)  # since=&sort=asc&count=
    assert [t["id"] for t in window] == [t["id"] for t in trades[10:15]]

    # python-kraken-sdk reads the same executions through the History API v2
    elements = sdk.get_public_execution_events(tradeable=XBT_ID)["elements"]
    executions = [e["event"]["Execution"]["execution"] for e in elements]
    assert [e["timestamp"] for e in elements] == [x["timestamp"] for x in executions]
    n = min(len(executions), len(summary))
    assert n >= 50
    assert [(x["uid"], x["timestamp"], num(x["price"]), num(x["quantity"]), x["takerOrder"]["direction"].lower())
            for x in reversed(executions[:n])] == summary[-n:]
    for x in executions:
        assert x["makerOrder"]["tradeable"] == x["takerOrder"]["tradeable"] == XBT_ID
        assert "accountUid" not in x["makerOrder"] and "accountUid" not in x["takerOrder"]  # public
        assert num(x["markPrice"]) == pytest.approx(num(x["price"]), rel=0.01)


# --------------------------------------------------------------------------- #
# Candles
# --------------------------------------------------------------------------- #


def test_trade_candles(ex: ccxt.krakenfutures, sdk: Market) -> None:
    minutes = ex.fetch_ohlcv(BTC, "1m", since=T0, limit=2000)  # GET C trade/PF_XBTUSD/1m?from=&to=
    check_candles(minutes, "1m", since=T0)
    # trade candles exist only where something traded; the takers trade in most minutes
    assert len(minutes) >= 0.8 * (NOW - T0) / MINUTE
    assert all(c[5] > 0 for c in minutes)
    assert ex.fetch_ohlcv(BTC, "1m") == minutes  # no window: the newest 2000

    for tf in ("5m", "15m", "30m", "1h", "4h", "12h", "1d"):
        candles = ex.fetch_ohlcv(BTC, tf, since=T0)
        check_candles(candles, tf, since=T0)
        assert_same_candles(candles, aggregate(minutes, tf))
    weeks = ex.fetch_ohlcv(BTC, "1w")  # the week began on Monday 2025-12-29
    check_candles(weeks, "1w")
    assert_same_candles(weeks, aggregate(minutes, "1w"))

    hours = ex.fetch_ohlcv(BTC, "1h", since=T0)
    assert [c[0] for c in hours] == [T0 + h * HOUR for h in range(HOURS + 1)]
    ticker = ex.fetch_ticker(BTC)["info"]
    # everything traded since the start is within the ticker's 24 hours
    assert sum(c[5] for c in hours) == pytest.approx(num(ticker["vol24h"]))
    assert max(c[2] for c in hours) == num(ticker["high24h"]) and min(c[3] for c in hours) == num(ticker["low24h"])
    assert hours[0][1] == num(ticker["open24h"]) and minutes[-1][4] == num(ticker["last"])

    # each minute is made of that minute's trades (the minutes the newest page of trades covers)
    trades = ex.fetch_trades(BTC)
    by_minute: dict[int, list[dict[str, Any]]] = {}
    for t in trades:
        by_minute.setdefault(bucket(t["timestamp"], "1m"), []).append(t)
    candle_at = {c[0]: c for c in minutes}
    covered = sorted(by_minute)[1:]  # the oldest minute may have begun before the page
    assert len(covered) >= 10
    for m in covered:
        ts = by_minute[m]
        prices = [t["price"] for t in ts]
        assert candle_at[m][:5] == [m, prices[0], max(prices), min(prices), prices[-1]]
        assert candle_at[m][5] == pytest.approx(sum(t["amount"] for t in ts))

    # the SDK reads the same candles
    got = sdk.get_ohlc(tick_type="trade", symbol=XBT_ID, resolution="1h", from_=T0 // 1000, to=NOW // 1000)
    assert got["more_candles"] is False
    assert_same_candles(sdk_candles(got), hours)
    got = sdk.get_ohlc(tick_type="trade", symbol=XBT_ID, resolution="1m", from_=T0 // 1000, to=NOW // 1000)
    assert_same_candles(sdk_candles(got), minutes)

    # ETH trades too, on its own prices
    eth = ex.fetch_ohlcv(ETH, "15m", since=T0)
    check_candles(eth, "15m", since=T0)
    assert eth[-1][4] == ex.fetch_ticker(ETH)["last"]


def test_ohlcv_with_only_a_limit(sim: Venue) -> None:
    """With a limit and no since, ccxt computes the window back from its own clock
    (``seconds()``). The exchange's clock is manual and far behind the wall clock, so
    this ccxt instance is given the exchange's time (the code path itself is unchanged)."""
    ex = sim.ccxt()
    ex.seconds = lambda: NOW // 1000
    last = ex.fetch_ohlcv(BTC, "1m", limit=10)  # ?to=now&from=now-600
    everything = ex.fetch_ohlcv(BTC, "1m", since=T0, limit=2000)
    assert last == [c for c in everything if c[0] >= bucket(NOW - 10 * MINUTE, "1m")][-10:]
    assert len(last) >= 5
    hours = ex.fetch_ohlcv(BTC, "1h", limit=2)
    assert [c[0] for c in hours] == [T0 + (HOURS - 1) * HOUR, T0 + HOURS * HOUR]


def test_mark_and_index_candles(ex: ccxt.krakenfutures, sdk: Market) -> None:
    ticker = ex.fetch_ticker(BTC)["info"]
    for tf in ("1m", "15m", "1h"):
        mark = ex.fetch_ohlcv(BTC, tf, since=T0, params={"price": "mark"})  # GET C mark/…
        assert mark == ex.fetch_mark_ohlcv(BTC, tf, since=T0)
        index = ex.fetch_ohlcv(BTC, tf, since=T0, params={"price": "index"})  # GET C spot/…
        assert index == ex.fetch_index_ohlcv(BTC, tf, since=T0)
        for candles in (mark, index):
            check_candles(candles, tf, since=T0)
            # a mark or an index price is always defined: one candle for every period
            assert [c[0] for c in candles] == list(range(T0, NOW, TIMEFRAMES[tf]))
        assert all(c[5] == 0 for c in index)
        for m, i in zip(mark, index, strict=True):
            assert m[4] == pytest.approx(i[4], rel=0.01)  # the mark stays near the index
        assert mark[-1][4] == num(ticker["markPrice"]) and index[-1][4] == num(ticker["indexPrice"])
        trades = ex.fetch_ohlcv(BTC, tf, since=T0)
        # trades happen at the maker's quotes around the mark
        assert min(c[3] for c in trades) >= min(c[3] for c in mark) * 0.99
        assert max(c[2] for c in trades) <= max(c[2] for c in mark) * 1.01

    for tick_type, price in (("mark", "mark"), ("spot", "index")):
        got = sdk.get_ohlc(tick_type=tick_type, symbol=XBT_ID, resolution="1h", from_=T0 // 1000, to=NOW // 1000)
        assert_same_candles(sdk_candles(got), ex.fetch_ohlcv(BTC, "1h", since=T0, params={"price": price}))


def test_chart_catalogue(sdk: Market) -> None:
    assert sdk.get_tick_types() == ["trade", "mark", "spot"]  # GET C (the root)
    listed = {i["symbol"] for i in sdk.get_instruments()["instruments"]}
    for tick_type in ("trade", "mark", "spot"):
        products = sdk.get_tradeable_products(tick_type=tick_type)  # GET C {tick_type}
        assert {XBT_ID, ETH_ID, PI_ID} <= set(products)
        assert listed <= set(products)
        assert sdk.get_resolutions(tick_type=tick_type, tradeable=XBT_ID) == list(TIMEFRAMES)


# --------------------------------------------------------------------------- #
# Funding
# --------------------------------------------------------------------------- #


def test_funding_rate_history(sim: Venue, ex: ccxt.krakenfutures, sdk: Market) -> None:
    instruments = {i["symbol"]: i for i in sdk.get_instruments()["instruments"]}
    raw = sim.raw()
    for symbol, market_id in PERPETUALS:
        history = ex.fetch_funding_rate_history(symbol)  # GET /derivatives/api/v4/historicalfundingrates
        # one rate an hour, on the hour, for each hour that passed
        assert [r["timestamp"] for r in history] == [T0 + h * HOUR for h in range(1, HOURS + 1)]
        assert all(r["symbol"] == symbol for r in history)
        cap = num(instruments[market_id]["maxRelativeFundingRate"])
        marks = {c[0]: c[4] for c in ex.fetch_ohlcv(symbol, "1m", since=T0, params={"price": "mark"})}
        for r in history:
            relative, absolute = r["info"]["relativeFundingRate"], r["info"]["fundingRate"]
            assert r["fundingRate"] == relative and abs(relative) <= cap
            mark = marks[r["timestamp"] - MINUTE]  # the mark when the rate was published
            if ex.markets[symbol]["linear"]:  # absolute: USD per contract (relative × mark)
                assert absolute == pytest.approx(relative * mark, rel=0.01, abs=1e-12)
            else:  # inverse: relative ÷ mark
                assert absolute == pytest.approx(relative / mark, rel=0.01, abs=1e-18)
        v4 = sdk.get_historical_funding_rates(symbol=market_id)["rates"]
        assert v4 == [r["info"] for r in history]
        v3 = raw.v3json("GET", "historical-funding-rates", query="symbol=" + market_id, sign=False)
        assert v3["rates"] == v4
        # the ticker shows the rate in effect: the last one published
        assert ex.fetch_ticker(symbol)["info"]["fundingRate"] == v4[-1]["fundingRate"]

    later = ex.fetch_funding_rate_history(BTC, since=T0 + 2 * HOUR)  # since is applied by ccxt
    assert [r["timestamp"] for r in later] == [T0 + h * HOUR for h in range(2, HOURS + 1)]


def test_funding_rates(ex: ccxt.krakenfutures) -> None:
    two = ex.fetch_funding_rates([BTC, ETH])  # GET D tickers, filtered by ccxt
    assert set(two) == {BTC, ETH}
    for symbol, _ in PERPETUALS:
        rate = ex.fetch_funding_rate(symbol)  # the same call, one symbol
        info = ex.fetch_ticker(symbol)["info"]
        mark = num(info["markPrice"])
        assert rate["symbol"] == symbol and rate["info"] == info
        assert rate["markPrice"] == mark and rate["indexPrice"] == num(info["indexPrice"])
        # ccxt reports the ticker's absolute rates relative to the mark
        assert rate["fundingRate"] == pytest.approx(num(info["fundingRate"]) / mark)
        assert rate["nextFundingRate"] == pytest.approx(num(info["fundingRatePrediction"]) / mark)
        assert abs(rate["nextFundingRate"]) <= num(ex.markets[symbol]["info"]["maxRelativeFundingRate"])
        assert rate["interval"] == "1h" and rate["timestamp"] == iso_ms(info["lastTime"])
        if symbol in two:
            assert two[symbol] == rate


def test_funding_rates_of_every_market(ex: ccxt.krakenfutures) -> None:
    # no symbols: ccxt maps every ticker to a market and raises BadSymbol on any ticker symbol
    # that instruments does not list (index tickers such as in_xbtusd included)
    every = ex.fetch_funding_rates()
    assert {BTC, ETH, BTC_INV} <= set(every)
    # perpetuals have a rate (ccxt also lists the fixed maturities' tickers, without one)
    assert all(r["fundingRate"] is not None for s, r in every.items() if ex.markets[s]["swap"])
    for symbol, _ in PERPETUALS:
        assert every[symbol] == ex.fetch_funding_rate(symbol)


# --------------------------------------------------------------------------- #
# The History API's other public streams, fee schedules
# --------------------------------------------------------------------------- #


def test_public_order_and_mark_price_events(ex: ccxt.krakenfutures, sdk: Market) -> None:
    book = ex.fetch_order_book(BTC)
    orders = sdk.get_public_order_events(tradeable=XBT_ID)["elements"]  # GET H2 market/…/orders
    assert orders
    times = [e["timestamp"] for e in orders]
    assert times == sorted(times, reverse=True) and times[0] <= NOW  # newest first
    # replay the page, oldest first: the orders it leaves resting are the book
    resting: dict[str, tuple[str, float, float]] = {}
    kinds = set()
    for e in reversed(orders):
        assert len(e["event"]) == 1
        kind, body = next(iter(e["event"].items()))
        kinds.add(kind)
        order = body["order"] if "order" in body else body["newOrder"]
        assert order["tradeable"] == XBT_ID and "accountUid" not in order  # public: no account
        uid, qty = order["uid"], num(order["quantity"])  # quantity: what is left of the order
        if kind == "OrderPlaced":
            resting[uid] = (order["direction"], num(order["limitPrice"]), qty)
        elif kind == "OrderCancelled" or qty == 0:
            resting.pop(uid, None)
        elif uid in resting:
            resting[uid] = (order["direction"], num(order["limitPrice"]), qty)
    assert {"OrderPlaced", "OrderCancelled", "OrderUpdated"} <= kinds  # requotes and fills
    levels: dict[tuple[str, float], float] = {}
    for direction, price, qty in resting.values():
        levels[(direction, price)] = levels.get((direction, price), 0.0) + qty
    want = {("Buy", p): q for p, q in book["bids"]} | {("Sell", p): q for p, q in book["asks"]}
    assert levels == pytest.approx(want)

    prices = sdk.get_public_mark_price_events(tradeable=XBT_ID)["elements"]  # GET H2 market/…/price
    assert prices
    times = [e["timestamp"] for e in prices]
    assert times == sorted(times, reverse=True) and times[0] <= NOW
    ticker = ex.fetch_ticker(BTC)["info"]
    assert num(prices[0]["event"]["price"]) == num(ticker["markPrice"])
    marks = ex.fetch_ohlcv(BTC, "1m", since=bucket(times[-1], "1m"), params={"price": "mark"})
    low, high = min(c[3] for c in marks), max(c[2] for c in marks)
    assert all(low <= num(e["event"]["price"]) <= high for e in prices)


def test_fee_schedules(sim: Venue, ex: ccxt.krakenfutures, sdk: Market) -> None:
    schedules = {s["uid"]: s for s in quiet_sdk(sdk.get_fee_schedules)["feeSchedules"]}  # GET D feeschedules
    instruments = {i["symbol"]: i for i in sdk.get_instruments()["instruments"]}
    for _, market_id in PERPETUALS:
        tiers = schedules[instruments[market_id]["feeScheduleUid"]]["tiers"]
        volumes = [t["usdVolume"] for t in tiers]
        assert volumes[0] == 0 and volumes == sorted(volumes)
        assert all(0 <= t["makerFee"] <= t["takerFee"] for t in tiers)
    fees = ex.fetch_trading_fees()  # public: the schedules only
    first = schedules[instruments[XBT_ID]["feeScheduleUid"]]["tiers"][0]
    assert fees[BTC]["maker"] == first["makerFee"] / 100 and fees[BTC]["taker"] == first["takerFee"] / 100

    fresh = sim.account()
    private = sim.sdk(Market, fresh)
    volumes = quiet_sdk(private.get_fee_schedules_vol)["volumesByFeeSchedule"]  # GET D feeschedules/volumes
    assert instruments[XBT_ID]["feeScheduleUid"] in volumes
    assert all(v == 0 for v in volumes.values())  # nothing traded yet


# --------------------------------------------------------------------------- #
# The private settings python-kraken-sdk's Market also covers
# --------------------------------------------------------------------------- #


PREFERENCES = [
    # (endpoint, setter, its arguments, getter, list key, the entry expected back)
    ("leveragepreferences", "set_leverage_preference", {"symbol": XBT_ID, "maxLeverage": 5},
     "get_leverage_preference", "leveragePreferences", {"symbol": XBT_ID, "maxLeverage": 5}),
    ("pnlpreferences", "set_pnl_preference", {"symbol": XBT_ID, "pnlPreference": "USD"},
     "get_pnl_preference", "preferences", {"symbol": XBT_ID, "pnlCurrency": "USD"}),
]


@pytest.mark.parametrize(("endpoint", "setter", "args", "getter", "key", "expected"), PREFERENCES,
                         ids=[p[0] for p in PREFERENCES])
def test_sdk_preferences(sim: Venue, recorder: HttpRecorder, endpoint: str, setter: str, args: dict[str, Any],
                         getter: str, key: str, expected: dict[str, Any]) -> None:
    market = sim.sdk(Market, sim.account())
    with recorder.unvalidated():  # validated below, so that a failure is the test's
        put = getattr(market, setter)(**args)  # PUT ?symbol=&…
        got = getattr(market, getter)()
    validate_body("PUT", f"/derivatives/api/v3/{endpoint}", put)
    validate_body("GET", f"/derivatives/api/v3/{endpoint}", got)
    assert put["result"] == "success"
    seen = [{k: (num(v) if k == "maxLeverage" else v) for k, v in p.items() if k in expected} for p in got[key]]
    assert expected in seen


# --------------------------------------------------------------------------- #
# Trading against the simulated depth (this changes the market: it runs last)
# --------------------------------------------------------------------------- #


def test_market_order_from_the_demo_account_fills_near_the_mark(sim: Venue, sdk: Market) -> None:
    demo = sim.srv.accounts[0]
    ex = sim.ccxt(demo)
    assert ex.fetch_balance()["USD"]["free"] == 100000  # funded with --funds
    book = ex.fetch_order_book(BTC)
    best_ask, ask_size = book["asks"][0]
    mark = num(ex.fetch_ticker(BTC)["info"]["markPrice"])
    amount = 0.05  # about 4400 USD: less than the top level
    assert amount < ask_size

    order = ex.create_order(BTC, "market", "buy", amount)
    assert order["status"] == "closed" and order["filled"] == amount

    fills = ex.fetch_my_trades(BTC)
    assert len(fills) == 1
    fill = fills[0]
    assert fill["order"] == order["id"] and fill["side"] == "buy" and fill["takerOrMaker"] == "taker"
    assert fill["price"] == best_ask and fill["amount"] == amount  # taken from the top of the ladder
    assert fill["price"] == pytest.approx(mark, rel=0.01)

    after = ex.fetch_order_book(BTC)
    assert after["asks"][0] == [best_ask, pytest.approx(ask_size - amount)]
    assert after["asks"][1:] == book["asks"][1:] and after["bids"] == book["bids"]
    ticker = ex.fetch_ticker(BTC)
    assert ticker["last"] == best_ask and num(ticker["info"]["lastSize"]) == amount
    newest = ex.fetch_trades(BTC)[-1]
    assert (newest["price"], newest["amount"], newest["side"]) == (best_ask, amount, "buy")
    assert sdk.get_trade_history(symbol=XBT_ID)["history"][0]["uid"] == newest["id"]
    (position,) = ex.fetch_positions([BTC])
    assert position["side"] == "long" and position["contracts"] == amount and position["entryPrice"] == best_ask

    volumes = quiet_sdk(sim.sdk(Market, demo).get_fee_schedules_vol)["volumesByFeeSchedule"]
    uid = ex.markets[BTC]["info"]["feeScheduleUid"]
    assert volumes[uid] == pytest.approx(best_ask * amount)


# --------------------------------------------------------------------------- #
# Determinism over the wire
# --------------------------------------------------------------------------- #


def _run_market(workdir: Path, seed: int, recorder: HttpRecorder) -> dict[str, Any]:
    """Start a market server with ``seed``, step it two minutes, and read it over the wire."""
    workdir.mkdir()
    srv = ServerProcess(workdir, [], extra_args=["--seed", str(seed), "--market", *manual_clock_args()])
    srv.start()
    try:
        for _ in range(6):
            srv.admin("clock", {"advanceMs": 20_000})
        ex = make_ccxt(srv.base, None, recorder)
        try:
            ex.load_markets()
            history = ex.publicGetHistory({"symbol": XBT_ID})["history"]  # GET D history?symbol=
            trades = [(t["id"], t["timestamp"], t["price"], t["amount"], t["side"]) for t in ex.fetch_trades(BTC)]
            books = {s: ex.fetch_order_book(s) for s in (BTC, ETH)}
            marks = {s: ex.fetch_ticker(s)["info"]["markPrice"] for s in (BTC, ETH)}
        finally:
            ex.session.close()
        digest = srv.admin("digest")["digest"]
    finally:
        srv.stop()
    return {"history": history, "trades": trades, "books": books, "marks": marks, "digest": digest}


def test_same_seed_same_market(tmp_path: Path, recorder: HttpRecorder) -> None:
    a = _run_market(tmp_path / "a", 7, recorder)
    b = _run_market(tmp_path / "b", 7, recorder)
    c = _run_market(tmp_path / "c", 8, recorder)
    assert len(a["trades"]) >= 10  # two minutes of takers
    assert a["history"] == b["history"]  # ids, prices, sizes, sides and times
    assert a["trades"] == b["trades"]
    assert a["books"] == b["books"] and len(a["books"][BTC]["bids"]) > LEVELS  # the agents: deeper than a ladder
    assert a["marks"] == b["marks"]
    assert a["digest"] == b["digest"]  # the whole exchange state
    # another seed, another market
    assert c["trades"] and [t[2:] for t in c["trades"]] != [t[2:] for t in a["trades"]]
    assert c["marks"] != a["marks"] and c["digest"] != a["digest"]
