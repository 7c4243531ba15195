"""Trigger orders, the dead man's switch, self-trade strategies and market states in the engine."""

from __future__ import annotations

from typing import Any

from krakensim.api.render.history import KINDS
from krakensim.engine import Exchange, default_instruments
from krakensim.engine.commands import (
    ArmDeadManSwitch,
    CancelOrder,
    Command,
    CreateAccount,
    EditOrder,
    PlaceOrder,
    SetMarketState,
    SetPrices,
    SetSelfTradeStrategy,
    Tick,
)
from krakensim.engine.events import OrderFilled, TriggerCancelled, TriggerPlaced, TriggerRejected
from krakensim.engine.triggers import PERCENT, QUOTE
from krakensim.engine.units import BUY, SELL

USD = 100_000_000
T0 = 1_700_000_000_000
XBT = "PF_XBTUSD"


def setup(n: int = 3) -> tuple[Exchange, list[str]]:
    ex = Exchange(default_instruments(), seed=11)
    return ex, [ex.apply(CreateAccount(100_000 * USD), T0).account_id for _ in range(n)]


def run(ex: Exchange, at: int, cmd: Command):
    return ex.apply(cmd, at)


def place(ex: Exchange, a: str, side: int, lots: int, price: int | None = None, otype: str = "lmt", t: int = T0,
          **extra: Any):
    cmd = PlaceOrder(account_id=a, symbol=XBT, side=side, order_type=otype, quantity=lots, limit_price=price,
                     **extra)
    return ex.apply(cmd, t)


def trade_at(ex: Exchange, maker: str, taker: str, price: int, t: int = T0) -> None:
    assert place(ex, maker, SELL, 1, price, t=t).status == "placed"
    r = place(ex, taker, BUY, 1, price, t=t)
    assert isinstance(r.order_events[0], OrderFilled), r


def test_stop_rests_off_book_and_fires_on_last_price() -> None:
    ex, (a, b, c) = setup()
    place(ex, c, SELL, 100, 91500)  # liquidity the stop will take
    r = place(ex, a, BUY, 10, None, "stp", stop_price=91000, trigger_signal="last")
    assert r.status == "placed" and isinstance(r.order_events[0], TriggerPlaced)
    assert ex.book(XBT).bids.best() is None and r.order_id in ex.accounts[a].triggers
    trade_at(ex, b, c, 90500)  # below the stop: nothing
    assert r.order_id in ex.accounts[a].triggers
    trade_at(ex, b, c, 91000, t=T0 + 5)  # last reaches 91000: the stop becomes a market buy
    assert r.order_id not in ex.accounts[a].triggers
    fills = [f for f in ex.accounts[a].fills if f.order_id == r.order_id]
    assert [(f.price, f.lots) for f in fills] == [(91500, 10)]
    kinds = [KINDS[type(e)] for e, _rank in ex.history.of(a)]
    assert kinds[:3] == ["OrderTriggerPlaced", "OrderTriggerActivated", "OrderPlaced"]


def test_take_profit_with_limit_fires_on_mark() -> None:
    ex, (a, b, _) = setup()
    place(ex, b, BUY, 10, 89000)
    place(ex, a, SELL, 10, 89000, otype="lmt")  # a is now short 10
    r = place(ex, a, BUY, 10, 88000, "take_profit", stop_price=88500, trigger_signal="mark", reduce_only=True)
    assert r.status == "placed"
    run(ex, T0 + 1, SetPrices(XBT, mark=88600))
    assert r.order_id in ex.accounts[a].triggers
    run(ex, T0 + 2, SetPrices(XBT, mark=88500))
    assert r.order_id in ex.open_orders and ex.open_orders[r.order_id].price == 88000  # a resting limit buy now


def test_index_signal_and_cancel_trigger() -> None:
    ex, (a, _, _) = setup()
    r = place(ex, a, SELL, 10, None, "stp", stop_price=85000, trigger_signal="index")
    run(ex, T0 + 1, SetPrices(XBT, mark=84000))  # mark is not its signal
    assert r.order_id in ex.accounts[a].triggers
    c = run(ex, T0 + 2, CancelOrder(a, order_id=r.order_id))
    assert c.status == "cancelled" and isinstance(c.order_events[0], TriggerCancelled)
    assert not ex.accounts[a].triggers and not len(ex.trigger_books[XBT])


