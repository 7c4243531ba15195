"""A market maker's ``Requote`` is the cancels, edits and post-only orders it names, applied in one command;
the market's agents (``CreateAccount(market_agent=True)``) skip margin checks and are never liquidated."""

from __future__ import annotations

import pytest

from krakensim.engine import Exchange, default_instruments
from krakensim.engine.commands import (
    CancelOrder,
    CreateAccount,
    EditOrder,
    PlaceOrder,
    Requote,
    SetPrices,
)
from krakensim.engine.units import BUY, SELL

USD = 100_000_000  # usd8 per dollar
T0 = 1_700_000_000_000
XBT = "PF_XBTUSD"


def venue(agent: bool = False) -> tuple[Exchange, str, list[str]]:
    """An exchange with a maker holding three resting orders (bids at 89,000 and 88,990; an ask at 91,000)."""
    ex = Exchange(default_instruments(), seed=7)
    maker = ex.apply(CreateAccount(100_000 * USD, market_agent=agent), T0).account_id
    assert maker is not None
    ids = [ex.apply(PlaceOrder(maker, XBT, side, "post", 10, limit_price=price), T0).order_id
           for side, price in ((BUY, 89_000), (BUY, 88_990), (SELL, 91_000))]
    return ex, maker, [i for i in ids if i is not None]


def test_a_requote_is_its_orders_one_by_one() -> None:
    batched, maker, (bid, deep_bid, ask) = venue()
    single, _, _ = venue()
    got = batched.apply(Requote(maker, XBT, cancel=(deep_bid,), move=((bid, 12, 89_100),),
                                place=((SELL, 7, 90_900), (BUY, 5, 88_900))), T0 + 1)
    events = [type(e).__name__ for e in got.events]
    one_by_one = []
    for cmd in (CancelOrder(maker, order_id=deep_bid), EditOrder(maker, order_id=bid, quantity=12, limit_price=89_100),
                PlaceOrder(maker, XBT, SELL, "post", 7, limit_price=90_900),
                PlaceOrder(maker, XBT, BUY, "post", 5, limit_price=88_900)):
        one_by_one += [type(e).__name__ for e in single.apply(cmd, T0 + 1).events]
    assert events == one_by_one and "OrderEdited" in events and "OrderCancelled" in events
    assert batched.digest() == single.digest()  # the same ids, books, margins and history
    book = batched.book(XBT)
    assert book.bids.best() == 89_100 and book.asks.best() == 90_900
    assert batched.open_orders[bid].quantity == 12 and ask in batched.open_orders


def test_a_requote_skips_orders_gone_and_refuses_what_a_post_only_order_would() -> None:
    ex, maker, (bid, _, ask) = venue()
    ex.apply(CancelOrder(maker, order_id=bid), T0 + 1)
    got = ex.apply(Requote(maker, XBT, cancel=(bid,), move=((bid, 3, 90_000),),
                           place=((BUY, 4, 91_500),)), T0 + 2)  # crosses the maker's own ask: post-only refuses
    assert [type(e).__name__ for e in got.events] == ["OrderRejected"]
    assert ex.book(XBT).bids.best() == 88_990 and ask in ex.open_orders


@pytest.mark.parametrize("bad", [
    Requote("?", XBT, place=((BUY, 1, 89_000),)),  # no such account
    Requote("", "PF_NOPE", place=((BUY, 1, 89_000),)),  # no such book
    Requote("", XBT, place=((2, 1, 89_000),)),  # no such side
    Requote("", XBT, place=((BUY, 0, 89_000),)),  # no size
    Requote("", XBT, place=((BUY, 1, 0),)),  # no price
    Requote("", XBT, move=(("x", 1, -5),)),
])
def test_a_malformed_requote_changes_nothing(bad: Requote) -> None:
    ex, maker, (bid, _, _) = venue()
    cmd = Requote(bad.account_id or maker, bad.symbol, cancel=(bid,), place=bad.place, move=bad.move)
    before = ex.digest()
    with pytest.raises((KeyError, ValueError)):
        ex.apply(cmd, T0 + 1)
    assert ex.digest() == before and bid in ex.open_orders  # the cancel before the bad order did not happen


def test_a_market_agent_is_not_margin_checked_or_liquidated() -> None:
    ex = Exchange(default_instruments(), seed=7)
    agent = ex.apply(CreateAccount(1_000 * USD, market_agent=True), T0).account_id
    trader = ex.apply(CreateAccount(1_000 * USD), T0).account_id
    other = ex.apply(CreateAccount(10**9 * USD), T0).account_id
    assert agent and trader and other
    lots = 500_000  # 5 BTC at 90,000: 450,000 USD of notional on 1,000 USD
    assert ex.apply(PlaceOrder(trader, XBT, BUY, "lmt", lots, limit_price=90_000), T0).status == \
        "insufficientAvailableFunds"
    assert ex.apply(PlaceOrder(agent, XBT, BUY, "lmt", lots, limit_price=90_000), T0).status == "placed"
    ex.apply(PlaceOrder(other, XBT, SELL, "mkt", lots), T0)
    assert ex.accounts[agent].lots(XBT) == lots
    ex.apply(SetPrices(XBT, mark=80_000, index=80_000), T0 + 1)  # a loss of 50,000 USD on 1,000
    assert ex.accounts[agent].lots(XBT) == lots  # never liquidated: it is the venue's liquidity
