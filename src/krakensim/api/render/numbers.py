"""Numbers and times as Kraken writes them: exact prices and sizes from ticks and lots, ISO times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from ...engine.instruments import Instrument
from ...engine.units import USD8

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_iso_cache: dict[int, str] = {}


def iso(ms: int) -> str:
    """Epoch milliseconds as Kraken writes them: ``2019-09-05T16:33:50.734Z``."""
    s = _iso_cache.get(ms)
    if s is None:
        if len(_iso_cache) > 4096:
            _iso_cache.clear()
        d = _EPOCH + timedelta(milliseconds=ms)
        s = _iso_cache[ms] = f"{d:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"
    return s


def price_out(inst: Instrument, ticks: int) -> int | float:
    """A price in ticks as the shortest JSON number that is exactly it (an int when whole)."""
    v = ticks * inst.tick_num
    d = inst.tick_den
    if d == 1:
        return v
    return v // d if v % d == 0 else v / d


def average_price_out(inst: Instrument, ticks: Fraction) -> float:
    """A price that is a ratio of ticks (an average entry price) as a float."""
    return float(ticks) * inst.tick_num / inst.tick_den


def size_out(inst: Instrument, lots: int) -> int | float:
    p = inst.precision
    if p <= 0:
        scale: int = 10**-p
        return lots * scale
    d: int = 10**p
    return lots // d if lots % d == 0 else lots / d


def signed_size_out(inst: Instrument, lots: int) -> int | float:
    return size_out(inst, lots) if lots >= 0 else -size_out(inst, -lots)


def usd_out(usd8: int) -> int | float:
    return usd8 // USD8 if usd8 % USD8 == 0 else usd8 / USD8


def number(value: Decimal) -> int | float:
    """A Decimal from a specification as a JSON number (an int when whole)."""
    i = int(value)
    return i if i == value else float(value)


def quote_volume_out(inst: Instrument, lots_ticks: int) -> int | float:
    """Sum of size × price: lots × ticks scaled by lot and tick sizes (exact up to the float edge)."""
    lot_scale: int = 10 ** max(inst.precision, 0)
    num = lots_ticks * inst.tick_num
    den = inst.tick_den * lot_scale
    if inst.precision < 0:
        contracts_per_lot: int = 10**-inst.precision
        num *= contracts_per_lot
    return num // den if num % den == 0 else num / den
