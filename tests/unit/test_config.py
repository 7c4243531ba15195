"""The TOML configuration file."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from krakensim.runtime.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_file_is_valid_and_complete() -> None:
    cfg = load_config(str(ROOT / "examples" / "krakensim.toml"))
    assert cfg.market_enabled and cfg.market_interval_ms == 1000
    assert cfg.market.levels == 5 and cfg.market.level_usd == 20000
    assert cfg.reference_prices["PF_XBTUSD"] == Decimal("90000")


def test_bad_keys_and_values_are_refused() -> None:
    for doc in ('[market]\nlevel = 3', '[market]\nlevels = "many"', 'color = 1', '[clock]\nspeed = 0',
                '[instruments.PF_XBTUSD]\nprice = 1'):
        with pytest.raises(ConfigError):
            parse_config(tomllib.loads(doc))
