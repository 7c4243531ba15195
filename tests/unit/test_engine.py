"""Matching engine behaviour, driven through the same commands the journal replays."""

from __future__ import annotations

from krakensim.engine import Exchange, default_instruments
from krakensim.engine.book import BUY, SELL
from krakensim.engine.exchange import CANCEL, EDIT, EXECUTION, PLACE, REJECT

USD = 100_000_000  # usd8 per dollar
T0 = 1_700_000_000_000


def setup(n: int = 2) -> tuple[Exchange, list[str]]:
    ex = Exchange(default_instruments(), seed=7)
    return ex, [ex.create_account(100_000 * USD) for _ in range(n)]


def place(ex: Exchange, a: str, side: int, lots: int, price: int | None, otype: str = "lmt", t: int = T0,
          symbol: str = "PF_XBTUSD", cli: str | None = None, ro: bool = False):
    cmd = {"c": "place", "a": a, "s": symbol, "d": side, "t": otype, "q": lots}
    if price is not None:
        cmd["p"] = price
    if cli:
        cmd["cli"] = cli
    if ro:
        cmd["ro"] = True
    return ex.execute(cmd, t)


def test_resting_order_is_placed_and_cancelled() -> None:
    ex, (a, _) = setup()
    r = place(ex, a, BUY, 10, 89000)
    assert r.status == "placed" and [e[0] for e in r.events] == [PLACE]
    assert ex.books["PF_XBTUSD"].bids.best() == 89000
    c = ex.execute({"c": "cancel", "a": a, "o": r.oid}, T0 + 1)
    assert c.status == "cancelled" and c.events[0][0] == CANCEL
    assert c.events[0][1].upd == T0 + 1
    assert ex.books["PF_XBTUSD"].bids.best() is None
    assert ex.execute({"c": "cancel", "a": a, "o": r.oid}, T0 + 2).status == "notFound"
    assert ex.execute({"c": "cancel", "a": a, "o": "nope"}, T0 + 2).status == "notFound"


def test_price_time_priority_and_partial_fill() -> None:
    ex, (a, b) = setup()
    first = place(ex, a, SELL, 10, 91000, t=T0)
    second = place(ex, a, SELL, 10, 91000, t=T0 + 1)
    better = place(ex, a, SELL, 5, 90500, t=T0 + 2)
    r = place(ex, b, BUY, 12, 91000, t=T0 + 3)
    execs = [e for e in r.events if e[0] == EXECUTION]
    # best price first, then the earlier of the two equal prices
    assert [(e[2], e[3]) for e in execs] == [(90500, 5), (91000, 7)]
    assert r.status == "placed" and r.events[-1][0] != PLACE  # fully filled, nothing rests
    assert ex.open[first.oid].filled == 7 and ex.open[second.oid].filled == 0
    assert better.oid not in ex.open and ex.done[better.oid].status == "FULLY_EXECUTED"
    fa, fb = ex.accounts[a].fills, ex.accounts[b].fills
    assert [f.fill_type for f in fa] == ["maker", "maker"] and [f.fill_type for f in fb] == ["taker", "taker"]
    assert ex.accounts[b].positions["PF_XBTUSD"].lots == 12
    assert ex.accounts[a].positions["PF_XBTUSD"].lots == -12
    # cancelling the filled order answers "filled"
    assert ex.execute({"c": "cancel", "a": a, "o": better.oid}, T0 + 4).status == "filled"


def test_partial_taker_rests_remainder() -> None:
    ex, (a, b) = setup()
    place(ex, a, SELL, 3, 90000)
    r = place(ex, b, BUY, 10, 90000)
    assert [e[0] for e in r.events] == [EXECUTION, PLACE]
    resting = ex.open[r.oid]
    assert resting.filled == 3 and resting.qty == 10
    assert ex.books["PF_XBTUSD"].bids.best() == 90000 and ex.books["PF_XBTUSD"].asks.best() is None


