"""The exchange: accounts, books, matching, triggers, margin. Pure: commands in, events out.

Time (``now``, epoch milliseconds) is passed in with every command and identifiers come
from a seeded generator, so the same commands with the same times give the same state.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from .book import BUY, SELL, Book, Order
from .ids import IdGen
from .instruments import FixedSeries, Instrument
from .triggers import INDEX, LAST, MARK, Trigger, TriggerBook

MAKER_FEE_BPS = 2  # 0.02 %
TAKER_FEE_BPS = 5  # 0.05 %
MKT_PROTECTION_BPS = 100  # market orders are IOC limited to 1 % through the best opposite price
DONE_RETENTION = 100_000  # terminal orders remembered (for cancel → "filled", orders/status)
STATUS_WINDOW_MS = 5_000  # orders/status reports orders closed in the last 5 seconds
FILLS_RETENTION = 10_000  # fills kept per account
HISTORY_RETENTION = 10_000  # history events kept per account
DAY_MS = 86_400_000
PRICE_COLLAR_BPS = 1000  # a crossing order whose limit is more than 10 % from the mark is refused
PUBLIC_TRADES = 10_000  # public executions remembered per symbol
MINUTE_MS = 60_000
CANDLE_MINUTES = 20_160  # one-minute candles kept per symbol and tick type (14 days)
TICK_TYPES = ("trade", "mark", "spot")
FUNDING_PERIOD_MS = 3_600_000  # perpetuals publish a funding rate every hour
FUNDING_RATES_KEPT = 24 * 400  # about 400 days of hourly rates per perpetual
RATE_SCALE = 10**12  # relative funding rates are integers of 1e-12
PREMIUM_SCALE = 10**6  # the premium EMA is kept in 1e-6 ticks
PREMIUM_SPAN = 30  # EMA span of the premium, in index updates (30 s at one update a second)
PREMIUM_CAP_BPS = 500  # one premium sample is at most 5 % of the index
MAX_OPEN_ORDERS = 500  # open orders and triggers per account
SMALL_ORDER_USD8 = 10 * 100_000_000  # an order below 10 USD notional is "small"
MAX_SMALL_ORDERS = 50  # open small orders per account
MAX_TRAILING_STOPS = 100  # open trailing stops per account
TRIGGER_TYPES = frozenset(("stp", "take_profit", "trailing_stop"))
STRATEGIES = ("REJECT_TAKER", "CANCEL_MAKER_SELF", "CANCEL_MAKER_CHILD", "CANCEL_MAKER_ANY")
MARKET_STATES = ("open", "suspended", "inactive", "post_only")

# a trigger order refused at placement carries a REJECT event with the OrderError
TRIGGER_REFUSALS = {
    "marketSuspended": "MARKET_SUSPENDED",
    "marketIsPostOnly": "MARKET_IS_POST_ONLY",
    "clientOrderIdAlreadyExist": "CLIENT_ORDER_ID_IN_USE",
    "tooManyOrders": "ORDER_LIMIT_EXCEEDED",
    "insufficientAvailableFunds": "INSUFFICIENT_MARGIN",
}
# OrderErrors found by the gateway and the sendStatus they go with (default invalidPrice)
TRIGGER_ERROR_STATUS = {"INVALID_QUANTITY": "invalidSize", "CLIENT_ORDER_ID_TOO_LONG": "clientOrderIdTooBig"}

# history reasons → the OrderUpdateReason enum of orders/status
UPDATE_REASONS = {
    "cancelled_by_user": "CANCELLED_BY_USER",
    "dead_man_switch": "DEAD_MAN_SWITCH",
    "contract_expired": "CONTRACT_EXPIRED",
    "self_trade": "WOULD_EXECUTE_SELF_REASON",
    "would_not_reduce_position": "WOULD_NOT_REDUCE_POSITION",
}

# event tags (orders on the book)
PLACE = "PLACE"
CANCEL = "CANCEL"
REJECT = "REJECT"
EXECUTION = "EXECUTION"
EDIT = "EDIT"
# event tags (trigger orders)
PLACE_TRIGGER = "PLACE_TRIGGER"
CANCEL_TRIGGER = "CANCEL_TRIGGER"
REJECT_TRIGGER = "REJECT_TRIGGER"
EDIT_TRIGGER = "EDIT_TRIGGER"


class Position:
    __slots__ = ("lots", "cost")

    def __init__(self) -> None:
        self.lots = 0  # signed
        self.cost = 0  # signed sum of lots*ticks of the open position


class Fill:
    __slots__ = ("fill_id", "symbol", "side", "oid", "cli", "lots", "price", "ts", "fill_type", "fee", "pos_after",
                 "reduce_only", "trade")

    def __init__(
        self, fill_id: str, symbol: str, side: int, oid: str, cli: str | None, lots: int, price: int,
        ts: int, fill_type: str, fee: int, pos_after: int, reduce_only: bool,
    ) -> None:
        self.fill_id = fill_id
        self.symbol = symbol
        self.side = side
        self.oid = oid
        self.cli = cli
        self.lots = lots
        self.price = price
        self.ts = ts
        self.fill_type = fill_type
        self.fee = fee  # usd8
        self.pos_after = pos_after  # signed lots after this fill
        self.reduce_only = reduce_only
        self.trade: Trade | None = None  # the public execution this fill is one side of


class Trade:
    """A public execution: what the market history shows."""

    __slots__ = ("uid", "ts", "price", "lots", "taker_side", "number", "maker", "taker", "mark")

    def __init__(self, uid: str, ts: int, price: int, lots: int, taker_side: int, number: int, maker: Order,
                 taker: Order, mark: int) -> None:
        self.uid = uid
        self.ts = ts
        self.price = price
        self.lots = lots
        self.taker_side = taker_side
        self.number = number
        self.maker = maker
        self.taker = taker
        self.mark = mark


class Account:
    __slots__ = ("uid", "balance", "positions", "fills", "orders", "cli", "order_im", "strategy", "triggers",
                 "history", "small", "dms")

    def __init__(self, uid: str, balance: int) -> None:
        self.uid = uid
        self.balance = balance  # usd8
        self.positions: dict[str, Position] = {}
        self.fills: deque[Fill] = deque(maxlen=FILLS_RETENTION)
        self.orders: dict[str, Order] = {}  # open orders, in arrival order
        self.triggers: dict[str, Trigger] = {}  # open trigger orders, in arrival order
        self.cli: dict[str, str] = {}  # cliOrdId -> order id, open and remembered terminal orders
        self.order_im = 0  # usd8 reserved by open orders
        self.strategy = "REJECT_TAKER"
        # (kind, ts, *payload) — the History API's order and trigger events
        self.history: deque[tuple[Any, ...]] = deque(maxlen=HISTORY_RETENTION)
        self.small = 0  # open small orders
        self.dms: int | None = None  # dead man's switch deadline


@dataclass(slots=True)
class Done:
    order: Order | Trigger
    status: str  # FULLY_EXECUTED | CANCELLED | REJECTED | TRIGGER_ACTIVATION_FAILURE
    reason: str | None
    ts: int


@dataclass(slots=True)
class Result:
    """The answer to one command: a status string, the order it concerns and its events."""

    status: str
    oid: str | None = None
    cli: str | None = None
    events: list[tuple[Any, ...]] = field(default_factory=list)
    extra: Any = None


class Exchange:
    def __init__(
        self, instruments: dict[str, Instrument], seed: int = 0, series: tuple[FixedSeries, ...] = ()
    ) -> None:
        self.instruments: dict[str, Instrument] = {}  # every instrument ever listed (expired ones too)
        self.listed: dict[str, Instrument] = {}  # what is listed now
        self.series = series  # fixed-maturity families, listed from the first command on
        self.expiry_next: int | None = None  # the next last trading time of a listed maturity
        self.seed = seed
        self.ids = IdGen(seed)
        self.books: dict[str, Book] = {}
        self.triggers: dict[str, TriggerBook] = {}
        self.marks: dict[str, int] = {}
        self.index: dict[str, int] = {}
        # the premium of the impact mid over the index, an EMA in 1e-6 ticks, once a price source feeds the index
        self.premium: dict[str, int] = {}
        self.last: dict[str, tuple[int, int, int]] = {}  # symbol -> (ticks, lots, ts)
        self.tape: dict[str, deque[tuple[int, int, int]]] = {}  # (ts, ticks, lots), 24 h
        self.open_interest: dict[str, int] = {}  # lots held long
        self.trades: dict[str, deque[Trade]] = {}
        self.trade_count: dict[str, int] = {}
        self.mark_changes: dict[str, deque[tuple[int, int]]] = {}
        self.market_state: dict[str, str] = {}
        # one-minute candles [open, high, low, close, volume lots] by (symbol, tick type), oldest first
        self.candles: dict[tuple[str, str], OrderedDict[int, list[int]]] = {}
        # (period start, relative rate in 1e-12, mark ticks when published) per perpetual, oldest first
        self.funding: dict[str, deque[tuple[int, int, int]]] = {}
        for inst in instruments.values():
            t = inst.price_to_ticks(inst.reference_price)
            if t is None:
                raise ValueError(f"{inst.symbol}: reference price is not on the tick grid")
            self._list(inst, t, t)
        self.accounts: dict[str, Account] = {}
        self.open: dict[str, Order] = {}
        # finished orders, oldest first; an OrderedDict because evicting from the front of a
        # plain dict makes next(iter(d)) walk over every deleted slot (quadratic over time)
        self.done: OrderedDict[str, Done] = OrderedDict()
        self.dms: dict[str, int] = {}  # account -> deadline
        self.dms_next: int | None = None  # min(self.dms.values()), kept up to date
        self.funding_next: int | None = None  # the next hour boundary
        self.fees_collected = 0  # usd8
        self.trigger_seq = 0
        self.now = 0
        self.fired = False  # did the last command also change time-driven state (switch, funding)?

    def _list(self, inst: Instrument, mark: int, index: int) -> None:
        """List ``inst``: an empty book, no trades, the given mark and index."""
        s = inst.symbol
        self.instruments[s] = self.listed[s] = inst
        self.books[s] = Book(s)
        self.triggers[s] = TriggerBook()
        self.marks[s] = mark
        self.index[s] = index
        self.tape[s] = deque()
        self.open_interest[s] = 0
        self.trades[s] = deque(maxlen=PUBLIC_TRADES)
        self.trade_count[s] = 0
        self.mark_changes[s] = deque(maxlen=PUBLIC_TRADES)
        self.market_state[s] = "post_only" if inst.post_only else "open"
        for k in TICK_TYPES:
            self.candles[(s, k)] = OrderedDict()
        if inst.perpetual:
            self.funding[s] = deque(maxlen=FUNDING_RATES_KEPT)

    # ------------------------------------------------------------------ dispatch
    def execute(self, cmd: dict[str, Any], now: int) -> Result:
        """Apply one journaled command. Every state change goes through here."""
        if now > self.now:
            self.now = now
        self.fired = False
        if self.dms_next is not None and self.dms_next <= now:
            self._fire_dead_man_switches(now)
            self.fired = True
        if self.funding_next is None:  # the first command starts the funding clock and lists maturities
            self.funding_next = now - now % FUNDING_PERIOD_MS + FUNDING_PERIOD_MS
            self._roll(now)
            self.fired = True
        elif now >= self.funding_next:
            self._publish_funding(now)
            self.fired = True
        if self.expiry_next is not None and now >= self.expiry_next:
            self._expire(now)
            self.fired = True
        c = cmd["c"]
        if c == "place":
            return self.place(
                cmd["a"], cmd["s"], cmd["d"], cmd["t"], cmd["q"], cmd.get("p"), cmd.get("cli"),
                cmd.get("ro", False), now, cmd.get("pb"), cmd.get("sp"), cmd.get("sig", LAST),
                cmd.get("lo"), cmd.get("tr"), cmd.get("err"),
            )
        if c == "cancel":
            return self.cancel(cmd["a"], cmd.get("o"), cmd.get("cli"), now, cmd.get("pb"))
        if c == "edit":
            return self.edit(
                cmd["a"], cmd.get("o"), cmd.get("cli"), cmd.get("q"), cmd.get("p"),
                cmd.get("qm", "RELATIVE"), now, cmd.get("pb"), cmd.get("sp"), cmd.get("tr"),
            )
        if c == "cancelall":
            return self.cancel_all(cmd["a"], cmd.get("s"), now, "cancelled_by_user")
        if c == "dms":
            return self.dead_man_switch(cmd["a"], cmd["t"], now)
        if c == "tick":
            return Result("ok")
        if c == "acct":
            return Result("created", extra=self.create_account(cmd["usd8"], cmd.get("uid")))
        if c == "mark":  # older journals: the mark alone
            return self.set_prices(cmd["s"], cmd["p"], None, now)
        if c in ("prices", "index") and cmd["s"] not in self.listed:
            return Result("marketInactive")  # an expired contract keeps its settlement price
        if c == "prices":
            return self.set_prices(cmd["s"], cmd.get("mark"), cmd.get("index"), now)
        if c == "index":
            return self.publish_index(cmd["s"], cmd["p"], now)
        if c == "state":
            if cmd["v"] not in MARKET_STATES:
                raise ValueError(cmd["v"])
            self.market_state[cmd["s"]] = cmd["v"]
            return Result("ok")
        if c == "stp":
            if cmd["v"] not in STRATEGIES:
                raise ValueError(cmd["v"])
            self.accounts[cmd["a"]].strategy = cmd["v"]
            return Result("ok")
        raise ValueError(f"unknown command {c!r}")

    def changed_nothing(self, cmd: dict[str, Any], res: Result) -> bool:
        """True when ``cmd`` left the state exactly as it was (so it need not be journaled)."""
        if self.fired:
            return False
        c = cmd["c"]
        if c == "cancel":
            return res.status in ("notFound", "filled", "wouldProcessAfterSpecifiedTime")
        if c == "edit":
            return res.status != "edited"
        if c in ("prices", "index"):
            return res.status == "marketInactive"
        return c == "tick"

    def next_deadline(self) -> int | None:
        """The next time something happens without a command (a dead man's switch, a funding rate, an expiry)."""
        times = [t for t in (self.dms_next, self.funding_next, self.expiry_next) if t is not None]
        return min(times) if times else None

    # ------------------------------------------------------------------ fixed maturities
    def _roll(self, now: int) -> None:
        """List every maturity the series should have at ``now`` that is not listed yet."""
        for series in self.series:
            ref = self._reference(series.template)
            for ltt, tag in series.maturities(now):
                inst = series.instrument(ltt, tag, now, series.template.ticks_to_price(ref))
                if inst.symbol not in self.instruments:
                    self._list(inst, ref, ref)
        ltts = [i.last_trading_ms for i in self.listed.values() if i.last_trading_ms is not None]
        self.expiry_next = min(ltts) if ltts else None

    def _reference(self, template: Instrument) -> int:
        """The index (ticks) of a listed contract on the same underlying, else the template's price."""
        for inst in self.listed.values():
            if inst.base == template.base and inst.quote == template.quote and inst.tick_size == template.tick_size:
                return self.index[inst.symbol]
        ticks = template.price_to_ticks(template.reference_price)
        assert ticks is not None
        return ticks

    def _index_average(self, symbol: str, ltt: int, minutes: int) -> int:
        """The average of the index's one-minute closes over ``minutes`` before ``ltt`` (ticks):
        the settlement price of a fixed maturity (which keeps it as its mark from then on).

        A minute without an index update carries the previous close forward; with no update
        in the window at all, the price is the index now.
        """
        if minutes <= 0:
            return self.index[symbol]
        candles = self.candles[(symbol, "spot")]
        start = ltt - ltt % MINUTE_MS - minutes * MINUTE_MS
        price = next((c[3] for m, c in reversed(candles.items()) if m < start), self.index[symbol])
        total = 0
        for i in range(minutes):
            c = candles.get(start + i * MINUTE_MS)
            if c is not None:
                price = c[3]
            total += price
        return (total + minutes // 2) // minutes

    def _expire(self, now: int) -> None:
        """Stop every maturity whose last trading time has come: cancel its orders, settle its positions."""
        for inst in [i for i in self.listed.values() if i.last_trading_ms is not None and i.last_trading_ms <= now]:
            s = inst.symbol
            for trig in list(self.triggers[s].by_id.values()):
                self._cancel_trigger(trig, self.accounts[trig.acct], now, "contract_expired")
            for side in (self.books[s].bids, self.books[s].asks):
                for p in list(side.prices()):
                    for o in list(side.levels[p].values()):
                        self._cancel_resting(o, self.accounts[o.acct], now, "contract_expired")
            ltt = inst.last_trading_ms
            assert ltt is not None
            price = self._index_average(s, ltt, inst.settlement_minutes)
            if self.marks[s] != price:
                self.mark_changes[s].append((now, price))
            self.marks[s] = price
            for acct in self.accounts.values():
                pos = acct.positions.get(s)
                if pos is not None and pos.lots:
                    # the position is closed at the settlement price, with a taker fee (as Kraken charges)
                    fee = inst.notional_usd8(abs(pos.lots), price) * TAKER_FEE_BPS // 10000
                    acct.balance += self._upnl(inst, pos, price) - fee
                    self.fees_collected += fee
                    pos.lots = pos.cost = 0
            self.open_interest[s] = 0
            self.market_state[s] = "inactive"
            del self.listed[s]
        self._roll(now)

    # ------------------------------------------------------------------ funding
    def relative_funding_rate(self, symbol: str) -> int:
        """The rate the premium of mark over index gives now, in 1e-12 (clamped to the maximum)."""
        inst = self.instruments[symbol]
        mark, index = self.marks[symbol], self.index[symbol]
        num = (mark - index) * RATE_SCALE
        den = index * inst.funding_rate_coefficient
        rate = num // den if num >= 0 else -((-num) // den)
        cap = int(inst.max_relative_funding_rate * RATE_SCALE)
        return max(-cap, min(cap, rate))

    def _publish_funding(self, now: int) -> None:
        """Publish a rate for every hour boundary reached, each dated at the start of its period."""
        assert self.funding_next is not None
        while self.funding_next <= now:
            for symbol, rates in self.funding.items():
                rates.append((self.funding_next, self.relative_funding_rate(symbol), self.marks[symbol]))
            self.funding_next += FUNDING_PERIOD_MS

    # ------------------------------------------------------------------ accounts
    def create_account(self, usd8: int, uid: str | None = None) -> str:
        uid = uid or self.ids.next()
        self.accounts[uid] = Account(uid, usd8)
        return uid

    def available_margin(self, acct: Account) -> int:
        """Margin equity less initial margin of positions and open orders (usd8)."""
        if not acct.positions:
            return acct.balance - acct.order_im
        equity = acct.balance
        pos_im = 0
        for sym, pos in acct.positions.items():
            if pos.lots:
                inst = self.instruments[sym]
                equity += self._upnl(inst, pos, self.marks[sym])
                pos_im += inst.notional_usd8(abs(pos.lots), self.marks[sym]) * inst.im_bps // 10000
        return equity - pos_im - acct.order_im

    def _upnl(self, inst: Instrument, pos: Position, mark: int) -> int:
        n = abs(pos.lots)
        if n == 0:
            return 0
        sgn = 1 if pos.lots > 0 else -1
        c = abs(pos.cost)
        if inst.linear:
            return sgn * (n * mark - c) * inst.unit_usd8
        return sgn * inst.unit_usd8 * n * (n * mark - c) // c

    def upnl(self, acct: Account) -> int:
        return sum(
            self._upnl(self.instruments[s], p, self.marks[s]) for s, p in acct.positions.items() if p.lots
        )

    def maintenance_margin(self, acct: Account) -> int:
        mm = 0
        for s, pos in acct.positions.items():
            if pos.lots:
                inst = self.instruments[s]
                mm += inst.notional_usd8(abs(pos.lots), self.marks[s]) * inst.mm_bps // 10000
        return mm

    # ------------------------------------------------------------------ prices
    def signals(self, symbol: str) -> dict[str, int]:
        last = self.last.get(symbol)
        mark = self.marks[symbol]
        return {MARK: mark, INDEX: self.index[symbol], LAST: last[0] if last else mark}

    def set_prices(self, symbol: str, mark: int | None, index: int | None, now: int) -> Result:
        if mark is not None:
            if self.marks[symbol] != mark:
                self.mark_changes[symbol].append((now, mark))
            self.marks[symbol] = mark
            self._candle(symbol, "mark", now, mark, 0)
        if index is not None:
            self.index[symbol] = index
            self._candle(symbol, "spot", now, index, 0)
        self._run_triggers(symbol, now)
        return Result("ok")

    def publish_index(self, symbol: str, index: int, now: int) -> Result:
        """A price source published the index; the mark follows it as index + EMA(impact mid − index).

        From the first publication on, trades no longer move the mark: it is the index plus a
        moving average of the premium of the book's impact mid price (the average fill price of
        ``impactMidSize`` contracts on each side) over the index.
        """
        premium = self.premium.get(symbol, 0)
        mid = self._impact_mid(symbol)
        if mid is not None:
            cap = index * PREMIUM_CAP_BPS * PREMIUM_SCALE // 10000
            sample = max(-cap, min(cap, mid - index * PREMIUM_SCALE))
            premium += (sample - premium) * 2 // (PREMIUM_SPAN + 1)
        self.premium[symbol] = premium
        mark = max(1, index + (premium + PREMIUM_SCALE // 2) // PREMIUM_SCALE)
        return self.set_prices(symbol, mark, index, now)

    def _impact_mid(self, symbol: str) -> int | None:
        """The mean of the impact bid and impact ask in 1e-6 ticks, or None when a side is empty."""
        inst = self.instruments[symbol]
        want = max(1, int(inst.impact_mid_size.scaleb(inst.precision)))
        book = self.books[symbol]
        prices = []
        for side in (book.bids, book.asks):
            lots = value = 0
            for p in side.prices():
                n = min(want - lots, sum(o.qty - o.filled for o in side.levels[p].values()))
                lots += n
                value += n * p
                if lots >= want:
                    break
            if lots == 0:
                return None
            prices.append(value * PREMIUM_SCALE // lots)
        return (prices[0] + prices[1]) // 2

    def _candle(self, symbol: str, kind: str, now: int, price: int, lots: int) -> None:
        book = self.candles[(symbol, kind)]
        minute = now - now % MINUTE_MS
        c = book.get(minute)
        if c is None:
            book[minute] = [price, price, price, price, lots]
            if len(book) > CANDLE_MINUTES:
                book.popitem(last=False)
            return
        if price > c[1]:
            c[1] = price
        if price < c[2]:
            c[2] = price
        c[3] = price
        c[4] += lots

    # ------------------------------------------------------------------ orders
    def _market_refusal(self, symbol: str, otype: str) -> str | None:
        state = self.market_state[symbol]
        if state == "open":
            return None
        if state == "suspended":
            return "marketSuspended"
        if state == "inactive":
            return "marketInactive"
        return None if otype == "post" else "marketIsPostOnly"

    def place(
        self, acct_id: str, symbol: str, side: int, otype: str, lots: int, price: int | None,
        cli: str | None, reduce_only: bool, now: int, process_before: int | None = None,
        stop: int | None = None, signal: str = LAST, offset: list[Any] | None = None,
        trailing: list[Any] | None = None, error: str | None = None,
    ) -> Result:
        acct = self.accounts[acct_id]
        oid = self.ids.next()
        if error is not None:  # a trigger order the gateway found malformed: refused with its reason
            trig = Trigger(oid, cli, acct_id, symbol, side, otype, lots, price, stop or 0, signal, reduce_only, now, 0)
            return self._reject_trigger(acct, trig, TRIGGER_ERROR_STATUS.get(error, "invalidPrice"), error, now)
        if process_before is not None and now > process_before:
            return Result("wouldProcessAfterSpecifiedTime", oid, cli)
        refusal = None if self.market_state[symbol] == "open" else self._market_refusal(symbol, otype)
        if refusal is None and cli is not None and cli in acct.cli and (
            acct.cli[cli] in acct.orders or acct.cli[cli] in acct.triggers
        ):
            refusal = "clientOrderIdAlreadyExist"
        if refusal is None and len(acct.orders) + len(acct.triggers) >= MAX_OPEN_ORDERS:
            refusal = "tooManyOrders"
        if refusal is not None:
            if otype in TRIGGER_TYPES and refusal in TRIGGER_REFUSALS:
                trig = Trigger(oid, cli, acct_id, symbol, side, otype, lots, price, stop or 0, signal, reduce_only,
                               now, 0)
                return self._reject_trigger(acct, trig, refusal, TRIGGER_REFUSALS[refusal], now)
            return Result(refusal, oid, cli)
        if otype in TRIGGER_TYPES:
            return self._place_trigger(acct, oid, cli, symbol, side, otype, lots, price, stop, signal, offset,
                                       trailing, reduce_only, now)
        res = self._place_order(acct, oid, cli, symbol, side, otype, lots, price, reduce_only, now, "new_user_order")
        if res.status == "placed":
            if cli is not None:
                acct.cli[cli] = oid
            if res.events and res.events[0][0] == EXECUTION:
                self._run_triggers(symbol, now)
        return res

    def _place_order(
        self, acct: Account, oid: str, cli: str | None, symbol: str, side: int, otype: str, lots: int,
        price: int | None, reduce_only: bool, now: int, reason: str,
    ) -> Result:
        inst = self.instruments[symbol]
        book = self.books[symbol]
        opp = book.opposite(side)
        pos = acct.positions.get(symbol)
        held = pos.lots if pos else 0
        if reduce_only and (held == 0 or (held > 0) == (side == BUY)):
            return Result("wouldNotReducePosition", oid, cli, extra="WOULD_NOT_REDUCE_POSITION")
        if otype == "mkt":
            best = opp.best()
            if best is None:
                o = Order(oid, cli, acct.uid, symbol, side, "ioc", lots, 0, reduce_only, now)
                return self._reject(acct, o, "iocWouldNotExecute", "IOC_WOULD_NOT_EXECUTE", now)
            # 1 % protection through the best opposite price, rounded to a tick towards the book
            if side == BUY:
                price = best * (10000 + MKT_PROTECTION_BPS) // 10000
            else:
                price = -(-best * (10000 - MKT_PROTECTION_BPS) // 10000)
            otype = "ioc"
        assert price is not None
        order = Order(oid, cli, acct.uid, symbol, side, otype, lots, price, reduce_only, now)

        reduced: int | None = None
        if reduce_only:
            if lots > abs(held):
                reduced = lots - abs(held)
                order.qty = abs(held)
            else:
                reduced = 0
        notional = inst.notional_usd8(order.qty, price)
        if not reduce_only:
            after = held + side * lots
            if (after > inst.max_lots or -after > inst.max_lots) and abs(after) > abs(held):
                return Result("maxPositionViolation", oid, cli, extra="MAX_POSITION_EXCEEDED")
            order.im = notional * inst.im_bps // 10000
            if order.im > self.available_margin(acct):
                return Result("insufficientAvailableFunds", oid, cli, extra="INSUFFICIENT_MARGIN")
        order.small = notional < SMALL_ORDER_USD8
        if order.small and otype != "ioc" and otype != "fok" and acct.small >= MAX_SMALL_ORDERS:
            return Result("tooManySmallOrders", oid, cli, extra="SMALL_ORDER_LIMIT_EXCEEDED")

        # how much could trade now, and would it meet one of our own orders first?
        best = opp.best()
        crosses = best is not None and ((side == BUY and best <= price) or (side == SELL and best >= price))
        if otype == "post":
            if crosses:
                return self._reject(acct, order, "postWouldExecute", "POST_WOULD_EXECUTE", now)
        elif crosses and self._outside_collar(symbol, price):
            return Result("outsidePriceCollar", oid, cli, extra="PRICE_COLLAR")
        elif crosses:
            fillable, self_hit, loss = self._walk(book, order, acct)
            if self_hit:
                return Result("selfFill", oid, cli, extra="WOULD_EXECUTE_SELF")
            if otype == "fok" and fillable < order.qty:
                return self._reject(acct, order, "iocWouldNotExecute", "IOC_WOULD_NOT_EXECUTE", now)
            if not reduce_only and loss > 0 and self._would_liquidate(acct, inst, order, fillable, loss):
                return Result("wouldCauseLiquidation", oid, cli, extra="WOULD_CAUSE_LIQUIDATION")
        elif otype in ("ioc", "fok"):
            return self._reject(acct, order, "iocWouldNotExecute", "IOC_WOULD_NOT_EXECUTE", now)

        placed = order.snap()
        acct.history.append(("OrderPlaced", now, placed, reason))
        events: list[tuple[Any, ...]] = []
        if crosses:
            self._match(book, inst, order, acct, events, now)
        if order.filled < order.qty:
            if otype in ("ioc", "fok") or (order.reduce_only and self._reduce_room(acct, order) == 0):
                order.upd = now
                events.append((CANCEL, order))
                why = "ioc_would_not_execute" if otype in ("ioc", "fok") else "would_not_reduce_position"
                acct.history.append(("OrderCancelled", now, order, why))
                self._remember(order, "CANCELLED", "IOC_WOULD_NOT_EXECUTE_REASON", now)
            else:
                self._rest(order, acct, inst)
                events.append((PLACE, order.snap() if events else placed, reduced))
        else:
            self._remember(order, "FULLY_EXECUTED", "FULL_FILL", now)
        return Result("placed", oid, cli, events)

    def _would_liquidate(self, acct: Account, inst: Instrument, order: Order, fillable: int, loss: int) -> bool:
        """Would filling now at worse-than-mark prices leave equity below maintenance margin?"""
        equity = acct.balance + self.upnl(acct) - loss
        pos = acct.positions.get(order.symbol)
        held = pos.lots if pos else 0
        after = abs(held + order.side * min(fillable, order.qty))
        mm = self.maintenance_margin(acct) - (
            inst.notional_usd8(abs(held), self.marks[order.symbol]) * inst.mm_bps // 10000
        ) + inst.notional_usd8(after, self.marks[order.symbol]) * inst.mm_bps // 10000
        return equity < mm

    def _outside_collar(self, symbol: str, price: int) -> bool:
        mark = self.marks[symbol]
        return abs(price - mark) * 10000 > mark * PRICE_COLLAR_BPS

    def _reject(self, acct: Account, order: Order, status: str, reason: str, now: int) -> Result:
        acct.history.append(("OrderRejected", now, order, reason))
        return Result(status, order.oid, order.cli, [(REJECT, order, reason)], extra=reason)

    def _walk(self, book: Book, taker: Order, acct: Account) -> tuple[int, bool, int]:
        """What ``_match`` would do, without doing it: the volume ``taker`` can trade within its
        limit, whether it meets one of its own orders first (under REJECT_TAKER), and the loss
        against the mark of filling it (usd8). Reduce-only makers count only for what their
        owner's position lets them trade, as in ``_match``."""
        opp = book.opposite(taker.side)
        need = taker.qty - taker.filled
        if taker.reduce_only:
            need = min(need, self._reduce_room(acct, taker))
        got = 0
        worse = 0  # lots*ticks paid beyond the mark
        mark = self.marks[taker.symbol]
        reject_self = acct.strategy == "REJECT_TAKER"
        held: dict[str, int] = {}  # makers' positions as the walk would leave them
        for p in opp.prices():
            if (taker.side == BUY and p > taker.price) or (taker.side == SELL and p < taker.price):
                break
            for m in opp.levels[p].values():
                if m.acct == taker.acct:
                    if reject_self:
                        return got, True, 0
                    continue
                n = min(m.qty - m.filled, need - got)
                pos = held.get(m.acct)
                if pos is None:
                    position = self.accounts[m.acct].positions.get(m.symbol)
                    pos = position.lots if position else 0
                if m.reduce_only:
                    room = 0 if pos == 0 or (pos > 0) == (m.side == BUY) else abs(pos)
                    n = min(n, room)
                    if n == 0:
                        continue
                held[m.acct] = pos + m.side * n
                got += n
                worse += n * (p - mark) * taker.side
                if got >= need:
                    break
            if got >= need:
                break
        inst = self.instruments[taker.symbol]
        loss = worse * inst.unit_usd8 if inst.linear else 0
        return got, False, loss

    def _reduce_room(self, acct: Account, o: Order) -> int:
        """How much a reduce-only order may still trade without growing the position."""
        pos = acct.positions.get(o.symbol)
        held = pos.lots if pos else 0
        if held == 0 or (held > 0) == (o.side == BUY):
            return 0
        return abs(held)

    def _match(
        self, book: Book, inst: Instrument, taker: Order, acct: Account, events: list[tuple[Any, ...]],
        now: int, prior_edit: Order | None = None,
    ) -> None:
        opp = book.opposite(taker.side)
        sym = taker.symbol
        while taker.filled < taker.qty:
            p = opp.best()
            if p is None or (taker.side == BUY and p > taker.price) or (taker.side == SELL and p < taker.price):
                break
            level = opp.levels[p]
            maker = next(iter(level.values()))
            maker_acct = self.accounts[maker.acct]
            if maker.acct == taker.acct:
                if acct.strategy == "REJECT_TAKER":  # _walk refused this before; never trade with ourselves
                    break
                # CANCEL_MAKER_* strategies: our own resting order goes
                self._cancel_resting(maker, maker_acct, now, "self_trade")
                continue
            n = min(taker.qty - taker.filled, maker.qty - maker.filled)
            if maker.reduce_only:
                room = self._reduce_room(maker_acct, maker)
                if room == 0:
                    self._cancel_resting(maker, maker_acct, now, "would_not_reduce_position")
                    continue
                n = min(n, room)
            if taker.reduce_only:
                n = min(n, self._reduce_room(acct, taker))
                if n == 0:
                    break
            exec_id = self.ids.next()
            prior = taker.snap()
            maker_prior = maker.snap()
            self.trade_count[sym] += 1
            trade = Trade(exec_id, now, p, n, taker.side, self.trade_count[sym], maker_prior, prior, self.marks[sym])
            self.trades[sym].append(trade)
            # maker side
            self._release_im(maker_acct, maker)
            maker.filled += n
            maker.upd = now
            self._fill(maker_acct, inst, maker, n, p, now, "maker", trade)
            if maker.filled >= maker.qty:
                opp.remove(maker)
                del self.open[maker.oid]
                del maker_acct.orders[maker.oid]
                self._unsmall(maker_acct, inst, maker)
                maker_acct.history.append(("OrderUpdated", now, maker_prior, maker, "full_fill"))
                self._remember(maker, "FULLY_EXECUTED", "FULL_FILL", now)
            else:
                self._reserve_im(maker_acct, inst, maker)
                maker_acct.history.append(("OrderUpdated", now, maker_prior, maker.snap(), "partial_fill"))
            # taker side
            taker.filled += n
            taker.upd = now
            self._fill(acct, inst, taker, n, p, now, "taker" if prior_edit is None else "takerAfterEdit", trade)
            acct.history.append(("OrderUpdated", now, prior, taker.snap(),
                                 "full_fill" if taker.filled >= taker.qty else "partial_fill"))
            events.append((EXECUTION, exec_id, p, n, prior, prior_edit))
            self.last[sym] = (p, n, now)
            if sym not in self.premium:  # without a price source the mark follows the trades
                if self.marks[sym] != p:
                    self.mark_changes[sym].append((now, p))
                self.marks[sym] = p
                self._candle(sym, "mark", now, p, 0)
            self._candle(sym, "trade", now, p, n)
            tape = self.tape[sym]
            tape.append((now, p, n))
            while tape[0][0] <= now - DAY_MS:
                tape.popleft()

    def _fill(
        self, acct: Account, inst: Instrument, o: Order, n: int, p: int, now: int, kind: str, trade: Trade
    ) -> None:
        fee = inst.notional_usd8(n, p) * (MAKER_FEE_BPS if kind == "maker" else TAKER_FEE_BPS) // 10000
        acct.balance -= fee
        self.fees_collected += fee
        pos = acct.positions.get(o.symbol)
        if pos is None:
            pos = acct.positions[o.symbol] = Position()
        signed = o.side * n
        self.open_interest[o.symbol] -= max(pos.lots, 0)
        if pos.lots == 0 or (pos.lots > 0) == (signed > 0):
            pos.lots += signed
            pos.cost += signed * p
        else:
            held = abs(pos.lots)
            closing = min(n, held)
            sgn = 1 if pos.lots > 0 else -1
            c = abs(pos.cost) * closing // held
            if inst.linear:
                realized = sgn * (closing * p - c) * inst.unit_usd8
            else:
                realized = sgn * inst.unit_usd8 * closing * (closing * p - c) // c
            acct.balance += realized
            pos.cost -= sgn * c
            pos.lots += signed
            if n > closing:  # flipped
                pos.cost = pos.lots * p
        if pos.lots == 0:
            pos.cost = 0
        self.open_interest[o.symbol] += max(pos.lots, 0)
        f = Fill(trade.uid, o.symbol, o.side, o.oid, o.cli, n, p, now, kind, fee, pos.lots, o.reduce_only)
        f.trade = trade
        acct.fills.append(f)

    def _reserve_im(self, acct: Account, inst: Instrument, o: Order) -> None:
        o.im = 0 if o.reduce_only else inst.notional_usd8(o.qty - o.filled, o.price) * inst.im_bps // 10000
        acct.order_im += o.im

    def _release_im(self, acct: Account, o: Order) -> None:
        acct.order_im -= o.im
        o.im = 0

    def _is_small(self, inst: Instrument, o: Order) -> bool:
        return inst.notional_usd8(o.qty, o.price) < SMALL_ORDER_USD8

    def _unsmall(self, acct: Account, inst: Instrument, o: Order) -> None:
        if o.small:
            acct.small -= 1
            o.small = False

    def _rest(self, order: Order, acct: Account, inst: Instrument) -> None:
        self.books[order.symbol].side(order.side).add(order)
        self.open[order.oid] = order
        acct.orders[order.oid] = order
        if order.small:
            acct.small += 1
        if order.filled:
            self._reserve_im(acct, inst, order)
        elif not order.reduce_only:  # the margin checked at placement is the margin reserved
            acct.order_im += order.im

    def _remember(self, order: Order | Trigger, status: str, reason: str | None, now: int) -> None:
        done = self.done
        done[order.oid] = Done(order, status, reason, now)
        if len(done) > DONE_RETENTION:  # (rare until the store is full, then once per call)
            old_id, evicted = done.popitem(last=False)
            old = evicted.order
            if old.cli is not None:
                a = self.accounts[old.acct]
                if a.cli.get(old.cli) == old_id:
                    del a.cli[old.cli]

    def _find(self, acct: Account, oid: str | None, cli: str | None) -> str | None:
        if oid is not None:
            return oid
        if cli is not None:
            return acct.cli.get(cli)
        return None

    def cancel(
        self, acct_id: str, oid: str | None, cli: str | None, now: int, process_before: int | None = None
    ) -> Result:
        acct = self.accounts[acct_id]
        if process_before is not None and now > process_before:
            return Result("wouldProcessAfterSpecifiedTime", oid, cli)
        key = self._find(acct, oid, cli)
        order = acct.orders.get(key) if key is not None else None
        if order is None:
            trig = acct.triggers.get(key) if key is not None else None
            if trig is not None:
                self._cancel_trigger(trig, acct, now, "cancelled_by_user")
                return Result("cancelled", trig.oid, trig.cli, [(CANCEL_TRIGGER, trig)])
            done = self.done.get(key) if key is not None else None
            if done is not None and done.order.acct == acct_id and done.status == "FULLY_EXECUTED":
                return Result("filled", key, done.order.cli)
            return Result("notFound", oid, cli)
        self._cancel_resting(order, acct, now, "cancelled_by_user")
        # a cancelled order never changes again: the event can hold it without a copy
        return Result("cancelled", order.oid, order.cli, [(CANCEL, order)])

    def _cancel_resting(self, order: Order, acct: Account, now: int, reason: str) -> None:
        self.books[order.symbol].side(order.side).remove(order)
        del self.open[order.oid]
        del acct.orders[order.oid]
        self._release_im(acct, order)
        self._unsmall(acct, self.instruments[order.symbol], order)
        order.upd = now
        acct.history.append(("OrderCancelled", now, order, reason))
        self._remember(order, "CANCELLED", UPDATE_REASONS[reason], now)

    def _cancel_trigger(self, trig: Trigger, acct: Account, now: int, reason: str) -> None:
        self.triggers[trig.symbol].remove(trig)
        del acct.triggers[trig.oid]
        trig.upd = now
        acct.history.append(("OrderTriggerCancelled", now, trig, reason))
        self._remember(trig, "CANCELLED", UPDATE_REASONS[reason], now)

    def cancel_all(self, acct_id: str, symbol: str | None, now: int, reason: str) -> Result:
        acct = self.accounts[acct_id]
        events: list[tuple[Any, ...]] = []
        for o in [o for o in acct.orders.values() if symbol is None or o.symbol == symbol]:
            self._cancel_resting(o, acct, now, reason)
            events.append((CANCEL, o))
        for t in [t for t in acct.triggers.values() if symbol is None or t.symbol == symbol]:
            self._cancel_trigger(t, acct, now, reason)
            events.append((CANCEL_TRIGGER, t))
        return Result("cancelled" if events else "noOrdersToCancel", events=events)

    # ------------------------------------------------------------------ dead man's switch
    def dead_man_switch(self, acct_id: str, timeout_s: int, now: int) -> Result:
        acct = self.accounts[acct_id]
        if timeout_s <= 0:
            acct.dms = None
            self.dms.pop(acct_id, None)
            self._dms_changed()
            return Result("ok", extra=None)
        acct.dms = now + timeout_s * 1000
        self.dms[acct_id] = acct.dms
        self._dms_changed()
        return Result("ok", extra=acct.dms)

    def _dms_changed(self) -> None:
        self.dms_next = min(self.dms.values()) if self.dms else None

    def _fire_dead_man_switches(self, now: int) -> None:
        for acct_id, deadline in sorted(self.dms.items(), key=lambda kv: (kv[1], kv[0])):
            if deadline <= now:
                del self.dms[acct_id]
                acct = self.accounts[acct_id]
                acct.dms = None
                # everything is cancelled as of the deadline, not of the command that noticed it
                self.cancel_all(acct_id, None, deadline, "dead_man_switch")
        self._dms_changed()

    # ------------------------------------------------------------------ trigger orders
    def _place_trigger(
        self, acct: Account, oid: str, cli: str | None, symbol: str, side: int, otype: str, lots: int,
        limit: int | None, stop: int | None, signal: str, offset: list[Any] | None, trailing: list[Any] | None,
        reduce_only: bool, now: int,
    ) -> Result:
        sig = self.signals(symbol)
        if otype == "trailing_stop":
            assert trailing is not None
            if sum(1 for t in acct.triggers.values() if t.trailing) >= MAX_TRAILING_STOPS:
                refused = Trigger(oid, cli, acct.uid, symbol, side, otype, lots, None, 0, signal, reduce_only, now, 0)
                return self._reject_trigger(acct, refused, "tooManyOrders", "TRAILING_STOP_ORDER_LIMIT_EXCEEDED", now)
            trig = Trigger(oid, cli, acct.uid, symbol, side, otype, lots, None, 0, signal, reduce_only, now,
                           self._next_trigger_seq())
            trig.dev, trig.dev_unit = int(trailing[0]), str(trailing[1])
            trig.peak = 0
            trig.trail_to(sig[signal])
        else:
            assert stop is not None
            trig = Trigger(oid, cli, acct.uid, symbol, side, otype, lots, limit, stop, signal, reduce_only, now,
                           self._next_trigger_seq())
        if offset is not None:
            trig.offset, trig.offset_unit = int(offset[0]), str(offset[1])
        if trig.trigger <= 0:
            return self._reject_trigger(acct, trig, "invalidPrice", "INVALID_PRICE", now)
        lim = trig.limit_when_fired()
        if lim is not None and lim <= 0:
            return self._reject_trigger(acct, trig, "invalidPrice", "LIMIT_PRICE_OFFSET_TOO_LOW", now)
        if not reduce_only:
            need = self.instruments[symbol].notional_usd8(lots, lim or trig.trigger) * self.instruments[
                symbol].im_bps // 10000
            if need > self.available_margin(acct):
                return self._reject_trigger(acct, trig, "insufficientAvailableFunds", "INSUFFICIENT_MARGIN", now)
        self.triggers[symbol].add(trig)
        acct.triggers[oid] = trig
        if cli is not None:
            acct.cli[cli] = oid
        acct.history.append(("OrderTriggerPlaced", now, trig.snap(), "new_user_order"))
        events: list[tuple[Any, ...]] = [(PLACE_TRIGGER, trig.snap())]
        self._run_triggers(symbol, now)
        return Result("placed", oid, cli, events)

    def _next_trigger_seq(self) -> int:
        self.trigger_seq += 1
        return self.trigger_seq

    def _reject_trigger(self, acct: Account, trig: Trigger, status: str, reason: str, now: int) -> Result:
        return Result(status, trig.oid, trig.cli, [(REJECT_TRIGGER, trig, reason)], extra=reason)

    def _run_triggers(self, symbol: str, now: int) -> None:
        """Fire every trigger whose signal has crossed; fills may move prices and fire more."""
        book = self.triggers[symbol]
        for _round in range(1000):
            if not len(book):
                return
            due = book.due(self.signals(symbol))
            if not due:
                return
            for trig in due:
                if trig.oid in book.by_id:
                    self._activate(trig, now)

    def _activate(self, trig: Trigger, now: int) -> None:
        acct = self.accounts[trig.acct]
        self.triggers[trig.symbol].remove(trig)
        del acct.triggers[trig.oid]
        trig.upd = now
        acct.history.append(("OrderTriggerActivated", now, trig.snap()))
        limit = trig.limit_when_fired()
        otype = "lmt" if limit is not None else "mkt"
        res = self._place_order(acct, trig.oid, trig.cli, trig.symbol, trig.side, otype, trig.qty, limit,
                                trig.reduce_only, now, "stop_order_triggered")
        if res.status != "placed":
            reason = res.extra if isinstance(res.extra, str) else "REJECTED_AFTER_EXECUTION"
            if not res.events:  # refused before it became an order: say so in the order history
                o = Order(trig.oid, trig.cli, acct.uid, trig.symbol, trig.side, "lmt" if limit else "ioc", trig.qty,
                          limit or 0, trig.reduce_only, now)
                acct.history.append(("OrderRejected", now, o, reason))
            self._remember(trig, "TRIGGER_ACTIVATION_FAILURE", reason, now)
            if trig.cli is not None and acct.cli.get(trig.cli) == trig.oid:
                del acct.cli[trig.cli]

    # ------------------------------------------------------------------ edits
    def edit(
        self, acct_id: str, oid: str | None, cli: str | None, lots: int | None, price: int | None,
        qty_mode: str, now: int, process_before: int | None = None, stop: int | None = None,
        trailing: list[Any] | None = None,
    ) -> Result:
        acct = self.accounts[acct_id]
        if process_before is not None and now > process_before:
            return Result("wouldProcessAfterSpecifiedTime", oid, cli)
        key = self._find(acct, oid, cli)
        target = acct.triggers.get(key) or acct.orders.get(key) if key is not None else None
        if target is not None and self.market_state[target.symbol] in ("suspended", "inactive"):
            return Result("marketUnavailable", target.oid, target.cli)
        if key is not None and key in acct.triggers:
            return self._edit_trigger(acct, acct.triggers[key], lots, price, stop, trailing, qty_mode, now)
        order = acct.orders.get(key) if key is not None else None
        if order is None:
            return Result("orderForEditNotFound", oid, cli)
        if stop is not None or trailing is not None:
            return Result("orderForEditNotAStop", order.oid, order.cli)
        inst = self.instruments[order.symbol]
        new_qty = order.qty
        if lots is not None:
            new_qty = lots if qty_mode == "ABSOLUTE" else order.filled + lots
            if new_qty <= order.filled:
                return Result("invalidSize", order.oid, order.cli)
        new_price = order.price if price is None else price
        if order.reduce_only and new_qty - order.filled > self._reduce_room(acct, order):
            return Result("wouldNotReducePosition", order.oid, order.cli)
        book = self.books[order.symbol]
        opp = book.opposite(order.side)
        best = opp.best()
        crosses = best is not None and (
            (order.side == BUY and best <= new_price) or (order.side == SELL and best >= new_price)
        )
        if crosses and (order.otype == "post" or self.market_state[order.symbol] == "post_only"):
            return Result("postWouldExecute", order.oid, order.cli)
        if crosses and self._outside_collar(order.symbol, new_price):
            return Result("outsidePriceCollar", order.oid, order.cli)
        if not order.reduce_only:
            extra = inst.notional_usd8(new_qty - order.filled, new_price) * inst.im_bps // 10000 - order.im
            if extra > 0 and extra > self.available_margin(acct):
                return Result("insufficientAvailableFunds", order.oid, order.cli)
        if (not order.small and inst.notional_usd8(new_qty, new_price) < SMALL_ORDER_USD8
                and acct.small >= MAX_SMALL_ORDERS):
            return Result("tooManySmallOrders", order.oid, order.cli)
        if crosses:
            probe = order.snap()
            probe.qty, probe.price = new_qty, new_price
            if self._walk(book, probe, acct)[1]:
                return Result("selfFill", order.oid, order.cli)
        was_small = order.small
        old = order.snap()
        side = book.side(order.side)
        keeps_priority = new_price == order.price and new_qty <= order.qty
        self._release_im(acct, order)
        if keeps_priority:
            order.qty = new_qty
        else:
            side.remove(order)
            order.qty = new_qty
            order.price = new_price
        order.upd = now
        order.small = self._is_small(inst, order)
        acct.small += int(order.small) - int(was_small)
        events: list[tuple[Any, ...]] = [(EDIT, old, order.snap())]
        acct.history.append(("OrderUpdated", now, old, events[0][2], "edited_by_user"))
        if not keeps_priority:
            if crosses:
                del self.open[order.oid]
                del acct.orders[order.oid]
                self._match(book, inst, order, acct, events, now, prior_edit=old)
                if order.filled >= order.qty:
                    self._unsmall(acct, inst, order)
                    self._remember(order, "FULLY_EXECUTED", "FULL_FILL", now)
                    self._run_triggers(order.symbol, now)
                    return Result("edited", order.oid, order.cli, events)
                self.open[order.oid] = order
                acct.orders[order.oid] = order
            side.add(order)
        self._reserve_im(acct, inst, order)
        if crosses:
            self._run_triggers(order.symbol, now)
        return Result("edited", order.oid, order.cli, events)

    def _edit_trigger(
        self, acct: Account, trig: Trigger, lots: int | None, limit: int | None, stop: int | None,
        trailing: list[Any] | None, qty_mode: str, now: int,
    ) -> Result:
        if trig.trailing and stop is not None:
            return Result("cannotEditTriggerPriceOfTrailingStop", trig.oid, trig.cli)
        if trig.trailing and limit is not None:
            return Result("cannotEditLimitPriceOfTrailingStop", trig.oid, trig.cli)
        if lots is not None and lots <= 0:
            return Result("invalidSize", trig.oid, trig.cli)
        old = trig.snap()
        book = self.triggers[trig.symbol]
        book.remove(trig)
        if lots is not None:
            trig.qty = lots
        if limit is not None:
            trig.limit = limit
            trig.offset = trig.offset_unit = None
        if stop is not None:
            trig.trigger = stop
        if trig.trailing and trailing is not None:
            trig.dev, trig.dev_unit = int(trailing[0]), str(trailing[1])
        if trig.trailing:  # recalculated from the current signal
            trig.peak = 0
            trig.trail_to(self.signals(trig.symbol)[trig.signal])
        trig.upd = now
        book.add(trig)
        new = trig.snap()
        acct.history.append(("OrderTriggerUpdated", now, old, new, "edited_by_user"))
        self._run_triggers(trig.symbol, now)
        return Result("edited", trig.oid, trig.cli, [(EDIT_TRIGGER, old, new)])

    # ------------------------------------------------------------------ queries
    def open_orders(self, acct_id: str) -> list[Order]:
        return list(self.accounts[acct_id].orders.values())

    def order_status(
        self, acct_id: str, oids: Iterable[str], clis: Iterable[str], now: int
    ) -> list[tuple[Order | Trigger, str, str | None]]:
        """(order, status, updateReason) for open orders and those closed in the last 5 s."""
        acct = self.accounts[acct_id]
        keys = list(oids) + [acct.cli[c] for c in clis if c in acct.cli]
        out: list[tuple[Order | Trigger, str, str | None]] = []
        for k in keys:
            o = acct.orders.get(k)
            if o is not None:
                out.append((o, "ENTERED_BOOK", "PARTIAL_FILL" if o.filled else "NEW_USER_ORDER"))
                continue
            t = acct.triggers.get(k)
            if t is not None:
                out.append((t, "TRIGGER_PLACED", "NEW_USER_ORDER"))
                continue
            d = self.done.get(k)
            if d is not None and d.order.acct == acct_id and now - d.ts <= STATUS_WINDOW_MS:
                out.append((d.order, d.status, d.reason))
        return out

    def all_status(self, acct_id: str, now: int) -> list[tuple[Order | Trigger, str, str | None]]:
        acct = self.accounts[acct_id]
        recent = []
        for k, d in reversed(self.done.items()):  # newest first; stop at the end of the window
            if now - d.ts > STATUS_WINDOW_MS:
                break
            if d.order.acct == acct_id:
                recent.append(k)
        recent.reverse()
        return self.order_status(acct_id, list(acct.orders) + list(acct.triggers) + recent, (), now)

    def stats_24h(self, symbol: str, now: int) -> tuple[int, int, int | None, int | None, int | None]:
        """(volume lots, volume lots*ticks, open, high, low) of the trades in the last 24 h."""
        vol = quote = 0
        first = high = low = None
        for ts, p, n in self.tape[symbol]:
            if ts <= now - DAY_MS:
                continue
            vol += n
            quote += n * p
            if first is None:
                first = p
            high = p if high is None or p > high else high
            low = p if low is None or p < low else low
        return vol, quote, first, high, low

    # ------------------------------------------------------------------ digest
    def digest(self) -> str:
        """A hash of the whole state: equal digests mean equal exchanges."""
        h = sha256()
        h.update(repr((self.seed, self.ids.counter, self.fees_collected, self.trigger_seq,
                       sorted(self.dms.items()), self.funding_next, list(self.listed), self.expiry_next,
                       sorted(self.premium.items()),
                       sorted((k, list(v)) for k, v in self.funding.items()))).encode())
        for s in sorted(self.books):
            b = self.books[s]
            h.update(repr((s, self.marks[s], self.index[s], self.last.get(s), list(self.tape[s]),
                           self.open_interest[s], self.market_state[s], self.trade_count[s],
                           [(t.uid, t.ts, t.price, t.lots) for t in self.trades[s]])).encode())
            for side in (b.bids, b.asks):
                for p in side.prices():
                    h.update(repr([o.state() for o in side.levels[p].values()]).encode())
            h.update(repr([t.state() for t in self.triggers[s].by_id.values()]).encode())
            for k in TICK_TYPES:
                h.update(repr(list(self.candles[(s, k)].items())).encode())
            h.update(repr(list(self.mark_changes[s])).encode())
        for uid in sorted(self.accounts):
            a = self.accounts[uid]
            h.update(repr((uid, a.balance, a.order_im, a.strategy, a.small, a.dms, sorted(a.cli.items()))).encode())
            h.update(repr(sorted((s, p.lots, p.cost) for s, p in a.positions.items())).encode())
            h.update(repr([o.oid for o in a.orders.values()] + [t.oid for t in a.triggers.values()]).encode())
            h.update(repr([(f.fill_id, f.oid, f.lots, f.price, f.ts, f.fill_type, f.fee) for f in a.fills]).encode())
            h.update(repr([(e[0], e[1], e[2].oid) for e in a.history]).encode())
        for oid, d in self.done.items():
            h.update(repr((oid, d.status, d.reason, d.ts, d.order.state())).encode())
        return h.hexdigest()
