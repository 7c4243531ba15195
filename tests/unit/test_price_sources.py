"""Price sources: GBM, fixed and a replayed price file; their configuration."""

from __future__ import annotations

import random
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from krakensim.market.sources import FixedSource, GBMSource, PriceFileError, ReplaySource, load_price_file
from krakensim.serve.config import ConfigError, parse_config
from simhelpers import T0, run_market

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "prices" / "xbtusd-sample.csv"


def test_the_sample_file_loads_in_order() -> None:
    rows = load_price_file(SAMPLE)
    assert len(rows) >= 1000 and rows[0][0] == 0
    assert all(b[0] > a[0] for a, b in zip(rows, rows[1:], strict=False))
    assert all(50_000 < p < 200_000 for _, p in rows)


def test_price_files_accept_seconds_millis_and_iso_and_refuse_nonsense(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("timestamp,price\n1767225600,100\n1767225601000,101.5\n2026-01-01T00:00:05Z,99\n")
    assert load_price_file(f) == [(0, 100.0), (1000, 101.5), (5000, 99.0)]
    for bad in ("1767225600,-1\n", "1767225601,1\n1767225600,1\n", "x,y\nz,1\n", "", "1767225600,1\ninf,100\n",
                "1767225600,nan\n", "1767225600,1e400\n"):
        f.write_text(bad)
        with pytest.raises(PriceFileError):
            load_price_file(f)
    f.write_bytes(b"\xff\xfe\x00timestamp,price\n")  # not text
    with pytest.raises(PriceFileError):
        load_price_file(f)


def test_replay_steps_through_the_file_and_loops() -> None:
    src = ReplaySource([(0, 100.0), (1000, 101.0), (2000, 102.0)])
    rng = random.Random(0)
    got = [src.step(rng, T0 + t, 500, 0.0) for t in (0, 500, 1000, 2999, 3000, 4100)]
    assert got == [100.0, 100.0, 101.0, 102.0, 100.0, 101.0]
    once = ReplaySource([(0, 100.0), (1000, 101.0)], loop=False)
    assert [once.step(rng, T0 + t, 1, 0.0) for t in (0, 1000, 99_000)] == [100.0, 101.0, 101.0]


def test_gbm_continues_from_a_price_set_from_outside_and_fixed_stays() -> None:
    rng = random.Random(1)
    g = GBMSource(vol=0.5)
    p = g.step(rng, T0, 1000, 90_000.0)
    assert p != 90_000.0 and abs(p / 90_000 - 1) < 0.01
    assert g.step(rng, T0 + 1000, 1000, 90_000.0) != p  # not moved: it goes on from its own value
    q = g.step(rng, T0 + 2000, 1000, 50_000.0, moved=True)  # the control API moved it to 50,000
    assert abs(q / 50_000 - 1) < 0.01
    assert FixedSource().step(rng, T0, 1000, 123.5) == 123.5


def test_every_contract_on_an_underlying_shares_its_index() -> None:
    ex = run_market(5, 5, {"XBT": ReplaySource([(0, 95_000.0), (2000, 95_500.25)], loop=False)}).exchange
    xbt = [s for s, i in ex.listed.items() if i.base == "XBT"]
    assert len(xbt) >= 4 and any(s.startswith("FI_") for s in xbt)
    for s in xbt:
        inst = ex.listed[s]
        assert inst.ticks_to_price(ex.pricing.index[s]) == inst.tick_size * round(Decimal("95500.25") / inst.tick_size)
    # the ETH index moved on its own (the default GBM), from its own starting price
    assert ex.pricing.index["PF_ETHUSD"] != 30_000


def test_a_fixed_underlying_keeps_its_index() -> None:
    ex = run_market(5, 5, {"XBT": FixedSource()}).exchange
    assert ex.pricing.index["PF_XBTUSD"] == 90_000 and ex.pricing.index["PI_XBTUSD"] == 180_000
    book = ex.book("PF_XBTUSD")
    assert book.bids.best() is not None and book.asks.best() is not None  # still quoted


def test_price_tables_in_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("0,100\n60,101\n")
    cfg = parse_config(tomllib.loads(
        '[prices.XBT]\nsource = "replay"\nfile = "x.csv"\n'
        '[prices.ETH]\nsource = "fixed"\nprice = "2500"\n'
        '[prices.SOL]\nvol = 0.9\ndrift = 0.1\nprice = 140\n'), tmp_path)
    assert isinstance(cfg.sources["XBT"], ReplaySource) and cfg.start_prices["XBT"] == Decimal("100.0")
    assert isinstance(cfg.sources["ETH"], FixedSource) and cfg.start_prices["ETH"] == Decimal("2500")
    sol = cfg.sources["SOL"]
    assert isinstance(sol, GBMSource) and sol.vol == 0.9 and sol.drift == 0.1
    for bad in ('[prices.XBT]\nsource = "brownian"', '[prices.XBT]\nsource = "fixed"\nvol = 1',
                '[prices.XBT]\nsource = "replay"', '[prices.XBT]\nsource = "replay"\nfile = "missing.csv"',
                '[prices.XBT]\nprice = -5', '[prices.XBT]\nvol = "high"', '[prices.XBT]\nsource = []',
                '[prices.XBT]\nvol = nan', '[prices.XBT]\njump_size = inf', 'prices = 5', 'instruments = 5',
                '[prices.XBT]\nsource = "replay"\nfile = "x.csv"\nloop = "no"', '[market]\nlevels = 2.5',
                '[market]\ntaker_prob = 2', '[market]\nvol = nan', '[market]\ninterval_ms = "fast"',
                '[clock]\nspeed = nan', '[clock]\nspeed = "x"', '[market]\nenabled = "yes"'):
        with pytest.raises(ConfigError):
            parse_config(tomllib.loads(bad), tmp_path)
