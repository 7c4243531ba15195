"""The exchange: accounts, books, matching, margin. Pure: commands in, events out.

Time (``now``, epoch milliseconds) is passed in with every command and identifiers come
from a seeded generator, so the same commands with the same times give the same state.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from .book import BUY, SELL, Book, Order
from .ids import IdGen
from .instruments import Instrument

MAKER_FEE_BPS = 2  # 0.02 %
TAKER_FEE_BPS = 5  # 0.05 %
MKT_PROTECTION_BPS = 100  # market orders are IOC limited to 1 % through the best opposite price
DONE_RETENTION = 100_000  # terminal orders remembered (for cancel → "filled", orders/status)
STATUS_WINDOW_MS = 5_000  # orders/status reports orders closed in the last 5 seconds
FILLS_RETENTION = 10_000  # fills kept per account
DAY_MS = 86_400_000
PRICE_COLLAR_BPS = 1000  # a crossing order whose limit is more than 10 % from the mark is refused
PUBLIC_TRADES = 10_000  # public executions remembered per symbol

# event tags
PLACE = "PLACE"
CANCEL = "CANCEL"
REJECT = "REJECT"
EXECUTION = "EXECUTION"
EDIT = "EDIT"


class Position:
    __slots__ = ("lots", "cost")

    def __init__(self) -> None:
        self.lots = 0  # signed
        self.cost = 0  # signed sum of lots*ticks of the open position


class Fill:
    __slots__ = ("fill_id", "symbol", "side", "oid", "cli", "lots", "price", "ts", "fill_type")

    def __init__(
        self, fill_id: str, symbol: str, side: int, oid: str, cli: str | None, lots: int, price: int,
        ts: int, fill_type: str,
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
    __slots__ = ("uid", "balance", "positions", "fills", "orders", "cli", "order_im", "strategy")

    def __init__(self, uid: str, balance: int) -> None:
        self.uid = uid
        self.balance = balance  # usd8
        self.positions: dict[str, Position] = {}
        self.fills: list[Fill] = []
        self.orders: dict[str, Order] = {}  # open orders, in arrival order
        self.cli: dict[str, str] = {}  # cliOrdId -> order id, open and remembered terminal orders
        self.order_im = 0  # usd8 reserved by open orders
        self.strategy = "REJECT_TAKER"


@dataclass(slots=True)
class Done:
    order: Order
    status: str  # FULLY_EXECUTED | CANCELLED | REJECTED
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
    def __init__(self, instruments: dict[str, Instrument], seed: int = 0) -> None:
        self.instruments = instruments
        self.seed = seed
        self.ids = IdGen(seed)
        self.books: dict[str, Book] = {s: Book(s) for s in instruments}
        self.marks: dict[str, int] = {}
        self.last: dict[str, tuple[int, int, int]] = {}  # symbol -> (ticks, lots, ts)
        self.tape: dict[str, deque[tuple[int, int, int]]] = {s: deque() for s in instruments}  # (ts, ticks, lots), 24 h
        self.open_interest: dict[str, int] = {s: 0 for s in instruments}  # lots held long
        self.trades: dict[str, deque[Trade]] = {s: deque(maxlen=PUBLIC_TRADES) for s in instruments}
        self.trade_count: dict[str, int] = {s: 0 for s in instruments}
        for s, inst in instruments.items():
            t = inst.price_to_ticks(inst.reference_price)
            if t is None:
                raise ValueError(f"{s}: reference price is not on the tick grid")
            self.marks[s] = t
        self.accounts: dict[str, Account] = {}
        self.open: dict[str, Order] = {}
        self.done: dict[str, Done] = {}
        self.fees_collected = 0  # usd8
        self.now = 0

    # ------------------------------------------------------------------ dispatch
    def execute(self, cmd: dict[str, Any], now: int) -> Result:
        """Apply one journaled command. Every state change goes through here."""
        if now > self.now:
            self.now = now
        c = cmd["c"]
        if c == "place":
            return self.place(
                cmd["a"], cmd["s"], cmd["d"], cmd["t"], cmd["q"], cmd.get("p"), cmd.get("cli"),
                cmd.get("ro", False), now, cmd.get("pb"),
            )
        if c == "cancel":
            return self.cancel(cmd["a"], cmd.get("o"), cmd.get("cli"), now, cmd.get("pb"))
        if c == "edit":
            return self.edit(
                cmd["a"], cmd.get("o"), cmd.get("cli"), cmd.get("q"), cmd.get("p"),
                cmd.get("qm", "RELATIVE"), now, cmd.get("pb"),
            )
        if c == "acct":
            return Result("created", extra=self.create_account(cmd["usd8"], cmd.get("uid")))
        if c == "mark":
            self.marks[cmd["s"]] = cmd["p"]
            return Result("ok")
        raise ValueError(f"unknown command {c!r}")

    # ------------------------------------------------------------------ accounts
    def create_account(self, usd8: int, uid: str | None = None) -> str:
        uid = uid or self.ids.next()
        self.accounts[uid] = Account(uid, usd8)
        return uid

    def available_margin(self, acct: Account) -> int:
        """Margin equity less initial margin of positions and open orders (usd8)."""
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

    # ------------------------------------------------------------------ orders
    def place(
        self, acct_id: str, symbol: str, side: int, otype: str, lots: int, price: int | None,
        cli: str | None, reduce_only: bool, now: int, process_before: int | None = None,
    ) -> Result:
        acct = self.accounts[acct_id]
        inst = self.instruments[symbol]
        book = self.books[symbol]
        oid = self.ids.next()
        if process_before is not None and now > process_before:
            return Result("wouldProcessAfterSpecifiedTime", oid, cli)
        if cli is not None and cli in acct.cli and acct.cli[cli] in self.open:
            return Result("clientOrderIdAlreadyExist", oid, cli)
        opp = book.opposite(side)
        if otype == "mkt":
            best = opp.best()
            if best is None:
                o = Order(oid, cli, acct_id, symbol, side, "ioc", lots, 0, reduce_only, now)
                return self._reject(o, "iocWouldNotExecute", "IOC_WOULD_NOT_EXECUTE", now)
            # 1 % protection through the best opposite price, rounded to a tick towards the book
            if side == BUY:
                price = best * (10000 + MKT_PROTECTION_BPS) // 10000
            else:
                price = -(-best * (10000 - MKT_PROTECTION_BPS) // 10000)
            otype = "ioc"
        assert price is not None
        order = Order(oid, cli, acct_id, symbol, side, otype, lots, price, reduce_only, now)

        reduced: int | None = None
        if reduce_only:
            pos = acct.positions.get(symbol)
            held = pos.lots if pos else 0
            if held == 0 or (held > 0) == (side == BUY):
                return Result("wouldNotReducePosition", oid, cli)
            if lots > abs(held):
                reduced = lots - abs(held)
                order.qty = abs(held)
            else:
                reduced = 0
        else:
            pos = acct.positions.get(symbol)
            held = pos.lots if pos else 0
            if abs(held + side * lots) > inst.max_lots and abs(held + side * lots) > abs(held):
                return Result("maxPositionViolation", oid, cli)
            need = inst.notional_usd8(lots, price) * inst.im_bps // 10000
            if need > self.available_margin(acct):
                return Result("insufficientAvailableFunds", oid, cli)

        # how much could trade now, and would it meet one of our own orders first?
        best = opp.best()
        crosses = best is not None and ((side == BUY and best <= price) or (side == SELL and best >= price))
        if otype == "post":
            if crosses:
                return self._reject(order, "postWouldExecute", "POST_WOULD_EXECUTE", now)
        elif crosses and self._outside_collar(symbol, price):
            return Result("outsidePriceCollar", oid, cli)
        elif crosses:
            fillable, self_hit = self._walk(book, order)
            if self_hit:
                return Result("selfFill", oid, cli)
            if otype == "fok" and fillable < order.qty:
                return self._reject(order, "iocWouldNotExecute", "IOC_WOULD_NOT_EXECUTE", now)
        elif otype in ("ioc", "fok"):
            return self._reject(order, "iocWouldNotExecute", "IOC_WOULD_NOT_EXECUTE", now)

        events: list[tuple[Any, ...]] = []
        if crosses:
            self._match(book, inst, order, acct, events, now)
        if order.filled < order.qty:
            if otype in ("ioc", "fok"):
                order.upd = now
                events.append((CANCEL, order.snap()))
                self._remember(order, "CANCELLED", "IOC_WOULD_NOT_EXECUTE_REASON", now)
            else:
                self._rest(order, acct, inst)
                events.append((PLACE, order.snap(), reduced))
        else:
            self._remember(order, "FULLY_EXECUTED", "FULL_FILL", now)
        if cli is not None:
            acct.cli[cli] = oid
        return Result("placed", oid, cli, events)

    def _outside_collar(self, symbol: str, price: int) -> bool:
        mark = self.marks[symbol]
        return abs(price - mark) * 10000 > mark * PRICE_COLLAR_BPS

    def _reject(self, order: Order, status: str, reason: str, now: int) -> Result:
        return Result(status, order.oid, order.cli, [(REJECT, order.snap(), reason)])

    def _walk(self, book: Book, taker: Order) -> tuple[int, bool]:
        """Volume available to ``taker`` within its limit, and whether it meets its own order."""
        opp = book.opposite(taker.side)
        need = taker.qty
        got = 0
        for p in opp.prices():
            if (taker.side == BUY and p > taker.price) or (taker.side == SELL and p < taker.price):
                break
            for m in opp.levels[p].values():
                if m.acct == taker.acct:
                    return got, True
                got += m.qty - m.filled
                if got >= need:
                    return got, False
        return got, False

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
            n = min(taker.qty - taker.filled, maker.qty - maker.filled)
            exec_id = self.ids.next()
            prior = taker.snap()
            maker_prior = maker.snap()
            maker_acct = self.accounts[maker.acct]
            # maker side
            self._release_im(maker_acct, maker)
            maker.filled += n
            maker.upd = now
            self._fill(maker_acct, inst, maker, n, p, now, "maker", exec_id)
            if maker.filled >= maker.qty:
                opp.remove(maker)
                del self.open[maker.oid]
                del maker_acct.orders[maker.oid]
                self._remember(maker, "FULLY_EXECUTED", "FULL_FILL", now)
            else:
                self._reserve_im(maker_acct, inst, maker)
            # taker side
            taker.filled += n
            taker.upd = now
            self._fill(acct, inst, taker, n, p, now, "taker" if prior_edit is None else "takerAfterEdit", exec_id)
            events.append((EXECUTION, exec_id, p, n, prior, prior_edit))
            self.trade_count[sym] += 1
            self.trades[sym].append(
                Trade(exec_id, now, p, n, taker.side, self.trade_count[sym], maker_prior, prior, self.marks[sym])
            )
            self.last[sym] = (p, n, now)
            self.marks[sym] = p
            tape = self.tape[sym]
            tape.append((now, p, n))
            while tape[0][0] <= now - DAY_MS:
                tape.popleft()

    def _fill(
        self, acct: Account, inst: Instrument, o: Order, n: int, p: int, now: int, kind: str, exec_id: str
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
        f = Fill(exec_id, o.symbol, o.side, o.oid, o.cli, n, p, now, kind)
        acct.fills.append(f)
        if len(acct.fills) > FILLS_RETENTION:
            del acct.fills[: len(acct.fills) - FILLS_RETENTION]

    def _reserve_im(self, acct: Account, inst: Instrument, o: Order) -> None:
        o.im = 0 if o.reduce_only else inst.notional_usd8(o.qty - o.filled, o.price) * inst.im_bps // 10000
        acct.order_im += o.im

    def _release_im(self, acct: Account, o: Order) -> None:
        acct.order_im -= o.im
        o.im = 0

    def _rest(self, order: Order, acct: Account, inst: Instrument) -> None:
        self.books[order.symbol].side(order.side).add(order)
        self.open[order.oid] = order
        acct.orders[order.oid] = order
        self._reserve_im(acct, inst, order)

    def _remember(self, order: Order, status: str, reason: str | None, now: int) -> None:
        done = self.done
        done[order.oid] = Done(order, status, reason, now)
        if len(done) > DONE_RETENTION:
            old_id = next(iter(done))
            old = done.pop(old_id).order
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
            done = self.done.get(key) if key is not None else None
            if done is not None and done.order.acct == acct_id and done.status == "FULLY_EXECUTED":
                return Result("filled", key, done.order.cli)
            return Result("notFound", oid, cli)
        self._remove_open(order, acct)
        order.upd = now
        self._remember(order, "CANCELLED", "CANCELLED_BY_USER", now)
        # a cancelled order never changes again: the event can hold it without a copy
        return Result("cancelled", order.oid, order.cli, [(CANCEL, order)])

    def _remove_open(self, order: Order, acct: Account) -> None:
        self.books[order.symbol].side(order.side).remove(order)
        del self.open[order.oid]
        del acct.orders[order.oid]
        self._release_im(acct, order)

    def edit(
        self, acct_id: str, oid: str | None, cli: str | None, lots: int | None, price: int | None,
        qty_mode: str, now: int, process_before: int | None = None,
    ) -> Result:
        acct = self.accounts[acct_id]
        if process_before is not None and now > process_before:
            return Result("wouldProcessAfterSpecifiedTime", oid, cli)
        key = self._find(acct, oid, cli)
        order = acct.orders.get(key) if key is not None else None
        if order is None:
            return Result("orderForEditNotFound", oid, cli)
        inst = self.instruments[order.symbol]
        new_qty = order.qty
        if lots is not None:
            new_qty = lots if qty_mode == "ABSOLUTE" else order.filled + lots
            if new_qty <= order.filled:
                return Result("invalidSize", order.oid, order.cli)
        new_price = order.price if price is None else price
        book = self.books[order.symbol]
        opp = book.opposite(order.side)
        best = opp.best()
        crosses = best is not None and (
            (order.side == BUY and best <= new_price) or (order.side == SELL and best >= new_price)
        )
        if crosses and order.otype == "post":
            return Result("postWouldExecute", order.oid, order.cli)
        if crosses and self._outside_collar(order.symbol, new_price):
            return Result("outsidePriceCollar", order.oid, order.cli)
        if not order.reduce_only:
            extra = inst.notional_usd8(new_qty - order.filled, new_price) * inst.im_bps // 10000 - order.im
            if extra > 0 and extra > self.available_margin(acct):
                return Result("insufficientAvailableFunds", order.oid, order.cli)
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
        events: list[tuple[Any, ...]] = [(EDIT, old, order.snap())]
        if not keeps_priority:
            if crosses:
                if self._walk(book, order)[1]:
                    # would trade with ourselves: leave the order as it was
                    order.qty, order.price, order.upd = old.qty, old.price, old.upd
                    side.add(order)
                    self._reserve_im(acct, inst, order)
                    return Result("selfFill", order.oid, order.cli)
                del self.open[order.oid]
                del acct.orders[order.oid]
                self._match(book, inst, order, acct, events, now, prior_edit=old)
                if order.filled >= order.qty:
                    self._remember(order, "FULLY_EXECUTED", "FULL_FILL", now)
                    return Result("edited", order.oid, order.cli, events)
                self.open[order.oid] = order
                acct.orders[order.oid] = order
            side.add(order)
        self._reserve_im(acct, inst, order)
        return Result("edited", order.oid, order.cli, events)

    # ------------------------------------------------------------------ queries
    def open_orders(self, acct_id: str) -> list[Order]:
        return list(self.accounts[acct_id].orders.values())

    def order_status(
        self, acct_id: str, oids: Iterable[str], clis: Iterable[str], now: int
    ) -> list[tuple[Order, str, str | None]]:
        """(order, status, updateReason) for open orders and those closed in the last 5 s."""
        acct = self.accounts[acct_id]
        keys = list(oids) + [acct.cli[c] for c in clis if c in acct.cli]
        out: list[tuple[Order, str, str | None]] = []
        for k in keys:
            o = acct.orders.get(k)
            if o is not None:
                out.append((o, "ENTERED_BOOK", "PARTIAL_FILL" if o.filled else "NEW_USER_ORDER"))
                continue
            d = self.done.get(k)
            if d is not None and d.order.acct == acct_id and now - d.ts <= STATUS_WINDOW_MS:
                out.append((d.order, d.status, d.reason))
        return out

    def all_status(self, acct_id: str, now: int) -> list[tuple[Order, str, str | None]]:
        acct = self.accounts[acct_id]
        recent = [
            k for k, d in self.done.items() if d.order.acct == acct_id and now - d.ts <= STATUS_WINDOW_MS
        ]
        return self.order_status(acct_id, list(acct.orders) + recent, (), now)

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
        h.update(repr((self.seed, self.ids.counter, self.fees_collected)).encode())
        for s in sorted(self.books):
            b = self.books[s]
            h.update(repr((s, self.marks[s], self.last.get(s), list(self.tape[s]), self.open_interest[s],
                           self.trade_count[s], [(t.uid, t.ts, t.price, t.lots) for t in self.trades[s]])).encode())
            for side in (b.bids, b.asks):
                for p in side.prices():
                    h.update(repr([o.state() for o in side.levels[p].values()]).encode())
        for uid in sorted(self.accounts):
            a = self.accounts[uid]
            h.update(repr((uid, a.balance, a.order_im, a.strategy, sorted(a.cli.items()))).encode())
            h.update(repr(sorted((s, p.lots, p.cost) for s, p in a.positions.items())).encode())
            h.update(repr([o.oid for o in a.orders.values()]).encode())
            h.update(repr([(f.fill_id, f.oid, f.lots, f.price, f.ts, f.fill_type) for f in a.fills]).encode())
        for oid, d in self.done.items():
            h.update(repr((oid, d.status, d.reason, d.ts, d.order.state())).encode())
        return h.hexdigest()
