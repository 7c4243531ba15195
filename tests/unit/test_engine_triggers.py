"""Trigger orders, the dead man's switch, self-trade strategies and market states in the engine."""

from __future__ import annotations

from krakensim.engine import Exchange, default_instruments
from krakensim.engine.book import BUY, SELL
from krakensim.engine.exchange import CANCEL_TRIGGER, EXECUTION, PLACE_TRIGGER, REJECT_TRIGGER
from krakensim.engine.triggers import PERCENT, QUOTE

USD = 100_000_000
T0 = 1_700_000_000_000
XBT = "PF_XBTUSD"


def setup(n: int = 3) -> tuple[Exchange, list[str]]:
    ex = Exchange(default_instruments(), seed=11)
    return ex, [ex.create_account(100_000 * USD) for _ in range(n)]


def run(ex: Exchange, at: int = T0, **cmd: object):
    return ex.execute(dict(cmd), at)


def place(ex: Exchange, a: str, side: int, lots: int, price: int | None = None, otype: str = "lmt", t: int = T0,
          **extra: object):
    cmd: dict[str, object] = {"c": "place", "a": a, "s": XBT, "d": side, "t": otype, "q": lots}
    if price is not None:
        cmd["p"] = price
    cmd.update(extra)
    return ex.execute(cmd, t)


def trade_at(ex: Exchange, maker: str, taker: str, price: int, t: int = T0) -> None:
    assert place(ex, maker, SELL, 1, price, t=t).status == "placed"
    r = place(ex, taker, BUY, 1, price, t=t)
    assert r.events[0][0] == EXECUTION, r


def test_stop_rests_off_book_and_fires_on_last_price() -> None:
    ex, (a, b, c) = setup()
    place(ex, c, SELL, 100, 91500)  # liquidity the stop will take
    r = place(ex, a, BUY, 10, None, "stp", sp=91000, sig="last")
    assert r.status == "placed" and r.events[0][0] == PLACE_TRIGGER
    assert ex.books[XBT].bids.best() is None and r.oid in ex.accounts[a].triggers
    trade_at(ex, b, c, 90500)  # below the stop: nothing
    assert r.oid in ex.accounts[a].triggers
    trade_at(ex, b, c, 91000, t=T0 + 5)  # last reaches 91000: the stop becomes a market buy
    assert r.oid not in ex.accounts[a].triggers
    fills = [f for f in ex.accounts[a].fills if f.oid == r.oid]
    assert [(f.price, f.lots) for f in fills] == [(91500, 10)]
    kinds = [e[0] for e in ex.accounts[a].history]
    assert kinds[:3] == ["OrderTriggerPlaced", "OrderTriggerActivated", "OrderPlaced"]


def test_take_profit_with_limit_fires_on_mark() -> None:
    ex, (a, b, _) = setup()
    place(ex, b, BUY, 10, 89000)
    place(ex, a, SELL, 10, 89000, otype="lmt")  # a is now short 10
    r = place(ex, a, BUY, 10, 88000, "take_profit", sp=88500, sig="mark", ro=True)
    assert r.status == "placed"
    run(ex, T0 + 1, c="prices", s=XBT, mark=88600)
    assert r.oid in ex.accounts[a].triggers
    run(ex, T0 + 2, c="prices", s=XBT, mark=88500)
    assert r.oid in ex.open and ex.open[r.oid].price == 88000  # a resting limit buy now


def test_index_signal_and_cancel_trigger() -> None:
    ex, (a, _, _) = setup()
    r = place(ex, a, SELL, 10, None, "stp", sp=85000, sig="index")
    run(ex, T0 + 1, c="prices", s=XBT, mark=84000)  # mark is not its signal
    assert r.oid in ex.accounts[a].triggers
    c = run(ex, T0 + 2, c="cancel", a=a, o=r.oid)
    assert c.status == "cancelled" and c.events[0][0] == CANCEL_TRIGGER
    assert not ex.accounts[a].triggers and not len(ex.triggers[XBT])


def test_trailing_stop_follows_the_peak() -> None:
    ex, (a, _, _) = setup()
    r = place(ex, a, SELL, 10, None, "trailing_stop", sig="mark", tr=[100, PERCENT])  # 1 %
    trig = ex.accounts[a].triggers[r.oid]
    assert trig.trigger == 90000 - 900
    run(ex, T0 + 1, c="prices", s=XBT, mark=95000)
    assert trig.trigger == 95000 - 950
    run(ex, T0 + 2, c="prices", s=XBT, mark=94500)  # falls, but not to the trigger
    assert trig.trigger == 94050 and r.oid in ex.accounts[a].triggers
    run(ex, T0 + 3, c="prices", s=XBT, mark=94050)
    assert r.oid not in ex.accounts[a].triggers
    q = place(ex, a, BUY, 10, None, "trailing_stop", sig="mark", tr=[500, QUOTE])
    assert ex.accounts[a].triggers[q.oid].trigger == 94050 + 500


