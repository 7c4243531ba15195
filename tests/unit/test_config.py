"""The TOML configuration file."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from krakensim.serve.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_file_is_valid_and_complete() -> None:
    cfg = load_config(str(ROOT / "examples" / "krakensim.toml"))
    assert cfg.market_enabled and cfg.market_interval_ms == 1000
    assert cfg.market.model == "agents" and cfg.market.makers == 3
    assert cfg.liquidity["PF_XBTUSD"]["near_usd"] == 900000
    assert cfg.instruments["PF_XBTUSD"]["reference_price"] == Decimal("90000")


def test_bad_keys_and_values_are_refused() -> None:
    for doc in ('[market]\nlevel = 3', '[market]\nlevels = "many"', 'color = 1', '[clock]\nspeed = 0',
                '[instruments.PF_XBTUSD]\nprice = 1', '[market]\nmodel = "x"', '[market]\nmakers = 0',
                '[market]\nmodel = "agents"\nlevels = 3', '[liquidity.PF_XBTUSD]\nwide = 1',
                '[liquidity.PF_XBTUSD]\nlevels = 1', '[liquidity.PF_XBTUSD]\nnear_usd = "deep"', 'liquidity = 3'):
        with pytest.raises(ConfigError):
            parse_config(tomllib.loads(doc))


def test_instrument_tables_add_change_and_delist() -> None:
    from krakensim.engine import default_instruments
    from krakensim.serve.config import apply_instruments

    cfg = parse_config(tomllib.loads(
        '[instruments.PF_DOGEUSD]\ntick_size = "0.000001"\nprecision = 0\nreference_price = "0.25"\n'
        'category = "Meme"\n'
        '[instruments.PF_SOLUSD]\nlisted = false\n'
        '[instruments.PF_ETHUSD]\nreference_price = "2500"\ntick_size = "0.5"\n'))
    instruments = default_instruments()
    apply_instruments(instruments, cfg.instruments)
    doge = instruments["PF_DOGEUSD"]
    assert (doge.base, doge.quote, doge.type, doge.category) == ("DOGE", "USD", "flexible_futures", "Meme")
    assert doge.price_to_ticks(Decimal("0.25")) == 250_000 and doge.lot_size == 1
    assert "PF_SOLUSD" not in instruments
    eth = instruments["PF_ETHUSD"]
    assert eth.tick_size == Decimal("0.5") and eth.reference_price == 2500
    for bad in ('[instruments.PF_NEWUSD]\ntick_size = "0.01"',  # no precision, no price
                '[instruments.FI_XBTUSD_260130]\ntick_size = "1"\nprecision = 0\nreference_price = "1"',
                '[instruments.PF_NOPEUSD]\nlisted = false',
                '[instruments.PF_ETHUSD]\nreference_price = "2500.05"',  # off the tick grid
                '[instruments.PF_XUSD]\ntick_size = "0.0000001"\nprecision = 4\nreference_price = "1"',
                '[instruments.PF_ETHUSD]\nprecision = 1.5', '[instruments.PF_ETHUSD]\nlisted = "no"'):
        with pytest.raises(ConfigError):
            apply_instruments(default_instruments(), parse_config(tomllib.loads(bad)).instruments)


def test_retention_is_read_checked_and_defaulted() -> None:
    from krakensim.engine.retention import Retention

    cfg = parse_config({"retention": {"candle_days": 3, "history_per_account": 500}})
    assert cfg.retention == Retention(candle_days=3, history_per_account=500)
    assert parse_config({}).retention == Retention()
    for bad in ({"candle_days": 0}, {"candle_days": 1.5}, {"candle_days": True}, {"forever": 1},
                {"trades_per_market": -3}):
        with pytest.raises(ConfigError):
            parse_config({"retention": bad})


def test_the_first_releases_ladder_settings_keep_their_meaning() -> None:
    cfg = parse_config(tomllib.loads('[market]\nlevels = 4\nlevel_usd = 1000'))
    assert cfg.market.model == "ladder" and cfg.market.levels == 4 and cfg.market.level_usd == 1000
    assert parse_config(tomllib.loads('[market]\nmakers = 2')).market.model == "agents"
