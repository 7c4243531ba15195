"""``krakensim accounts|price|clock|scenario|reset|snapshot|status`` against a running server (in this
process, a ThreadedServer), as a person types them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from krakensim.cli import main
from krakensim.testing import Venue
from krakensim.testing.plugin import krakensim, krakensim_server, krakensim_settings  # noqa: F401


def run(venue: Venue, *args: str, token: bool = True) -> tuple[int, str]:
    env = {"KRAKENSIM_URL": venue.url, "KRAKENSIM_ADMIN_TOKEN": venue.admin_token if token else ""}
    out = CliRunner().invoke(main, list(args), env=env)
    return out.exit_code, out.output


@pytest.fixture
def venue(krakensim: Venue) -> Iterator[Venue]:  # noqa: F811
    yield krakensim


def test_accounts_create_prints_a_working_key(venue: Venue) -> None:
    code, out = run(venue, "accounts", "create", "--funds", "1234")
    assert code == 0, out
    made = json.loads(out)
    assert set(made) >= {"accountUid", "apiKey", "apiSecret"}
    from kraken.futures import User

    wallets = User(key=made["apiKey"], secret=made["apiSecret"], url=venue.url).get_wallets()
    assert wallets["accounts"]["flex"]["currencies"]["USD"]["quantity"] == 1234


def test_price_set_and_clock_advance(venue: Venue) -> None:
    code, out = run(venue, "price", "set", "XBT", "80000")
    assert code == 0, out and "PF_XBTUSD" in json.loads(out)["symbols"]
    ticker = venue.kraken_futures().market.get_tickers()["tickers"]
    assert next(t for t in ticker if t["symbol"] == "PF_XBTUSD")["markPrice"] == 80000
    before = venue.now_ms()
    code, out = run(venue, "clock", "advance", "1h")
    assert code == 0, out
    assert venue.now_ms() - before == 3_600_000


def test_refusals_name_the_field_and_exit_nonzero(venue: Venue) -> None:
    code, out = run(venue, "price", "set", "NOPE", "1")
    assert code == 1 and "HTTP 400: base:" in out
    code, out = run(venue, "clock", "advance", "soon")
    assert code == 2 and "not a duration" in out
    code, out = run(venue, "status", token=False)
    assert code != 0 and "token" in out


def test_snapshot_save_then_reset_then_load_gives_the_state_back(venue: Venue, tmp_path: Path) -> None:
    venue.new_account(funds=4321)
    digest = venue.control("GET", "digest")["digest"]
    file = tmp_path / "state.jsonl"
    code, out = run(venue, "snapshot", "save", str(file))
    assert code == 0, out
    code, out = run(venue, "reset")
    assert code == 0, out and venue.control("GET", "digest")["digest"] != digest
    code, out = run(venue, "snapshot", "load", str(file))
    assert code == 0, out
    assert venue.control("GET", "digest")["digest"] == digest
    code, out = run(venue, "status")
    assert code == 0 and json.loads(out)["digest"] == digest


def test_version() -> None:
    from krakensim import __version__

    out = CliRunner().invoke(main, ["--version"])
    assert out.exit_code == 0 and __version__ in out.output