def test_limit_offset_from_the_stop() -> None:
    ex, (a, _, _) = setup()
    r = place(ex, a, BUY, 10, None, "stp", sp=91000, sig="mark", lo=[-50, PERCENT])  # -0.5 %
    run(ex, T0 + 1, c="prices", s=XBT, mark=91000)
    assert ex.open[r.oid].price == 91000 - 455


def test_malformed_trigger_is_rejected_with_its_reason() -> None:
    ex, (a, _, _) = setup()
    r = place(ex, a, SELL, 10, None, "trailing_stop", err="TRAILING_STOP_MAX_DEVIATION_TOO_SMALL")
    assert r.status == "invalidPrice" and r.events[0][0] == REJECT_TRIGGER
    assert r.events[0][2] == "TRAILING_STOP_MAX_DEVIATION_TOO_SMALL"
    assert not ex.accounts[a].triggers


def test_reduce_only_trigger_that_would_not_reduce_fails_on_activation() -> None:
    ex, (a, _, _) = setup()
    r = place(ex, a, SELL, 10, None, "stp", sp=85000, sig="mark", ro=True)
    assert r.status == "placed"  # accepted without a position, as Kraken does for triggers
    run(ex, T0 + 1, c="prices", s=XBT, mark=85000)
    d = ex.done[r.oid]
    assert d.status == "TRIGGER_ACTIVATION_FAILURE" and d.reason == "WOULD_NOT_REDUCE_POSITION"
    assert ex.order_status(a, [r.oid], [], T0 + 2)[0][1] == "TRIGGER_ACTIVATION_FAILURE"


def test_dead_man_switch_cancels_everything_at_the_deadline() -> None:
    ex, (a, b, _) = setup()
    o = place(ex, a, BUY, 10, 89000)
    s = place(ex, a, SELL, 10, None, "stp", sp=85000)
    other = place(ex, b, BUY, 10, 89000)
    r = run(ex, T0, c="dms", a=a, t=60)
    assert r.extra == T0 + 60_000 and ex.next_deadline() == T0 + 60_000
    run(ex, T0 + 59_999, c="tick")
    assert o.oid in ex.open
    run(ex, T0 + 60_000, c="tick")
    assert o.oid not in ex.open and s.oid not in ex.accounts[a].triggers
    assert other.oid in ex.open and ex.dms_next is None
    assert ex.done[o.oid].reason == "DEAD_MAN_SWITCH"
    # re-arming and disarming
    run(ex, T0 + 61_000, c="dms", a=a, t=10)
    assert run(ex, T0 + 62_000, c="dms", a=a, t=0).extra is None and ex.dms_next is None


def test_dead_man_switch_fires_before_a_later_command() -> None:
    ex, (a, _, _) = setup()
    o = place(ex, a, BUY, 10, 89000)
    run(ex, T0, c="dms", a=a, t=1)
    later = place(ex, a, BUY, 10, 89000, t=T0 + 5_000)  # the switch fired at T0+1s, before this
    assert o.oid not in ex.open and later.oid in ex.open
    assert ex.done[o.oid].order.upd == T0 + 1_000


def test_cancel_maker_self_strategy() -> None:
    ex, (a, b, _) = setup()
    own = place(ex, a, SELL, 5, 90000)
    place(ex, b, SELL, 5, 90100)
    run(ex, T0, c="stp", a=a, v="CANCEL_MAKER_SELF")
    r = place(ex, a, BUY, 5, 90100)
    assert r.status == "placed" and r.events[0][0] == EXECUTION and r.events[0][2] == 90100
    assert own.oid not in ex.open and ex.done[own.oid].reason == "WOULD_EXECUTE_SELF_REASON"


def test_market_states_and_limits() -> None:
    ex, (a, _, _) = setup()
    run(ex, T0, c="state", s=XBT, v="suspended")
    assert place(ex, a, BUY, 10, 89000).status == "marketSuspended"
    run(ex, T0, c="state", s=XBT, v="inactive")
    assert place(ex, a, BUY, 10, 89000).status == "marketInactive"
    run(ex, T0, c="state", s=XBT, v="post_only")
    assert place(ex, a, BUY, 10, 89000).status == "marketIsPostOnly"
    assert place(ex, a, BUY, 10, 89000, otype="post").status == "placed"
    run(ex, T0, c="state", s=XBT, v="open")
    for i in range(50):  # 0.0001 BTC at 89000 is a small order (< 10 USD)
        assert place(ex, a, BUY, 1, 89000 - i).status == "placed"
    assert place(ex, a, BUY, 1, 88000).status == "tooManySmallOrders"
    for i in range(449):
        assert place(ex, a, BUY, 10, 80000 + i).status == "placed"
    assert place(ex, a, BUY, 10, 79000).status == "tooManyOrders"


