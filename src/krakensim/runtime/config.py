"""The TOML configuration file (``krakensim serve --config FILE``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from typing import Any

from ..market.sim import MarketConfig


@dataclass
class Config:
    market_enabled: bool = False
    market_interval_ms: int = 1000
    market: MarketConfig = field(default_factory=MarketConfig)
    speed: float = 1.0
    reference_prices: dict[str, Decimal] = field(default_factory=dict)


class ConfigError(ValueError):
    pass


def parse_config(doc: dict[str, Any]) -> Config:
    cfg = Config()
    unknown = set(doc) - {"market", "instruments", "clock"}
    if unknown:
        raise ConfigError(f"unknown sections or keys: {sorted(unknown)}")
    market = dict(doc.get("market", {}))
    cfg.market_enabled = bool(market.pop("enabled", False))
    cfg.market_interval_ms = int(market.pop("interval_ms", 1000))
    if cfg.market_interval_ms <= 0:
        raise ConfigError("market.interval_ms must be positive")
    names = {f.name: f.type for f in fields(MarketConfig)}
    for key, value in market.items():
        if key not in names:
            raise ConfigError(f"unknown market setting {key!r} (known: {sorted(names)})")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"market.{key} must be a number")
        setattr(cfg.market, key, value)
    clock = doc.get("clock", {})
    cfg.speed = float(clock.get("speed", 1.0))
    if cfg.speed <= 0:
        raise ConfigError("clock.speed must be positive")
    for symbol, table in doc.get("instruments", {}).items():
        try:
            price = Decimal(str(table["reference_price"]))
        except (KeyError, InvalidOperation, TypeError) as e:
            raise ConfigError(f"instruments.{symbol}.reference_price must be a price") from e
        cfg.reference_prices[symbol] = price
    return cfg


def load_config(path: str) -> Config:
    with open(path, "rb") as f:
        return parse_config(tomllib.load(f))
