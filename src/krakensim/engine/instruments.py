"""Instrument specifications: symbols, tick sizes, contract precision, margin levels.

Inside the engine every price is an integer number of ticks and every size an integer
number of lots (``lot = 10 ** -contractValueTradePrecision`` contracts). ``Decimal`` is
used only to convert at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from .calendar import last_trading_ms, month_of, next_month, yymmdd

# the largest price (ticks) or size (lots) the engine accepts: far beyond any real order, and
# small enough that every product of them stays exact and journals as a 64-bit JSON integer
MAX_UNITS = 2**40

LINEAR = "flexible_futures"
INVERSE = "futures_inverse"


@dataclass(frozen=True, slots=True)
class MarginLevel:
    threshold: Decimal  # contracts (inverse) or USD notional (linear) where the level starts
    initial: Decimal
    maintenance: Decimal


@dataclass(frozen=True)
class Instrument:
    symbol: str
    type: str
    base: str
    quote: str
    tick_size: Decimal
    precision: int  # contractValueTradePrecision (may be negative)
    contract_size: Decimal
    reference_price: Decimal  # initial mark/index price
    max_position_size: Decimal
    margin_levels: tuple[MarginLevel, ...]
    retail_margin_levels: tuple[MarginLevel, ...]
    isin: str = ""
    category: str = ""
    fee_schedule_uid: str = ""
    underlying: str = ""
    opening_date_ms: int = 1640995200000  # 2022-01-01T00:00:00.000Z
    funding_rate_coefficient: int = 8
    max_relative_funding_rate: Decimal = Decimal("0.001")
    impact_mid_size: Decimal = Decimal(1)
    post_only: bool = False
    tradeable: bool = True
    last_trading_ms: int | None = None  # fixed maturities: when trading stops and the contract settles
    tag: str = "perpetual"  # the tickers' expiry grouping: perpetual, month, quarter, semiannual
    settlement_minutes: int = 0  # fixed maturities: the settlement price averages the index over these
    # derived, filled in __post_init__
    linear: bool = field(init=False, repr=False)
    max_lots: int = field(init=False, repr=False)
    _unit_usd8: int = field(init=False, repr=False)
    im_bps: int = field(init=False, repr=False)  # first-level initial margin in basis points (0.02 -> 200)
    mm_bps: int = field(init=False, repr=False)
    tick_num: int = field(init=False, repr=False)
    tick_den: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "linear", self.type != INVERSE)
        lot = Fraction(10) ** -self.precision
        cs = Fraction(self.contract_size)
        unit = lot * cs * (Fraction(self.tick_size) if self.linear else 1) * 10**8
        if unit.denominator != 1:
            raise ValueError(f"{self.symbol}: lot*tick is finer than 1e-8 USD")
        object.__setattr__(self, "_unit_usd8", int(unit))
        im = Fraction(self.margin_levels[0].initial) * 10000
        object.__setattr__(self, "im_bps", int(im))
        object.__setattr__(self, "mm_bps", int(Fraction(self.margin_levels[0].maintenance) * 10000))
        object.__setattr__(self, "max_lots", int(self.max_position_size.scaleb(self.precision)))
        tick = Fraction(self.tick_size)
        object.__setattr__(self, "tick_num", tick.numerator)
        object.__setattr__(self, "tick_den", tick.denominator)


    @property
    def perpetual(self) -> bool:
        return self.last_trading_ms is None

    @property
    def lot_size(self) -> Decimal:
        return Decimal(1).scaleb(-self.precision)

    @property
    def pair(self) -> str:
        return f"{self.base}:{self.quote}"

    # --- conversions (edge) -------------------------------------------------------
    def price_to_ticks(self, price: Decimal) -> int | None:
        """Ticks for ``price``, or None when it is not a positive multiple of the tick size."""
        try:
            q = price / self.tick_size
        except (InvalidOperation, ZeroDivisionError):
            return None
        if not q.is_finite() or q != q.to_integral_value() or q <= 0 or q > MAX_UNITS:
            return None
        return int(q)

    def size_to_lots(self, size: Decimal) -> int | None:
        """Lots for ``size``, or None when it is not a positive multiple of the lot size.

        A float artefact such as ``0.30000000000000004`` (what ``str(float)`` gives to a
        client that computed its size) is accepted as the nearest lot when it is within
        one millionth of a lot of it.
        """
        try:
            q = size.scaleb(self.precision)
        except InvalidOperation:
            return None
        if not q.is_finite() or q <= 0:
            return None
        n = q.to_integral_value()
        if abs(q - n) > Decimal("0.000001"):
            return None
        return int(n) if 0 < n <= MAX_UNITS else None

    def ticks_to_price(self, ticks: int) -> Decimal:
        return self.tick_size * ticks

    def lots_to_size(self, lots: int) -> Decimal:
        return Decimal(lots).scaleb(-self.precision)

    # --- money (integer units of 1e-8 USD: "usd8") --------------------------------
    @property
    def unit_usd8(self) -> int:
        """usd8 value of one lot at one tick (linear) or of one lot (inverse)."""
        return self._unit_usd8

    def notional_usd8(self, lots: int, ticks: int) -> int:
        if self.linear:
            return lots * ticks * self._unit_usd8
        return lots * self._unit_usd8


def _levels(rows: list[tuple[str, str, str]]) -> tuple[MarginLevel, ...]:
    return tuple(MarginLevel(Decimal(a), Decimal(b), Decimal(c)) for a, b, c in rows)


_PF_LEVELS = _levels(
    [
        ("0", "0.02", "0.01"),
        ("500000", "0.04", "0.02"),
        ("2000000", "0.1", "0.05"),
        ("5000000", "0.2", "0.1"),
        ("10000000", "0.3", "0.15"),
        ("30000000", "0.5", "0.25"),
    ]
)
_PF_ALT_LEVELS = _levels(
    [
        ("0", "0.02", "0.01"),
        ("100000", "0.04", "0.02"),
        ("500000", "0.1", "0.05"),
        ("1000000", "0.2", "0.1"),
        ("3000000", "0.3", "0.15"),
        ("10000000", "0.5", "0.25"),
    ]
)
_PI_LEVELS = _levels(
    [
        ("0", "0.02", "0.01"),
        ("500000", "0.04", "0.02"),
        ("1000000", "0.06", "0.03"),
        ("3000000", "0.1", "0.05"),
    ]
)
_PI_RETAIL = _levels([("0", "0.5", "0.25")])

PF_FEE_SCHEDULE = "5b755fea-c5b0-4307-a66e-b392cd5bd931"
PI_FEE_SCHEDULE = "eef90775-995b-4596-9257-0917f6134766"


def default_instruments() -> dict[str, Instrument]:
    """The instruments krakensim lists by default, with Kraken's symbols and specifications."""
    items = [
        Instrument(
            symbol="PF_XBTUSD", type=LINEAR, base="XBT", quote="USD", tick_size=Decimal("1"),
            precision=4, contract_size=Decimal(1), reference_price=Decimal("90000"),
            max_position_size=Decimal("1000000"), margin_levels=_PF_LEVELS,
            retail_margin_levels=_PF_LEVELS, category="Layer 1", fee_schedule_uid=PF_FEE_SCHEDULE,
        ),
        Instrument(
            symbol="PF_ETHUSD", type=LINEAR, base="ETH", quote="USD", tick_size=Decimal("0.1"),
            precision=3, contract_size=Decimal(1), reference_price=Decimal("3000"),
            max_position_size=Decimal("1000000"), margin_levels=_PF_LEVELS,
            retail_margin_levels=_PF_LEVELS, category="Layer 1", fee_schedule_uid=PF_FEE_SCHEDULE,
        ),
        Instrument(
            symbol="PF_SOLUSD", type=LINEAR, base="SOL", quote="USD", tick_size=Decimal("0.01"),
            precision=2, contract_size=Decimal(1), reference_price=Decimal("150"),
            max_position_size=Decimal("1000000"), margin_levels=_PF_ALT_LEVELS,
            retail_margin_levels=_PF_ALT_LEVELS, category="Layer 1", fee_schedule_uid=PF_FEE_SCHEDULE,
        ),
        Instrument(
            symbol="PI_XBTUSD", type=INVERSE, base="XBT", quote="USD", tick_size=Decimal("0.5"),
            precision=0, contract_size=Decimal(1), reference_price=Decimal("90000"),
            max_position_size=Decimal("1000000"), margin_levels=_PI_LEVELS,
            retail_margin_levels=_PI_RETAIL, isin="GB00J62YGL67", underlying="rr_xbtusd",
            fee_schedule_uid=PI_FEE_SCHEDULE,
        ),
    ]
    return {i.symbol: i for i in items}


