"""The portfolio simulation's pieces against the engine's own: a position's PnL is accounts.unrealized_pnl
when the entry is on a tick, the position an order leads to is the one a fill books, and the scenario
figures keep their definitions (docs/fidelity.md) for any portfolio."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from krakensim.engine import portfolio_margin as pm
from krakensim.engine.accounts import Accounts, Position, unrealized_pnl
from krakensim.engine.instruments import default_instruments
from krakensim.engine.units import BUY, SELL
from krakensim.engine.what_if import position_after

INSTRUMENTS = default_instruments()
symbols = st.sampled_from(sorted(INSTRUMENTS))
lots = st.integers(-10**6, 10**6)
ticks = st.integers(1, 10**7)


@given(symbol=symbols, n=lots, entry=ticks, mark=ticks)
def test_position_pnl_is_unrealized_pnl(symbol: str, n: int, entry: int, mark: int) -> None:
    inst = INSTRUMENTS[symbol]
    assert pm.position_pnl(inst, n, Fraction(entry), Fraction(mark)) == unrealized_pnl(inst, Position(n, n * entry),
                                                                                        mark)


@given(symbol=symbols, held=lots, entry=ticks, side=st.sampled_from([BUY, SELL]), n=st.integers(1, 10**6),
       price=ticks)
def test_position_after_is_what_a_fill_books(symbol: str, held: int, entry: int, side: int, n: int,
                                             price: int) -> None:
    inst = INSTRUMENTS[symbol]
    accounts = Accounts(lambda e: None, 10)
    account = accounts.create("a", 10**18, 0)
    if held:
        account.positions[symbol] = Position(held, held * entry)
    before = account.positions.get(symbol)
    want = position_after(None if before is None else Position(before.lots, before.cost), side, n, price)
    accounts.fill(account, inst, side, n, price, 0, 0)
    assert (want.lots, want.cost) == (account.positions[symbol].lots, account.positions[symbol].cost)


positions = st.lists(st.tuples(symbols, lots, ticks), max_size=6)


@given(rows=positions, marks=st.fixed_dictionaries({s: ticks for s in sorted(INSTRUMENTS)}))
def test_scenario_figures_keep_their_definitions(rows: list[tuple[str, int, int]], marks: dict[str, int]) -> None:
    portfolio = [pm.SimulatedPosition(INSTRUMENTS[s], n, Fraction(e)) for s, n, e in rows]
    sim = pm.simulate(portfolio, marks)
    assert len(sim.scenario_pnls) == len(pm.PRICE_SHOCK_LEVELS_BPS)
    assert sim.market_risk == max(0, -min(sim.scenario_pnls)) >= 0
    # netting never counts more than each underlying's worst loss added up, nor less than the portfolio's
    per_base = sum(pm.simulate([p for p in portfolio if p.inst.base == b], marks).market_risk
                   for b in {p.inst.base for p in portfolio})
    assert sim.market_risk <= sim.netted_market_risk <= per_base
    assert sim.initial_margin >= sim.maintenance_margin >= 0
    assert sum(sim.net_lots.values()) == sum(n for _, n, _ in rows)