def test_post_only_rejects_when_crossing() -> None:
    ex, (a, b) = setup()
    place(ex, a, SELL, 3, 90000)
    r = place(ex, b, BUY, 1, 90000, otype="post")
    assert r.status == "postWouldExecute" and r.events[0][0] == REJECT and r.events[0][2] == "POST_WOULD_EXECUTE"
    assert place(ex, b, BUY, 1, 89999, otype="post").status == "placed"


def test_ioc_fok_and_market() -> None:
    ex, (a, b) = setup()
    r = place(ex, b, BUY, 1, 90000, otype="ioc")
    assert r.status == "iocWouldNotExecute" and r.events[0][2] == "IOC_WOULD_NOT_EXECUTE"
    assert place(ex, b, BUY, 1, None, otype="mkt").status == "iocWouldNotExecute"
    place(ex, a, SELL, 5, 90000)
    place(ex, a, SELL, 5, 92000)
    fok = place(ex, b, BUY, 8, 91000, otype="fok")
    assert fok.status == "iocWouldNotExecute"
    ioc = place(ex, b, BUY, 8, 91000, otype="ioc")
    assert [e[0] for e in ioc.events] == [EXECUTION, CANCEL]
    assert ioc.events[-1][1].filled == 5 and ioc.oid not in ex.open
    # market: 1 % protection through the best ask (92000 -> 92920), so it takes 92000
    m = place(ex, b, BUY, 2, None, otype="mkt")
    assert m.status == "placed" and m.events[0][2] == 92000 and m.events[0][4].otype == "ioc"
    assert m.events[0][4].price == 92920


def test_market_protection_stops_at_one_percent() -> None:
    ex, (a, b) = setup()
    place(ex, a, SELL, 1, 90000)
    place(ex, a, SELL, 1, 91000)  # more than 1 % above 90000
    m = place(ex, b, BUY, 2, None, otype="mkt")
    assert [e[0] for e in m.events] == [EXECUTION, CANCEL]
    assert ex.books["PF_XBTUSD"].asks.best() == 91000


def test_self_trade_rejects_the_taker() -> None:
    ex, (a, b) = setup()
    place(ex, a, SELL, 1, 90000)
    r = place(ex, a, BUY, 1, 90000)
    assert r.status == "selfFill" and not r.events
    assert ex.books["PF_XBTUSD"].bids.best() is None and ex.books["PF_XBTUSD"].asks.best() == 90000


def test_reduce_only() -> None:
    ex, (a, b) = setup()
    assert place(ex, a, SELL, 1, 91000, ro=True).status == "wouldNotReducePosition"
    place(ex, b, SELL, 5, 90000)
    place(ex, a, BUY, 5, 90000)
    r = place(ex, a, SELL, 8, 91000, ro=True)
    assert r.status == "placed" and r.events[0][2] == 3 and ex.open[r.oid].qty == 5
    assert place(ex, a, BUY, 1, 89000, ro=True).status == "wouldNotReducePosition"


def test_client_order_id_unique_among_open_orders() -> None:
    ex, (a, b) = setup()
    r = place(ex, a, BUY, 1, 89000, cli="x1")
    assert place(ex, a, BUY, 1, 89000, cli="x1").status == "clientOrderIdAlreadyExist"
    assert place(ex, b, BUY, 1, 89000, cli="x1").status == "placed"  # another account
    assert ex.execute({"c": "cancel", "a": a, "cli": "x1"}, T0).status == "cancelled"
    assert place(ex, a, BUY, 1, 89000, cli="x1").status == "placed"
    assert r.oid not in ex.open


