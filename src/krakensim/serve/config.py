"""The TOML configuration file (``krakensim serve --config FILE``)."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..admin.scenarios import ScenarioError, parse_scenario
from ..engine.instruments import Instrument, default_instruments
from ..engine.retention import Retention
from ..market.profile import parse_profile
from ..market.sim import LADDER_KEYS, MarketConfig
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
    past_days: int | None = None  # [market] past_days: a fresh venue's seeded history
    market: MarketConfig = field(default_factory=MarketConfig)
    speed: float = 1.0
    # by underlying ("XBT"): where every contract's index comes from, and where it starts
    sources: dict[str, PriceSource] = field(default_factory=dict)
    start_prices: dict[str, Decimal] = field(default_factory=dict)
    # by symbol: changes to a listed instrument, a new PF_ perpetual, or {"listed": False}
    instruments: dict[str, dict[str, Any]] = field(default_factory=dict)
    retention: Retention = field(default_factory=Retention)
    faults: list[dict[str, Any]] = field(default_factory=list)  # [[faults]]: runtime/faults.py
    # [[scenarios]]: market scenarios a fresh venue schedules at start (admin/scenarios.py's keys)
    scenarios: list[dict[str, Any]] = field(default_factory=list)
    # by symbol: changes to the market agents' liquidity profile ([liquidity.SYMBOL], market/profile.py)
    liquidity: dict[str, dict[str, Any]] = field(default_factory=dict)


class ConfigError(ValueError):
    pass


INSTRUMENT_DECIMALS = ("reference_price", "tick_size", "max_position_size", "impact_mid_size")
NEW_SYMBOL = re.compile(r"PF_([A-Z0-9]{2,12})USD")
NEW_TEMPLATE = "PF_SOLUSD"  # a new perpetual copies this specification (alt-coin margin levels)


def parse_instrument(symbol: str, table: Any) -> dict[str, Any]:
    """One ``[instruments.SYMBOL]`` table, checked and typed (applied by ``apply_instruments``)."""
    if not isinstance(table, dict):
        raise ConfigError(f"instruments.{symbol} must be a table")
    out: dict[str, Any] = {}
    for key, value in table.items():
        where = f"instruments.{symbol}.{key}"
        if key in INSTRUMENT_DECIMALS:
            out[key] = _price(value, where)
        elif key == "precision":
            if isinstance(value, bool) or not isinstance(value, int) or not -6 <= value <= 8:
                raise ConfigError(f"{where} must be an integer from -6 to 8")
            out[key] = value
        elif key == "category":
            out[key] = str(value)
        elif key == "listed":
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be true or false")
            out[key] = value
        else:
            known = sorted((*INSTRUMENT_DECIMALS, "precision", "category", "listed"))
            raise ConfigError(f"unknown key {where} (known: {', '.join(known)})")
    return out


def apply_instruments(instruments: dict[str, Instrument], changes: dict[str, dict[str, Any]]) -> None:
    """Apply ``[instruments.*]``: change listed instruments, add PF_ perpetuals, take some off the list."""
    for symbol, change in changes.items():
        change = dict(change)
        listed = change.pop("listed", True)
        if not listed:
            if symbol not in instruments:
                raise ConfigError(f"instruments.{symbol}: not an instrument krakensim lists")
            del instruments[symbol]
            continue
        kwargs = change  # parse_instrument's keys are Instrument's field names
        base = instruments.get(symbol)
        if base is None:
            m = NEW_SYMBOL.fullmatch(symbol)
            if m is None:
                raise ConfigError(f"instruments.{symbol}: a new instrument must be a linear perpetual PF_<BASE>USD")
            missing = {"tick_size", "precision", "reference_price"} - set(kwargs)
            if missing:
                raise ConfigError(f"instruments.{symbol}: a new instrument needs {', '.join(sorted(missing))}")
            template = default_instruments()[NEW_TEMPLATE]
            base = replace(template, symbol=symbol, base=m.group(1), category="")
        try:
            inst = replace(base, **kwargs)
        except ValueError as e:
            raise ConfigError(f"instruments.{symbol}: {e}") from e
        if inst.price_to_ticks(inst.reference_price) is None:
            raise ConfigError(f"instruments.{symbol}: reference_price must be a multiple of tick_size")
        instruments[symbol] = inst


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
    if not isinstance(kind, str):
        raise ConfigError(f"prices.{base}.source must be gbm, replay or fixed")
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
        loop = table.get("loop", True)
        if not isinstance(loop, bool):
            raise ConfigError(f"prices.{base}.loop must be true or false")
        return ReplaySource(rows, loop=loop), start or Decimal(str(rows[0][1]))
    gbm = GBMSource()
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ConfigError(f"prices.{base}.{key} must be a finite number")
        setattr(gbm, key, float(value))
    if gbm.vol < 0 or not 0 <= gbm.jump_prob <= 1 or gbm.jump_size < 0:
        raise ConfigError(f"prices.{base}: vol and jump_size must not be negative, jump_prob within 0..1")
    return gbm, start


def parse_config(doc: dict[str, Any], root: Path | None = None) -> Config:
    """``root``: where relative paths in the file (price files) start, the file's directory."""
    cfg = Config()
    root = root or Path.cwd()
    unknown = set(doc) - {"market", "instruments", "clock", "prices", "retention", "faults", "liquidity",
                          "scenarios"}
    if unknown:
        raise ConfigError(f"unknown sections or keys: {sorted(unknown)}")
    for section in ("market", "clock", "instruments", "prices", "retention", "liquidity"):
        if not isinstance(doc.get(section, {}), dict):
            raise ConfigError(f"[{section}] must be a table")
    market = dict(doc.get("market", {}))
    enabled = market.pop("enabled", False)
    interval = market.pop("interval_ms", 1000)
    if not isinstance(enabled, bool):
        raise ConfigError("market.enabled must be true or false")
    if isinstance(interval, bool) or not isinstance(interval, int) or interval <= 0:
        raise ConfigError("market.interval_ms must be a positive integer")
    cfg.market_enabled, cfg.market_interval_ms = enabled, interval
    names = {f.name: f.type for f in fields(MarketConfig)}
    past = market.pop("past_days", None)
    if past is not None and (isinstance(past, bool) or not isinstance(past, int) or not 0 <= past <= 400):
        raise ConfigError("market.past_days must be a whole number from 0 to 400")
    cfg.past_days = past
    model = market.pop("model", "ladder" if set(market) & set(LADDER_KEYS) else "agents")
    if model not in ("agents", "ladder"):
        raise ConfigError('market.model must be "agents" or "ladder"')
    cfg.market.model = model
    for key, value in market.items():
        if key in LADDER_KEYS and model != "ladder":
            raise ConfigError(f"market.{key} is a setting of model = \"ladder\" (the agents read [liquidity.SYMBOL])")
        if key not in names or key == "model":
            raise ConfigError(f"unknown market setting {key!r} (known: {sorted(names)})")
        whole = names[key] == "int"
        if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
            raise ConfigError(f"market.{key} must be {'an integer' if whole else 'a number'}")
        if not math.isfinite(value) or value < 0 or (key in ("taker_prob", "refill") and value > 1):
            raise ConfigError(f"market.{key} must be a finite number, not negative (taker_prob, refill at most 1)")
        setattr(cfg.market, key, value)
    if not 1 <= cfg.market.levels <= 100 or cfg.market.level_usd < 1:
        raise ConfigError("market.levels must be 1 to 100 and market.level_usd at least 1")
    if not 1 <= cfg.market.makers <= 8:
        raise ConfigError("market.makers must be 1 to 8")
    for symbol, table in doc.get("liquidity", {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f"liquidity.{symbol} must be a table")
        try:
            cfg.liquidity[symbol] = parse_profile(table)
        except ValueError as e:
            raise ConfigError(f"liquidity.{symbol}: {e}") from e
    clock = doc.get("clock", {})
    speed = clock.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, int | float) or not 0 < speed < math.inf:
        raise ConfigError("clock.speed must be a positive number")
    cfg.speed = float(speed)
    for symbol, table in doc.get("instruments", {}).items():
        cfg.instruments[symbol] = parse_instrument(symbol, table)
    for base, table in doc.get("prices", {}).items():
        if not isinstance(table, dict):
            raise ConfigError(f"prices.{base} must be a table")
        source, start = parse_source(base, table, root)
        cfg.sources[base] = source
        if start is not None:
            cfg.start_prices[base] = start
    cfg.retention = parse_retention(doc.get("retention", {}))
    cfg.faults = parse_faults(doc.get("faults", []))
    scenarios = doc.get("scenarios", [])
    if not isinstance(scenarios, list) or not all(isinstance(x, dict) for x in scenarios):
        raise ConfigError("[[scenarios]] must be tables")
    for n, sc in enumerate(scenarios, 1):  # checked against the default instruments here, the listed ones at start
        try:
            parse_scenario(sc, 0, {i.base for i in default_instruments().values()} | _bases(cfg),
                           set(default_instruments()) | set(cfg.instruments))
        except ScenarioError as e:
            raise ConfigError(f"scenarios #{n}: {e}") from e
    cfg.scenarios = scenarios
    return cfg


