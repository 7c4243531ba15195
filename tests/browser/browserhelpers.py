"""Debian's chromium, driven headless by Playwright for Python (never Playwright's own browser build)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serverproc import SignedClient

CHROMIUM = os.environ.get("KRAKENSIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# no sandbox (root in CI's container), and nothing that reaches for the network on its own
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSTALL_HINT = ("the browser tests need Debian's chromium and Playwright for Python: "
                "`apt-get install -y chromium` and `pip install -r requirements-dev.txt` "
                "(never `playwright install`: the tests launch /usr/bin/chromium)")


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).is_file():
        return f"no chromium at {CHROMIUM}: {INSTALL_HINT}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"playwright is not installed: {INSTALL_HINT}"
    return None


def launch(playwright: Any, user_data_dir: Path, **context: Any) -> Any:
    """A fresh persistent context (its own user data dir) of Debian's chromium."""
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=CHROMIUM, args=ARGS, headless=True, **context)


@dataclass
class Venue:
    base: str
    token: str
    page_key: str
    page_secret: str
    trader: SignedClient  # the page's own account, over REST
    other: SignedClient  # a second account, its counterparty
