"""WebSocket v1 public feeds against the REST API of the same venue (shared/spec/ws/public-feeds.md):
a book rebuilt from its snapshot and deltas is REST's orderbook, trades are REST's history, tickers
are REST's tickers; heartbeats follow exchange time. Every message is schema-checked."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import ccxt

from apihelpers import BTC, MANUAL_START_MS, Venue
from wshelpers import Book, Ws, feed, run, ws_url

ETH = "ETH/USD:USD"


def rest_book(venue: Venue, symbol: str) -> tuple[list[list[float]], list[list[float]]]:
    book = venue.raw().v3json("GET", "orderbook", query=f"symbol={symbol}", sign=False)["orderBook"]
    return book["bids"], book["asks"]


async def follow(ws: Ws, book: Book, want: tuple[list[list[float]], list[list[float]]]) -> None:
    """Apply the book's deltas until it is ``want`` (each delta checked to be the next seq)."""
    while book.levels() != want:
        book.apply(await ws.until(lambda m: feed("book")(m) and m["product_id"] == book.product))


async def subscribe_book(venue: Venue, symbol: str) -> tuple[Ws, Book]:
    ws = await Ws.open(ws_url(venue.base))
    await ws.send({"event": "subscribe", "feed": "book", "product_ids": [symbol]})
    assert await ws.recv() == {"event": "subscribed", "feed": "book", "product_ids": [symbol]}
    snapshot = await ws.recv()
    assert snapshot["product_id"] == symbol and snapshot["tickSize"] is None
    return ws, Book(snapshot)


def test_a_book_rebuilt_from_the_feed_is_the_rest_orderbook_after_every_change(venue: Venue) -> None:
    a, b = venue.account(), venue.account()
    ea, eb = venue.ccxt(a), venue.ccxt(b)
    ids: dict[str, str] = {}

    def rest(name: str, order: dict[str, Any]) -> None:
        ids[name] = order["id"]

    steps = [
        lambda: rest("bid1", ea.create_order(BTC, "limit", "buy", 0.002, 89000)),
        lambda: rest("bid2", ea.create_order(BTC, "limit", "buy", 0.001, 89000)),  # the same level grows
        lambda: rest("bid3", ea.create_order(BTC, "limit", "buy", 0.003, 88500)),
        lambda: rest("ask1", eb.create_order(BTC, "limit", "sell", 0.002, 91000)),
        lambda: eb.create_order(BTC, "limit", "sell", 0.001, 89000, {"timeInForce": "ioc"}),  # partly takes bid1
        lambda: ea.edit_order(ids["bid3"], BTC, "limit", "buy", 0.003, 88600),  # moves a level
        lambda: ea.edit_order(ids["bid2"], BTC, "limit", "buy", 0.0005, 89000),  # shrinks in place
        lambda: eb.create_order(BTC, "market", "sell", 0.003),  # sweeps 89000, then part of 88600
        lambda: ea.cancel_order(ids["bid3"], BTC),
        lambda: eb.cancel_all_orders(BTC),
        lambda: ea.create_order(BTC, "limit", "sell", 0.004, 90500),
        lambda: eb.create_order(BTC, "limit", "buy", 0.006, 90500),  # takes it all and rests the rest
    ]

    async def go() -> None:
        ws, book = await subscribe_book(venue, "PF_XBTUSD")
        assert book.levels() == rest_book(venue, "PF_XBTUSD")
        late: tuple[Ws, Book] | None = None
        for i, step in enumerate(steps):
            step()
            want = rest_book(venue, "PF_XBTUSD")
            await follow(ws, book, want)
            if late is not None:
                await follow(late[0], late[1], want)
            if i == 4:  # a subscriber joining half-way: its snapshot, then the same deltas
                late = await subscribe_book(venue, "PF_XBTUSD")
                assert late[1].levels() == want and late[1].seq == book.seq
        assert book.levels() == ([[90500, 0.002]], [])  # what the last step left
        assert await ws.drain(0.5) == []  # nothing more than the changes REST shows
        assert late is not None and late[1].seq == book.seq
        await ws.close()
        await late[0].close()

    run(go())


