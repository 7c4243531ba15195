"""Funding payments of perpetual positions: accrued continuously, realised hourly and on a change.

Kraken: "funding credits/debits accumulate as unrealised profit/loss settling at the end of each
hour or when the net position changes" (support.kraken.com, perpetual contract specifications).

Exact in integers. Each perpetual keeps a cumulative funding index ``cum``: what one long lot has
paid since listing, in funding units (``FUNDING_UNIT`` of them make one usd8: relative rates are
1e-12 per hour and time is in ms, so the increment over ``dt`` ms at mark ``m`` is
``notional_usd8(1, m) × rate × dt``, an integer). A position remembers the index when it last
changed or was realised; what it has accrued since is ``−lots × (cum − entry)`` funding units.
Long and short lots are equal at every instant, so the accruals of all positions sum to exactly
zero; realised funding is booked to the wallet in whole usd8 and the fraction below one usd8
stays in the account's ``carry`` (funding units), so booked + carried funding also sums to zero.

The rate in force is the latest published one (0 before the first), on the mark in force; both
change only through events this room follows (``MarkPriceUpdated``, ``FundingRatePublished``).
"""

from __future__ import annotations

from collections.abc import Callable

from .accounts import Account, Accounts
from .events import (
    BalanceChanged,
    Event,
    FundingRatePublished,
    MarkPriceUpdated,
    OrderFilled,
    PositionChanged,
)
from .funding import RATE_SCALE
from .instruments import Instrument
from .pricing import Pricing
from .units import HOUR_MS

FUNDING_UNIT = RATE_SCALE * HOUR_MS  # funding units in one usd8
FUNDING_RATE_CHANGE = "funding rate change"  # Kraken's account log word (history.md `info` enum)