def test_edit_keeps_priority_only_when_reducing_size_at_same_price() -> None:
    ex, (a, b) = setup()
    o1 = place(ex, a, SELL, 5, 91000, t=T0)
    o2 = place(ex, a, SELL, 5, 91000, t=T0 + 1)
    e = ex.execute({"c": "edit", "a": a, "o": o1.oid, "q": 3, "qm": "RELATIVE"}, T0 + 2)
    assert e.status == "edited" and e.events[0][0] == EDIT and e.events[0][2].qty == 3
    level = list(ex.books["PF_XBTUSD"].asks.levels[91000])
    assert level == [o1.oid, o2.oid]
    ex.execute({"c": "edit", "a": a, "o": o1.oid, "q": 6, "qm": "RELATIVE"}, T0 + 3)
    assert list(ex.books["PF_XBTUSD"].asks.levels[91000]) == [o2.oid, o1.oid]
    miss = ex.execute({"c": "edit", "a": a, "o": "missing", "q": 1, "qm": "RELATIVE"}, T0 + 4)
    assert miss.status == "orderForEditNotFound"


def test_edit_that_crosses_executes() -> None:
    ex, (a, b) = setup()
    place(ex, b, SELL, 2, 90000)
    r = place(ex, a, BUY, 2, 89000)
    e = ex.execute({"c": "edit", "a": a, "o": r.oid, "p": 90000, "qm": "RELATIVE"}, T0 + 5)
    assert [x[0] for x in e.events] == [EDIT, EXECUTION]
    assert r.oid not in ex.open and ex.done[r.oid].status == "FULLY_EXECUTED"


def test_insufficient_funds() -> None:
    ex = Exchange(default_instruments(), seed=1)
    poor = ex.create_account(10 * USD)
    # 0.01 BTC at 90000 = 900 USD notional, 2 % initial margin = 18 USD > 10
    assert place(ex, poor, BUY, 100, 90000).status == "insufficientAvailableFunds"
    assert place(ex, poor, BUY, 50, 90000).status == "placed"  # 9 USD
    assert place(ex, poor, BUY, 10, 90000).status == "insufficientAvailableFunds"


def test_realized_pnl_and_fees() -> None:
    ex, (a, b) = setup()
    place(ex, a, SELL, 10_000, 90000)  # 1 BTC
    place(ex, b, BUY, 10_000, 90000)
    place(ex, b, SELL, 10_000, 91000)
    place(ex, a, BUY, 10_000, 91000)
    # b bought at 90000 (taker 0.05 % = 45) and sold at 91000 (maker 0.02 % = 18.2): +1000 - 63.2
    assert ex.accounts[b].balance == (100_000 + 1000) * USD - 45 * USD - 1820 * USD // 100
    assert ex.accounts[a].balance == (100_000 - 1000) * USD - 18 * USD - 4550 * USD // 100
    assert ex.accounts[a].positions["PF_XBTUSD"].lots == 0 and ex.accounts[b].positions["PF_XBTUSD"].lots == 0


def test_order_status_window() -> None:
    ex, (a, b) = setup()
    r = place(ex, a, BUY, 1, 89000)
    ex.execute({"c": "cancel", "a": a, "o": r.oid}, T0 + 100)
    assert ex.order_status(a, [r.oid], [], T0 + 5_100)[0][1] == "CANCELLED"
    assert ex.order_status(a, [r.oid], [], T0 + 5_101) == []
    assert ex.order_status(b, [r.oid], [], T0 + 200) == []  # not b's order


def test_process_before() -> None:
    ex, (a, _) = setup()
    cmd = {"c": "place", "a": a, "s": "PF_XBTUSD", "d": BUY, "t": "lmt", "q": 1, "p": 89000, "pb": T0 - 1}
    assert ex.execute(cmd, T0).status == "wouldProcessAfterSpecifiedTime"
    assert not ex.open


def test_ids_are_deterministic_uuids() -> None:
    ex1, (a1, _) = setup()
    ex2, (a2, _) = setup()
    assert a1 == a2
    r1, r2 = place(ex1, a1, BUY, 1, 89000), place(ex2, a2, BUY, 1, 89000)
    assert r1.oid == r2.oid
    parts = r1.oid.split("-")
    assert [len(p) for p in parts] == [8, 4, 4, 4, 12] and parts[2][0] == "4" and parts[3][0] in "89ab"
    assert ex1.digest() == ex2.digest()