def test_random_orders_on_two_books_rebuild_both(venue: Venue) -> None:
    """Seeded random adds, edits, cancels and crossing orders on PF_XBTUSD and PI_XBTUSD (whole contracts)."""
    rng = random.Random(12)
    accounts = [venue.ccxt(venue.account()) for _ in range(3)]
    symbols = {"PF_XBTUSD": (BTC, 0.001), "PI_XBTUSD": ("BTC/USD:BTC", 100)}
    live: dict[str, list[tuple[int, str, str, float, int]]] = {s: [] for s in symbols}  # who, id, side, size, price

    async def go() -> None:
        books = {s: await subscribe_book(venue, s) for s in symbols}
        for _ in range(40):
            symbol = rng.choice(list(symbols))
            market, lot = symbols[symbol]
            who = rng.randrange(3)
            ex = accounts[who]
            roll = rng.random()
            try:  # a refusal (an order meeting its own account's) changes nothing: still compared
                if roll < 0.5 or not live[symbol]:
                    side = rng.choice(["buy", "sell"])
                    price = 90000 + (-1 if side == "buy" else 1) * rng.randrange(1, 8) * 50
                    size = lot * rng.randrange(1, 4)
                    placed = ex.create_order(market, "limit", side, size, price)
                    live[symbol].append((who, placed["id"], side, size, price))
                elif roll < 0.7:
                    owner, oid, *_ = live[symbol].pop(rng.randrange(len(live[symbol])))
                    accounts[owner].cancel_order(oid, market)  # (it may have traded: notFound/filled)
                elif roll < 0.85:
                    owner, oid, side, size, price = rng.choice(live[symbol])
                    accounts[owner].edit_order(oid, market, "limit", side, size, price + rng.choice([-50, 50]))
                else:
                    ex.create_order(market, "market", rng.choice(["buy", "sell"]), lot)
            except ccxt.BaseError:
                pass
            want = rest_book(venue, symbol)
            await follow(*books[symbol], want)
        for symbol, (ws, book) in books.items():
            assert book.levels() == rest_book(venue, symbol)
            await ws.close()

    run(go())


def test_trades_live_and_in_the_snapshot_are_the_rest_history(venue: Venue) -> None:
    maker, taker = venue.ccxt(venue.account()), venue.ccxt(venue.account())

    async def go() -> None:
        ws = await Ws.open(ws_url(venue.base))
        await ws.send({"event": "subscribe", "feed": "trade", "product_ids": ["PF_XBTUSD"]})
        assert (await ws.recv())["event"] == "subscribed"
        assert await ws.recv() == {"feed": "trade_snapshot", "product_id": "PF_XBTUSD", "trades": []}
        for price in (90000, 90050, 90100):
            maker.create_order(BTC, "limit", "sell", 0.001, price)
        taker.create_order(BTC, "market", "buy", 0.003)  # one trade per maker order
        maker.create_order(BTC, "limit", "buy", 0.002, 89900)
        taker.create_order(BTC, "limit", "sell", 0.002, 89900, {"timeInForce": "ioc"})
        live = [await ws.until(feed("trade")) for _ in range(4)]
        history = venue.raw().v3json("GET", "history", query="symbol=PF_XBTUSD", sign=False)["history"]  # newest first
        assert len(history) == 4
        for msg, rest in zip(live, reversed(history), strict=True):
            assert msg["uid"] == rest["uid"] and msg["seq"] == rest["trade_id"]
            assert msg["price"] == rest["price"] and msg["qty"] == float(rest["size"])
            assert msg["side"] == rest["side"] and msg["type"] == "fill"
            assert msg["time"] == int(datetime.fromisoformat(rest["time"].replace("Z", "+00:00")).timestamp() * 1000)
        assert [m["side"] for m in live] == ["buy", "buy", "buy", "sell"]  # the taker's side
        assert [m["seq"] for m in live] == list(range(live[0]["seq"], live[0]["seq"] + 4))
        late = await Ws.open(ws_url(venue.base))
        await late.send({"event": "subscribe", "feed": "trade", "product_ids": ["PF_XBTUSD"]})
        await late.recv()
        snapshot = await late.recv()
        assert snapshot["trades"] == list(reversed(live))  # newest first, the same messages
        await ws.close()
        await late.close()

    run(go())


