"""Market statistics, public trades and the price collar, each on a private server
(these tests move prices or need a market nobody else has traded)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from apihelpers import BTC, XBT_ID, HttpRecorder, RawClient, ServerProcess, make_ccxt, num


def _trade(a: RawClient, b: RawClient, size: str, price: str) -> None:
    base = {"orderType": "lmt", "symbol": XBT_ID, "size": size, "limitPrice": price}
    sell = a.v3json("POST", "sendorder", body=urlencode(dict(base, side="sell")))
    assert sell["sendStatus"]["status"] == "placed"
    buy = b.v3json("POST", "sendorder", body=urlencode(dict(base, side="buy")))
    assert buy["sendStatus"]["status"] == "placed"
    assert buy["sendStatus"]["orderEvents"][0]["type"] == "EXECUTION"


def _clients(srv: ServerProcess, recorder: HttpRecorder) -> tuple[RawClient, RawClient]:
    return RawClient(srv.base, srv.accounts[0], recorder), RawClient(srv.base, srv.accounts[1], recorder)


def test_ticker_24h_statistics_follow_fills(isolated_server: ServerProcess, recorder: HttpRecorder) -> None:
    a, b = _clients(isolated_server, recorder)
    _trade(a, b, "0.002", "90000")
    _trade(a, b, "0.003", "90010")
    t = a.v3json("GET", "tickers/" + XBT_ID, sign=False)["ticker"]
    assert num(t["last"]) == 90010
    assert num(t["lastSize"]) == pytest.approx(0.003)
    # spec: "The sum of the sizes of all fills observed in the last 24 hours."
    assert num(t["vol24h"]) == pytest.approx(0.005)
    # spec: "The sum of the size * price of all fills observed in the last 24 hours."
    assert num(t["volumeQuote"]) == pytest.approx(0.002 * 90000 + 0.003 * 90010)
    assert num(t["high24h"]) == 90010
    assert num(t["low24h"]) == 90000
    ex = make_ccxt(isolated_server.base, None, recorder)
    ex.load_markets()
    assert ex.fetch_ticker(BTC)["baseVolume"] == pytest.approx(0.005)


def test_open_interest_follows_positions(isolated_server: ServerProcess, recorder: HttpRecorder) -> None:
    a, b = _clients(isolated_server, recorder)
    _trade(a, b, "0.004", "90000")
    pos = b.v3json("GET", "openpositions")["openPositions"]
    assert [(p["symbol"], p["side"], num(p["size"])) for p in pos] == [(XBT_ID, "long", pytest.approx(0.004))]
    t = a.v3json("GET", "tickers/" + XBT_ID, sign=False)["ticker"]
    # spec: "The current open interest of the market."
    assert num(t["openInterest"]) == pytest.approx(0.004)


def test_public_trade_history(isolated_server: ServerProcess, recorder: HttpRecorder) -> None:
    a, b = _clients(isolated_server, recorder)
    _trade(a, b, "0.002", "90000")
    _trade(a, b, "0.003", "90010")
    hist = a.v3json("GET", "history", query="symbol=" + XBT_ID, sign=False)
    assert hist["result"] == "success"
    rows = hist["history"]
    assert [(num(r["price"]), num(r["size"])) for r in rows] == [
        (90010, 0.003),
        (90000, 0.002),
    ]  # newest first
    assert all(r["side"] == "buy" for r in rows)  # taker side
    ex = make_ccxt(isolated_server.base, None, recorder)
    ex.load_markets()
    trades = ex.fetch_trades(BTC)
    assert [(t["price"], t["amount"], t["side"]) for t in trades] == [
        (90000, 0.002, "buy"),
        (90010, 0.003, "buy"),
    ]


def test_price_collar_blocks_fat_finger_execution(
    isolated_server: ServerProcess, recorder: HttpRecorder
) -> None:
    """A crossing order an order of magnitude away from the mark must not execute
    (spec: outsidePriceCollar -- "the order would have executed outside of the price
    collar" / "crosses the spread but is an order of magnitude away from the mark
    price - fat finger control")."""
    a, b = _clients(isolated_server, recorder)
    mark_before = num(a.v3json("GET", "tickers/" + XBT_ID, sign=False)["ticker"]["markPrice"])
    far_bid = b.v3json(
        "POST",
        "sendorder",
        body=urlencode(
            {"orderType": "lmt", "symbol": XBT_ID, "side": "buy", "size": "0.001", "limitPrice": "200000"}
        ),
    )
    if far_bid["sendStatus"]["status"] == "placed":
        dump = a.v3json(
            "POST",
            "sendorder",
            body=urlencode(
                {"orderType": "lmt", "symbol": XBT_ID, "side": "sell", "size": "0.001", "limitPrice": "1"}
            ),
        )
        assert dump["sendStatus"]["status"] in ("outsidePriceCollar", "invalidPrice"), dump["sendStatus"]
    else:
        assert far_bid["sendStatus"]["status"] in ("outsidePriceCollar", "invalidPrice"), far_bid[
            "sendStatus"
        ]
    assert a.v3json("GET", "fills")["fills"] == []
    assert b.v3json("GET", "fills")["fills"] == []
    mark_after = num(a.v3json("GET", "tickers/" + XBT_ID, sign=False)["ticker"]["markPrice"])
    assert mark_after == pytest.approx(mark_before, rel=0.05)
