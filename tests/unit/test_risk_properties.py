"""Liquidation and funding invariants over random command sequences (hypothesis state machine).

Leveraged traders, a rich market maker, large mark moves, hours of funding and assignment
preferences. After every step:
- value is conserved across all accounts with fees, funding and liquidations included: balances +
  unrealised PnL + unrealised funding + fees collected + the liquidity pool equal the money the
  accounts started with (exact: funding is counted in its own units, below one usd8);
- funding sums to zero: what was booked to wallets plus what is accrued or carried is exactly zero;
- no account is below its maintenance margin;
- per contract the positions sum to zero;
- replaying the same commands gives the same state (digest).
"""

from __future__ import annotations

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from krakensim.engine import Exchange, Result, default_instruments
from krakensim.engine import events as ev
from krakensim.engine.commands import (
    CODEC,
    AddAssignmentPreference,
    Command,
    CreateAccount,
    PlaceOrder,
    SetPrices,
    Tick,
)
from krakensim.engine.funding_payments import FUNDING_UNIT
from krakensim.engine.units import BUY, SELL

USD = 100_000_000
T0 = 1_700_002_700_000  # 100 s before an hour boundary
SYMBOLS = ["PF_XBTUSD", "PF_ETHUSD"]
MID = {"PF_XBTUSD": 90000, "PF_ETHUSD": 30000}  # ticks (ETH tick is 0.1)
TRADERS = 4


class RiskMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ex = Exchange(default_instruments(), seed=11)
        self.log: list[tuple[Command, int]] = []
        self.t = T0
        self.accounts: list[str] = []
        self.total = 0
        self.booked_funding = 0

    def run(self, cmd: Command) -> Result:
        self.t += 1
        self.log.append((cmd, self.t))
        r = self.ex.apply(cmd, self.t)
        self.booked_funding += sum(e.realized_funding for e in r.events if isinstance(e, ev.AccountLogged))
        for e in r.events:  # what the runs exercise (--hypothesis-show-statistics)
            if isinstance(e, ev.OrderFilled) and e.fill_type not in ("maker", "taker"):
                event(e.fill_type)
            elif isinstance(e, ev.AccountLogged) and e.realized_funding:
                event("funding realised")
        return r

    @initialize(funds=st.lists(st.integers(500, 20_000), min_size=TRADERS, max_size=TRADERS))
    def make_accounts(self, funds: list[int]) -> None:
        for usd in [50_000_000, *funds]:  # the first is the market maker
            r = self.run(CreateAccount(usd * USD))
            assert r.account_id is not None
            self.accounts.append(r.account_id)
            self.total += usd * USD

    def mark(self, sym: str) -> int:
        return self.ex.pricing.marks[sym]

    @rule(sym=st.sampled_from(SYMBOLS), depth=st.integers(1, 6), lots=st.integers(100, 5000),
          step_bps=st.integers(5, 300))
    def maker_quotes(self, sym: str, depth: int, lots: int, step_bps: int) -> None:
        mark = self.mark(sym)
        for i in range(1, depth + 1):
            off = max(1, mark * step_bps * i // 10_000)
            self.run(PlaceOrder(self.accounts[0], sym, BUY, "post", lots, max(1, mark - off)))
            self.run(PlaceOrder(self.accounts[0], sym, SELL, "post", lots, mark + off))

    @rule(trader=st.integers(1, TRADERS), sym=st.sampled_from(SYMBOLS), side=st.sampled_from([BUY, SELL]),
          lots=st.integers(1, 6000), otype=st.sampled_from(["mkt", "lmt", "ioc"]), offset_bps=st.integers(-200, 200))
    def trade(self, trader: int, sym: str, side: int, lots: int, otype: str, offset_bps: int) -> None:
        mark = self.mark(sym)
        price = None if otype == "mkt" else max(1, mark + mark * offset_bps // 10_000)
        self.run(PlaceOrder(self.accounts[trader], sym, side, otype, lots, price))

    @rule(trader=st.integers(1, TRADERS), sym=st.sampled_from(SYMBOLS), side=st.sampled_from([BUY, SELL]),
          leverage=st.integers(2, 40))
    def open_leveraged(self, trader: int, sym: str, side: int, leverage: int) -> None:
        """The maker offers what the trader takes at once: a position of ``leverage`` × its equity."""
        a = self.ex.accounts[self.accounts[trader]]
        inst = self.ex.instruments[sym]
        mark = self.mark(sym)
        lots = self.ex.risk.summary(a).equity * leverage // inst.notional_usd8(1, mark)
        if lots <= 0:
            return
        self.run(PlaceOrder(self.accounts[0], sym, -side, "post", lots, mark + side))
        self.run(PlaceOrder(a.account_id, sym, side, "ioc", lots, mark + side))

    @rule(sym=st.sampled_from(SYMBOLS), move_bps=st.integers(-4000, 4000), premium_bps=st.integers(-50, 50))
    def move_prices(self, sym: str, move_bps: int, premium_bps: int) -> None:
        mark = max(2, self.mark(sym) + self.mark(sym) * move_bps // 10_000)
        self.run(SetPrices(sym, mark=mark, index=max(1, mark - mark * premium_bps // 10_000)))

    @rule(ms=st.sampled_from([1, 1000, 600_000, 3_600_000, 7_300_000]))
    def time_passes(self, ms: int) -> None:
        self.t += ms
        self.run(Tick())

    @rule(trader=st.integers(1, TRADERS), long=st.booleans(), short=st.booleans(),
          max_size=st.none() | st.integers(1, 10**8))
    def join_assignment_program(self, trader: int, long: bool, short: bool, max_size: int | None) -> None:
        self.run(AddAssignmentPreference(self.accounts[trader], "flex", long, short, "all", True, max_size=max_size))

    @invariant()
    def value_conserved(self) -> None:
        ex = self.ex
        usd8 = sum(a.balance + ex.risk.unrealized_pnl(a) for a in ex.accounts.values())
        usd8 += ex.accounts.fees_collected + ex.liquidation.pool
        assert usd8 * FUNDING_UNIT + ex.funding_payments.total_units() == self.total * FUNDING_UNIT

    @invariant()
    def funding_sums_to_zero(self) -> None:
        assert self.booked_funding * FUNDING_UNIT + self.ex.funding_payments.total_units() == 0

    @invariant()
    def nobody_below_maintenance(self) -> None:
        risk = self.ex.risk
        for a in self.ex.accounts.values():
            if any(p.lots for p in a.positions.values()):
                assert risk.summary(a).equity >= risk.maintenance_margin(a), a.account_id
            assert a.balance >= 0 or any(p.lots for p in a.positions.values())

    @invariant()
    def positions_net_to_zero(self) -> None:
        for s in SYMBOLS:
            assert sum(a.lots(s) for a in self.ex.accounts.values()) == 0

    def teardown(self) -> None:
        replay = Exchange(default_instruments(), seed=11)
        for cmd, t in self.log:
            replay.apply(CODEC.decode(CODEC.encode(cmd)), t)
        assert replay.digest() == self.ex.digest()


RiskMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestRiskMachine = RiskMachine.TestCase