def parse_faults(faults: Any) -> list[dict[str, Any]]:
    """``[[faults]]``: each table one fault on purpose (checked here; made at the start, on its clock)."""
    from ..runtime.faults import FaultError, parse_fault

    if not isinstance(faults, list) or not all(isinstance(f, dict) for f in faults):
        raise ConfigError("[[faults]] must be an array of tables")
    for i, f in enumerate(faults):
        try:
            parse_fault(f, 0)
        except FaultError as e:
            raise ConfigError(f"faults[{i}].{e}") from None
    return list(faults)


def _bases(cfg: Config) -> set[str]:
    """Underlyings of the perpetuals the file adds."""
    return {m.group(1) for m in (NEW_SYMBOL.fullmatch(s) for s in cfg.instruments) if m}


def parse_retention(table: dict[str, Any]) -> Retention:
    """``[retention]``: how much of the past the venue keeps (engine/retention.py; whole numbers ≥ 1)."""
    known = Retention.__struct_fields__
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"unknown retention setting {key!r} (known: {', '.join(known)})")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**9:
            raise ConfigError(f"retention.{key} must be a whole number from 1 to 1000000000")
    return Retention(**table)


def load_config(path: str) -> Config:
    with open(path, "rb") as f:
        return parse_config(tomllib.load(f), Path(path).resolve().parent)
