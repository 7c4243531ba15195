"""Matching engine behaviour, driven through the same commands the journal replays."""

from __future__ import annotations

from krakensim.engine import Exchange, default_instruments
from krakensim.engine.commands import CancelOrder, CreateAccount, EditOrder, PlaceOrder
from krakensim.engine.events import OrderCancelled, OrderEdited, OrderEnteredBook, OrderFilled, OrderRejected
from krakensim.engine.units import BUY, SELL

USD = 100_000_000  # usd8 per dollar
T0 = 1_700_000_000_000


def setup(n: int = 2) -> tuple[Exchange, list[str]]:
    ex = Exchange(default_instruments(), seed=7)
    return ex, [ex.apply(CreateAccount(100_000 * USD), T0).account_id for _ in range(n)]


def place(ex: Exchange, a: str, side: int, lots: int, price: int | None, otype: str = "lmt", t: int = T0,
          symbol: str = "PF_XBTUSD", cli: str | None = None, ro: bool = False):
    cmd = PlaceOrder(account_id=a, symbol=symbol, side=side, order_type=otype, quantity=lots, limit_price=price,
                     client_order_id=cli or None, reduce_only=ro)
    return ex.apply(cmd, t)


def test_resting_order_is_placed_and_cancelled() -> None:
    ex, (a, _) = setup()
    r = place(ex, a, BUY, 10, 89000)
    assert r.status == "placed" and [type(e) for e in r.order_events] == [OrderEnteredBook]
    assert ex.book("PF_XBTUSD").bids.best() == 89000
    c = ex.apply(CancelOrder(a, order_id=r.order_id), T0 + 1)
    assert c.status == "cancelled" and isinstance(c.order_events[0], OrderCancelled)
    assert c.order_events[0].order.updated_at == T0 + 1
    assert ex.book("PF_XBTUSD").bids.best() is None
    assert ex.apply(CancelOrder(a, order_id=r.order_id), T0 + 2).status == "notFound"
    assert ex.apply(CancelOrder(a, order_id="nope"), T0 + 2).status == "notFound"


def test_price_time_priority_and_partial_fill() -> None:
    ex, (a, b) = setup()
    first = place(ex, a, SELL, 10, 91000, t=T0)
    second = place(ex, a, SELL, 10, 91000, t=T0 + 1)
    better = place(ex, a, SELL, 5, 90500, t=T0 + 2)
    r = place(ex, b, BUY, 12, 91000, t=T0 + 3)
    execs = [e for e in r.order_events if isinstance(e, OrderFilled)]
    # best price first, then the earlier of the two equal prices
    assert [(e.price, e.lots) for e in execs] == [(90500, 5), (91000, 7)]
    assert r.status == "placed" and not isinstance(r.order_events[-1], OrderEnteredBook)  # fully filled
    assert ex.open_orders[first.order_id].filled == 7 and ex.open_orders[second.order_id].filled == 0
    assert better.order_id not in ex.open_orders and ex.finished.by_id[better.order_id].status == "FULLY_EXECUTED"
    fa, fb = ex.accounts[a].fills, ex.accounts[b].fills
    assert [f.fill_type for f in fa] == ["maker", "maker"] and [f.fill_type for f in fb] == ["taker", "taker"]
    assert ex.accounts[b].positions["PF_XBTUSD"].lots == 12
    assert ex.accounts[a].positions["PF_XBTUSD"].lots == -12
    # cancelling the filled order answers "filled"
    assert ex.apply(CancelOrder(a, order_id=better.order_id), T0 + 4).status == "filled"


def test_partial_taker_rests_remainder() -> None:
    ex, (a, b) = setup()
    place(ex, a, SELL, 3, 90000)
    r = place(ex, b, BUY, 10, 90000)
    assert [type(e) for e in r.order_events] == [OrderFilled, OrderEnteredBook]
    resting = ex.open_orders[r.order_id]
    assert resting.filled == 3 and resting.quantity == 10
    assert ex.book("PF_XBTUSD").bids.best() == 90000 and ex.book("PF_XBTUSD").asks.best() is None


def test_post_only_rejects_when_crossing() -> None:
    ex, (a, b) = setup()
    place(ex, a, SELL, 3, 90000)
    r = place(ex, b, BUY, 1, 90000, otype="post")
    assert r.status == "postWouldExecute" and isinstance(r.order_events[0], OrderRejected)
    assert r.order_events[0].reason == "POST_WOULD_EXECUTE"
    assert place(ex, b, BUY, 1, 89999, otype="post").status == "placed"


def test_ioc_fok_and_market() -> None:
    ex, (a, b) = setup()
    r = place(ex, b, BUY, 1, 90000, otype="ioc")
    assert r.status == "iocWouldNotExecute" and isinstance(r.order_events[0], OrderRejected)
    assert r.order_events[0].reason == "IOC_WOULD_NOT_EXECUTE"
    assert place(ex, b, BUY, 1, None, otype="mkt").status == "iocWouldNotExecute"
    place(ex, a, SELL, 5, 90000)
    place(ex, a, SELL, 5, 92000)
    fok = place(ex, b, BUY, 8, 91000, otype="fok")
    assert fok.status == "iocWouldNotExecute"
    ioc = place(ex, b, BUY, 8, 91000, otype="ioc")
    assert [type(e) for e in ioc.order_events] == [OrderFilled, OrderCancelled]
    assert ioc.order_events[-1].order.filled == 5 and ioc.order_id not in ex.open_orders
    # market: 1 % protection through the best ask (92000 -> 92920), so it takes 92000
    m = place(ex, b, BUY, 2, None, otype="mkt")
    assert m.status == "placed" and m.order_events[0].price == 92000
    assert m.order_events[0].order_before.order_type == "ioc"
    assert m.order_events[0].order_before.price == 92920


