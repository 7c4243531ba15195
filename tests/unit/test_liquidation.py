"""Liquidation: an account below maintenance margin after a step is closed by the book, the assignment
program and the unwind queue; only accounts whose mark bands a move left are checked."""

from __future__ import annotations

from krakensim.engine import Exchange, default_instruments
from krakensim.engine import events as ev
from krakensim.engine.commands import (
    AddAssignmentPreference,
    CreateAccount,
    DeleteAssignmentPreference,
    PlaceOrder,
    SetPrices,
)
from krakensim.engine.liquidation import LIQUIDATION_FEE_BPS
from krakensim.engine.units import BUY, SELL

USD = 100_000_000
T0 = 1_700_000_000_000  # a Tuesday
XBT = "PF_XBTUSD"


class Venue:
    def __init__(self) -> None:
        self.ex = Exchange(default_instruments(), seed=7)
        self.t = T0
        self.events: list[ev.Event] = []

    def run(self, cmd: object) -> object:
        self.t += 1
        r = self.ex.apply(cmd, self.t)  # type: ignore[arg-type]
        self.events += r.events
        return r

    def account(self, usd: int) -> str:
        r = self.run(CreateAccount(usd * USD))
        return r.account_id  # type: ignore[attr-defined, no-any-return]

    def order(self, a: str, side: int, lots: int, price: int, otype: str = "lmt") -> object:
        return self.run(PlaceOrder(a, XBT, side, otype, lots, price))

    def below_maintenance(self) -> list[str]:
        risk = self.ex.risk
        return [a for a, acc in self.ex.accounts.items()
                if any(p.lots for p in acc.positions.values())
                and risk.summary(acc).equity < risk.maintenance_margin(acc)]


def four_times_long(v: Venue) -> tuple[str, str]:
    """A 10,000 USD account long 0.4444 BTC at 90,000 (4×), against a rich maker."""
    long, maker = v.account(10_000), v.account(10_000_000)
    v.order(maker, SELL, 4444, 90000)
    v.order(long, BUY, 4444, 90000, "ioc")
    assert v.ex.accounts[long].lots(XBT) == 4444
    return long, maker


def test_a_mark_far_below_entry_liquidates_a_4x_long_against_the_book() -> None:
    v = Venue()
    long, maker = four_times_long(v)
    v.order(maker, BUY, 10_000, 69000)  # the book can absorb it above the bankruptcy price
    v.run(SetPrices(XBT, mark=80000))
    assert v.ex.accounts[long].lots(XBT) == 4444  # still above maintenance
    v.order(long, SELL, 1, 95000)  # an order of its own: cancelled by the liquidation
    start = len(v.events)
    v.run(SetPrices(XBT, mark=60000))
    acc = v.ex.accounts[long]
    assert acc.lots(XBT) == 0 and not acc.orders
    after = v.events[start:]
    fills = [e for e in after if isinstance(e, ev.OrderFilled) and e.account_id == long]
    assert fills and {f.fill_type for f in fills} == {"liquidation"} and all(f.price == 69000 for f in fills)
    assert fills[0].order_after.order_type == "liquidation"
    cancelled = [e for e in after if isinstance(e, ev.OrderCancelled) and e.account_id == long]
    assert cancelled[0].reason == "liquidation"
    logged = [e for e in after if isinstance(e, ev.AccountLogged) and e.account_id == long]
    # the fill's two legs (the position's, the wallet's) and the liquidation fee's entry
    assert [e.info for e in logged] == ["futures liquidation"] * 3
    assert [e.asset for e in logged[:2]] == [XBT, "USD"]
    fee = logged[2].liquidation_fee
    assert fee == 4444 * 69000 * 10_000 * LIQUIDATION_FEE_BPS // 10_000 > 0
    assert v.ex.liquidation.pool == fee and acc.balance >= 0
    assert v.below_maintenance() == []


def test_what_the_book_cannot_absorb_is_assigned_then_unwound() -> None:
    v = Venue()
    long, maker = four_times_long(v)
    taker = v.account(1_000_000)
    v.run(AddAssignmentPreference(taker, "flex", True, False, "all", True, contract=XBT, max_size=2000 * 10**4))
    off = v.account(1_000_000)
    gone = v.run(AddAssignmentPreference(off, "flex", True, True, "all", True))
    v.run(DeleteAssignmentPreference(off, gone.preference.pref_id))  # type: ignore[attr-defined]
    v.order(maker, BUY, 1000, 69000)  # absorbs 1000 of the 4444 lots
    v.run(SetPrices(XBT, mark=60000))
    types = {(e.account_id, e.fill_type, e.lots) for e in v.events if isinstance(e, ev.OrderFilled) and e.fill_type
             not in ("maker", "taker")}
    assert (long, "liquidation", 1000) in types
    assert (long, "assignor", 2000) in types and (taker, "assignee", 2000) in types
    assert (long, "unwindBankrupt", 1444) in types and (maker, "unwindCounterparty", 1444) in types
    assert v.ex.accounts[long].lots(XBT) == 0 and v.ex.accounts[taker].lots(XBT) == 2000
    assert v.ex.accounts[off].lots(XBT) == 0  # its preference was deleted
    assert sum(a.lots(XBT) for a in v.ex.accounts.values()) == 0
    assert v.below_maintenance() == []


def test_a_mark_move_checks_only_the_accounts_whose_band_it_left() -> None:
    v = Venue()
    maker = v.account(100_000_000)
    v.order(maker, SELL, 100 * 100, 90000)
    for lev in [2, 3, 4, 5] * 25:  # 100 accounts long 0.01 BTC (900 USD), from 2× to 5×
        a = v.account(900 // lev)
        v.order(a, BUY, 100, 90000, "ioc")
    liq = v.ex.liquidation
    before = liq.checks
    v.run(SetPrices(XBT, mark=89990))  # a small move: no band left
    assert liq.checks == before
    v.run(SetPrices(XBT, mark=40000))
    assert liq.checks > before
    assert v.below_maintenance() == []


def test_an_assignee_takes_no_more_than_its_margin_carries() -> None:
    """(Found by the property test: assignees that could not carry what they took were liquidated in turn
    and assigned it back, round after round, until the step ended with an account below maintenance.)"""
    v = Venue()
    long, maker = four_times_long(v)
    small = v.account(500)
    v.run(AddAssignmentPreference(small, "flex", True, True, "all", True))
    v.run(SetPrices(XBT, mark=60000))
    took = v.ex.accounts[small].lots(XBT)
    assert 0 < took < 4444
    risk = v.ex.risk
    assert risk.summary(v.ex.accounts[small]).available >= 0
    assert v.below_maintenance() == [] and v.ex.accounts[long].lots(XBT) == 0
