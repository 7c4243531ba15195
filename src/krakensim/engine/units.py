"""Units of the engine and the arithmetic on them.

- a price is an integer number of ticks (``tick = instrument.tick_size``);
- a size is an integer number of lots (``lot = 10 ** -contractValueTradePrecision`` contracts);
- money is an integer number of 1e-8 USD ("usd8");
- a rate or a fee is an integer number of basis points (1 bp = 0.01 %);
- a time is an integer number of epoch milliseconds, always passed in (never read).
"""

from __future__ import annotations

BUY = 1  # a side is the sign of the position change it makes
SELL = -1

USD8 = 100_000_000  # usd8 in one USD
BPS = 10_000  # basis points in one

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000


def side_name(side: int) -> str:
    return "buy" if side == BUY else "sell"


def bps_of(amount: int, bps: int) -> int:
    """``amount`` × ``bps`` / 10 000, rounded towards minus infinity (as every fee and margin here)."""
    return amount * bps // BPS
