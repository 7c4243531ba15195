"""Liquidation: an account whose margin equity falls below its maintenance margin is closed out.

Kraken's Equity Protection Process (support.kraken.com, "Equity Protection Process"): the
account's orders are cancelled; each position is closed by an immediate-or-cancel liquidation
order against the book, limited to the price at which the account's equity would be zero (its
bankruptcy price); what the book cannot absorb is assigned to the participants of the assignment
program, and what they do not take is unwound against the opposite positions first in the unwind
queue. A liquidation fee on what the book absorbed goes to the liquidity pool, which also covers
any deficit left (an account never ends below zero).

Which accounts to check (the check must not scan every account on every mark move): after a check
that finds an account safe, its headroom H = equity − maintenance margin is shared among the
contracts it holds, and each (account, contract) gets a band of marks around the mark now within
which the account cannot cross, whatever the other contracts do within theirs: half-width
H ÷ (contracts held × the most the account's headroom can move per tick of that mark). Per
contract the bands' lower and upper ends are sorted; a mark move pops only the bands it left. An
account is also checked when its positions or balance change (it was marked dirty by their
events) and every hour (funding is realised; the reserve for an hour of funding at the maximum
rate is kept out of the headroom). The decision itself is ``Risk``'s: ``summary(a).equity <
maintenance_margin(a)``, over the positions the flex wallet margins.

The single-collateral margin accounts (``fi_xbtusd``: inverse contracts margined in their base
currency) are liquidated on their own, as Kraken does: when an account's portfolio value falls below
its maintenance margin (``margin_account_summary``), its orders in that account's contracts are
cancelled and its positions in them closed by the book, the assignment program and the unwind queue,
limited to the bankruptcy price of that account's own equity; the liquidation fee is taken in the
base currency into the pool of that currency (``base_pools``), which also covers a deficit. These
accounts have no bands: an account holding an inverse position margined in base is re-checked on
every mark move of that contract (an index contract -> such accounts, ``inverse``).
"""

from __future__ import annotations

from collections.abc import Callable

from sortedcontainers import SortedList

from .accounts import FILL_INFO, LIQUIDATION, Account, Accounts, Position, to_base, unrealized_pnl
from .assignment import AssignmentProgram, lots_of
from .events import (
    BalanceChanged,
    Event,
    FundingRatePublished,
    MarkPriceUpdated,
    OrderCancelled,
    OrderFilled,
    OrderPlaced,
    PositionChanged,
    TradePrinted,
)
from .funding import RATE_SCALE
from .ids import IdGen
from .instruments import Instrument
from .margin_accounts import margin_account_summary
from .matching import Matcher
from .order_history import FinishedOrders
from .orders import CANCELLED, FULLY_EXECUTED, Order, snapshot
from .pricing import Pricing
from .risk import MAX_PRICE_TICKS, Risk
from .trading import Trading
from .units import BUY, SELL, bps_of
from .unwind import queue
from .wallets import margin_account_name

LIQUIDATION_FEE_BPS = 50  # of the notional a liquidation order closes (docs/fidelity.md: the source is silent)
MARGIN_ACCOUNT_FEE_BPS = LIQUIDATION_FEE_BPS  # the same in base currency (docs/fidelity.md: possibly 0 at Kraken)
TAKER_BPS = 5  # the liquidation order's own fee (a taker fill)
MAX_ROUNDS = 64  # checks in one step: liquidations move marks and fill makers, which may need checks too
SLACK_USD8 = 4  # per contract: the rounding of PnL and margin (each is floored once)


