"""How much of the past the engine keeps: what bounds its memory in a run of any length.

Everything the engine remembers beyond the current state is capped here. The defaults keep
what Kraken's clients read back in practice (the History API's recent pages, two weeks of
one-minute candles, a day of trades per market) while a venue running for weeks stays under a
stated ceiling (docs/benchmarks.md measures it). ``[retention]`` in the TOML file changes them.
"""

from __future__ import annotations

import msgspec

from .units import DAY_MS


class Retention(msgspec.Struct, frozen=True, kw_only=True):
    history_per_account: int = 10_000  # order and trigger events (the History API's orders and triggers)
    fills_per_account: int = 10_000  # fills (REST fills, History API executions)
    account_log_per_account: int = 20_000  # account log entries (the History API's account-log; two per fill)
    finished_orders: int = 100_000  # finished orders remembered (cancel → "filled", orders/status)
    trades_per_market: int = 10_000  # public executions and mark price changes per market
    candle_days: int = 14  # one-minute candles (the Charts API, settlement averages)
    funding_rates_per_market: int = 24 * 400  # hourly funding rates (about 400 days)
    notifications: int = 1_000  # venue notifications posted through the control API (the oldest dropped)
    expired_days: int = 7  # an expired contract's trades and candles are dropped after this long

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            if getattr(self, name) < 1:
                raise ValueError(f"retention.{name} must be at least 1")

    @property
    def candle_ms(self) -> int:
        return self.candle_days * DAY_MS

    @property
    def expired_ms(self) -> int:
        return self.expired_days * DAY_MS
