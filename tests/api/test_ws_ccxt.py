"""ccxt.pro ``krakenfutures`` (ccxt 4.5.90), unchanged, over ``ws://`` to the venue's ``/ws/v1``: every
watch method the issue names, checked against the REST API of the same venue. Every message ccxt.pro
receives is checked against the spec's schemas (a wrapper around its message handler)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import ccxt
import ccxt.pro
import pytest

from apihelpers import BTC, Creds, HttpRecorder, ServerProcess, Venue, manual_clock_args, new_secret
from ws_schema import validation_errors
from wshelpers import WAIT_S, run, ws_url

SOL = "SOL/USD:USD"


@pytest.fixture(scope="module")
def pro_venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venue]:
    """One manual-clock venue for this module (each test uses accounts of its own)."""
    srv = ServerProcess(tmp_path_factory.mktemp("ccxtpro"), [], extra_args=manual_clock_args())
    srv.start()
    v = Venue(srv, HttpRecorder())
    yield v
    v.close()
    srv.stop()


class Pro:
    """A ccxt.pro exchange pointed at the venue, with every message it handles schema-checked."""

    def __init__(self, venue: Venue, creds: Creds | None = None) -> None:
        base = venue.base
        config: dict[str, Any] = {"enableRateLimit": False, "urls": {"api": {
            "ws": ws_url(base), "public": base + "/derivatives/api/", "private": base + "/derivatives/api/",
            "charts": base + "/api/charts/", "history": base + "/api/history/"}}}
        if creds is not None:
            config.update(apiKey=creds.key, secret=creds.secret)
        self.ex = ccxt.pro.krakenfutures(config)
        self.problems: list[str] = []
        self.messages: list[dict[str, Any]] = []
        handle = self.ex.handle_message

        def checked(client: Any, message: Any) -> Any:
            self.messages.append(message)
            try:  # (an exception here would stop ccxt reading the connection: it is reported at the end)
                self.problems += validation_errors(message)
            except AssertionError as e:
                self.problems.append(str(e))
            return handle(client, message)

        self.ex.handle_message = checked  # (read when ccxt makes the connection's client)

    async def __aenter__(self) -> ccxt.pro.krakenfutures:
        await self.ex.load_markets()
        return self.ex

    async def __aexit__(self, *exc: object) -> None:
        await self.ex.close()
        assert not self.problems, "\n".join(self.problems)


async def within(aw: Any) -> Any:
    return await asyncio.wait_for(aw, WAIT_S)


def test_watch_ticker_tickers_and_bids_asks(pro_venue: Venue) -> None:
    maker, taker = pro_venue.ccxt(pro_venue.account()), pro_venue.ccxt(pro_venue.account())
    maker.create_order(SOL, "limit", "sell", 1, 152)
    maker.create_order(SOL, "limit", "buy", 2, 148)
    taker.create_order(SOL, "market", "buy", 0.5)
    rest = maker.fetch_ticker(SOL)

    async def go() -> None:
        async with Pro(pro_venue) as ex:
            t = await within(ex.watch_ticker(SOL))
            assert (t["symbol"], t["bid"], t["ask"], t["bidVolume"], t["askVolume"], t["last"]) == (
                SOL, 148, 152, 2, 0.5, 152)
            assert (t["bid"], t["ask"], t["last"]) == (rest["bid"], rest["ask"], rest["last"])
            assert t["markPrice"] == float(rest["info"]["markPrice"]) and t["indexPrice"] == 150
            tickers = await within(ex.watch_tickers([SOL, BTC]))
            assert set(tickers) <= {SOL, BTC} and tickers
            quotes = await within(ex.watch_bids_asks([SOL]))
            assert (quotes[SOL]["bid"], quotes[SOL]["ask"]) == (148, 152)

    run(go())


def test_watch_order_book_follows_the_rest_book(pro_venue: Venue) -> None:
    a, b = pro_venue.ccxt(pro_venue.account()), pro_venue.ccxt(pro_venue.account())
    start = a.fetch_order_book(SOL)

    async def go() -> None:
        async with Pro(pro_venue) as ex:
            book = await within(ex.watch_order_book(SOL))
            assert (book["bids"], book["asks"]) == (start["bids"], start["asks"])
            placed = [a.create_order(SOL, "limit", "buy", 3, 140), a.create_order(SOL, "limit", "sell", 4, 160),
                      a.create_order(SOL, "limit", "buy", 1, 141)]
            b.create_order(SOL, "limit", "sell", 2, 141, {"timeInForce": "ioc"})  # takes 141, then part of 140
            a.cancel_order(placed[1]["id"], SOL)
            want = a.fetch_order_book(SOL)
            # ccxt keeps the book up to date as messages come (a watch call returns the next change only)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + WAIT_S
            live = ex.orderbooks[SOL]
            while (live["bids"], live["asks"]) != (want["bids"], want["asks"]) and loop.time() < deadline:
                await asyncio.sleep(0.05)
            assert (live["bids"], live["asks"]) == (want["bids"], want["asks"])
            following = asyncio.ensure_future(ex.watch_order_book(SOL))
            await asyncio.sleep(0.2)
            a.create_order(SOL, "limit", "buy", 1, 139)
            assert [139, 1] in (await within(following))["bids"]

    run(go())


def test_watch_trades(pro_venue: Venue) -> None:
    a, b = pro_venue.ccxt(pro_venue.account()), pro_venue.ccxt(pro_venue.account())

    async def go() -> None:
        async with Pro(pro_venue) as ex:
            first = asyncio.ensure_future(ex.watch_trades(BTC))
            await asyncio.sleep(0.5)  # (subscribed)
            a.create_order(BTC, "limit", "sell", 0.002, 90200)
            b.create_order(BTC, "market", "buy", 0.002)
            rest = a.fetch_trades(BTC)[-1]
            seen: dict[str, Any] = {t["id"]: t for t in await within(first)}
            while rest["id"] not in seen:
                seen |= {t["id"]: t for t in await within(ex.watch_trades(BTC))}
            t = seen[rest["id"]]
            assert (t["price"], t["amount"], t["side"], t["timestamp"]) == (
                rest["price"], rest["amount"], "buy", rest["timestamp"])

    run(go())


def test_watch_orders_from_placed_to_canceled_and_closed(pro_venue: Venue) -> None:
    creds = pro_venue.account()
    a, b = pro_venue.ccxt(creds), pro_venue.ccxt(pro_venue.account())

    async def go() -> None:
        async with Pro(pro_venue, creds) as ex:
            waiting = asyncio.ensure_future(ex.watch_orders())  # resolves with the first order it hears of
            await asyncio.sleep(0.5)  # (subscribed: the snapshot had no order)
            resting = a.create_order(BTC, "limit", "buy", 0.002, 89000)
            orders = await within(waiting)
            assert [(o["id"], o["side"], o["price"], o["remaining"]) for o in orders] == [
                (resting["id"], "buy", 89000, 0.002)]  # (ccxt leaves status None until the order goes)
            a.cancel_order(resting["id"], BTC)
            orders = await within(ex.watch_orders())
            assert (orders[-1]["id"], orders[-1]["status"]) == (resting["id"], "canceled")
            maker = a.create_order(BTC, "limit", "sell", 0.001, 90300)
            await within(ex.watch_orders())
            b.create_order(BTC, "market", "buy", 0.001)
            orders = await within(ex.watch_orders())
            assert (orders[-1]["id"], orders[-1]["status"]) == (maker["id"], "closed")

    run(go())


def test_watch_my_trades_positions_and_balance(pro_venue: Venue) -> None:
    creds = pro_venue.account()
    a, b = pro_venue.ccxt(creds), pro_venue.ccxt(pro_venue.account())

    async def go() -> None:
        async with Pro(pro_venue, creds) as ex:
            balance = await within(ex.watch_balance({"account": "flex_futures"}))
            assert (balance["USD"]["total"], balance["USD"]["free"]) == (100000, 100000)
            mine = asyncio.ensure_future(ex.watch_my_trades())
            await asyncio.sleep(0.5)
            a.create_order(BTC, "limit", "sell", 0.003, 90400)
            b.create_order(BTC, "market", "buy", 0.003)
            trades = await within(mine)
            if not trades:  # (the empty snapshot resolved it first)
                trades = await within(ex.watch_my_trades())
            rest = a.fetch_my_trades(BTC)[-1]
            assert (trades[-1]["id"], trades[-1]["order"], trades[-1]["price"], trades[-1]["amount"]) == (
                rest["id"], rest["order"], 90400, 0.003)
            assert trades[-1]["side"] == "sell" and trades[-1]["takerOrMaker"] == "maker"
            positions = await within(ex.watch_positions())
            p = next(p for p in positions if p["symbol"] == BTC)
            assert (p["side"], p["contracts"], p["entryPrice"]) == ("short", 0.003, 90400)
            waiting = asyncio.ensure_future(ex.watch_balance({"account": "flex_futures"}))
            await asyncio.sleep(0.2)
            a.create_order(BTC, "limit", "buy", 0.001, 80000)  # margin reserved: a balances message
            rest_balance = a.fetch_balance()
            balance = await within(waiting)
            assert balance["USD"]["total"] == rest_balance["USD"]["total"]

    run(go())


def test_a_bad_key_is_an_alert_ccxt_raises(pro_venue: Venue) -> None:
    creds = pro_venue.account()

    async def go() -> None:
        async with Pro(pro_venue, Creds(creds.key, new_secret())) as ex:  # not the key's secret
            with pytest.raises(ccxt.ExchangeError, match="Failed to subscribe to authenticated feed"):
                await within(ex.watch_orders())

    run(go())