class Liquidation:
    __slots__ = ("instruments", "pricing", "accounts", "risk", "trading", "matchers", "finished", "program", "ids",
                 "emit", "lows", "highs", "bands", "holders", "dirty", "moved", "pool", "checks", "queues",
                 "inverse", "base_pools")

    def __init__(self, instruments: dict[str, Instrument], pricing: Pricing, accounts: Accounts, risk: Risk,
                 trading: Trading, matchers: dict[str, Matcher], finished: FinishedOrders,
                 program: AssignmentProgram, ids: IdGen, emit: Callable[[Event], None]) -> None:
        self.instruments = instruments
        self.pricing = pricing
        self.accounts = accounts
        self.risk = risk
        self.trading = trading
        self.matchers = matchers
        self.finished = finished
        self.program = program
        self.ids = ids
        self.emit = emit
        self.lows: dict[str, SortedList] = {}  # contract -> (lower end of a band, account)
        self.highs: dict[str, SortedList] = {}  # contract -> (upper end, account)
        self.bands: dict[str, list[tuple[str, int, int]]] = {}  # account -> its bands (contract, low, high)
        self.holders: dict[str, dict[str, None]] = {}  # contract -> accounts with a position in it
        self.dirty: dict[str, None] = {}  # accounts to check at the end of the step
        self.moved: dict[str, None] = {}  # contracts whose mark moved in this step
        self.pool = 0  # usd8: the liquidity pool (liquidation fees in, deficits out)
        self.checks = 0  # accounts checked so far (a figure for the benchmark; not state)
        # the unwind queues ranked in this step, by (contract, side): ranked once a step, as a venue ranks
        # its queue periodically, not once per liquidation (ranking reads every holder's margin)
        self.queues: dict[tuple[str, bool], list[str]] = {}
        self.inverse: dict[str, dict[str, None]] = {}  # contract -> accounts holding it margined in base
        self.base_pools: dict[str, int] = {}  # base currency -> its pool (1e-8 units): the margin accounts'

    def handlers(self) -> list[tuple[type[Event], Callable[[Event], None]]]:
        return [(MarkPriceUpdated, self._on_mark), (PositionChanged, self._on_position),
                (BalanceChanged, self._on_balance), (FundingRatePublished, self._on_rate)]

    # ------------------------------------------------------------------ what may need a check
    def _on_mark(self, event: Event) -> None:
        assert isinstance(event, MarkPriceUpdated)
        self.moved[event.symbol] = None

    def _on_position(self, event: Event) -> None:
        assert isinstance(event, PositionChanged)
        held = self.holders.setdefault(event.symbol, {})
        if event.lots:
            held[event.account_id] = None
        else:
            held.pop(event.account_id, None)
        if not self.risk.in_flex(self.accounts[event.account_id], event.symbol):
            inverse = self.inverse.setdefault(event.symbol, {})
            if event.lots:
                inverse[event.account_id] = None
            else:
                inverse.pop(event.account_id, None)
        self._needs_check(event.account_id)

    def _on_balance(self, event: Event) -> None:
        assert isinstance(event, BalanceChanged)
        self._needs_check(event.account_id)

    def _on_rate(self, event: Event) -> None:
        assert isinstance(event, FundingRatePublished)
        for a in self.holders.get(event.symbol, ()):
            self._needs_check(a)

    def _needs_check(self, account_id: str) -> None:
        """The account's money or positions changed: check it after the step (never a market agent's)."""
        if not self.accounts[account_id].market_agent:
            self.dirty[account_id] = None

    def run(self, now: int) -> None:
        """Check every account that may have crossed in this step; liquidate those below maintenance."""
        if not self.dirty and not self.moved:  # most steps: nothing moved, nobody's money changed
            return
        self.queues = {}
        for _ in range(MAX_ROUNDS):
            candidates = self.dirty
            self.dirty = {}
            for s in self.moved:
                self._left_bands(s, self.pricing.marks[s], candidates)
                candidates.update(self.inverse.get(s, {}))  # margin accounts: checked on every move
            self.moved = {}
            if not candidates:
                return
            for a in candidates:
                self.check(self.accounts[a], now)

    def _left_bands(self, symbol: str, mark: int, out: dict[str, None]) -> None:
        lows, highs = self.lows.get(symbol), self.highs.get(symbol)
        if lows is None or highs is None:
            return
        i = lows.bisect_left((mark + 1, ""))
        for _, a in lows[i:]:
            out[a] = None
        j = highs.bisect_left((mark, ""))
        for _, a in highs[:j]:
            out[a] = None

    def check(self, account: Account, now: int) -> None:
        self.checks += 1
        risk = self.risk
        if any(p.lots and risk.in_flex(account, s) for s, p in account.positions.items()):
            summary = risk.summary(account)
            maintenance = summary.maintenance_margin
            if summary.equity < maintenance:
                self._unband(account.account_id)
                self.liquidate(account, now)
            else:
                self._band(account, summary.equity - maintenance)
        else:
            self._unband(account.account_id)
        for base in sorted({self.instruments[s].base for s, p in account.positions.items()
                            if p.lots and not risk.in_flex(account, s)}):
            m = margin_account_summary(risk, account, base)
            if m.portfolio_value < m.maintenance_margin:
                self.liquidate_margin_account(account, base, now)

    # ------------------------------------------------------------------ bands
    def _unband(self, account_id: str) -> None:
        for s, lo, hi in self.bands.pop(account_id, ()):
            self.lows[s].remove((lo, account_id))
            self.highs[s].remove((hi, account_id))

    def _band(self, account: Account, headroom: int) -> None:
        held = [(s, p) for s, p in account.positions.items() if p.lots and self.risk.in_flex(account, s)]
        marks = self.pricing.marks
        reserve = SLACK_USD8 * len(held)
        for s, p in held:
            inst = self.instruments[s]
            if inst.perpetual:  # an hour of funding at the maximum rate, on twice the mark's notional
                cap = int(inst.max_relative_funding_rate * RATE_SCALE)
                reserve += inst.notional_usd8(abs(p.lots), 2 * marks[s]) * cap // RATE_SCALE + 1
        share = max(0, headroom - reserve) // len(held)
        bands = []
        a = account.account_id
        for s, p in held:
            mark = marks[s]
            half = min(share // _sensitivity(self.instruments[s], p), mark)  # a band never spans past 2 × mark
            lo, hi = _inward(mark - half, mark + half, half)
            bands.append((s, lo, hi))
        old = self.bands.get(a)
        if old == bands:  # the same bands (most re-checks of a deep account): nothing to re-sort
            return
        self._unband(a)
        for s, lo, hi in bands:
            self.lows.setdefault(s, SortedList()).add((lo, a))
            self.highs.setdefault(s, SortedList()).add((hi, a))
        self.bands[a] = bands

    # ------------------------------------------------------------------ closing out
    def liquidate(self, account: Account, now: int) -> None:
        """Cancel the account's orders in the flex wallet's contracts; close each of its positions by the
        book, assignment, unwind."""
        self._cancel(account, lambda s: self.risk.in_flex(account, s), now)
        for s in sorted(s for s, p in account.positions.items() if p.lots and self.risk.in_flex(account, s)):
            self._close(account, s, now, None)
        if account.balance < 0:  # what the fills could not cover: the liquidity pool pays it
            deficit = -account.balance
            self.pool -= deficit
            account.balance = 0
            self.emit(BalanceChanged(now, account.account_id, "USD", 0, deficit, "liquidation"))
            self.accounts._log(account, now, LIQUIDATION, None, -deficit, 0)

    def liquidate_margin_account(self, account: Account, base: str, now: int) -> None:
        """The same for the margin account of ``base``: its contracts' orders and positions, in ``base``."""
        def in_account(s: str) -> bool:
            return not self.risk.in_flex(account, s) and self.instruments[s].base == base

        self._cancel(account, in_account, now)
        for s in sorted(s for s, p in account.positions.items() if p.lots and in_account(s)):
            self._close(account, s, now, base)
        name = margin_account_name(base)
        balance = account.wallets.margin.get(name, 0)
        if balance < 0:  # what the fills could not cover: that currency's pool pays it
            self.base_pools[base] = self.base_pools.get(base, 0) + balance
            account.wallets.margin[name] = 0
            self.emit(BalanceChanged(now, account.account_id, base, 0, -balance, "liquidation"))
            self.accounts._log(account, now, LIQUIDATION, None, balance, 0, asset=base, margin_account=name)

    def _cancel(self, account: Account, which: Callable[[str], bool], now: int) -> None:
        """Cancel the account's orders and triggers in the contracts ``which`` selects."""
        symbols = {o.symbol for o in account.orders.values()} | {t.symbol for t in account.triggers.values()}
        for s in sorted(s for s in symbols if which(s)):
            self.trading.cancel_all(account, s, now, "liquidation")

    def _close(self, account: Account, symbol: str, now: int, base: str | None) -> None:
        """Close the position; ``base``: it is margined by that currency's margin account (else the flex
        wallet's)."""
        inst = self.instruments[symbol]
        position = account.positions[symbol]
        side = SELL if position.lots > 0 else BUY
        if base is None:
            bankrupt = self.bankruptcy_price(account, inst, position)
        else:
            bankrupt = self.margin_bankruptcy_price(account, inst, position)
        order = Order(self.ids.next(), None, account.account_id, symbol, side, "liquidation", abs(position.lots),
                      bankrupt, True, now, now)
        self.emit(OrderPlaced(now, account.account_id, snapshot(order), "liquidation"))
        fills = self.trading.sweep(self.matchers[symbol], order, False, "liquidation", now)
        filled = [f for f in fills if isinstance(f, OrderFilled)]
        absorbed = sum(inst.notional_usd8(f.lots, f.price) for f in filled)
        if order.filled < order.quantity:
            order.updated_at = now
            self.emit(OrderCancelled(now, account.account_id, order, "ioc_would_not_execute"))
            self.finished.remember(order, CANCELLED, "IOC_WOULD_NOT_EXECUTE_REASON", now)
        else:
            self.finished.remember(order, FULLY_EXECUTED, "FULL_FILL", now)
        if absorbed and base is not None:  # in base: each fill's fee at its own price
            fee = sum(to_base(inst, bps_of(inst.notional_usd8(f.lots, f.price), MARGIN_ACCOUNT_FEE_BPS), f.price)
                      for f in filled)
            self._take_base_fee(account, base, fee, now)
        elif absorbed:
            equity = self.risk.summary(account).equity
            fee = max(0, min(bps_of(absorbed, LIQUIDATION_FEE_BPS), equity))
            if fee:
                before = account.balance
                account.balance -= fee
                self.pool += fee
                self.emit(BalanceChanged(now, account.account_id, "USD", account.balance, -fee, "liquidation"))
                self.accounts._log(account, now, LIQUIDATION, None, before, account.balance, liquidation_fee=fee)
        left = abs(position.lots)
        if left:
            mark = self.pricing.marks[symbol]
            # the taker of the rest never pays worse than the mark: the pool covers the gap to bankruptcy
            price = min(bankrupt, mark) if side == SELL else max(bankrupt, mark)
            left = self._assign(account, inst, side, left, price, now)
        if left:
            self._unwind(account, inst, side, left, price, now)

    def bankruptcy_price(self, account: Account, inst: Instrument, position: Position) -> int:
        """The worst price (ticks) at which closing the position leaves the account's equity at zero or
        more after the taker and liquidation fees; the mark's neighbourhood is searched outwards."""
        symbol = inst.symbol
        mark = self.pricing.marks[symbol]
        base = self.risk.summary(account).equity - unrealized_pnl(inst, position, mark)
        n = abs(position.lots)

        def solvent(price: int) -> bool:
            fee = bps_of(inst.notional_usd8(n, price), TAKER_BPS + LIQUIDATION_FEE_BPS)
            return base + unrealized_pnl(inst, position, price) - fee >= 0

        return _boundary(position.lots, mark, solvent)

    def margin_bankruptcy_price(self, account: Account, inst: Instrument, position: Position) -> int:
        """The same for a position margined by its margin account, whose equity is counted in the base
        currency (1e-8 units: the PnL and fees at each price converted at that price)."""
        mark = self.pricing.marks[inst.symbol]
        pv = margin_account_summary(self.risk, account, inst.base).portfolio_value
        rest = pv - to_base(inst, unrealized_pnl(inst, position, mark), mark)
        n = abs(position.lots)

        def solvent(price: int) -> bool:
            fee = bps_of(inst.notional_usd8(n, price), TAKER_BPS + MARGIN_ACCOUNT_FEE_BPS)
            return rest + to_base(inst, unrealized_pnl(inst, position, price) - fee, price) >= 0

        return _boundary(position.lots, mark, solvent)

    def _take_base_fee(self, account: Account, base: str, fee: int, now: int) -> None:
        """The liquidation fee (1e-8 of ``base``), no more than the margin account's portfolio value."""
        fee = max(0, min(fee, margin_account_summary(self.risk, account, base).portfolio_value))
        if not fee:
            return
        name = margin_account_name(base)
        before = account.wallets.margin.get(name, 0)
        account.wallets.margin[name] = before - fee
        self.base_pools[base] = self.base_pools.get(base, 0) + fee
        self.emit(BalanceChanged(now, account.account_id, base, before - fee, -fee, "liquidation"))
        self.accounts._log(account, now, LIQUIDATION, None, before, before - fee, liquidation_fee=fee, asset=base,
                           margin_account=name)

    def _assign(self, account: Account, inst: Instrument, side: int, lots: int, price: int, now: int) -> int:
        """Hand what is left to the assignment program's participants; the lots nobody took."""
        takes = -side  # the participant takes the position's side
        for pref in self.program.offers(inst, takes, now):
            if lots == 0:
                break
            if pref.account_id == account.account_id or pref.account_id not in self.accounts:
                continue
            taker = self.accounts[pref.account_id]
            n = lots
            if pref.max_size is not None:
                n = min(n, lots_of(inst, pref.max_size))
            if pref.max_position is not None:
                held = taker.lots(inst.symbol) * takes  # > 0: already on the side it takes
                n = min(n, max(0, lots_of(inst, pref.max_position) - held))
            # no more than its available margin carries at initial margin: an assignee is never liquidated by it
            mark = self.pricing.marks[inst.symbol]
            if self.risk.in_flex(taker, inst.symbol):
                per_lot, available = self.risk.initial_margin(inst, 1, mark), self.risk.available_margin(taker)
            else:  # its margin account's funds, in base currency
                per_lot, available = self.risk.position_margin(taker, inst, 1, mark), self.risk.available_for(
                    taker, inst)
            n = min(n, max(0, available) // (per_lot or 1))
            if n <= 0:
                continue
            self._transfer(account, taker, inst, side, n, price, "assignor", "assignee", "assignment", now)
            lots -= n
        return lots

    def _unwind(self, account: Account, inst: Instrument, side: int, lots: int, price: int, now: int) -> None:
        """Close what is left against the opposite positions, first in the unwind queue first."""
        symbol = inst.symbol
        long = side == BUY  # the counterparties hold the other side: longs when a short is unwound
        order = self.queues.get((symbol, long))
        if order is None:
            order = self.queues[symbol, long] = queue(self.risk, self.accounts, list(self.holders.get(symbol, {})),
                                                      inst, long, self.pricing.marks[symbol])
        for a in order:
            if lots == 0:
                return
            held = self.accounts[a].lots(symbol)
            if a == account.account_id or held == 0 or (held > 0) != long:  # (it may have changed this step)
                continue
            other = self.accounts[a]
            n = min(lots, abs(held))
            self._transfer(account, other, inst, side, n, price, "unwindBankrupt", "unwindCounterparty", "unwind",
                           now)
            lots -= n

    def _transfer(self, source: Account, target: Account, inst: Instrument, side: int, lots: int, price: int,
                  source_type: str, target_type: str, order_type: str, now: int) -> None:
        """``lots`` of ``source``'s position pass to ``target`` at ``price``, no trading fee: a fill each."""
        symbol = inst.symbol
        trade_id = self.ids.next()
        mark = self.pricing.marks[symbol]
        src = Order(self.ids.next(), None, source.account_id, symbol, side, order_type, lots, price, True, now, now)
        dst = Order(self.ids.next(), None, target.account_id, symbol, -side, order_type, lots, price, False, now, now)
        trade = TradePrinted(now, symbol, trade_id, 0, price, lots, side, snapshot(dst), snapshot(src), mark)
        for account, order, fill_type in ((source, src, source_type), (target, dst, target_type)):
            before = snapshot(order)
            order.filled = lots
            _, realized, position = self.accounts.fill(account, inst, order.side, lots, price, 0, now, trade_id,
                                                        mark, FILL_INFO[fill_type])
            seq = account.fills_seen
            account.fills_seen += 1
            self.emit(OrderFilled(now, account.account_id, trade_id, before, order, price, lots, fill_type, 0, 0,
                                  realized, position, trade, seq))

    def state(self) -> tuple[object, ...]:
        return (self.pool, sorted(self.bands.items()), sorted((s, list(h)) for s, h in self.holders.items() if h),
                sorted(self.base_pools.items()), sorted((s, sorted(h)) for s, h in self.inverse.items() if h))


def _inward(lo: int, hi: int, half: int) -> tuple[int, int]:
    """A band's ends moved inward onto a grid of at most an eighth of its half-width: a narrower band is
    still safe (it only asks for a check sooner), and a re-check after a small move finds the same band."""
    grid = 1 << max(0, half.bit_length() - 4)
    return -(-lo // grid) * grid, hi // grid * grid


def _sensitivity(inst: Instrument, position: Position) -> int:
    """The most margin equity less maintenance margin can move (usd8) per tick of the mark: the PnL's
    slope, plus the maintenance margin's (at most the notional's: no margin rate exceeds 100 %)."""
    n = abs(position.lots)
    if inst.linear:
        return 2 * n * inst.unit_usd8
    return inst.unit_usd8 * n * n // abs(position.cost) + 1  # the inverse notional is fixed in USD


def _boundary(lots: int, mark: int, solvent: Callable[[int], bool]) -> int:
    """The bankruptcy price of a position of ``lots`` (signed): the worst price (ticks) that is ``solvent``,
    searched outwards from the mark (``solvent`` is monotonic in the price)."""
    if lots > 0:  # a long is solvent from some price up: the lowest such price
        if solvent(1):
            return 1
        lo, hi = 1, max(mark, 2)
        while not solvent(hi):
            if hi > MAX_PRICE_TICKS:
                return hi
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if solvent(mid) else (mid, hi)
        return hi
    if not solvent(1):  # a short is solvent up to some price: the highest such price
        return 1
    lo, hi = 1, max(mark, 2)
    while solvent(hi):
        if hi > MAX_PRICE_TICKS:
            return hi
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if solvent(mid) else (lo, mid)
    return lo