class FundingPayments:
    __slots__ = ("instruments", "pricing", "accounts", "emit", "cum", "last", "rate", "mark", "entry", "holders",
                 "carry", "now", "pending")

    def __init__(self, instruments: dict[str, Instrument], pricing: Pricing, accounts: Accounts,
                 emit: Callable[[Event], None]) -> None:
        self.instruments = instruments
        self.pricing = pricing
        self.accounts = accounts
        self.emit = emit
        self.cum: dict[str, int] = {}  # per perpetual: funding units one long lot has paid
        self.last: dict[str, int] = {}  # when ``cum`` was accrued to
        self.rate: dict[str, int] = {}  # the relative rate in force (1e-12 per hour)
        self.mark: dict[str, int] = {}  # the mark in force (ticks)
        self.entry: dict[tuple[str, str], int] = {}  # (account, perpetual) -> ``cum`` when last realised
        self.holders: dict[str, dict[str, None]] = {}  # perpetual -> accounts holding it (insertion order)
        self.carry: dict[str, int] = {}  # per account: realised funding units below one usd8
        self.now = 0  # the latest command's time: what reads accrue to
        # realisations of a position change, booked once its fill has been (a fill's own events stay together)
        self.pending: list[tuple[str, str, int, int]] = []  # (account, contract, funding units, time)

    def handlers(self) -> list[tuple[type[Event], Callable[[Event], None]]]:
        return [(MarkPriceUpdated, self._on_mark), (PositionChanged, self._on_position),
                (FundingRatePublished, self._on_rate), (OrderFilled, self._on_fill)]

    # ------------------------------------------------------------------ accrual
    def _known(self, symbol: str, now: int) -> bool:
        inst = self.instruments.get(symbol)
        if inst is None or not inst.perpetual:
            return False
        if symbol not in self.cum:
            self.cum[symbol] = 0
            self.last[symbol] = now
            self.rate[symbol] = 0
            self.mark[symbol] = self.pricing.marks[symbol]
            self.holders[symbol] = {}
        return True

    def _per_lot(self, symbol: str, until: int) -> int:
        """Funding units one long lot has paid up to ``until`` (the index, accrued without changing it)."""
        dt = until - self.last[symbol]
        cum = self.cum[symbol]
        if dt > 0 and self.rate[symbol]:
            cum += self.instruments[symbol].notional_usd8(1, self.mark[symbol]) * self.rate[symbol] * dt
        return cum

    def _accrue(self, symbol: str, now: int) -> None:
        if now > self.last[symbol]:
            self.cum[symbol] = self._per_lot(symbol, now)
            self.last[symbol] = now

    def _on_mark(self, event: Event) -> None:
        assert isinstance(event, MarkPriceUpdated)
        if self._known(event.symbol, event.time):
            self._accrue(event.symbol, event.time)  # at the mark that was in force until now
            self.mark[event.symbol] = event.price

    # ------------------------------------------------------------------ realising
    def _on_position(self, event: Event) -> None:
        """A position changed: what it accrued as it was is realised, and it accrues afresh from now."""
        assert isinstance(event, PositionChanged)
        s = event.symbol
        if not self._known(s, event.time):
            return
        self._accrue(s, event.time)
        key = (event.account_id, s)
        cum = self.cum[s]
        if event.previous_lots:
            self.pending.append((event.account_id, s, -event.previous_lots * (cum - self.entry[key]), event.time))
        if event.lots:
            self.entry[key] = cum
            self.holders[s][event.account_id] = None
        else:
            self.entry.pop(key, None)
            self.holders[s].pop(event.account_id, None)

    def _on_fill(self, event: Event) -> None:
        self.flush()

    def flush(self) -> None:
        """Book the realisations waiting for their fill's events (also at the end of every step)."""
        pending = self.pending
        self.pending = []
        for a, s, units, now in pending:
            self._realise(self.accounts[a], s, units, now)

    def _on_rate(self, event: Event) -> None:
        """The end of an hour: every position realises what it accrued; the new rate is in force."""
        assert isinstance(event, FundingRatePublished)
        s = event.symbol
        if not self._known(s, event.time):
            return
        self._accrue(s, event.time)
        cum = self.cum[s]
        for account_id in self.holders[s]:
            key = (account_id, s)
            account = self.accounts[account_id]
            position = account.positions[s]
            units = -position.lots * (cum - self.entry[key])
            self.entry[key] = cum
            self._realise(account, s, units, event.time, self.rate[s])
        self.rate[s] = event.relative_rate

    def _realise(self, account: Account, symbol: str, units: int, now: int, rate: int | None = None) -> None:
        """Book ``units`` of funding: whole usd8 to the wallet, the rest carried; an account log entry."""
        a = account.account_id
        total = self.carry.get(a, 0) + units
        usd8 = total // FUNDING_UNIT
        self.carry[a] = total - usd8 * FUNDING_UNIT
        if not usd8:
            return
        before = account.balance
        account.balance += usd8
        self.emit(BalanceChanged(now, a, "USD", account.balance, usd8, "funding"))
        # a wallet entry that names its contract (as Kraken's funding rows: asset usd, contract, USD balances)
        self.accounts._log(account, now, FUNDING_RATE_CHANGE, symbol, before, account.balance,
                           mark_price=self.mark[symbol], funding_rate=self.rate[symbol] if rate is None else rate,
                           realized_funding=usd8)

    # ------------------------------------------------------------------ reads
    def position_units(self, account_id: str, symbol: str, lots: int, now: int | None = None) -> int:
        """Funding units the position has accrued and not realised, up to ``now`` (the latest command)."""
        key = (account_id, symbol)
        if key not in self.entry:
            return 0
        return -lots * (self._per_lot(symbol, self.now if now is None else now) - self.entry[key])

    def position_unrealized(self, account: Account, symbol: str, now: int | None = None) -> int:
        """usd8 (rounded down) the account's position in ``symbol`` has accrued and not realised."""
        position = account.positions.get(symbol)
        if position is None or not position.lots:
            return 0
        return self.position_units(account.account_id, symbol, position.lots, now) // FUNDING_UNIT

    def unrealized(self, account: Account, now: int | None = None) -> int:
        """usd8 (rounded down) of funding accrued and not realised over all the account's positions,
        with what is carried below one usd8 (every margin check reads it: kept to one pass, inline)."""
        a = account.account_id
        units = self.carry.get(a, 0)
        if self.pending:
            units += sum(u for b, _, u, _ in self.pending if b == a)
        until = self.now if now is None else now
        entry, cum, rate, last = self.entry, self.cum, self.rate, self.last
        for s, p in account.positions.items():
            if p.lots:
                e = entry.get((a, s))
                if e is None:
                    continue
                c = cum[s]
                r = rate[s]
                if r and until > last[s]:
                    c += self.instruments[s].notional_usd8(1, self.mark[s]) * r * (until - last[s])
                if c != e:
                    units -= p.lots * (c - e)
        return units // FUNDING_UNIT

    def total_units(self, now: int | None = None) -> int:
        """Funding units accrued or carried over every account: exactly what was booked, negated."""
        total = sum(self.carry.values()) + sum(u for _, _, u, _ in self.pending)
        for (a, s), _ in self.entry.items():
            total += self.position_units(a, s, self.accounts[a].positions[s].lots, now)
        return total

    def state(self) -> tuple[object, ...]:
        return (sorted(self.cum.items()), sorted(self.last.items()), sorted(self.rate.items()),
                sorted(self.mark.items()), sorted(self.entry.items()), sorted((k, v) for k, v in self.carry.items() if v))
