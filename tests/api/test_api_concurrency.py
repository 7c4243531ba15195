"""Concurrent clients on one account: every request is answered and state stays consistent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from kraken.futures import Trade

from apihelpers import BTC, XBT_ID, free_trade_price, raw_open_orders, uid

N = 24


def test_concurrent_orders_from_both_clients(ccxt_factory, sdk_factory, fresh_account) -> None:
    creds = fresh_account()
    ccxt_clients = [ccxt_factory(creds) for _ in range(4)]
    sdk_clients = [sdk_factory(Trade, creds) for _ in range(4)]
    cids = [uid(f"cc{i}") for i in range(N)]

    def place(i: int) -> str:
        price = 87000 + i
        if i % 2:
            ex = ccxt_clients[i % 4]
            return ex.create_order(BTC, "limit", "buy", 0.001, price, {"clientOrderId": cids[i]})["id"]
        # SDK nonces are generated before sending, so they may reach the server out of order
        resp = sdk_clients[i % 4].create_order(
            orderType="lmt", size=0.001, symbol=XBT_ID, side="buy", limitPrice=price, cliOrdId=cids[i]
        )
        assert resp["sendStatus"]["status"] == "placed", resp
        return resp["sendStatus"]["order_id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(place, range(N)))
    assert len(set(ids)) == N

    opened = raw_open_orders(ccxt_clients[0])
    assert {o["order_id"] for o in opened} == set(ids)
    assert {o["cliOrdId"] for o in opened} == set(cids)
    received = [o["receivedTime"] for o in opened]
    assert received == sorted(received, reverse=True), "openOrders must be sorted descending by receivedTime"

    def cancel(i: int) -> str:
        if i % 2:
            return ccxt_clients[i % 4].cancel_order(ids[i])["status"]
        return sdk_clients[i % 4].cancel_order(order_id=ids[i])["cancelStatus"]["status"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(cancel, range(N)))
    assert statuses == ["cancelled" if i % 2 == 0 else "canceled" for i in range(N)]
    assert raw_open_orders(ccxt_clients[0]) == []


def test_concurrent_takers_against_one_maker(ccxt_factory, fresh_account) -> None:
    workers = 6
    maker_creds, taker_creds = fresh_account(), fresh_account()
    maker = ccxt_factory(maker_creds)
    takers = [ccxt_factory(taker_creds) for _ in range(workers)]
    price = free_trade_price(maker)
    sell = maker.create_order(BTC, "limit", "sell", 0.001 * workers * 2, price)

    def buy(i: int) -> float:
        order = takers[i].create_order(BTC, "limit", "buy", 0.001, price)
        return order["filled"]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        filled = list(pool.map(buy, range(workers)))
    assert filled == [pytest.approx(0.001)] * workers
    oo = [o for o in raw_open_orders(maker) if o["order_id"] == sell["id"]]
    assert len(oo) == 1
    assert float(oo[0]["filledSize"]) == pytest.approx(0.001 * workers)
    assert float(oo[0]["unfilledSize"]) == pytest.approx(0.001 * workers)
    fills = [t for t in maker.fetch_my_trades(BTC) if t["order"] == sell["id"]]
    assert len(fills) == workers
    fills_sorted = maker.privateGetFills()["fills"]
    times = [f["fillTime"] for f in fills_sorted]
    assert times == sorted(times, reverse=True), "fills must be sorted descending by fillTime"
    maker.cancel_order(sell["id"])