def _ticker_matches_rest(msg: dict[str, Any], rest: dict[str, Any]) -> None:
    pairs = {"bid": "bid", "ask": "ask", "bid_size": "bidSize", "ask_size": "askSize", "last": "last",
             "markPrice": "markPrice", "index": "indexPrice", "volume": "vol24h", "openInterest": "openInterest",
             "change": "change24h", "open": "open24h", "high": "high24h", "low": "low24h",
             "volumeQuote": "volumeQuote", "suspended": "suspended", "post_only": "postOnly", "tag": "tag",
             "pair": "pair", "funding_rate": "fundingRate", "funding_rate_prediction": "fundingRatePrediction"}
    for ws_name, rest_name in pairs.items():
        if rest.get(rest_name) in (None, 0, 0.0) and ws_name.startswith("funding"):
            assert ws_name not in msg, ws_name  # zero funding fields are left out
            continue
        assert msg.get(ws_name) == rest.get(rest_name), (ws_name, msg.get(ws_name), rest.get(rest_name))


def test_tickers_carry_the_rest_ticker_s_values_first_at_once_then_when_something_changed(venue: Venue) -> None:
    maker, taker = venue.ccxt(venue.account()), venue.ccxt(venue.account())
    maker.create_order(BTC, "limit", "sell", 0.002, 90100)
    maker.create_order(BTC, "limit", "buy", 0.001, 89900)
    taker.create_order(BTC, "market", "buy", 0.001)

    async def go() -> None:
        ws = await Ws.open(ws_url(venue.base))
        await ws.send({"event": "subscribe", "feed": "ticker", "product_ids": ["PF_XBTUSD"]})
        first = await ws.until(feed("ticker"))
        rest = venue.raw().v3json("GET", "tickers/PF_XBTUSD", sign=False)["ticker"]
        _ticker_matches_rest(first, rest)
        assert first["time"] == MANUAL_START_MS and first["dtm"] == 0 and first["maturityTime"] == 0
        assert first["leverage"] == "50x" and first["next_funding_rate_time"] > first["time"]
        taker.create_order(BTC, "market", "sell", 0.001)  # the ticker changes: a new one within a second
        after = await ws.until(feed("ticker"))
        rest = venue.raw().v3json("GET", "tickers/PF_XBTUSD", sign=False)["ticker"]
        _ticker_matches_rest(after, rest)
        assert after["last"] == 89900
        await ws.send({"event": "subscribe", "feed": "ticker_lite", "product_ids": ["PF_XBTUSD"]})
        lite = await ws.until(feed("ticker_lite"))
        for name in ("bid", "ask", "change", "premium", "volume", "tag", "pair", "dtm", "maturityTime", "volumeQuote"):
            assert lite.get(name) == after.get(name), name
        await ws.close()

    run(go())


def test_a_fixed_maturity_s_ticker_has_its_days_to_maturity_and_no_funding(venue: Venue) -> None:
    symbol = next(s for s in venue.ccxt().markets_by_id if s.startswith("FF_XBTUSD_"))

    async def go() -> None:
        ws = await Ws.open(ws_url(venue.base))
        await ws.send({"event": "subscribe", "feed": "ticker", "product_ids": [symbol]})
        msg = await ws.until(feed("ticker"))
        assert msg["dtm"] > 0 and msg["maturityTime"] > msg["time"] and msg["tag"] in ("month", "quarter",
                                                                                         "semiannual")
        assert not any(k.startswith(("funding", "relative", "next_funding")) for k in msg)
        await ws.close()

    run(go())


def test_heartbeats_follow_exchange_time(venue: Venue) -> None:
    async def go() -> None:
        ws = await Ws.open(ws_url(venue.base))
        await ws.send({"event": "subscribe", "feed": "heartbeat"})
        assert await ws.recv() == {"event": "subscribed", "feed": "heartbeat"}
        venue.advance(5_000)  # the manual clock crosses a 5-second boundary
        beat = await ws.until(feed("heartbeat"))
        assert beat["time"] == MANUAL_START_MS + 5_000
        beat = await ws.until(feed("heartbeat"), timeout=12)  # and at least every 5 s
        assert beat["time"] == MANUAL_START_MS + 5_000  # stamped with exchange time, which has not moved
        await ws.send({"event": "unsubscribe", "feed": "heartbeat"})
        assert await ws.until(lambda m: "event" in m) == {"event": "unsubscribed", "feed": "heartbeat"}
        await ws.close()

    run(go())
