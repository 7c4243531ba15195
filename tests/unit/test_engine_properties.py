"""Engine invariants over random command sequences (hypothesis state machine).

- the book is never crossed after matching;
- quantity is conserved: every order's fills add up to its ``filled``, open orders are not
  over-filled, and per symbol the accounts' positions sum to zero;
- value is conserved: balances + unrealised PnL + fees collected stay equal to the money
  the accounts started with (linear instruments, exact integers);
- a reduce-only order never increases |position|, at placement or at any later fill;
- trigger orders, price moves, the dead man's switch and self-trade strategies keep all of the above;
- replaying the same commands with the same times gives the same state, to the byte.
"""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from krakensim.engine import Exchange, Result, default_instruments
from krakensim.engine.commands import (
    CODEC,
    ArmDeadManSwitch,
    CancelOrder,
    Command,
    CreateAccount,
    EditOrder,
    PlaceOrder,
    SetPrices,
    SetSelfTradeStrategy,
    Tick,
)
from krakensim.engine.units import BUY, SELL

USD = 100_000_000
T0 = 1_700_000_000_000
SYMBOLS = ["PF_XBTUSD", "PF_ETHUSD"]
MID = {"PF_XBTUSD": 90000, "PF_ETHUSD": 30000}  # ticks (ETH tick is 0.1)
FUNDS = 50_000 * USD


class EngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ex = Exchange(default_instruments(), seed=3)
        self.log: list[tuple[Command, int]] = []
        self.t = T0
        self.accounts: list[str] = []
        self.order_ids: list[str] = []
        self.total = 0

    def run(self, cmd: Command) -> Result:
        self.t += 1
        self.log.append((cmd, self.t))  # commands are frozen: the log keeps them as they were applied
        return self.ex.apply(cmd, self.t)

    @initialize()
    def make_accounts(self) -> None:
        for _ in range(3):
            r = self.run(CreateAccount(FUNDS))
            self.accounts.append(r.account_id)
            self.total += FUNDS

    @rule(
        acct=st.integers(0, 2), sym=st.sampled_from(SYMBOLS), side=st.sampled_from([BUY, SELL]),
        otype=st.sampled_from(["lmt", "lmt", "post", "ioc", "fok", "mkt"]), lots=st.integers(1, 400),
        offset=st.integers(-30, 30), ro=st.booleans(), cli=st.sampled_from([None, None, "a", "b"]),
    )
    def place(self, acct: int, sym: str, side: int, otype: str, lots: int, offset: int, ro: bool, cli: str | None):
        a = self.accounts[acct]
        pos = self.ex.accounts[a].positions.get(sym)
        before = abs(pos.lots) if pos else 0
        cmd = PlaceOrder(account_id=a, symbol=sym, side=side, order_type=otype, quantity=lots,
                         limit_price=None if otype == "mkt" else MID[sym] + offset, reduce_only=ro,
                         client_order_id=cli or None)
        r = self.run(cmd)
        if r.status == "placed":
            self.order_ids.append(r.order_id)
        if ro:
            pos = self.ex.accounts[a].positions.get(sym)
            assert (abs(pos.lots) if pos else 0) <= before, "reduce-only order grew the position"

    @rule(
        acct=st.integers(0, 2), sym=st.sampled_from(SYMBOLS), side=st.sampled_from([BUY, SELL]),
        otype=st.sampled_from(["stp", "take_profit", "trailing_stop"]), lots=st.integers(1, 300),
        offset=st.integers(-40, 40), limit=st.none() | st.integers(-20, 20), ro=st.booleans(),
        sig=st.sampled_from(["mark", "index", "last"]), dev=st.integers(10, 300),
    )
    def place_trigger(self, acct: int, sym: str, side: int, otype: str, lots: int, offset: int, limit: int | None,
                      ro: bool, sig: str, dev: int) -> None:
        trailing = otype == "trailing_stop"
        cmd = PlaceOrder(
            account_id=self.accounts[acct], symbol=sym, side=side, order_type=otype, quantity=lots,
            trigger_signal=sig, reduce_only=ro,
            trailing_deviation=(dev, "PERCENT") if trailing else None,
            stop_price=None if trailing else MID[sym] + offset,
            limit_price=None if trailing or limit is None else MID[sym] + offset + limit,
        )
        r = self.run(cmd)
        if r.status == "placed":
            self.order_ids.append(r.order_id)

    @rule(sym=st.sampled_from(SYMBOLS), mark=st.integers(-40, 40), index=st.none() | st.integers(-40, 40))
    def move_prices(self, sym: str, mark: int, index: int | None) -> None:
        self.run(SetPrices(sym, mark=MID[sym] + mark, index=None if index is None else MID[sym] + index))

    @rule(acct=st.integers(0, 2), timeout=st.integers(0, 3))
    def dead_man_switch(self, acct: int, timeout: int) -> None:
        self.run(ArmDeadManSwitch(self.accounts[acct], timeout))

    @rule(ms=st.integers(1, 4000))
    def time_passes(self, ms: int) -> None:
        self.t += ms
        self.run(Tick())

    @rule(acct=st.integers(0, 2), strategy=st.sampled_from(["REJECT_TAKER", "CANCEL_MAKER_SELF"]))
    def self_trade_strategy(self, acct: int, strategy: str) -> None:
        self.run(SetSelfTradeStrategy(self.accounts[acct], strategy))

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(self.order_ids))
        finished = self.ex.finished.by_id
        o = self.ex.open_orders.get(oid) or (finished[oid].order if oid in finished else None)
        if o is None:
            o = next(a.triggers[oid] for a in self.ex.accounts.values() if oid in a.triggers)
        r = self.run(CancelOrder(o.account_id, order_id=oid))
        assert r.status in ("cancelled", "filled", "notFound")

    @precondition(lambda self: self.order_ids)
    @rule(data=st.data(), lots=st.none() | st.integers(1, 400), offset=st.none() | st.integers(-30, 30))
    def edit(self, data: st.DataObject, lots: int | None, offset: int | None) -> None:
        oid = data.draw(st.sampled_from(self.order_ids))
        o = self.ex.open_orders.get(oid)
        if o is None:
            return
        self.run(EditOrder(o.account_id, order_id=oid, quantity_mode="RELATIVE", quantity=lots,
                           limit_price=None if offset is None else MID[o.symbol] + offset))

    @invariant()
    def book_not_crossed(self) -> None:
        for s in self.ex.instruments:
            assert not self.ex.book(s).crossed()

    @invariant()
    def quantity_conserved(self) -> None:
        ex = self.ex
        filled_by_order: dict[str, int] = defaultdict(int)
        net: dict[str, int] = defaultdict(int)
        for a in ex.accounts.values():
            for f in a.fills:
                filled_by_order[f.order_id] += f.lots
            for s, p in a.positions.items():
                net[s] += p.lots
        triggers = {oid for a in ex.accounts.values() for oid in a.triggers}
        for oid in self.order_ids:
            o = ex.open_orders.get(oid)
            if o is not None:
                assert 0 <= o.filled < o.quantity
            elif oid in triggers:
                assert filled_by_order[oid] == 0  # a trigger has not traded yet
                continue
            else:
                d = ex.finished.by_id[oid]
                if d.status == "TRIGGER_ACTIVATION_FAILURE" or (d.status == "CANCELLED" and not hasattr(d.order, "filled")):
                    assert filled_by_order[oid] == 0
                    continue
                o = d.order
                assert d.status in ("FULLY_EXECUTED", "CANCELLED")
                assert (o.filled == o.quantity) == (d.status == "FULLY_EXECUTED")
            assert filled_by_order[oid] == o.filled
        assert all(v == 0 for v in net.values())

    @invariant()
    def reduce_only_fills_never_grow_a_position(self) -> None:
        for a in self.ex.accounts.values():
            for f in a.fills:
                if f.order_after.reduce_only:
                    before = f.position_after - f.side * f.lots
                    assert abs(f.position_after) < abs(before), "a reduce-only fill grew the position"

    @invariant()
    def dead_man_switches_are_consistent(self) -> None:
        # the switches live only in ex.deadman now (Account.dms is gone): check the redundancy that is left,
        # the cached earliest deadline, and that every deadline belongs to an existing account
        deadman = self.ex.deadman
        assert deadman.next == (min(deadman.deadlines.values()) if deadman.deadlines else None)
        for uid in deadman.deadlines:
            assert uid in self.ex.accounts

    @invariant()
    def value_conserved(self) -> None:
        ex = self.ex
        value = sum(a.balance + ex.risk.unrealized_pnl(a) for a in ex.accounts.values())
        value += ex.accounts.fees_collected
        assert value == self.total

    @invariant()
    def reserved_margin_and_small_orders_match_open_orders(self) -> None:
        for a in self.ex.accounts.values():
            assert a.order_margin == sum(o.margin for o in a.orders.values())
            assert a.small_orders == sum(1 for o in a.orders.values() if o.small)

    def teardown(self) -> None:
        # the replay goes through the journal encoding, as a restart does
        replay = Exchange(default_instruments(), seed=3)
        for cmd, t in self.log:
            replay.apply(CODEC.decode(CODEC.encode(cmd)), t)
        assert replay.digest() == self.ex.digest()


EngineMachine.TestCase.settings = settings(
    max_examples=80, stateful_step_count=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestEngineMachine = EngineMachine.TestCase