def test_market_protection_stops_at_one_percent() -> None:
    ex, (a, b) = setup()
    place(ex, a, SELL, 1, 90000)
    place(ex, a, SELL, 1, 91000)  # more than 1 % above 90000
    m = place(ex, b, BUY, 2, None, otype="mkt")
    assert [type(e) for e in m.order_events] == [OrderFilled, OrderCancelled]
    assert ex.book("PF_XBTUSD").asks.best() == 91000


def test_self_trade_rejects_the_taker() -> None:
    ex, (a, b) = setup()
    place(ex, a, SELL, 1, 90000)
    r = place(ex, a, BUY, 1, 90000)
    assert r.status == "selfFill" and not r.order_events
    assert ex.book("PF_XBTUSD").bids.best() is None and ex.book("PF_XBTUSD").asks.best() == 90000


def test_reduce_only() -> None:
    ex, (a, b) = setup()
    assert place(ex, a, SELL, 1, 91000, ro=True).status == "wouldNotReducePosition"
    place(ex, b, SELL, 5, 90000)
    place(ex, a, BUY, 5, 90000)
    r = place(ex, a, SELL, 8, 91000, ro=True)
    assert r.status == "placed" and r.order_events[0].reduced_quantity == 3
    assert ex.open_orders[r.order_id].quantity == 5
    assert place(ex, a, BUY, 1, 89000, ro=True).status == "wouldNotReducePosition"


def test_client_order_id_unique_among_open_orders() -> None:
    ex, (a, b) = setup()
    r = place(ex, a, BUY, 1, 89000, cli="x1")
    assert place(ex, a, BUY, 1, 89000, cli="x1").status == "clientOrderIdAlreadyExist"
    assert place(ex, b, BUY, 1, 89000, cli="x1").status == "placed"  # another account
    assert ex.apply(CancelOrder(a, client_order_id="x1"), T0).status == "cancelled"
    assert place(ex, a, BUY, 1, 89000, cli="x1").status == "placed"
    assert r.order_id not in ex.open_orders


def test_edit_keeps_priority_only_when_reducing_size_at_same_price() -> None:
    ex, (a, b) = setup()
    o1 = place(ex, a, SELL, 5, 91000, t=T0)
    o2 = place(ex, a, SELL, 5, 91000, t=T0 + 1)
    e = ex.apply(EditOrder(a, order_id=o1.order_id, quantity=3, quantity_mode="RELATIVE"), T0 + 2)
    assert e.status == "edited" and isinstance(e.order_events[0], OrderEdited)
    assert e.order_events[0].new.quantity == 3
    level = list(ex.book("PF_XBTUSD").asks.levels[91000])
    assert level == [o1.order_id, o2.order_id]
    ex.apply(EditOrder(a, order_id=o1.order_id, quantity=6, quantity_mode="RELATIVE"), T0 + 3)
    assert list(ex.book("PF_XBTUSD").asks.levels[91000]) == [o2.order_id, o1.order_id]
    miss = ex.apply(EditOrder(a, order_id="missing", quantity=1, quantity_mode="RELATIVE"), T0 + 4)
    assert miss.status == "orderForEditNotFound"


def test_edit_that_crosses_executes() -> None:
    ex, (a, b) = setup()
    place(ex, b, SELL, 2, 90000)
    r = place(ex, a, BUY, 2, 89000)
    e = ex.apply(EditOrder(a, order_id=r.order_id, limit_price=90000, quantity_mode="RELATIVE"), T0 + 5)
    assert [type(x) for x in e.order_events] == [OrderEdited, OrderFilled]
    assert r.order_id not in ex.open_orders and ex.finished.by_id[r.order_id].status == "FULLY_EXECUTED"


def test_insufficient_funds() -> None:
    ex = Exchange(default_instruments(), seed=1)
    poor = ex.apply(CreateAccount(10 * USD), T0).account_id
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
    ex.apply(CancelOrder(a, order_id=r.order_id), T0 + 100)
    assert ex.order_statuses(a, [r.order_id], [], T0 + 5_100)[0][1] == "CANCELLED"
    assert ex.order_statuses(a, [r.order_id], [], T0 + 5_101) == []
    assert ex.order_statuses(b, [r.order_id], [], T0 + 200) == []  # not b's order


def test_process_before() -> None:
    ex, (a, _) = setup()
    cmd = PlaceOrder(account_id=a, symbol="PF_XBTUSD", side=BUY, order_type="lmt", quantity=1, limit_price=89000,
                     process_before=T0 - 1)
    assert ex.apply(cmd, T0).status == "wouldProcessAfterSpecifiedTime"
    assert not ex.open_orders


def test_ids_are_deterministic_uuids() -> None:
    ex1, (a1, _) = setup()
    ex2, (a2, _) = setup()
    assert a1 == a2
    r1, r2 = place(ex1, a1, BUY, 1, 89000), place(ex2, a2, BUY, 1, 89000)
    assert r1.order_id == r2.order_id
    parts = r1.order_id.split("-")
    assert [len(p) for p in parts] == [8, 4, 4, 4, 12] and parts[2][0] == "4" and parts[3][0] in "89ab"
    assert ex1.digest() == ex2.digest()