def test_trailing_stop_follows_the_peak() -> None:
    ex, (a, _, _) = setup()
    r = place(ex, a, SELL, 10, None, "trailing_stop", trigger_signal="mark",
              trailing_deviation=(100, PERCENT))  # 1 %
    trig = ex.accounts[a].triggers[r.order_id]
    assert trig.trigger_price == 90000 - 900
    run(ex, T0 + 1, SetPrices(XBT, mark=95000))
    assert trig.trigger_price == 95000 - 950
    run(ex, T0 + 2, SetPrices(XBT, mark=94500))  # falls, but not to the trigger
    assert trig.trigger_price == 94050 and r.order_id in ex.accounts[a].triggers
    run(ex, T0 + 3, SetPrices(XBT, mark=94050))
    assert r.order_id not in ex.accounts[a].triggers
    q = place(ex, a, BUY, 10, None, "trailing_stop", trigger_signal="mark", trailing_deviation=(500, QUOTE))
    assert ex.accounts[a].triggers[q.order_id].trigger_price == 94050 + 500


def test_limit_offset_from_the_stop() -> None:
    ex, (a, _, _) = setup()
    r = place(ex, a, BUY, 10, None, "stp", stop_price=91000, trigger_signal="mark",
              limit_offset=(-50, PERCENT))  # -0.5 %
    run(ex, T0 + 1, SetPrices(XBT, mark=91000))
    assert ex.open_orders[r.order_id].price == 91000 - 455


def test_malformed_trigger_is_rejected_with_its_reason() -> None:
    ex, (a, _, _) = setup()
    r = place(ex, a, SELL, 10, None, "trailing_stop", refusal="TRAILING_STOP_MAX_DEVIATION_TOO_SMALL")
    assert r.status == "invalidPrice" and isinstance(r.order_events[0], TriggerRejected)
    assert r.order_events[0].reason == "TRAILING_STOP_MAX_DEVIATION_TOO_SMALL"
    assert not ex.accounts[a].triggers


def test_reduce_only_trigger_that_would_not_reduce_fails_on_activation() -> None:
    ex, (a, _, _) = setup()
    r = place(ex, a, SELL, 10, None, "stp", stop_price=85000, trigger_signal="mark", reduce_only=True)
    assert r.status == "placed"  # accepted without a position, as Kraken does for triggers
    run(ex, T0 + 1, SetPrices(XBT, mark=85000))
    d = ex.finished.by_id[r.order_id]
    assert d.status == "TRIGGER_ACTIVATION_FAILURE" and d.reason == "WOULD_NOT_REDUCE_POSITION"
    assert ex.order_statuses(a, [r.order_id], [], T0 + 2)[0][1] == "TRIGGER_ACTIVATION_FAILURE"


def test_dead_man_switch_cancels_everything_at_the_deadline() -> None:
    ex, (a, b, _) = setup()
    o = place(ex, a, BUY, 10, 89000)
    s = place(ex, a, SELL, 10, None, "stp", stop_price=85000)
    other = place(ex, b, BUY, 10, 89000)
    r = run(ex, T0, ArmDeadManSwitch(a, 60))
    assert r.deadline == T0 + 60_000 and ex.next_deadline() == T0 + 60_000
    run(ex, T0 + 59_999, Tick())
    assert o.order_id in ex.open_orders
    run(ex, T0 + 60_000, Tick())
    assert o.order_id not in ex.open_orders and s.order_id not in ex.accounts[a].triggers
    assert other.order_id in ex.open_orders and ex.deadman.next is None
    assert ex.finished.by_id[o.order_id].reason == "DEAD_MAN_SWITCH"
    # re-arming and disarming
    run(ex, T0 + 61_000, ArmDeadManSwitch(a, 10))
    assert run(ex, T0 + 62_000, ArmDeadManSwitch(a, 0)).deadline is None and ex.deadman.next is None


def test_dead_man_switch_fires_before_a_later_command() -> None:
    ex, (a, _, _) = setup()
    o = place(ex, a, BUY, 10, 89000)
    run(ex, T0, ArmDeadManSwitch(a, 1))
    later = place(ex, a, BUY, 10, 89000, t=T0 + 5_000)  # the switch fired at T0+1s, before this
    assert o.order_id not in ex.open_orders and later.order_id in ex.open_orders
    assert ex.finished.by_id[o.order_id].order.updated_at == T0 + 1_000


def test_cancel_maker_self_strategy() -> None:
    ex, (a, b, _) = setup()
    own = place(ex, a, SELL, 5, 90000)
    place(ex, b, SELL, 5, 90100)
    run(ex, T0, SetSelfTradeStrategy(a, "CANCEL_MAKER_SELF"))
    r = place(ex, a, BUY, 5, 90100)
    assert r.status == "placed" and isinstance(r.order_events[0], OrderFilled)
    assert r.order_events[0].price == 90100
    assert own.order_id not in ex.open_orders and ex.finished.by_id[own.order_id].reason == "WOULD_EXECUTE_SELF_REASON"


