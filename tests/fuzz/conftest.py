"""The fuzz tests' server (one per test file) and, at the end of the run, how many requests they sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fuzzing import CASES, PROFILE, Server, running_server


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_server() as s:
        yield s


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if CASES:
        detail = ", ".join(f"{name}: {n}" for name, n in sorted(CASES.items()))
        terminalreporter.write_line(f"fuzz requests sent ({PROFILE}): {sum(CASES.values())} ({detail})")