QUARTER_MONTHS = (3, 6, 9, 12)
SEMIANNUAL_MONTHS = (6, 12)


@dataclass(frozen=True)
class FixedSeries:
    """A family of fixed-maturity futures (``FI_XBTUSD``, ``FF_XBTUSD``).

    At any time the next ``months`` monthly maturities, the next ``quarters`` quarterly ones
    and the next ``semiannual`` June/December ones beyond those are listed; when one expires
    the next takes its place. Each copies the specification of ``template`` and stops trading
    on the last Friday of its month at ``hour``:00 London time (or UTC), when it settles at the
    average of the index over the ``settlement_minutes`` before.
    """

    prefix: str
    template: Instrument
    hour: int = 16
    london: bool = True
    settlement_minutes: int = 60
    months: int = 2
    quarters: int = 2
    semiannual: int = 0

    def maturities(self, now: int) -> list[tuple[int, str]]:
        """(last trading time, tag) of every maturity that should be listed at ``now``."""
        out: dict[int, str] = {}
        y, m = month_of(now)
        months = quarters = halves = 0
        while months < self.months or quarters < self.quarters or halves < self.semiannual:
            ltt = last_trading_ms(y, m, self.hour, self.london)
            if ltt > now:
                if months < self.months:
                    out[ltt] = "quarter" if m in QUARTER_MONTHS else "month"
                    months += 1
                if m in QUARTER_MONTHS and quarters < self.quarters:
                    out[ltt] = "quarter"
                    quarters += 1
                elif m in SEMIANNUAL_MONTHS and ltt not in out and halves < self.semiannual:
                    out[ltt] = "semiannual"
                    halves += 1
            y, m = next_month(y, m)
        return sorted(out.items())

    def instrument(self, ltt: int, tag: str, opened: int, reference_price: Decimal) -> Instrument:
        return replace(
            self.template, symbol=f"{self.prefix}_{yymmdd(ltt)}", last_trading_ms=ltt, tag=tag,
            settlement_minutes=self.settlement_minutes, opening_date_ms=opened, reference_price=reference_price, isin="",
        )


def default_series() -> tuple[FixedSeries, ...]:
    """Kraken's bitcoin fixed maturities: linear ``FF_XBTUSD`` and inverse ``FI_XBTUSD``."""
    inst = default_instruments()
    return (
        # last trading 08:00 UTC; settles at a 30-minute average of the real-time index
        FixedSeries("FF_XBTUSD", replace(inst["PF_XBTUSD"], symbol="FF_XBTUSD"), hour=8, london=False,
                    settlement_minutes=30, semiannual=1),
        # last trading 16:00 London; settles at the reference rate (an hour's average of the index)
        FixedSeries("FI_XBTUSD", replace(inst["PI_XBTUSD"], symbol="FI_XBTUSD")),
    )
