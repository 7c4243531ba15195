"""python-kraken-sdk (kraken.futures, unchanged) against the live simulator."""

from __future__ import annotations

import pytest
from kraken.futures import Market, Trade, User

from apihelpers import XBT_ID, num, uid

BUY_PRICE = 88400


def _open_orders(user: User) -> dict[str, dict]:
    resp = user.get_open_orders()
    assert resp["result"] == "success"
    return {o["order_id"]: o for o in resp["openOrders"]}


def test_sdk_market_data(sdk_market: Market, recorder) -> None:
    instruments = sdk_market.get_instruments()
    assert instruments["result"] == "success"
    by_symbol = {i["symbol"]: i for i in instruments["instruments"]}
    assert {"PF_XBTUSD", "PF_ETHUSD", "PF_SOLUSD", "PI_XBTUSD"} <= set(by_symbol)
    pf = by_symbol["PF_XBTUSD"]
    assert pf["type"] == "flexible_futures"
    assert num(pf["tickSize"]) == 1
    assert int(pf["contractValueTradePrecision"]) == 4
    assert pf["tradeable"] is True
    pi = by_symbol["PI_XBTUSD"]
    assert pi["type"] == "futures_inverse"
    assert num(pi["tickSize"]) == 0.5
    assert int(pi["contractValueTradePrecision"]) == 0

    tickers = sdk_market.get_tickers()
    assert tickers["result"] == "success"
    tick = {t["symbol"]: t for t in tickers["tickers"]}
    assert XBT_ID in tick
    assert 80000 < num(tick[XBT_ID]["markPrice"]) < 100000
    # every ticker symbol must be an instrument (ccxt fetch_funding_rates relies on it)
    assert set(tick) <= set(by_symbol)

    book = sdk_market.get_orderbook(symbol=XBT_ID)
    assert book["result"] == "success"
    assert set(book["orderBook"]) >= {"bids", "asks"}
    for level in book["orderBook"]["bids"] + book["orderBook"]["asks"]:
        assert len(level) == 2 and num(level[0]) > 0 and num(level[1]) > 0
    last = recorder.last("/orderbook")
    assert last.method == "GET" and "symbol=PF_XBTUSD" in last.url


def test_sdk_get_wallets(sdk_factory, fresh_account) -> None:
    user = sdk_factory(User, fresh_account())
    wallets = user.get_wallets()
    assert wallets["result"] == "success"
    flex = wallets["accounts"]["flex"]
    assert flex["type"] == "multiCollateralMarginAccount"
    usd = flex["currencies"]["USD"]
    assert num(usd["quantity"]) == pytest.approx(100000)
    assert num(usd["available"]) == pytest.approx(100000)


def test_sdk_order_lifecycle(sdk_trade: Trade, sdk_user: User, recorder) -> None:
    cid = uid("sdk")
    placed = sdk_trade.create_order(
        orderType="lmt", size=0.01, symbol=XBT_ID, side="buy", limitPrice=BUY_PRICE, cliOrdId=cid
    )
    sent = recorder.last("/sendorder")
    assert sent.method == "POST"
    send = placed["sendStatus"]
    assert send["status"] == "placed"
    order_id = send["order_id"]
    assert send.get("cliOrdId") == cid
    assert "receivedTime" in send
    place = [e for e in send["orderEvents"] if e["type"] == "PLACE"]
    assert len(place) == 1
    o = place[0]["order"]
    assert o["orderId"] == order_id and o["cliOrdId"] == cid
    assert o["symbol"] == XBT_ID and o["side"] == "buy" and o["type"] == "lmt"
    assert num(o["quantity"]) == pytest.approx(0.01)
    assert num(o["filled"]) == 0
    assert num(o["limitPrice"]) == BUY_PRICE
    assert o["reduceOnly"] is False

    status = sdk_trade.get_orders_status(orderIds=[order_id])
    st = recorder.last("/orders/status")
    assert st.method == "POST"
    assert status["result"] == "success"
    assert len(status["orders"]) == 1
    assert status["orders"][0]["order"]["orderId"] == order_id
    assert status["orders"][0]["status"] == "ENTERED_BOOK"

    by_cli = sdk_trade.get_orders_status(cliOrdIds=[cid])
    assert [x["order"]["orderId"] for x in by_cli["orders"]] == [order_id]

    edited = sdk_trade.edit_order(orderId=order_id, limitPrice=BUY_PRICE - 50, size=0.02)
    es = edited["editStatus"]
    assert es["status"] == "edited"
    ev = es["orderEvents"][0]
    assert ev["type"] == "EDIT"
    assert num(ev["new"]["limitPrice"]) == BUY_PRICE - 50
    assert num(ev["new"]["quantity"]) == pytest.approx(0.02)
    oo = _open_orders(sdk_user)[order_id]
    assert num(oo["limitPrice"]) == BUY_PRICE - 50
    assert num(oo["unfilledSize"]) == pytest.approx(0.02)
    assert oo.get("cliOrdId") == cid

    cancelled = sdk_trade.cancel_order(order_id=order_id)
    cs = cancelled["cancelStatus"]
    assert cs["status"] == "cancelled"
    assert cs["order_id"] == order_id
    assert order_id not in _open_orders(sdk_user)