def test_market_states_and_limits() -> None:
    ex, (a, _, _) = setup()
    run(ex, T0, SetMarketState(XBT, "suspended"))
    assert place(ex, a, BUY, 10, 89000).status == "marketSuspended"
    run(ex, T0, SetMarketState(XBT, "inactive"))
    assert place(ex, a, BUY, 10, 89000).status == "marketInactive"
    run(ex, T0, SetMarketState(XBT, "post_only"))
    assert place(ex, a, BUY, 10, 89000).status == "marketIsPostOnly"
    assert place(ex, a, BUY, 10, 89000, otype="post").status == "placed"
    run(ex, T0, SetMarketState(XBT, "open"))
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
    ro = place(ex, a, SELL, 10, 91000, reduce_only=True)
    place(ex, c, BUY, 10, 89000)
    place(ex, a, SELL, 10, 89000)  # a closes the position with another order
    assert ex.accounts[a].positions[XBT].lots == 0
    r = place(ex, b, BUY, 10, 91000)  # would hit a's reduce-only order
    assert ro.order_id not in ex.open_orders and ex.finished.by_id[ro.order_id].reason == "WOULD_NOT_REDUCE_POSITION"
    assert ex.accounts[a].positions[XBT].lots == 0 and r.status == "placed"


def test_would_cause_liquidation() -> None:
    ex = Exchange(default_instruments(), seed=2)
    poor, enough, rich = (ex.apply(CreateAccount(u * USD), T0).account_id for u in (30, 200, 100_000))
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
    ro = place(ex, b, SELL, 10, 90010, reduce_only=True)
    place(ex, c, BUY, 10, 89990)
    place(ex, b, SELL, 10, 89990, otype="ioc")  # b flat again: its reduce-only sell is stale
    place(ex, c, SELL, 5, 90020)
    fok = place(ex, a, BUY, 10, 90020, otype="fok")
    assert fok.status == "iocWouldNotExecute" and not [f for f in ex.accounts[a].fills]
    assert ro.order_id in ex.open_orders  # nothing traded, so nothing touched it
    own = place(ex, a, SELL, 10, 90015)
    r = place(ex, a, BUY, 10, 90020)  # meets its own 90015 before c's 90020: REJECT_TAKER refuses it whole
    assert r.status == "selfFill" and own.order_id in ex.open_orders and not ex.accounts[a].fills


def test_edits_respect_market_states() -> None:
    ex, (a, b, _) = setup()
    place(ex, a, SELL, 10, 90000)
    bid = place(ex, b, BUY, 10, 89000)
    for state, status in (("suspended", "marketUnavailable"), ("inactive", "marketUnavailable"),
                          ("post_only", "postWouldExecute")):
        run(ex, T0, SetMarketState(XBT, state))
        r = run(ex, T0, EditOrder(b, order_id=bid.order_id, limit_price=90000, quantity_mode="RELATIVE"))
        assert r.status == status and not ex.accounts[b].fills
    run(ex, T0, SetMarketState(XBT, "post_only"))  # a non-crossing edit is fine in a post-only market
    edit = EditOrder(b, order_id=bid.order_id, limit_price=89500, quantity_mode="RELATIVE")
    assert run(ex, T0, edit).status == "edited"


def test_funding_rate_published_every_hour_from_the_premium() -> None:
    ex, (a, _, _) = setup()
    hour = 3_600_000
    start = T0 - T0 % hour
    run(ex, T0, SetPrices(XBT, mark=90090, index=90000))  # mark 0.1 % over index
    assert ex.next_deadline() == start + hour
    assert not ex.funding.rates[XBT]
    run(ex, start + 3 * hour + 5, Tick())  # three boundaries passed: three rates, dated at each
    assert [t for t, _, _ in ex.funding.rates[XBT]] == [start + hour, start + 2 * hour, start + 3 * hour]
    # 0.1 % premium / fundingRateCoefficient 8 = 0.0125 %
    assert {r for _, r, _ in ex.funding.rates[XBT]} == {125_000_000}
    run(ex, start + 3 * hour + 6, SetPrices(XBT, mark=95000, index=90000))
    assert ex.funding.relative_rate(XBT) == 1_000_000_000  # capped at maxRelativeFundingRate 0.1 %
    run(ex, start + 3 * hour + 7, SetPrices(XBT, mark=80000, index=90000))
    assert ex.funding.relative_rate(XBT) == -1_000_000_000
