"""The engine's books against a naive oracle (hypothesis).

The oracle keeps every resting order in one plain list and finds price-time priority by
sorting it, with no index of any kind. It matches the same commands on its own (partial fills,
post-only rejection, ioc / fok / mkt never resting, fok all-or-nothing, edits that keep their
place only when the price stays and the size does not grow, the self-trade strategies
REJECT_TAKER and CANCEL_MAKER_SELF). After every command the engine's book must be the one
the oracle says (levels, open sizes, best prices, the time order of the orders at each
price), every book must pass ``check_invariants`` and the fills the engine reports must be
the oracle's, in order.

The parameters keep everything the oracle does not model out of the way: huge balances (no
margin refusal), prices close to the mark (no price collar), sizes worth at least 10 USD
(no small-order limit), no reduce-only orders, no triggers, the market open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from krakensim.engine import Exchange, default_instruments
from krakensim.engine import commands as c
from krakensim.engine.events import OrderFilled
from krakensim.engine.units import BUY, SELL

T0 = 1_700_000_000_000
SYMBOLS = ("PF_XBTUSD", "PF_ETHUSD")
MID = {"PF_XBTUSD": 90_000, "PF_ETHUSD": 30_000}  # ticks (XBT: 1 USD, ETH: 0.1 USD)
# the smallest size that is not a "small order" (< 10 USD) near the mid: 2 × 0.0001 XBT, 4 × 0.001 ETH
LOT = {"PF_XBTUSD": 2, "PF_ETHUSD": 4}
ACCOUNTS = ("a0", "a1", "a2")
FUNDS = 10**18  # usd8: no order ever needs more margin than this
REJECT_TAKER = "REJECT_TAKER"
CANCEL_MAKER_SELF = "CANCEL_MAKER_SELF"

Fill = tuple[str, str, str, int, int]  # (fill type, account, order id, price, lots)


@dataclass
class Resting:
    order_id: str
    account: str
    symbol: str
    side: int
    order_type: str
    price: int
    quantity: int
    filled: int
    seq: int  # time priority: the order of arrival on the book

    @property
    def remaining(self) -> int:
        return self.quantity - self.filled


class Oracle:
    """What the book must be: every resting order in one list, priority by sorting."""

    def __init__(self, strategies: dict[str, str]) -> None:
        self.strategies = strategies
        self.resting: list[Resting] = []
        self.seq = 0
        self.fully_filled: set[str] = set()
        self.owners: dict[str, str] = {}  # order id -> the account that placed it

    # ------------------------------------------------------------------ reading the list
    def queue(self, symbol: str, side: int) -> list[Resting]:
        """The orders of one side, best price first, then by time."""
        orders = [o for o in self.resting if o.symbol == symbol and o.side == side]
        return sorted(orders, key=lambda o: (-o.price if side == BUY else o.price, o.seq))

    def best(self, symbol: str, side: int) -> int | None:
        q = self.queue(symbol, side)
        return q[0].price if q else None

    def levels(self, symbol: str, side: int) -> list[tuple[int, list[str], int]]:
        """(price, order ids in time order, open lots) per level, best first."""
        out: list[tuple[int, list[str], int]] = []
        for o in self.queue(symbol, side):
            if not out or out[-1][0] != o.price:
                out.append((o.price, [], 0))
            price, ids, lots = out[-1]
            out[-1] = (price, [*ids, o.order_id], lots + o.remaining)
        return out

    @staticmethod
    def reaches(side: int, limit: int, price: int) -> bool:
        return price <= limit if side == BUY else price >= limit

    def crosses(self, symbol: str, side: int, limit: int) -> bool:
        best = self.best(symbol, -side)
        return best is not None and self.reaches(side, limit, best)

    def rest(self, o: Resting) -> None:
        self.seq += 1
        o.seq = self.seq
        self.resting.append(o)

    # ------------------------------------------------------------------ matching
    def walk(self, account: str, symbol: str, side: int, limit: int, need: int) -> tuple[int, bool]:
        """(lots other accounts' orders could give within ``limit``, whether an order of ``account``
        comes first under REJECT_TAKER) without changing anything."""
        got = 0
        for m in self.queue(symbol, -side):
            if got >= need or not self.reaches(side, limit, m.price):
                break
            if m.account == account:
                if self.strategies[account] == REJECT_TAKER:
                    return got, True
                continue
            got += min(m.remaining, need - got)
        return got, False

    def sweep(self, account: str, order_id: str, symbol: str, side: int, limit: int, need: int,
              fill_type: str) -> tuple[int, list[Fill]]:
        got = 0
        fills: list[Fill] = []
        while got < need:
            queue = self.queue(symbol, -side)
            if not queue or not self.reaches(side, limit, queue[0].price):
                break
            m = queue[0]
            if m.account == account:
                if self.strategies[account] == REJECT_TAKER:
                    break
                self.resting.remove(m)  # CANCEL_MAKER_SELF: the resting order of our own goes
                continue
            n = min(m.remaining, need - got)
            m.filled += n
            got += n
            if m.remaining == 0:
                self.resting.remove(m)
                self.fully_filled.add(m.order_id)
            fills.append(("maker", m.account, m.order_id, m.price, n))
            fills.append((fill_type, account, order_id, m.price, n))
        return got, fills

    # ------------------------------------------------------------------ commands
    def place(self, account: str, order_id: str, symbol: str, side: int, order_type: str, lots: int,
              limit: int | None) -> tuple[str, list[Fill]]:
        if order_type == "mkt":
            best = self.best(symbol, -side)
            if best is None:
                return "iocWouldNotExecute", []
            limit = best * 10100 // 10000 if side == BUY else -(-best * 9900 // 10000)
            order_type = "ioc"
        assert limit is not None
        crosses = self.crosses(symbol, side, limit)
        if order_type == "post" and crosses:
            return "postWouldExecute", []
        if crosses:
            fillable, meets_own = self.walk(account, symbol, side, limit, lots)
            if meets_own:
                return "selfFill", []
            if order_type == "fok" and fillable < lots:
                return "iocWouldNotExecute", []
        elif order_type in ("ioc", "fok"):
            return "iocWouldNotExecute", []
        got, fills = self.sweep(account, order_id, symbol, side, limit, lots, "taker") if crosses else (0, [])
        if got == lots:
            self.fully_filled.add(order_id)
        elif order_type not in ("ioc", "fok"):
            self.rest(Resting(order_id, account, symbol, side, order_type, limit, lots, got, 0))
        return "placed", fills

    def cancel(self, account: str, order_id: str) -> str:
        for o in self.resting:
            if o.order_id == order_id and o.account == account:
                self.resting.remove(o)
                return "cancelled"
        if order_id in self.fully_filled and self.owners[order_id] == account:
            return "filled"
        return "notFound"

    def edit(self, account: str, order_id: str, quantity: int | None, mode: str,
             limit: int | None) -> tuple[str, list[Fill]]:
        o = next((x for x in self.resting if x.order_id == order_id and x.account == account), None)
        if o is None:
            return "orderForEditNotFound", []
        new_qty = o.quantity
        if quantity is not None:
            new_qty = quantity if mode == "ABSOLUTE" else o.filled + quantity
            if new_qty <= o.filled:
                return "invalidSize", []
        new_price = o.price if limit is None else limit
        crosses = self.crosses(o.symbol, o.side, new_price)
        if crosses and o.order_type == "post":
            return "postWouldExecute", []
        if crosses and self.walk(account, o.symbol, o.side, new_price, new_qty - o.filled)[1]:
            return "selfFill", []
        if new_price == o.price and new_qty <= o.quantity:  # keeps its place
            o.quantity = new_qty
            return "edited", []
        self.resting.remove(o)
        o.quantity, o.price = new_qty, new_price
        fills: list[Fill] = []
        if crosses:
            got, fills = self.sweep(account, order_id, o.symbol, o.side, new_price, new_qty - o.filled,
                                    "takerAfterEdit")
            o.filled += got
            if o.remaining == 0:
                self.fully_filled.add(order_id)
                return "edited", fills
        self.rest(o)
        return "edited", fills


# ---------------------------------------------------------------------- the operations
# a size is units × LOT (+ 1 lot: sizes that are not multiples of each other); a price is the mid + offset,
# or (deep) the limit a market order from the other side would get now + offset: the market orders'
# protection limit and its rounding decide whether such an order is reached
place_op = st.tuples(
    st.just("place"), st.integers(0, len(ACCOUNTS) - 1), st.sampled_from(SYMBOLS), st.sampled_from((BUY, SELL)),
    st.sampled_from(("lmt", "lmt", "lmt", "post", "ioc", "fok", "mkt")), st.integers(1, 8), st.integers(0, 1),
    st.integers(0, 4), st.integers(-5, 5),
)
# an order is named by (which, ref): which 3 picks any id ever given out, else one of the open orders;
# who 4: another account than the owner asks
cancel_op = st.tuples(st.just("cancel"), st.integers(0, 3), st.integers(0, 40), st.integers(0, 4))
edit_op = st.tuples(
    st.just("edit"), st.integers(0, 3), st.integers(0, 40), st.none() | st.tuples(st.integers(1, 8), st.integers(0, 1)),
    st.sampled_from(("RELATIVE", "ABSOLUTE")), st.none() | st.integers(-5, 5), st.integers(0, 4),
)


def weighted(*parts: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """one_of with weights (one_of draws each distinct strategy alike: copies make the weights)."""
    return st.one_of(*[strategy.map(tuple) for n, strategy in parts for _ in range(n)])


# at least a few dozen commands (hypothesis keeps lists short otherwise); what does not matter shrinks to a no-op
operations = st.lists(weighted((1, st.just(("noop",))), (6, place_op), (2, cancel_op), (3, edit_op)),
                      min_size=30, max_size=80)
strategies = st.tuples(*[st.sampled_from((REJECT_TAKER, CANCEL_MAKER_SELF))] * len(ACCOUNTS))


def pick(known: list[str], oracle: Oracle, which: int, ref: int) -> str:
    """The order an operation names (only which orders are open comes from the oracle)."""
    open_ids = {o.order_id for o in oracle.resting}
    candidates = known if which == 3 else [k for k in known if k in open_ids]
    candidates = candidates or known
    return candidates[ref % len(candidates)]


def limit_price(oracle: Oracle, symbol: str, side: int, deep: bool, offset: int) -> int:
    """The mid + offset, or (deep) a market order's protection limit against our side's best now, + offset."""
    best = oracle.best(symbol, side)
    if not deep or best is None:
        return MID[symbol] + offset
    protection = -(-best * 9900 // 10000) if side == BUY else best * 10100 // 10000
    return protection + offset // 2


def engine_levels(ex: Exchange, symbol: str, side: int) -> list[tuple[int, list[str], int]]:
    book_side = ex.book(symbol).side(side)
    return [(p, list(book_side.levels[p]), book_side.sizes[p]) for p in book_side.prices()]


def engine_fills(events: list[Any]) -> list[Fill]:
    return [(e.fill_type, e.account_id, e.order_id, e.price, e.lots) for e in events if isinstance(e, OrderFilled)]


def check_books(ex: Exchange, oracle: Oracle, step: str) -> None:
    for matcher in ex.matchers.values():
        matcher.book.check_invariants()
    for s in SYMBOLS:
        book = ex.book(s)
        for side, book_side in ((BUY, book.bids), (SELL, book.asks)):
            want = oracle.levels(s, side)
            assert engine_levels(ex, s, side) == want, f"{step}: {s} side {side}"
            assert book_side.depth() == [(p, lots) for p, _ids, lots in want], f"{step}: {s} depth side {side}"
            assert book_side.best() == oracle.best(s, side), f"{step}: {s} best side {side}"
    remaining = {o.order_id: o.remaining for o in oracle.resting}
    assert {k: o.quantity - o.filled for k, o in ex.open_orders.items()} == remaining, f"{step}: open orders"


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strats=strategies, ops=operations)
def test_book_matches_naive_oracle(strats: tuple[str, ...], ops: list[tuple[Any, ...]]) -> None:
    ex = Exchange(default_instruments(), seed=5)
    oracle = Oracle(dict(zip(ACCOUNTS, strats, strict=True)))
    t = T0
    for a, strategy in zip(ACCOUNTS, strats, strict=True):
        ex.apply(c.CreateAccount(FUNDS, a), t)
        ex.apply(c.SetSelfTradeStrategy(a, strategy), t)
    known: list[str] = []  # every order id the engine gave out, filled, cancelled or refused
    for i, op in enumerate(ops):
        t += 1
        step = f"step {i} {op}"
        if op[0] == "place":
            _, acct, s, side, otype, units, extra, deep, offset = op
            account = ACCOUNTS[acct]
            lots = units * LOT[s] + extra
            limit = None if otype == "mkt" else limit_price(oracle, s, side, deep == 4, offset)
            r = ex.apply(c.PlaceOrder(account, s, side, otype, lots, limit), t)
            assert r.order_id is not None
            known.append(r.order_id)
            oracle.owners[r.order_id] = account
            status, fills = oracle.place(account, r.order_id, s, side, otype, lots, limit)
        elif op[0] == "noop" or not known:
            continue
        elif op[0] == "cancel":
            _, which, ref, who = op
            oid = pick(known, oracle, which, ref)
            owner = oracle.owners[oid]
            account = owner if who < 4 else ACCOUNTS[(ACCOUNTS.index(owner) + 1) % len(ACCOUNTS)]
            r = ex.apply(c.CancelOrder(account, oid), t)
            status, fills = oracle.cancel(account, oid), []
        else:
            _, which, ref, units, mode, offset, who = op
            oid = pick(known, oracle, which, ref)
            owner = oracle.owners[oid]
            account = owner if who < 4 else ACCOUNTS[(ACCOUNTS.index(owner) + 1) % len(ACCOUNTS)]
            symbol = next((o.symbol for o in oracle.resting if o.order_id == oid), SYMBOLS[0])
            lots = None if units is None else units[0] * LOT[symbol] + units[1]
            limit = None if offset is None else MID[symbol] + offset
            r = ex.apply(c.EditOrder(account, oid, quantity=lots, limit_price=limit, quantity_mode=mode), t)
            status, fills = oracle.edit(account, oid, lots, mode, limit)
        assert r.status == status, f"{step}: status"
        assert engine_fills(r.events) == fills, f"{step}: fills"
        check_books(ex, oracle, step)
