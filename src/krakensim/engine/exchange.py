"""The exchange: commands in, events out. Pure: no clock, no I/O, no unseeded randomness.

``apply(command, now)`` is the one entry point for every state change. Time (``now``, epoch
milliseconds) comes with every command and ids from a seeded sequence, so the same commands
at the same times give the same state (``digest``). Before a command is applied, whatever has
fallen due by its time happens first: dead man's switches, hourly funding rates, expiries.

The rooms: ``listings`` (what trades, market states), ``matchers`` (one book per instrument),
``pricing``, ``accounts``, ``risk``, ``trading`` (orders on the book), ``trigger_orders``,
``edits``, ``funding``, ``maturities``, ``deadman``; and the projections built from the
events: ``history`` (the History API) and ``market_data`` (trades, candles, 24 h stats).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from hashlib import sha256
from typing import Any

from . import commands as c
from .accounts import Account, Accounts
from .assignment import AssignmentProgram, Preference
from .book import Book
from .deadman import DeadManSwitches
from .edits import Edits
from .events import (
    AssignmentPreferenceAdded,
    AssignmentPreferenceDeleted,
    DeadManSwitchFired,
    OrderFilled,
    OrderRefused,
    PastSeeded,
    ScenarioScheduled,
    SelfTradeStrategyChanged,
    VenueOpened,
)
from .funding import Funding
from .funding_payments import FundingPayments
from .ids import IdGen
from .instruments import FixedSeries, Instrument
from .liquidation import Liquidation
from .listing import Listings
from .market_data import MarketData
from .matching import Matcher
from .maturities import Maturities
from .notifications import Notifications
from .notifications import refusal as notification_refusal
from .order_history import HISTORY_EVENTS, FinishedOrders, OrderHistory
from .orders import (
    MARKET_STATES,
    SELF_TRADE_STRATEGIES,
    TRIGGER_ERROR_STATUS,
    TRIGGER_REFUSALS,
    TRIGGER_TYPES,
    Order,
)
from .past import MAX_DAYS as MAX_PAST_DAYS
from .past import seed_past
from .preferences import Preferences
from .pricing import Pricing
from .requotes import Requotes, check_requote
from .result import Result
from .retention import Retention
from .risk import MAX_OPEN_ORDERS, Risk
from .stream import EventStream
from .trading import Trading
from .transfers import Funds
from .trigger_orders import TriggerOrders
from .triggers import Trigger, TriggerBook
from .wallet_commands import WalletCommands


def _check_market_state(ex: Exchange, cmd: c.Command) -> None:
    """Refuse a market state that does not exist, or one for a symbol never listed."""
    assert isinstance(cmd, c.SetMarketState)
    if cmd.symbol not in ex.listings.instruments:
        raise KeyError(cmd.symbol)
    if cmd.state not in MARKET_STATES:
        raise ValueError(cmd.state)


def _check_strategy(ex: Exchange, cmd: c.Command) -> None:
    assert isinstance(cmd, c.SetSelfTradeStrategy)
    if cmd.strategy not in SELF_TRADE_STRATEGIES:
        raise ValueError(cmd.strategy)


def _check_notification(ex: Exchange, cmd: c.Command) -> None:
    assert isinstance(cmd, c.PostNotification)
    if notification_refusal(cmd.kind, cmd.priority, cmd.note, cmd.effective_time,
                            cmd.expected_downtime_minutes) is not None:
        raise ValueError(cmd)


Check = Callable[["Exchange", c.Command], None]


class Exchange:
    def __init__(
        self, instruments: dict[str, Instrument], seed: int = 0, series: tuple[FixedSeries, ...] = (),
        retention: Retention | None = None,
    ) -> None:
        self.seed = seed
        self.retention = retention = retention or Retention()
        self.ids = IdGen(seed)
        self.stream = stream = EventStream()
        emit = stream.emit
        self.listings = Listings(emit)
        self.pricing = Pricing(emit)
        self.accounts = Accounts(emit, retention.fills_per_account, retention.account_log_per_account)
        self.market_data = MarketData(retention)
        self.history = OrderHistory(retention)
        for event_type, handler in self.market_data.handlers():
            stream.subscribe(event_type, handler)
        for event_type in HISTORY_EVENTS:
            stream.subscribe(event_type, self.history.record)
        stream.subscribe(OrderFilled, self.accounts.record_fill)
        self.matchers: dict[str, Matcher] = {}
        self.trigger_books: dict[str, TriggerBook] = {}
        self.funding = Funding(self.listings.instruments, self.pricing, emit, retention.funding_rates_per_market)
        self.funding_payments = FundingPayments(self.listings.instruments, self.pricing, self.accounts, emit)
        for event_type, handler in self.funding_payments.handlers():
            stream.subscribe(event_type, handler)
        self.risk = Risk(self.listings.instruments, self.pricing, self.accounts, self.funding_payments)
        self.funds = Funds(self.accounts, self.risk, self.listings.instruments, emit)
        self.preferences = Preferences(self.risk, emit)
        self.finished = FinishedOrders(self.accounts, retention.finished_orders)
        self.trading = Trading(self.ids, self.listings, self.matchers, self.trigger_books, self.accounts, self.risk,
                               self.pricing, self.finished, emit)
        self.trading.pay_profit = self.funds.pay_profit
        self.trigger_orders = TriggerOrders(self.trading, self.trigger_books, self.pricing, self.risk, self.finished,
                                            emit)
        self.edits = Edits(self.trading, self.trigger_orders, emit)
        self.assignment = AssignmentProgram()
        self.liquidation = Liquidation(self.listings.instruments, self.pricing, self.accounts, self.risk, self.trading,
                                       self.matchers, self.finished, self.assignment, self.ids, emit)
        for event_type, handler in self.liquidation.handlers():
            stream.subscribe(event_type, handler)
        self.deadman = DeadManSwitches(emit)
        self.notifications = Notifications(emit, retention.notifications)
        self.maturities = Maturities(series, self.listings, self.pricing, self.market_data, self.accounts,
                                     self.trading, self.list_instrument, emit)
        for inst in instruments.values():
            t = inst.price_to_ticks(inst.reference_price)
            if t is None:
                raise ValueError(f"{inst.symbol}: reference price is not on the tick grid")
            self.list_instrument(inst, t, t, 0)
        stream.take()  # the configuration is not a command: its events go nowhere
        self.now = 0  # the latest time a command was applied at
        self.past: tuple[int, int] | None = None  # (seed, days) of the seeded past, once given (past.py)
        self.scenarios: list[c.RunScenario] = []  # market scenarios, in the order scheduled (market/scenarios.py)
        self.due_at = -1  # when something falls due next (the first command opens the venue)
        # by command: what applies it, whether it names an account, and a check that refuses it before
        # anything changes when it names what does not exist
        self._apply: dict[type[c.Command], tuple[Callable[[Any, int], Result], bool, Check | None]] = {
            c.PlaceOrder: (self.place, True, None), c.CancelOrder: (self._cancel, True, None),
            c.EditOrder: (self._edit, True, None), c.CancelAll: (self._cancel_all, True, None),
            c.ArmDeadManSwitch: (self._arm_dead_man_switch, True, None),
            c.SetSelfTradeStrategy: (self._set_self_trade_strategy, True, _check_strategy),
            c.CreateAccount: (self._create_account, False, None), c.SetPrices: (self._set_prices, False, None),
            c.SetMarkPrice: (self._set_mark_price, False, None), c.PublishIndex: (self._publish_index, False, None),
            c.SetMarketState: (self._set_market_state, False, _check_market_state), c.Tick: (self._tick, False, None),
            **WalletCommands(self).table(),
            c.PostNotification: (self._post_notification, False, _check_notification),
            c.SeedPast: (self._seed_past, False, None), c.RunScenario: (self._run_scenario, False, None),
            c.AddAssignmentPreference: (self._add_assignment_preference, True, None),
            c.DeleteAssignmentPreference: (self._delete_assignment_preference, True, None),
            c.Requote: (Requotes(self).requote, True, check_requote),
        }

    def list_instrument(self, inst: Instrument, mark: int, index: int, now: int) -> None:
        """List ``inst``: an empty book, no trades, the given mark and index."""
        s = inst.symbol
        self.listings.add(inst, now)
        self.matchers[s] = Matcher(s, self.stream.emit)
        self.trigger_books[s] = TriggerBook()
        self.pricing.add(s, mark, index)
        self.funding.add(inst)

    # ------------------------------------------------------------------ dispatch
    def apply(self, command: c.Command, now: int) -> Result:
        """Apply one command at ``now``. Every state change goes through here; ``Result.events`` is
        everything it changed (empty: it changed nothing and need not be journaled)."""
        handler, names_account, check = self._apply[type(command)]
        if names_account and command.account_id not in self.accounts:  # type: ignore[attr-defined]
            raise KeyError(command.account_id)  # type: ignore[attr-defined]  # refused before anything changes
        if check is not None:
            check(self, command)
        if now > self.now:
            self.now = now
        self.funding_payments.now = self.now  # what margin reads accrue funding to
        stream = self.stream
        try:
            if now >= self.due_at:
                self._fall_due(now)
            result = handler(command, now)
            self.funding_payments.flush()
            self.liquidation.run(now)  # whoever this step left below maintenance margin is closed out
        except BaseException:
            stream.take()  # nothing of a command that failed half-way is reported with the next one
            raise
        result.events = stream.events
        stream.events = []
        return result

    def _fall_due(self, now: int) -> None:
        """Whatever falls due by ``now``: dead man's switches, funding rates, expiries (in that order)."""
        if self.deadman.next is not None and self.deadman.next <= now:
            for account_id, deadline in self.deadman.fire(now):
                # everything is cancelled as of the deadline, not of the command that noticed it
                self.stream.emit(DeadManSwitchFired(deadline, account_id))
                self.trading.cancel_all(self.accounts[account_id], None, deadline, "dead_man_switch")
        if self.funding.next_time is None:  # the first command starts the funding clock, lists maturities
            self.stream.emit(VenueOpened(now, self.funding.start(now)))
            self.maturities.roll(now)
        elif now >= self.funding.next_time:
            self.funding.publish_due(now)
        if self.maturities.next_expiry is not None and now >= self.maturities.next_expiry:
            self.maturities.expire(now)
        self._due_changed()

    def _due_changed(self) -> None:
        deadline = self.next_deadline()
        self.due_at = deadline if deadline is not None else 1 << 62

    def execute(self, command: c.Command | dict[str, Any], now: int) -> Result:
        """``apply``, also taking a command as its journal record (a dict)."""
        if isinstance(command, dict):
            command = c.CODEC.from_record(command)
        return self.apply(command, now)

    def next_deadline(self) -> int | None:
        """The next time something happens without a command (a dead man's switch, a funding rate, an expiry)."""
        times = [t for t in (self.deadman.next, self.funding.next_time, self.maturities.next_expiry) if t is not None]
        return min(times) if times else None

    # ------------------------------------------------------------------ commands
    def place(self, cmd: c.PlaceOrder, now: int) -> Result:
        account = self.accounts[cmd.account_id]
        order_id = self.ids.next()
        triggers = self.trigger_orders  # (every path but a plain order's)
        if cmd.refusal is not None:  # a trigger order the gateway found malformed: refused with its reason
            trigger = triggers.unplaced(account, order_id, cmd, cmd.limit_price, 0, now)
            return triggers.reject(account, trigger, TRIGGER_ERROR_STATUS.get(cmd.refusal, "invalidPrice"),
                                   cmd.refusal, now)
        if cmd.process_before is not None and now > cmd.process_before:
            return self._refused(account, order_id, cmd, Result("wouldProcessAfterSpecifiedTime", order_id,
                                                                cmd.client_order_id), now)
        # the refusals orders and triggers share: the market's state, a client id in use, too many orders
        refusal = None
        if self.listings.market_state[cmd.symbol] != "open":
            refusal = self.listings.refusal(cmd.symbol, cmd.order_type)
        cli = cmd.client_order_id
        if refusal is None and cli is not None and cli in account.client_order_ids and (
            account.client_order_ids[cli] in account.orders or account.client_order_ids[cli] in account.triggers
        ):
            refusal = "clientOrderIdAlreadyExist"
        if refusal is None and len(account.orders) + len(account.triggers) >= MAX_OPEN_ORDERS:
            refusal = "tooManyOrders"
        if refusal is not None:
            if cmd.order_type in TRIGGER_TYPES and refusal in TRIGGER_REFUSALS:
                trigger = triggers.unplaced(account, order_id, cmd, cmd.limit_price, 0, now)
                return triggers.reject(account, trigger, refusal, TRIGGER_REFUSALS[refusal], now)
            return self._refused(account, order_id, cmd, Result(refusal, order_id, cmd.client_order_id), now)
        if cmd.order_type in TRIGGER_TYPES:
            return triggers.place(account, order_id, cmd, now)
        res = self.trading.place(account, order_id, cmd.client_order_id, cmd.symbol, cmd.side, cmd.order_type,
                                 cmd.quantity, cmd.limit_price, cmd.reduce_only, now, "new_user_order")
        if res.status != "placed":
            return res if res.order_events else self._refused(account, order_id, cmd, res, now)
        if cmd.client_order_id is not None:
            account.client_order_ids[cmd.client_order_id] = order_id
        if res.order_events and isinstance(res.order_events[0], OrderFilled):
            triggers.run(cmd.symbol, now)
        return res

    def _refused(self, account: Account, order_id: str, cmd: c.PlaceOrder, res: Result, now: int) -> Result:
        self.stream.emit(OrderRefused(now, account.account_id, order_id, cmd.client_order_id, cmd.symbol, res.status))
        return res

    def _cancel(self, cmd: c.CancelOrder, now: int) -> Result:
        if cmd.process_before is not None and now > cmd.process_before:
            return Result("wouldProcessAfterSpecifiedTime", cmd.order_id, cmd.client_order_id)
        return self.trading.cancel(self.accounts[cmd.account_id], cmd.order_id, cmd.client_order_id, now)

    def _edit(self, cmd: c.EditOrder, now: int) -> Result:
        if cmd.process_before is not None and now > cmd.process_before:
            return Result("wouldProcessAfterSpecifiedTime", cmd.order_id, cmd.client_order_id)
        return self.edits.edit(self.accounts[cmd.account_id], cmd, now)

    def _cancel_all(self, cmd: c.CancelAll, now: int) -> Result:
        return self.trading.cancel_all(self.accounts[cmd.account_id], cmd.symbol, now, "cancelled_by_user")

    def _arm_dead_man_switch(self, cmd: c.ArmDeadManSwitch, now: int) -> Result:
        deadline = self.deadman.arm(cmd.account_id, cmd.timeout_seconds, now)
        self._due_changed()
        return Result("ok", deadline=deadline)

    def _set_self_trade_strategy(self, cmd: c.SetSelfTradeStrategy, now: int) -> Result:
        self.accounts[cmd.account_id].self_trade_strategy = cmd.strategy
        self.stream.emit(SelfTradeStrategyChanged(now, cmd.account_id, cmd.strategy))
        return Result("ok")

    def _create_account(self, cmd: c.CreateAccount, now: int) -> Result:
        if cmd.master is not None and cmd.master not in self.accounts:
            raise KeyError(cmd.master)  # refused before anything changes
        for wallet, currency, quantity in cmd.funds:
            if quantity <= 0 or self.funds.wallet_takes(wallet, currency) is not None:
                raise ValueError((wallet, currency, quantity))
        account_id = cmd.account_id or self.ids.next()
        account = self.accounts.create(account_id, cmd.balance, now)
        account.master = cmd.master
        account.inverse_in_base = cmd.inverse_in_base
        account.market_agent = cmd.market_agent
        for wallet, currency, quantity in cmd.funds:
            self.funds.deposit(account, wallet, currency, quantity, now)
        return Result("created", account_id=account_id)

    def _set_prices(self, cmd: c.SetPrices, now: int) -> Result:
        if cmd.symbol not in self.listings.listed:
            return Result("marketInactive")  # an expired contract keeps its settlement price
        self.pricing.set(cmd.symbol, cmd.mark, cmd.index, now)
        self.trigger_orders.run(cmd.symbol, now)
        return Result("ok")

    def _set_mark_price(self, cmd: c.SetMarkPrice, now: int) -> Result:
        return self._set_prices(c.SetPrices(cmd.symbol, mark=cmd.price), now)

    def _publish_index(self, cmd: c.PublishIndex, now: int) -> Result:
        inst = self.listings.listed.get(cmd.symbol)
        if inst is None:
            return Result("marketInactive")
        self.pricing.publish_index(inst, self.matchers[cmd.symbol].book, cmd.price, now)
        self.trigger_orders.run(cmd.symbol, now)
        return Result("ok")

    def _set_market_state(self, cmd: c.SetMarketState, now: int) -> Result:
        self.listings.set_state(cmd.symbol, cmd.state, now)
        return Result("ok")

    def _tick(self, cmd: c.Tick, now: int) -> Result:
        return Result("ok")

    def _post_notification(self, cmd: c.PostNotification, now: int) -> Result:
        at = now if cmd.effective_time is None else cmd.effective_time
        self.notifications.post(cmd.kind, cmd.priority, cmd.note, at, cmd.expected_downtime_minutes, now)
        return Result("ok")

    def _run_scenario(self, cmd: c.RunScenario, now: int) -> Result:
        """Keep a market scenario for the simulated market to play (the gateway checked its name and values)."""
        self.scenarios.append(cmd)
        self.stream.emit(ScenarioScheduled(now, len(self.scenarios), cmd.name, cmd.start, cmd.duration, cmd.target,
                                           cmd.amount))
        return Result("ok")

    def _seed_past(self, cmd: c.SeedPast, now: int) -> Result:
        """A seeded past, once, before anything traded (later it changes nothing)."""
        if self.past is not None or any(m.trades for m in self.matchers.values()) or cmd.days <= 0:
            return Result("ok")
        days = min(cmd.days, MAX_PAST_DAYS)
        written = seed_past(self.market_data, self.funding, self.pricing, list(self.listed.values()), cmd.seed,
                            days, now)
        for symbol in self.listed:
            self.matchers[symbol].trades = self.market_data.tape[symbol].count  # live trades number on from it
        self.past = (cmd.seed, days)
        self.stream.emit(PastSeeded(now, cmd.seed, days, written))
        return Result("ok")

    def _add_assignment_preference(self, cmd: c.AddAssignmentPreference, now: int) -> Result:
        pref = self.assignment.add(Preference(0, cmd.account_id, cmd.contract_type, cmd.contract, cmd.max_size,
                                              cmd.max_position, cmd.accept_long, cmd.accept_short, cmd.time_frame,
                                              cmd.enabled), now)
        self.stream.emit(AssignmentPreferenceAdded(now, cmd.account_id, pref))
        return Result("ok", preference=pref)

    def _delete_assignment_preference(self, cmd: c.DeleteAssignmentPreference, now: int) -> Result:
        pref = self.assignment.delete(cmd.account_id, cmd.pref_id, now)
        if pref is None:
            return Result("notFound")
        self.stream.emit(AssignmentPreferenceDeleted(now, cmd.account_id, pref))
        return Result("ok", preference=pref)

    # ------------------------------------------------------------------ reads
    @property
    def instruments(self) -> dict[str, Instrument]:
        """Every instrument ever listed (expired ones too)."""
        return self.listings.instruments

    @property
    def listed(self) -> dict[str, Instrument]:
        return self.listings.listed

    @property
    def open_orders(self) -> dict[str, Order]:
        """Every open order, by id."""
        return self.trading.open

    def book(self, symbol: str) -> Book:
        return self.matchers[symbol].book

    def account(self, account_id: str) -> Account:
        return self.accounts[account_id]

    def find_order(self, account_id: str, order_id: str | None, client_order_id: str | None) -> Order | Trigger | None:
        """The account's open order or trigger a request names by id or by the client's id."""
        account = self.accounts[account_id]
        key = self.trading.find_id(account, order_id, client_order_id)
        if key is None:
            return None
        return account.triggers.get(key) or account.orders.get(key)

    def order_statuses(self, account_id: str, order_ids: Sequence[str], client_order_ids: Sequence[str],
                       now: int) -> list[tuple[Order | Trigger, str, str | None]]:
        """(order, status, update reason) of the named orders that are open or finished in the last 5 s;
        with no names, of every open order and every order finished in the last 5 s."""
        account = self.accounts[account_id]
        keys = list(order_ids) + [account.client_order_ids[x] for x in client_order_ids if x in account.client_order_ids]
        if not keys and not order_ids and not client_order_ids:
            keys = list(account.orders) + list(account.triggers) + self.finished.recent(account_id, now)
        return self.finished.statuses(account, keys, now)

    def digest(self) -> str:
        """A hash of the whole state: equal digests mean equal exchanges."""
        h = sha256()

        def put(value: object) -> None:
            h.update(repr(value).encode())

        put((self.seed, self.ids.counter, self.trigger_orders.arrivals, self.deadman.state(), self.funding.state(),
             self.listings.state(), self.maturities.next_expiry, self.past, self.scenarios))
        for s in sorted(self.matchers):
            book = self.matchers[s].book
            put((s, self.matchers[s].trades, self.pricing.state(s),
                 self.market_data.state(s) if self.market_data.has(s) else None))
            for side in (book.bids, book.asks):
                for p in side.prices():
                    put([o.state() for o in side.levels[p].values()])
            put([t.state() for t in self.trigger_books[s].by_id.values()])
        put(self.accounts.state())
        put(self.risk.collateral.state())
        put((self.funding_payments.state(), self.liquidation.state(), self.assignment.state()))
        put(self.history.state())
        put(self.finished.state())
        put(self.notifications.state())
        return h.hexdigest()
