"""The event stream tells everything (hypothesis over random command sequences).

Everything here is rebuilt from ``Result.events`` alone, never read from the engine, and then
compared with the engine's state after every command:

- the books' levels (``BookLevelChanged``), every account's positions (``PositionChanged``,
  each one starting where the previous one of its account and symbol ended), balances
  (``AccountCreated`` + ``BalanceChanged``, each balance the previous one plus its delta), the
  open orders (entered, filled, edited, cancelled) and triggers (placed, edited, activated,
  cancelled), the marks (``MarkPriceUpdated``, each ``previous`` the mark before), the index,
  the dead man's switches, the self-trade strategies and the market states;
- every ``TradePrinted`` is followed in the same command by exactly two ``OrderFilled`` with its
  id: the maker's, then the taker's, at its price and size, for two different accounts, each
  preceded by its account's ``PositionChanged`` and ``BalanceChanged`` (delta = realised PnL − fee);
  no fill without a trade;
- ``DeadManSwitchFired`` comes when (and only when) an armed deadline has passed, dated at it,
  and is followed by the cancellation of every order and trigger the account had open;
- funding rates come once an hour for every perpetual, dated at the hour, with the mark then;
- every event is dated after the previous command and not after this one; the requester's
  view (``order_events``) holds only events of the stream;
- a command with no events left the state (``digest``) as it was, and replaying only the
  commands that had events, at their times, gives the same events and the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import takewhile
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from krakensim.engine import Exchange, default_instruments
from krakensim.engine import commands as c
from krakensim.engine import events as ev
from krakensim.engine.orders import Order
from krakensim.engine.triggers import Trigger
from krakensim.engine.units import BUY, HOUR_MS, SELL

SEED = 9
T0 = 1_700_000_000_000
SYMBOLS = ("PF_XBTUSD", "PI_XBTUSD")  # a linear and an inverse contract
MID = {"PF_XBTUSD": 90_000, "PI_XBTUSD": 180_000}  # ticks (1 USD, 0.5 USD)
BALANCES = (10**15, 10**15, 10**11, 2 * 10**9)  # usd8: rich, 1000 USD, 20 USD (margin refusals)
STRATEGIES = ("REJECT_TAKER", "CANCEL_MAKER_SELF", "CANCEL_MAKER_CHILD", "CANCEL_MAKER_ANY")
STATES = ("open", "open", "open", "open", "post_only", "suspended", "inactive")
UNKNOWN = "00000000-0000-4000-8000-000000000000"


# ---------------------------------------------------------------------- the operations
def weighted(*parts: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """one_of with weights (one_of draws each distinct strategy alike: copies make the weights)."""
    return st.one_of(*[strategy.map(tuple) for n, strategy in parts for _ in range(n)])


accounts = st.integers(0, 5)  # an index into the accounts made so far
symbols = st.sampled_from(SYMBOLS)
sides = st.sampled_from((BUY, SELL))
offsets = st.integers(-20, 20)
rarely = st.sampled_from((False,) * 5 + (True,))
late = st.sampled_from((None,) * 9 + (-1, 1))  # process_before: -1 is too late
sizes = st.integers(1, 300)
clis = st.sampled_from((None, None, None, "a", "b"))
units = st.sampled_from(("PERCENT", "QUOTE_CURRENCY"))
# an order is named by (which, ref): which 0 an open order or trigger, 1 any id given out, 2 an id never given
targets = st.tuples(st.sampled_from((0, 0, 0, 1, 2)), st.integers(0, 50))

place_op = st.tuples(
    st.just("place"), accounts, symbols, sides, st.sampled_from(("lmt", "lmt", "post", "ioc", "fok", "mkt")), sizes,
    offsets, rarely, clis, late,
)
trigger_op = st.tuples(
    st.just("trigger"), accounts, symbols, sides, st.sampled_from(("stp", "take_profit", "trailing_stop")), sizes,
    offsets, st.none() | st.integers(-20, 20), st.none() | st.tuples(st.integers(-50, 50), units),
    st.sampled_from(("mark", "index", "last")), st.tuples(st.integers(1, 300), units), rarely, clis,
    st.sampled_from((None, None, None, None, None, "INVALID_QUANTITY", "INVALID_PRICE")),
)
cancel_op = st.tuples(st.just("cancel"), targets, st.integers(0, 4), st.booleans(), late)
edit_op = st.tuples(
    st.just("edit"), targets, st.integers(0, 4), st.none() | st.integers(0, 300),
    st.sampled_from(("RELATIVE", "ABSOLUTE")), st.none() | offsets | st.just("cross"), rarely, st.none() | offsets,
    rarely, st.tuples(st.integers(1, 300), units), late,
)
operations = st.lists(
    weighted(
        (1, st.just(("noop",))),
        (10, place_op),
        (3, trigger_op),
        (2, cancel_op),
        (3, edit_op),
        (1, st.tuples(st.just("cancel_all"), accounts, st.none() | symbols)),
        (1, st.tuples(st.just("dms"), accounts, st.integers(0, 20))),
        (3, st.tuples(st.just("tick"), st.integers(0, 8_000) | st.integers(HOUR_MS - 1000, 3 * HOUR_MS))),
        (3, st.tuples(st.just("prices"), symbols, st.none() | offsets, st.none() | offsets)),
        (1, st.tuples(st.just("mark"), symbols, offsets)),
        (1, st.tuples(st.just("index"), symbols, offsets)),
        (1, st.tuples(st.just("stp"), accounts, st.sampled_from(STRATEGIES))),
        (1, st.tuples(st.just("state"), symbols, st.sampled_from(STATES))),
        (1, st.tuples(st.just("account"), st.sampled_from(BALANCES), st.booleans())),
    ),
    min_size=40,
    max_size=100,
)


# ---------------------------------------------------------------------- what the events say
class Rebuilt:
    """The state the events describe, built from nothing but the events."""

    def __init__(self, marks: dict[str, int], states: dict[str, str]) -> None:
        self.levels: dict[tuple[str, int], dict[int, int]] = {}
        self.positions: dict[tuple[str, str], tuple[int, int]] = {}
        self.balances: dict[str, int] = {}
        self.orders: dict[str, Order] = {}
        self.triggers: dict[str, Trigger] = {}
        self.marks = dict(marks)
        self.index: dict[str, int] = dict(marks)  # both start at the reference price
        self.deadlines: dict[str, int] = {}
        self.strategies: dict[str, str] = {}
        self.states = dict(states)
        self.next_funding: dict[str, int] = {}
        self.book_seq: dict[str, int] = {}  # the last BookLevelChanged.seq per symbol
        self.fills_seen: dict[str, int] = {}  # fills per account so far
        self.log_entries: dict[str, int] = {}  # account log entries per account so far
        self.handlers: dict[type[ev.Event], Callable[[Any], None]] = {
            ev.AccountCreated: self.account_created, ev.BalanceChanged: self.balance_changed,
            ev.PositionChanged: self.position_changed, ev.BookLevelChanged: self.level_changed,
            ev.OrderEnteredBook: self.entered_book, ev.OrderFilled: self.filled, ev.OrderEdited: self.edited,
            ev.OrderCancelled: self.cancelled, ev.TriggerPlaced: self.trigger_placed,
            ev.TriggerEdited: self.trigger_edited, ev.TriggerRepriced: self.trigger_repriced,
            ev.TriggerCancelled: self.trigger_gone,
            ev.TriggerActivated: self.trigger_gone, ev.TriggerRejected: self.trigger_rejected,
            ev.MarkPriceUpdated: self.mark_updated, ev.IndexPriceUpdated: self.index_updated,
            ev.DeadManSwitchArmed: self.armed, ev.DeadManSwitchFired: self.fired,
            ev.SelfTradeStrategyChanged: self.strategy_changed, ev.MarketStateChanged: self.state_changed,
            ev.AccountLogged: self.logged,
        }

    def apply(self, e: ev.Event) -> None:
        handler = self.handlers.get(type(e))
        if handler is not None:
            handler(e)

    def account_created(self, e: ev.AccountCreated) -> None:
        assert e.account_id not in self.balances, f"account {e.account_id} created twice"
        self.balances[e.account_id] = e.balance
        self.strategies[e.account_id] = "REJECT_TAKER"  # every account starts with it

    def balance_changed(self, e: ev.BalanceChanged) -> None:
        assert e.balance == self.balances[e.account_id] + e.delta, f"balance is not the running balance: {e}"
        self.balances[e.account_id] = e.balance

    def position_changed(self, e: ev.PositionChanged) -> None:
        key = (e.account_id, e.symbol)
        assert (e.previous_lots, e.previous_cost) == self.positions.get(key, (0, 0)), f"position jumped: {e}"
        self.positions[key] = (e.lots, e.cost)

    def level_changed(self, e: ev.BookLevelChanged) -> None:
        assert e.seq == self.book_seq.get(e.symbol, 0) + 1, f"book change numbered out of turn: {e}"
        self.book_seq[e.symbol] = e.seq
        level = self.levels.setdefault((e.symbol, e.side), {})
        if e.lots == 0:
            assert e.price in level, f"a level that did not exist is gone: {e}"
            del level[e.price]
        else:
            level[e.price] = e.lots

    def entered_book(self, e: ev.OrderEnteredBook) -> None:
        assert e.order.order_id not in self.orders, f"entered the book twice: {e.order.order_id}"
        self.orders[e.order.order_id] = e.order

    def logged(self, e: ev.AccountLogged) -> None:
        n = self.log_entries.get(e.account_id, 0) + 1
        assert e.entry_id == n, f"account log entry numbered out of turn: {e}"
        self.log_entries[e.account_id] = n
        if e.symbol is None:  # a wallet's entry: the funds the account was created with
            assert (e.info, e.old_balance, e.new_balance) == ("admin transfer", 0, self.balances[e.account_id])
        elif e.asset == e.symbol:  # a position's leg: the position as the events left it
            assert (e.new_balance, e.new_cost) == self.positions[(e.account_id, e.symbol)], e
        else:  # a wallet's leg of a trade or a settlement: the balance as the events left it
            assert e.new_balance == self.balances[e.account_id], e

    def filled(self, e: ev.OrderFilled) -> None:
        assert e.seq == self.fills_seen.get(e.account_id, 0), f"fill numbered out of turn: {e}"
        self.fills_seen[e.account_id] = e.seq + 1
        oid = e.order_id
        resting = oid in self.orders
        if e.fill_type == "maker":
            assert resting, f"a maker fill of an order not on the book: {oid}"
        elif e.fill_type == "taker":
            assert not resting, f"a taker fill of an order already on the book: {oid}"
        else:
            assert e.fill_type == "takerAfterEdit" and resting, f"unexpected fill {e.fill_type} of {oid}"
        if resting:
            assert e.order_before.filled == self.orders[oid].filled
            if e.order_after.filled == e.order_after.quantity:
                del self.orders[oid]
            else:
                self.orders[oid] = e.order_after

    def edited(self, e: ev.OrderEdited) -> None:
        oid = e.old.order_id
        assert oid in self.orders and e.new.order_id == oid, f"edit of an order not open: {oid}"
        assert (e.old.quantity, e.old.filled, e.old.price) == (
            self.orders[oid].quantity, self.orders[oid].filled, self.orders[oid].price)
        self.orders[oid] = e.new

    def cancelled(self, e: ev.OrderCancelled) -> None:
        # an ioc / fok remainder (or a reduce-only order with nothing to reduce) is cancelled on arrival
        was_open = self.orders.pop(e.order.order_id, None) is not None
        if e.reason not in ("ioc_would_not_execute", "would_not_reduce_position"):
            assert was_open, f"cancelled an order that was not open: {e}"

    def trigger_placed(self, e: ev.TriggerPlaced) -> None:
        assert e.trigger.order_id not in self.triggers
        self.triggers[e.trigger.order_id] = e.trigger

    def trigger_edited(self, e: ev.TriggerEdited) -> None:
        assert e.old.order_id in self.triggers, f"edit of a trigger not open: {e.old.order_id}"
        self.triggers[e.old.order_id] = e.new

    def trigger_repriced(self, e: ev.TriggerRepriced) -> None:
        was = self.triggers.get(e.trigger.order_id)
        assert was is not None and was.trailing, f"repriced a trigger that is not an open trailing stop: {e}"
        assert was.trigger_price != e.trigger.trigger_price, f"repriced to where it was: {e}"
        self.triggers[e.trigger.order_id] = e.trigger

    def trigger_gone(self, e: ev.TriggerCancelled | ev.TriggerActivated) -> None:
        assert self.triggers.pop(e.trigger.order_id, None) is not None, f"not an open trigger: {e}"

    def trigger_rejected(self, e: ev.TriggerRejected) -> None:
        assert e.trigger.order_id not in self.triggers

    def mark_updated(self, e: ev.MarkPriceUpdated) -> None:
        assert e.previous == self.marks[e.symbol], f"previous is not the mark before: {e}"
        self.marks[e.symbol] = e.price

    def index_updated(self, e: ev.IndexPriceUpdated) -> None:
        self.index[e.symbol] = e.price

    def armed(self, e: ev.DeadManSwitchArmed) -> None:
        if e.deadline is None:
            self.deadlines.pop(e.account_id, None)
        else:
            self.deadlines[e.account_id] = e.deadline

    def fired(self, e: ev.DeadManSwitchFired) -> None:
        assert self.deadlines.pop(e.account_id, None) == e.time, f"fired at other than the deadline: {e}"

    def strategy_changed(self, e: ev.SelfTradeStrategyChanged) -> None:
        self.strategies[e.account_id] = e.strategy

    def state_changed(self, e: ev.MarketStateChanged) -> None:
        self.states[e.symbol] = e.state

    def open_of(self, account_id: str) -> set[str]:
        return {k for k, o in self.orders.items() if o.account_id == account_id} | {
            k for k, t in self.triggers.items() if t.account_id == account_id}


# ---------------------------------------------------------------------- properties of one command's events
def check_trades(events: list[ev.Event]) -> None:
    trades = {e.trade_id: i for i, e in enumerate(events) if isinstance(e, ev.TradePrinted)}
    fills_of: dict[str, list[int]] = {}
    for j, e in enumerate(events):
        if isinstance(e, ev.OrderFilled):
            assert e.fill_id in trades and trades[e.fill_id] < j, f"a fill without its trade before it: {e.fill_id}"
            fills_of.setdefault(e.fill_id, []).append(j)
    for trade_id, i in trades.items():
        trade = events[i]
        assert isinstance(trade, ev.TradePrinted)
        at = fills_of.get(trade_id, [])
        assert len(at) == 2, f"trade {trade.number} has {len(at)} fills"
        maker, taker = events[at[0]], events[at[1]]
        assert isinstance(maker, ev.OrderFilled) and isinstance(taker, ev.OrderFilled)
        assert maker.fill_type == "maker" and taker.fill_type in ("taker", "takerAfterEdit")
        assert trade.maker_order.account_id != trade.taker_order.account_id, "a trade with oneself"
        for fill, order in ((maker, trade.maker_order), (taker, trade.taker_order)):
            assert fill.trade == trade and fill.order_before == order
            assert (fill.account_id, fill.order_id, fill.symbol) == (order.account_id, order.order_id, trade.symbol)
            assert (fill.price, fill.lots) == (trade.price, trade.lots)
            assert fill.order_after.filled == fill.order_before.filled + fill.lots <= fill.order_after.quantity
        assert taker.side == trade.taker_side == -maker.side and maker.order_before.price == trade.price
        # each fill is booked for its account just before it: the position, then the balance
        for start, j in ((i, at[0]), (at[0], at[1])):
            fill = events[j]
            assert isinstance(fill, ev.OrderFilled)
            between = [e for e in events[start + 1:j] if getattr(e, "account_id", None) == fill.account_id]
            assert [type(e) for e in between] == [ev.PositionChanged, ev.BalanceChanged, ev.AccountLogged,
                                                  ev.AccountLogged], between
            position, balance, logged, cash = between
            assert isinstance(position, ev.PositionChanged) and isinstance(balance, ev.BalanceChanged)
            assert position.symbol == fill.symbol and position.lots == fill.position_after
            assert position.lots - position.previous_lots == fill.side * fill.lots
            assert balance.reason == "trade" and balance.delta == fill.realized_pnl - fill.fee
            # and logged: the position's entry, with the fill's execution, price, fee and realised PnL
            assert isinstance(logged, ev.AccountLogged) and logged.info == "futures trade"
            assert (logged.symbol, logged.old_balance, logged.new_balance, logged.old_cost, logged.new_cost) == (
                position.symbol, position.previous_lots, position.lots, position.previous_cost, position.cost)
            assert (logged.execution, logged.trade_price, logged.mark_price, logged.fee, logged.realized_pnl) == (
                fill.fill_id, fill.price, trade.mark, fill.fee, fill.realized_pnl)
            assert logged.asset == fill.symbol  # (a position's leg)
            # then the wallet's leg: the balance before and after, the same execution, fee and PnL
            assert isinstance(cash, ev.AccountLogged) and cash.info == "futures trade" and cash.asset == "USD"
            assert (cash.symbol, cash.new_balance, cash.new_balance - cash.old_balance) == (
                fill.symbol, balance.balance, balance.delta)
            assert (cash.execution, cash.trade_price, cash.mark_price, cash.fee, cash.realized_pnl) == (
                fill.fill_id, fill.price, trade.mark, fill.fee, fill.realized_pnl)


def order_state(o: Order) -> Order:
    """The order but for the margin it reserves (risk's bookkeeping, recomputed from state)."""
    return msgspec.structs.replace(o, margin=0)


def trigger_state(t: Trigger) -> Trigger:
    """The trigger but for a trailing stop's watermark (``peak``: the best signal seen, which moves
    with every new high even when the trigger price does not; the price itself is compared)."""
    return msgspec.structs.replace(t, peak=0)


def dms_cancel_of(e: ev.Event, account_id: str) -> bool:
    return isinstance(e, ev.OrderCancelled | ev.TriggerCancelled) and e.reason == "dead_man_switch" and (
        e.account_id == account_id)


def dms_block(events: list[ev.Event], account_id: str) -> list[ev.Event]:
    """The events at the head of ``events`` that cancel the account's orders (and the levels they empty:
    a cancelled order's level change comes just before its OrderCancelled)."""
    block = list(takewhile(lambda x: isinstance(x, ev.BookLevelChanged) or dms_cancel_of(x, account_id), events))
    while block and isinstance(block[-1], ev.BookLevelChanged):
        block.pop()
    return block


def cancelled_id(e: ev.Event) -> str:
    assert isinstance(e, ev.OrderCancelled | ev.TriggerCancelled)
    return e.order.order_id if isinstance(e, ev.OrderCancelled) else e.trigger.order_id


class Run:
    def __init__(self) -> None:
        instruments = default_instruments()
        self.ex = Exchange(instruments, seed=SEED)
        marks = {s: i.price_to_ticks(i.reference_price) for s, i in instruments.items()}
        states = {s: "post_only" if i.post_only else "open" for s, i in instruments.items()}
        self.rebuilt = Rebuilt({s: m for s, m in marks.items() if m is not None}, states)
        self.perpetuals = [s for s, i in instruments.items() if i.perpetual]
        self.t = T0
        self.previous_t: int | None = None
        self.accounts: list[str] = []
        self.owner: dict[str, str] = {}  # order id -> the account that placed it
        self.journal: list[tuple[c.Command, int, list[ev.Event]]] = []

    # ------------------------------------------------------------------ applying and checking
    def apply(self, command: c.Command) -> None:
        self.t += 1
        ex, now = self.ex, self.t
        before = ex.digest()
        r = ex.apply(command, now)
        if isinstance(command, c.CreateAccount) and r.account_id is not None:
            self.accounts.append(r.account_id)
        if isinstance(command, c.PlaceOrder) and r.order_id is not None:
            self.owner[r.order_id] = command.account_id
        if not r.events:
            assert ex.digest() == before, f"{command} changed the state without an event"
            assert not r.order_events
        else:
            self.journal.append((command, now, r.events))
        self.check_events(r.events, now)
        ids = {id(e) for e in r.events}
        assert all(id(e) in ids for e in r.order_events), "the requester's view holds an event not in the stream"
        self.compare(now)
        self.previous_t = now

    def check_events(self, events: list[ev.Event], now: int) -> None:
        rebuilt = self.rebuilt
        for e in events:
            assert e.time <= now and (self.previous_t is None or e.time > self.previous_t), f"time of {e}"
        due = {a for a, d in rebuilt.deadlines.items() if d <= now}
        fired = [e.account_id for e in events if isinstance(e, ev.DeadManSwitchFired)]
        assert sorted(fired) == sorted(due), f"switches due {due}, fired {fired}"
        check_trades(events)
        for i, e in enumerate(events):
            if isinstance(e, ev.DeadManSwitchFired):
                # the cancellations (and the book levels they empty) follow at once, as of the deadline
                block = dms_block(events[i + 1:], e.account_id)
                assert all(x.time == e.time for x in block), block
                got = [x for x in events if dms_cancel_of(x, e.account_id)]
                assert got == [x for x in block if not isinstance(x, ev.BookLevelChanged)]
                assert {cancelled_id(x) for x in got} == rebuilt.open_of(e.account_id)
            elif isinstance(e, ev.VenueOpened):
                assert not rebuilt.next_funding and e.next_funding % HOUR_MS == 0 and 0 < e.next_funding - now <= HOUR_MS
                rebuilt.next_funding = dict.fromkeys(self.perpetuals, e.next_funding)
            elif isinstance(e, ev.FundingRatePublished):
                assert e.time == rebuilt.next_funding[e.symbol], f"funding out of turn: {e}"
                assert e.mark == rebuilt.marks[e.symbol]
                rebuilt.next_funding[e.symbol] += HOUR_MS
            rebuilt.apply(e)
        assert all(n > now for n in rebuilt.next_funding.values()), "a funding rate is missing"
        assert rebuilt.next_funding, "the venue never opened"

    def compare(self, now: int) -> None:
        ex, rebuilt = self.ex, self.rebuilt
        for s in ex.matchers:
            book = ex.book(s)
            for side, book_side in ((BUY, book.bids), (SELL, book.asks)):
                levels = rebuilt.levels.get((s, side), {})
                want = sorted(levels.items(), key=lambda pl: -pl[0] * side)
                assert book_side.depth() == want, f"{s} side {side} levels"
            assert book.seq == rebuilt.book_seq.get(s, 0), f"{s}: book changes counted"
        positions = {
            (a, s): (p.lots, p.cost) for a, acct in ex.accounts.items() for s, p in acct.positions.items()
            if p.lots or p.cost
        }
        assert positions == {k: v for k, v in rebuilt.positions.items() if v != (0, 0)}, "positions"
        assert {a: acct.balance for a, acct in ex.accounts.items()} == rebuilt.balances, "balances"
        assert {k: o.quantity - o.filled for k, o in ex.open_orders.items()} == {
            k: o.quantity - o.filled for k, o in rebuilt.orders.items()
        }, "open orders"
        for k, o in ex.open_orders.items():
            assert order_state(o) == order_state(rebuilt.orders[k]), f"order {k}"
        for a, acct in ex.accounts.items():
            assert set(acct.orders) == {k for k, o in rebuilt.orders.items() if o.account_id == a}
            assert {k: trigger_state(t) for k, t in acct.triggers.items()} == {
                k: trigger_state(t) for k, t in rebuilt.triggers.items() if t.account_id == a
            }, f"triggers of {a}"
            assert acct.self_trade_strategy == rebuilt.strategies[a]
            assert acct.fills_seen == rebuilt.fills_seen.get(a, 0), f"fills of {a} counted"
            assert acct.log_entries == rebuilt.log_entries.get(a, 0), f"account log of {a} counted"
            assert [e.entry_id for e in acct.log] == list(range(acct.log_entries - len(acct.log) + 1,
                                                                acct.log_entries + 1)), "the latest entries kept"
        assert ex.pricing.marks == rebuilt.marks, "marks"
        assert ex.pricing.index == rebuilt.index, "index"
        assert ex.deadman.deadlines == rebuilt.deadlines, "dead man's switches"
        assert ex.listings.market_state == rebuilt.states, "market states"

    def replay(self) -> None:
        """The journal: only the commands that had events, at their times."""
        again = Exchange(default_instruments(), seed=SEED)
        for command, now, events in self.journal:
            assert again.apply(command, now).events == events
        assert again.digest() == self.ex.digest()

    # ------------------------------------------------------------------ the operations
    def account(self, i: int) -> str:
        return self.accounts[i % len(self.accounts)]

    def other(self, account_id: str, who: int) -> str:
        """The account itself, or (who 4) the next one."""
        if who < 4:
            return account_id
        return self.accounts[(self.accounts.index(account_id) + 1) % len(self.accounts)]

    def target(self, which: int, ref: int) -> str:
        open_ids = [k for k in self.owner if k in self.ex.open_orders or self.rebuilt.triggers.get(k)]
        if which == 2 or not self.owner:
            return UNKNOWN
        candidates = open_ids if which == 0 and open_ids else list(self.owner)
        return candidates[ref % len(candidates)]

    def run(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        if kind == "noop":
            return
        if kind == "account":
            _, balance, named = op
            self.apply(c.CreateAccount(balance, f"acct-{len(self.accounts)}" if named else None))
        elif kind == "tick":
            self.t += op[1]
            self.apply(c.Tick())
        elif kind == "prices":
            _, s, mark, index = op
            self.apply(c.SetPrices(s, None if mark is None else MID[s] + mark, None if index is None else MID[s] + index))
        elif kind == "mark":
            self.apply(c.SetMarkPrice(op[1], MID[op[1]] + op[2]))
        elif kind == "index":
            self.apply(c.PublishIndex(op[1], MID[op[1]] + op[2]))
        elif kind == "state":
            self.apply(c.SetMarketState(op[1], op[2]))
        elif kind == "place":
            _, a, s, side, otype, lots, offset, ro, cli, late = op
            limit = None if otype == "mkt" else MID[s] + offset
            pb = None if late is None else self.t + 1 + late  # -1: refused as too late
            self.apply(c.PlaceOrder(self.account(a), s, side, otype, lots, limit, cli, ro, pb))
        elif kind == "trigger":
            _, a, s, side, otype, lots, offset, limit, limit_offset, signal, dev, ro, cli, refusal = op
            stop = MID[s] + offset
            if otype == "trailing_stop":
                cmd = c.PlaceOrder(self.account(a), s, side, otype, lots, client_order_id=cli, reduce_only=ro,
                                   trigger_signal=signal, trailing_deviation=dev, limit_offset=limit_offset,
                                   refusal=refusal)
            else:
                cmd = c.PlaceOrder(self.account(a), s, side, otype, lots, None if limit is None else stop + limit, cli,
                                   ro, stop_price=stop, trigger_signal=signal,
                                   limit_offset=limit_offset if limit is None else None, refusal=refusal)
            self.apply(cmd)
        elif kind == "cancel_all":
            self.apply(c.CancelAll(self.account(op[1]), op[2]))
        elif kind == "dms":
            self.apply(c.ArmDeadManSwitch(self.account(op[1]), op[2]))
        elif kind == "stp":
            self.apply(c.SetSelfTradeStrategy(self.account(op[1]), op[2]))
        elif kind in ("cancel", "edit"):
            oid = self.target(*op[1])
            who = self.other(self.owner.get(oid, self.accounts[0]), op[2])
            if kind == "cancel":
                _, _, _, by_cli, late = op
                pb = None if late is None else self.t + 1 + late
                order = self.ex.open_orders.get(oid) or self.rebuilt.triggers.get(oid)
                cli = order.client_order_id if order is not None else None
                if by_cli and cli is not None:
                    self.apply(c.CancelOrder(who, client_order_id=cli, process_before=pb))
                else:
                    self.apply(c.CancelOrder(who, oid, process_before=pb))
            else:
                _, _, _, lots, mode, price, with_stop, stop, with_dev, dev, late = op
                target = self.ex.open_orders.get(oid) or self.rebuilt.triggers.get(oid)
                s, side = (target.symbol, target.side) if target is not None else (SYMBOLS[0], BUY)
                limit = None if price is None else MID[s] + price if price != "cross" else (
                    self.ex.book(s).opposite(side).best() or MID[s])  # "cross": the best price it may take
                self.apply(c.EditOrder(
                    who, oid, quantity=lots, limit_price=limit, quantity_mode=mode,
                    process_before=None if late is None else self.t + 1 + late,
                    stop_price=MID[s] + stop if with_stop and stop is not None else None,
                    trailing_deviation=dev if with_dev else None,
                ))
        else:
            raise AssertionError(kind)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(balances=st.lists(st.sampled_from(BALANCES), min_size=3, max_size=3), ops=operations)
def test_events_describe_every_change(balances: list[int], ops: list[tuple[Any, ...]]) -> None:
    run = Run()
    for i, balance in enumerate(balances):
        run.apply(c.CreateAccount(balance, f"acct-{i}" if i else None))
    for op in ops:
        run.run(op)
    run.replay()


def test_trailing_stop_moves_are_events() -> None:
    """A trailing stop's trigger price follows its signal; the events say where it went (TriggerRepriced)."""
    run = Run()
    run.apply(c.CreateAccount(10**15, "a"))
    run.apply(c.PlaceOrder("a", "PF_XBTUSD", SELL, "trailing_stop", 10, trigger_signal="mark",
                           trailing_deviation=(100, "PERCENT")))  # 1 % under the highest mark seen
    run.apply(c.SetPrices("PF_XBTUSD", mark=91_000))
    (trigger,) = run.ex.account("a").triggers.values()
    assert trigger.trigger_price == 90_090  # the engine's trigger: 1 % under 91 000
    assert run.rebuilt.triggers[trigger.order_id].trigger_price == trigger.trigger_price, "moved without an event"
