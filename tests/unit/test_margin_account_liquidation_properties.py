"""Liquidation invariants of the single-collateral margin accounts over random command sequences
(hypothesis state machine): leveraged PI_XBTUSD traders margined in bitcoin, a rich maker, large mark
moves, assignment preferences. After every step:
- the bitcoin pool is exactly the liquidation fees the margin accounts' logs show less the deficits it
  covered, and each such row moves its margin account by exactly that amount;
- no margin account with a position is below its maintenance margin, none is negative;
- the positions sum to zero;
- replaying the same commands gives the same state (digest).
(Funding is left out: no time passes. Bitcoin itself is not conserved exactly across accounts: an
inverse position's entry is the arithmetic mean of its fills' prices, not the harmonic one, so a
position built at several prices holds slightly more or less bitcoin of PnL than its counterparties'
give up; a check of total bitcoin would fail on that, not on liquidation.)
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
)
from krakensim.engine.margin_accounts import margin_account_summary
from krakensim.engine.units import BUY, SELL

T0 = 1_700_000_000_000
PI = "PI_XBTUSD"  # ticks of 0.5 USD
XBT8 = 10**8
TRADERS = 4


class MarginAccountMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ex = Exchange(default_instruments(), seed=13)
        self.log: list[tuple[Command, int]] = []
        self.t = T0
        self.accounts: list[str] = []
        self.total = 0  # 1e-8 XBT funded

    def run(self, cmd: Command) -> Result:
        self.t += 1
        self.log.append((cmd, self.t))
        r = self.ex.apply(cmd, self.t)
        for e in r.events:
            if isinstance(e, ev.OrderFilled) and e.fill_type not in ("maker", "taker"):
                event(e.fill_type)
        return r

    @initialize(funds=st.lists(st.integers(XBT8 // 20, 2 * XBT8), min_size=TRADERS, max_size=TRADERS))
    def make_accounts(self, funds: list[int]) -> None:
        for xbt in [1000 * XBT8, *funds]:  # the first is the market maker
            r = self.run(CreateAccount(0, funds=(("fi_xbtusd", "XBT", xbt),), inverse_in_base=True))
            assert r.account_id is not None
            self.accounts.append(r.account_id)
            self.total += xbt

    def mark(self) -> int:
        return self.ex.pricing.marks[PI]

    @rule(depth=st.integers(1, 6), contracts=st.integers(1000, 50_000), step_bps=st.integers(5, 300))
    def maker_quotes(self, depth: int, contracts: int, step_bps: int) -> None:
        mark = self.mark()
        for i in range(1, depth + 1):
            off = max(1, mark * step_bps * i // 10_000)
            self.run(PlaceOrder(self.accounts[0], PI, BUY, "post", contracts, max(1, mark - off)))
            self.run(PlaceOrder(self.accounts[0], PI, SELL, "post", contracts, mark + off))

    @rule(trader=st.integers(1, TRADERS), side=st.sampled_from([BUY, SELL]), contracts=st.integers(1, 100_000),
          otype=st.sampled_from(["mkt", "lmt", "ioc"]), offset_bps=st.integers(-200, 200))
    def trade(self, trader: int, side: int, contracts: int, otype: str, offset_bps: int) -> None:
        mark = self.mark()
        price = None if otype == "mkt" else max(1, mark + mark * offset_bps // 10_000)
        self.run(PlaceOrder(self.accounts[trader], PI, side, otype, contracts, price))

    @rule(trader=st.integers(1, TRADERS), side=st.sampled_from([BUY, SELL]), leverage=st.integers(2, 40))
    def open_leveraged(self, trader: int, side: int, leverage: int) -> None:
        """The maker offers what the trader takes at once: a position of ``leverage`` × its portfolio value."""
        a = self.ex.accounts[self.accounts[trader]]
        mark = self.mark()
        pv = margin_account_summary(self.ex.risk, a, "XBT").portfolio_value
        contracts = pv * mark // 2 * leverage // XBT8  # USD, one a contract (a tick is 0.5 USD)
        if contracts <= 0:
            return
        self.run(PlaceOrder(self.accounts[0], PI, -side, "post", contracts, mark + side))
        self.run(PlaceOrder(a.account_id, PI, side, "ioc", contracts, mark + side))

    @rule(move_bps=st.integers(-4000, 4000))
    def move_prices(self, move_bps: int) -> None:
        self.run(SetPrices(PI, mark=max(2, self.mark() + self.mark() * move_bps // 10_000)))

    @rule(trader=st.integers(1, TRADERS), long=st.booleans(), short=st.booleans(),
          max_size=st.none() | st.integers(1, 10**8))
    def join_assignment_program(self, trader: int, long: bool, short: bool, max_size: int | None) -> None:
        self.run(AddAssignmentPreference(self.accounts[trader], "fi_xbtusd", long, short, "all", True,
                                         max_size=max_size))

    @invariant()
    def pool_is_the_fees_less_the_deficits(self) -> None:
        pool = 0
        for a in self.ex.accounts.values():
            for e in a.log:
                if e.info == "futures liquidation" and e.asset == "XBT" and e.symbol is None:
                    assert e.margin_account == "fi_xbtusd"
                    assert e.new_balance - e.old_balance == (-e.liquidation_fee if e.liquidation_fee else
                                                             -e.old_balance), e
                    pool += e.liquidation_fee or e.old_balance  # a deficit row: from below zero to zero
        assert self.ex.liquidation.base_pools.get("XBT", 0) == pool

    @invariant()
    def nobody_below_maintenance(self) -> None:
        for a in self.ex.accounts.values():
            m = margin_account_summary(self.ex.risk, a, "XBT")
            if a.lots(PI):
                assert m.portfolio_value >= m.maintenance_margin, a.account_id
            assert m.balance >= 0 or a.lots(PI), a.account_id

    @invariant()
    def positions_net_to_zero(self) -> None:
        assert sum(a.lots(PI) for a in self.ex.accounts.values()) == 0

    def teardown(self) -> None:
        replay = Exchange(default_instruments(), seed=13)
        for cmd, t in self.log:
            replay.apply(CODEC.decode(CODEC.encode(cmd)), t)
        assert replay.digest() == self.ex.digest()


MarginAccountMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestMarginAccountMachine = MarginAccountMachine.TestCase
