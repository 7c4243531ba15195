"""``krakensim accounts|price|clock|scenario|reset|snapshot|status``: the control API of a running server.

Each command sends one request to ``--url`` (``KRAKENSIM_URL``, by default http://127.0.0.1:8080)
with the token of ``--token`` (``KRAKENSIM_ADMIN_TOKEN``), or, without one, the token kept with the
data of ``--data`` (the server's default data file unless told otherwise), and prints the answer.
Only the standard library and click: the CLI starts fast and never needs the server's code.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import sqlite3
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import click

DEFAULT_URL = "http://127.0.0.1:8080"
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def default_data_path() -> str:
    """Where a server keeps its journal unless ``--data`` says otherwise: a per-user data directory
    (``$XDG_DATA_HOME/krakensim``, ``~/.local/share/krakensim``; the platform's own on macOS and Windows)."""
    if sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Application Support"
    else:
        root = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return str(root / "krakensim" / "journal.sqlite")


def parse_duration(text: str) -> int:
    """``1h``, ``30m``, ``90s``, ``250ms``, ``2d``, or a number of seconds → milliseconds."""
    m = DURATION.match(text)
    if m is None:
        raise click.BadParameter(f"{text!r} is not a duration (e.g. 1h, 30m, 90s, 250ms, 2d)")
    return round(float(m.group(1)) * UNIT_MS[m.group(2) or "s"])


def stored_token(data: str) -> str | None:
    """The token a server keeps with its data (read-only; None when there is none)."""
    if not os.path.exists(data):
        return None
    try:
        db = sqlite3.connect(f"file:{urllib.parse.quote(data)}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'admin_token'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])


class Control:
    def __init__(self, url: str, token: str | None, data: str) -> None:
        self.url = urllib.parse.urlsplit(url.rstrip("/"))
        if self.url.scheme not in ("http", "https") or not self.url.hostname:
            raise click.UsageError(f"--url {url!r} is not an http:// URL")
        self.token = token or stored_token(data)
        if not self.token:
            raise click.UsageError("no control-API token: give --token (or KRAKENSIM_ADMIN_TOKEN), or the "
                                   "--data of the server, where it keeps its token")

    def call(self, method: str, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        cls = http.client.HTTPSConnection if self.url.scheme == "https" else http.client.HTTPConnection
        conn = cls(self.url.hostname or "", self.url.port, timeout=120)
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if method == "POST":
            data = json.dumps(body or {}).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, f"{self.url.path}/_krakensim/v1/{name}", body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except OSError as e:
            raise click.ClickException(f"no krakensim answers at {self.url.geturl()} ({e})") from None
        finally:
            conn.close()
        try:
            answer: dict[str, Any] = json.loads(raw)
        except ValueError:
            raise click.ClickException(f"HTTP {resp.status}: not a krakensim answer") from None
        if resp.status != 200 or answer.get("result") != "success":
            why = answer.get("message") or answer.get("error")
            raise click.ClickException(f"HTTP {resp.status}: {why}")
        return answer


def _show(answer: dict[str, Any]) -> None:
    click.echo(json.dumps({k: v for k, v in answer.items() if k != "result"}, indent=2))


pass_control = click.make_pass_decorator(Control)


def control_options(group: click.Group) -> None:
    """Add the client commands to ``group`` (the ``krakensim`` command)."""

    def _ctx(ctx: click.Context, url: str, token: str | None, data: str | None) -> None:
        ctx.obj = Control(url, token, data or default_data_path())

    url_opt = click.option("--url", envvar="KRAKENSIM_URL", default=DEFAULT_URL, show_default=True,
                           help="The running server's base URL.")
    token_opt = click.option("--token", envvar="KRAKENSIM_ADMIN_TOKEN", default=None,
                             help="The control API's token (otherwise read from --data).")
    data_opt = click.option("--data", default=None, help="The server's data file (to read its token from).")

    def client_group(name: str, help_text: str) -> click.Group:
        @group.group(name=name, help=help_text)
        @url_opt
        @token_opt
        @data_opt
        @click.pass_context
        def g(ctx: click.Context, url: str, token: str | None, data: str | None) -> None:
            _ctx(ctx, url, token, data)

        return g

    accounts = client_group("accounts", "Accounts of a running server.")

    @accounts.command("create")
    @click.option("--funds", default="100000", show_default=True, help="USD the account starts with.")
    @pass_control
    def accounts_create(ctl: Control, funds: str) -> None:
        """A funded account and a full-access key: prints its uid, key and secret."""
        _show(ctl.call("POST", "accounts", {"usd": funds}))

    price = client_group("price", "Prices of a running server.")

    @price.command("set")
    @click.argument("base")
    @click.argument("value")
    @pass_control
    def price_set(ctl: Control, base: str, value: str) -> None:
        """Index and mark of every contract on BASE (XBT, ETH, …): ``krakensim price set XBT 80000``."""
        _show(ctl.call("POST", "underlying-price", {"base": base, "price": value}))

    clock = client_group("clock", "The clock of a running server.")

    @clock.command("advance")
    @click.argument("duration")
    @click.option("--market-step", default=None, metavar="DURATION",
                  help="The simulated market steps this often meanwhile (default its interval, 1s): "
                       "``--market-step 30s`` simulates a day in about a minute.")
    @pass_control
    def clock_advance(ctl: Control, duration: str, market_step: str | None) -> None:
        """Move a manual clock forward: ``krakensim clock advance 1h`` (ms, s, m, h, d)."""
        doc = {"advanceMs": parse_duration(duration)}
        if market_step is not None:
            doc["marketStepMs"] = parse_duration(market_step)
        _show(ctl.call("POST", "clock", doc))

    @clock.command("show")
    @pass_control
    def clock_show(ctl: Control) -> None:
        """The exchange's time, and whether the clock is manual."""
        _show(ctl.call("GET", "clock"))

    @group.command("scenario")
    @click.argument("name")
    @click.argument("params", nargs=-1)
    @url_opt
    @token_opt
    @data_opt
    def scenario(name: str, params: tuple[str, ...], url: str, token: str | None, data: str | None) -> None:
        """Start a market scenario: ``krakensim scenario NAME [KEY=VALUE …]`` (values as JSON, else text)."""
        body: dict[str, Any] = {"name": name}
        for item in params:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise click.BadParameter(f"{item!r} is not KEY=VALUE")
            try:
                body[key] = json.loads(value)
            except ValueError:
                body[key] = value
        _show(Control(url, token, data or default_data_path()).call("POST", "scenarios", body))

    @group.command("reset")
    @url_opt
    @token_opt
    @data_opt
    def reset(url: str, token: str | None, data: str | None) -> None:
        """Back to the configured start: a new exchange, the start's accounts again."""
        _show(Control(url, token, data or default_data_path()).call("POST", "reset"))

    @group.command("status")
    @url_opt
    @token_opt
    @data_opt
    def status(url: str, token: str | None, data: str | None) -> None:
        """What the running server is: its time and clock, market, journal, counts and digest."""
        _show(Control(url, token, data or default_data_path()).call("GET", "status"))

    snapshot = client_group("snapshot", "The whole state of a running server, to and from a file.")

    @snapshot.command("save")
    @click.argument("file", type=click.Path(dir_okay=False, writable=True))
    @pass_control
    def snapshot_save(ctl: Control, file: str) -> None:
        """Write the state to FILE (a state file: JSON lines, portable across releases)."""
        state = ctl.call("GET", "snapshot")["state"]
        Path(file).write_text(state)
        click.echo(f"{file}: {state.count(chr(10)) - 1} commands")

    @snapshot.command("load")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @pass_control
    def snapshot_load(ctl: Control, file: str) -> None:
        """Replace the state with FILE's (nothing changes if it does not load)."""
        _show(ctl.call("POST", "restore", {"state": Path(file).read_text()}))