def test_sdk_edit_and_cancel_by_cli_ord_id(sdk_trade: Trade, sdk_user: User) -> None:
    cid = uid("sdkcli")
    placed = sdk_trade.create_order(
        orderType="lmt", size="0.004", symbol=XBT_ID, side="buy", limitPrice=BUY_PRICE - 7, cliOrdId=cid
    )
    order_id = placed["sendStatus"]["order_id"]
    edited = sdk_trade.edit_order(cliOrdId=cid, limitPrice=BUY_PRICE - 8)
    assert edited["editStatus"]["status"] == "edited"
    assert num(_open_orders(sdk_user)[order_id]["limitPrice"]) == BUY_PRICE - 8

    cancelled = sdk_trade.cancel_order(cliOrdId=cid)
    cs = cancelled["cancelStatus"]
    assert cs["status"] == "cancelled"
    assert cs["order_id"] == order_id
    assert cs.get("cliOrdId") == cid
    assert order_id not in _open_orders(sdk_user)


def test_sdk_get_fills(sdk_factory, fresh_account, ccxt_factory) -> None:
    from apihelpers import free_trade_price

    a, b = fresh_account(), fresh_account()
    ta, tb = sdk_factory(Trade, a), sdk_factory(Trade, b)
    price = free_trade_price(ccxt_factory(None))
    sell = ta.create_order(orderType="lmt", size=0.002, symbol=XBT_ID, side="sell", limitPrice=price)
    assert sell["sendStatus"]["status"] == "placed"
    buy = tb.create_order(orderType="lmt", size=0.002, symbol=XBT_ID, side="buy", limitPrice=price)
    assert buy["sendStatus"]["status"] == "placed"
    assert any(e["type"] == "EXECUTION" for e in buy["sendStatus"]["orderEvents"])

    fills_a = ta.get_fills()["fills"]
    fills_b = tb.get_fills()["fills"]
    assert len(fills_a) == 1 and len(fills_b) == 1
    fa, fb = fills_a[0], fills_b[0]
    assert fa["order_id"] == sell["sendStatus"]["order_id"]
    assert fb["order_id"] == buy["sendStatus"]["order_id"]
    assert fa["fillType"] == "maker" and fb["fillType"] == "taker"
    assert fa["side"] == "sell" and fb["side"] == "buy"
    assert num(fa["price"]) == num(fb["price"]) == price
    assert num(fa["size"]) == pytest.approx(0.002) and num(fb["size"]) == pytest.approx(0.002)
    assert fa["symbol"] == fb["symbol"] == XBT_ID
    assert fa["fill_id"] != fb["fill_id"] or fa["order_id"] != fb["order_id"]

    # lastFillTime in the far past -> nothing before it
    old = ta.get_fills(lastFillTime="2020-01-01T00:00:00.000Z")
    assert old["result"] == "success" and old["fills"] == []
