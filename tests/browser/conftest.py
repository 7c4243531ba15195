"""Fixtures of the browser tests: one quiet krakensim (two accounts), one chromium, a page per test
whose console errors fail the test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

from browserhelpers import Venue, launch  # noqa: E402
from serverproc import ADMIN_TOKEN, SignedClient, free_port, new_secret, start_server  # noqa: E402

PROBES: tuple[str, ...] = ()  # control.js reads openapi.json: it provokes no refusal


@pytest.fixture(scope="module")
def venue() -> Iterator[Venue]:
    port = free_port()
    keys = [("dashPage" + "k" * 24, new_secret()), ("dashOther" + "k" * 23, new_secret())]
    proc = start_server(port, keys, "--memory")
    base = f"http://127.0.0.1:{port}"
    try:
        yield Venue(base, ADMIN_TOKEN, keys[0][0], keys[0][1], SignedClient(base, *keys[0]),
                    SignedClient(base, *keys[1]))
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")  # not the session: Playwright's sync API runs an event loop in this thread
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = launch(p, tmp_path_factory.mktemp("chromium-profile"), viewport={"width": 1400, "height": 900})
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def expected_errors() -> list[tuple[str, str]]:
    """(URL ending, status) of the refusals a test provokes on purpose: chromium logs each as an error."""
    return [(p, "404") for p in PROBES]


@pytest.fixture
def page(chromium: Any, venue: Venue, expected_errors: list[tuple[str, str]]) -> Iterator[Any]:
    """The dashboard, loaded and ready; any console error or uncaught exception fails the test, but for
    chromium's note of an expected refusal (the control view probes optional endpoints: a 404 hides
    their buttons)."""
    errors: list[str] = []
    pg = chromium.new_page()

    def console(m: Any) -> None:
        url = m.location.get("url", "")
        if m.type == "error" and not any(url.endswith(u) and s in m.text for u, s in expected_errors):
            errors.append(f"console {m.type}: {m.text} ({m.location.get('url')})")

    pg.on("console", console)
    pg.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    pg.goto(venue.base + "/")
    pg.wait_for_selector("body[data-ready=true]")
    yield pg
    pg.evaluate("sessionStorage.clear()")
    pg.close()
    assert errors == []
