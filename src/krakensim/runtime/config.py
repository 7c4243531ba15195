"""The TOML configuration file (``krakensim serve --config FILE``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..market.sim import MarketConfig
from ..market.sources import (
    FixedSource,
    GBMSource,
    PriceFileError,
    PriceSource,
    ReplaySource,
    load_price_file,
)


@dataclass
class Config:
    market_enabled: bool = False
    market_interval_ms: int = 1000
    market: MarketConfig = field(default_factory=MarketConfig)
    speed: float = 1.0
    reference_prices: dict[str, Decimal] = field(default_factory=dict)
    # by underlying ("XBT"): where every contract's index comes from, and where it starts
    sources: dict[str, PriceSource] = field(default_factory=dict)
    start_prices: dict[str, Decimal] = field(default_factory=dict)


class ConfigError(ValueError):
    pass


GBM_KEYS = ("drift", "vol", "jump_prob", "jump_size")


def _price(value: Any, where: str) -> Decimal:
    try:
        price = Decimal(str(value))
    except InvalidOperation as e:
        raise ConfigError(f"{where} must be a price") from e
    if not price.is_finite() or price <= 0 or isinstance(value, bool):
        raise ConfigError(f"{where} must be a positive price")
    return price


def parse_source(base: str, table: dict[str, Any], root: Path) -> tuple[PriceSource, Decimal | None]:
    """One ``[prices.BASE]`` table: the source, and the price it starts at (if it says)."""
    table = dict(table)
    kind = table.pop("source", "gbm")
    start = _price(table.pop("price"), f"prices.{base}.price") if "price" in table else None
    allowed = {"gbm": set(GBM_KEYS), "fixed": set(), "replay": {"file", "loop"}}.get(kind)
    if allowed is None:
        raise ConfigError(f"prices.{base}.source must be gbm, replay or fixed")
    unknown = set(table) - allowed
    if unknown:
        raise ConfigError(f"unknown keys in prices.{base} ({kind}): {sorted(unknown)}")
    if kind == "fixed":
        return FixedSource(), start
    if kind == "replay":
        if "file" not in table:
            raise ConfigError(f"prices.{base}: a replay needs a file")
        path = Path(str(table["file"]))
        try:
            rows = load_price_file(path if path.is_absolute() else root / path)
        except (OSError, PriceFileError) as e:
            raise ConfigError(f"prices.{base}.file: {e}") from e
        return ReplaySource(rows, loop=bool(table.get("loop", True))), start or Decimal(str(rows[0][1]))
    gbm = GBMSource()
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"prices.{base}.{key} must be a number")
        setattr(gbm, key, float(value))
    if gbm.vol < 0 or not 0 <= gbm.jump_prob <= 1 or gbm.jump_size < 0:
        raise ConfigError(f"prices.{base}: vol and jump_size must not be negative, jump_prob within 0..1")
    return gbm, start


def parse_config(doc: dict[str, Any], root: Path | None = None) -> Config:
    """``root``: where relative paths in the file (price files) start, the file's directory."""
    cfg = Config()
    root = root or Path.cwd()
    unknown = set(doc) - {"market", "instruments", "clock", "prices"}
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
    for base, table in doc.get("prices", {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f"prices.{base} must be a table")
        source, start = parse_source(base, table, root)
        cfg.sources[base] = source
        if start is not None:
            cfg.start_prices[base] = start
    return cfg


def load_config(path: str) -> Config:
    with open(path, "rb") as f:
        return parse_config(tomllib.load(f), Path(path).resolve().parent)
