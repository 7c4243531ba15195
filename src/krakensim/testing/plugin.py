"""The pytest plugin: one venue per test process (each pytest-xdist worker has its own), reset per test.

- ``krakensim``: a ``Venue`` reset to its start (a quiet market on the manual clock at
  ``START``, nothing kept) before the test; a reset takes a few milliseconds, not a new process.
- ``krakensim_settings``: the ``Settings`` the venue starts with; override it (session scope) in a
  ``conftest.py`` to start it otherwise (``Settings(market=True)``, other prices, another seed).
- ``krakensim_server``: the ``ThreadedServer`` itself (session scope).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from ..serve.build import Settings
from ..simulator import ThreadedServer
from .venue import Venue

START = "2026-01-01T00:00:00Z"  # where the manual clock of a test's venue starts (and goes back to)


def default_settings() -> Settings:
    start = round(datetime.fromisoformat(START.replace("Z", "+00:00")).timestamp() * 1000)
    return Settings(host="127.0.0.1", port=0, data=None, manual_clock_start=start, market=False)


@pytest.fixture(scope="session")
def krakensim_settings() -> Settings:
    """How the test process's venue starts: in memory, a free loopback port, a quiet market, the manual clock."""
    return default_settings()


@pytest.fixture(scope="session")
def krakensim_server(krakensim_settings: Settings) -> Iterator[ThreadedServer]:
    server = ThreadedServer(krakensim_settings).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def krakensim(krakensim_server: ThreadedServer) -> Iterator[Venue]:
    """A venue at its start: reset before the test, so each test sees only what it did."""
    venue = Venue(krakensim_server)
    venue.reset()
    try:
        yield venue
    finally:
        venue.close()