def test_reduce_only_maker_never_grows_the_position() -> None:
    ex, (a, b, c) = setup()
    place(ex, b, SELL, 10, 90000)
    place(ex, a, BUY, 10, 90000)  # a long 10
    ro = place(ex, a, SELL, 10, 91000, ro=True)
    place(ex, c, BUY, 10, 89000)
    place(ex, a, SELL, 10, 89000)  # a closes the position with another order
    assert ex.accounts[a].positions[XBT].lots == 0
    r = place(ex, b, BUY, 10, 91000)  # would hit a's reduce-only order
    assert ro.oid not in ex.open and ex.done[ro.oid].reason == "WOULD_NOT_REDUCE_POSITION"
    assert ex.accounts[a].positions[XBT].lots == 0 and r.status == "placed"


def test_would_cause_liquidation() -> None:
    ex = Exchange(default_instruments(), seed=2)
    poor, enough, rich = (ex.create_account(u * USD) for u in (30, 200, 100_000))
    place(ex, rich, SELL, 200, 98000)  # 8.9 % above the mark of 90000, inside the collar
    # 0.01 BTC at 98000 needs 19.60 USD of initial margin (the 30 USD cover it) but loses
    # 80 USD against the mark at once, leaving equity under the maintenance margin
    assert place(ex, poor, BUY, 100, 98000).status == "wouldCauseLiquidation"
    assert not ex.accounts[poor].fills
    assert place(ex, enough, BUY, 100, 98000).status == "placed"


def test_stale_reduce_only_maker_counts_only_its_room() -> None:
    # found by review: the pre-match walk counted a reduce-only maker its owner could no longer trade
    ex, (a, b, c) = setup()
    place(ex, c, SELL, 10, 90000)
    place(ex, b, BUY, 10, 90000)  # b long 10
    ro = place(ex, b, SELL, 10, 90010, ro=True)
    place(ex, c, BUY, 10, 89990)
    place(ex, b, SELL, 10, 89990, otype="ioc")  # b flat again: its reduce-only sell is stale
    place(ex, c, SELL, 5, 90020)
    fok = place(ex, a, BUY, 10, 90020, otype="fok")
    assert fok.status == "iocWouldNotExecute" and not [f for f in ex.accounts[a].fills]
    assert ro.oid in ex.open  # nothing traded, so nothing touched it
    own = place(ex, a, SELL, 10, 90015)
    r = place(ex, a, BUY, 10, 90020)  # meets its own 90015 before c's 90020: REJECT_TAKER refuses it whole
    assert r.status == "selfFill" and own.oid in ex.open and not ex.accounts[a].fills


def test_edits_respect_market_states() -> None:
    ex, (a, b, _) = setup()
    place(ex, a, SELL, 10, 90000)
    bid = place(ex, b, BUY, 10, 89000)
    for state, status in (("suspended", "marketUnavailable"), ("inactive", "marketUnavailable"),
                          ("post_only", "postWouldExecute")):
        run(ex, T0, c="state", s=XBT, v=state)
        r = run(ex, T0, c="edit", a=b, o=bid.oid, p=90000, qm="RELATIVE")
        assert r.status == status and not ex.accounts[b].fills
    run(ex, T0, c="state", s=XBT, v="post_only")  # a non-crossing edit is fine in a post-only market
    assert run(ex, T0, c="edit", a=b, o=bid.oid, p=89500, qm="RELATIVE").status == "edited"


def test_funding_rate_published_every_hour_from_the_premium() -> None:
    ex, (a, _, _) = setup()
    hour = 3_600_000
    start = T0 - T0 % hour
    run(ex, T0, c="prices", s=XBT, mark=90090, index=90000)  # mark 0.1 % over index
    assert ex.next_deadline() == start + hour
    assert not ex.funding[XBT]
    run(ex, start + 3 * hour + 5, c="tick")  # three boundaries passed: three rates, dated at each
    assert [t for t, _, _ in ex.funding[XBT]] == [start + hour, start + 2 * hour, start + 3 * hour]
    # 0.1 % premium / fundingRateCoefficient 8 = 0.0125 %
    assert {r for _, r, _ in ex.funding[XBT]} == {125_000_000}
    run(ex, start + 3 * hour + 6, c="prices", s=XBT, mark=95000, index=90000)
    assert ex.relative_funding_rate(XBT) == 1_000_000_000  # capped at maxRelativeFundingRate 0.1 %
    run(ex, start + 3 * hour + 7, c="prices", s=XBT, mark=80000, index=90000)
    assert ex.relative_funding_rate(XBT) == -1_000_000_000
