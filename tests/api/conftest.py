"""Fixtures for the API test-suite.

The suite drives a real ``krakensim serve`` process over loopback HTTP with the
real, unchanged clients (ccxt ``krakenfutures`` and python-kraken-sdk).  Every
HTTP response either client (or the raw signed helper) receives is recorded by
a ``requests`` response hook on the client's own session and validated against
the spec's JSON schema for the operation when the test finishes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ccxt
import pytest
from kraken.futures import Market, Trade, User

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

from apihelpers import (  # noqa: E402
    Creds,
    HttpRecorder,
    RawClient,
    ServerProcess,
    Venue,
    make_ccxt,
    make_sdk,
    manual_clock_args,
    new_key,
    new_secret,
)

# --------------------------------------------------------------------------- #
# Fixtures
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="session")
def recorder() -> HttpRecorder:
    return HttpRecorder()


@pytest.fixture(autouse=True)
def schema_validated(recorder: HttpRecorder) -> Iterator[HttpRecorder]:
    """Every response seen during the test must match the spec schema."""
    start = len(recorder.entries)
    yield recorder
    seen = HttpRecorder()
    seen.entries = recorder.entries[start:]
    problems = seen.check_all()
    del recorder.entries[start:]
    if problems:
        pytest.fail(
            f"{len(problems)} response(s) failed schema validation:\n\n" + "\n\n".join(problems),
            pytrace=False,
        )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("krakensim")
    srv = ServerProcess(workdir, [Creds(new_key(), new_secret()), Creds(new_key(), new_secret())])
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def acct1(server: ServerProcess) -> Creds:
    return server.accounts[0]


@pytest.fixture(scope="session")
def acct2(server: ServerProcess) -> Creds:
    return server.accounts[1]


@pytest.fixture
def fresh_account(server: ServerProcess) -> Callable[[], Creds]:
    """Factory: a brand-new account funded with 100000 USD."""
    return server.new_account


@pytest.fixture
def ccxt_factory(
    server: ServerProcess, recorder: HttpRecorder
) -> Iterator[Callable[[Creds | None], ccxt.krakenfutures]]:
    made: list[ccxt.krakenfutures] = []

    def factory(creds: Creds | None = None) -> ccxt.krakenfutures:
        ex = make_ccxt(server.base, creds, recorder)
        ex.load_markets()
        made.append(ex)
        return ex

    yield factory
    for ex in made:
        ex.session.close()


@pytest.fixture
def ex1(ccxt_factory: Callable[[Creds | None], ccxt.krakenfutures], acct1: Creds) -> ccxt.krakenfutures:
    return ccxt_factory(acct1)


@pytest.fixture
def sdk_factory(server: ServerProcess, recorder: HttpRecorder) -> Callable[..., Any]:
    def factory(cls: type, creds: Creds | None = None) -> Any:
        return make_sdk(cls, server.base, creds, recorder)

    return factory


@pytest.fixture
def sdk_market(sdk_factory: Callable[..., Any]) -> Market:
    return sdk_factory(Market)


@pytest.fixture
def sdk_trade(sdk_factory: Callable[..., Any], acct1: Creds) -> Trade:
    return sdk_factory(Trade, acct1)


@pytest.fixture
def sdk_user(sdk_factory: Callable[..., Any], acct1: Creds) -> User:
    return sdk_factory(User, acct1)


@pytest.fixture
def raw_factory(server: ServerProcess, recorder: HttpRecorder) -> Callable[[Creds | None], RawClient]:
    def factory(creds: Creds | None = None) -> RawClient:
        return RawClient(server.base, creds, recorder)

    return factory


@pytest.fixture
def raw1(raw_factory: Callable[[Creds | None], RawClient], acct1: Creds) -> RawClient:
    return raw_factory(acct1)


@pytest.fixture
def isolated_server(tmp_path, recorder: HttpRecorder) -> Iterator[ServerProcess]:
    """A private in-memory server (two funded accounts) for tests that move prices
    or need an untouched market."""
    srv = ServerProcess(tmp_path, [Creds(new_key(), new_secret()), Creds(new_key(), new_secret())])
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def venue(tmp_path, recorder: HttpRecorder) -> Iterator[Venue]:
    """A private in-memory server whose clock moves only via the control API
    (starts at 2026-01-01T00:00:00Z); prices, market states and time are the
    test's own."""
    srv = ServerProcess(tmp_path, [], extra_args=manual_clock_args())
    srv.start()
    v = Venue(srv, recorder)
    yield v
    v.close()
    srv.stop()
