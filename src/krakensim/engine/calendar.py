"""Calendar arithmetic on epoch milliseconds, without the wall clock or ``datetime``.

Fixed-maturity futures stop trading on the last Friday of their month: inverse ``FI_`` at
16:00 London time (15:00 UTC while British Summer Time is in force), linear ``FF_`` at 08:00 UTC. Everything here is integer arithmetic on
the proleptic Gregorian calendar (Howard Hinnant's ``days_from_civil`` algorithms).
"""

from __future__ import annotations

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of the date y-m-d."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z: int) -> tuple[int, int, int]:
    """The date (y, m, d) of day ``z`` since 1970-01-01."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def weekday(days: int) -> int:
    """Monday 0 … Sunday 6 of day ``days`` since the epoch (a Thursday)."""
    return (days + 3) % 7


def days_in_month(y: int, m: int) -> int:
    nxt = days_from_civil(y + (m == 12), m % 12 + 1, 1)
    return nxt - days_from_civil(y, m, 1)


def last_weekday(y: int, m: int, wd: int) -> int:
    """The day (since the epoch) of the last weekday ``wd`` of month y-m."""
    last = days_from_civil(y, m, days_in_month(y, m))
    return last - (weekday(last) - wd) % 7


def london_offset_ms(ms: int) -> int:
    """London's offset from UTC at instant ``ms``: one hour during British Summer Time.

    BST runs from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday
    of October.
    """
    y = civil_from_days(ms // DAY_MS)[0]
    start = last_weekday(y, 3, 6) * DAY_MS + HOUR_MS
    end = last_weekday(y, 10, 6) * DAY_MS + HOUR_MS
    return HOUR_MS if start <= ms < end else 0


def last_trading_ms(y: int, m: int, hour: int = 16, london: bool = True) -> int:
    """``hour``:00 on the last Friday of month y-m, London time (or UTC), in epoch ms (UTC)."""
    local = last_weekday(y, m, 4) * DAY_MS + hour * HOUR_MS
    return local - london_offset_ms(local - HOUR_MS) if london else local


def month_of(ms: int) -> tuple[int, int]:
    y, m, _ = civil_from_days(ms // DAY_MS)
    return y, m


def next_month(y: int, m: int) -> tuple[int, int]:
    return (y + 1, 1) if m == 12 else (y, m + 1)


def yymmdd(ms: int) -> str:
    y, m, d = civil_from_days(ms // DAY_MS)
    return f"{y % 100:02d}{m:02d}{d:02d}"
