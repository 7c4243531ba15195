"""Helpers for the API test-suite (server process, recording, signing, clients).

The suite drives a real ``krakensim serve`` process over loopback HTTP with the
real, unchanged clients (ccxt ``krakenfutures`` and python-kraken-sdk).  Every
HTTP response either client (or the raw signed helper) receives is recorded by
a ``requests`` response hook on the client's own session and validated against
the spec's JSON schema for the operation when the test finishes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal as D
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import ccxt
import requests

TESTS_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = TESTS_DIR.parent
SRC_DIR = REPO_DIR / "src"

if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

try:  # provided by tests/schema_check.py
    from schema_check import assert_valid as _assert_valid
except ImportError:  # pragma: no cover - only while the helper is not written yet
    _assert_valid = None


BTC = "BTC/USD:USD"
XBT_ID = "PF_XBTUSD"
ADMIN_PREFIX = "/_krakensim/"
STARTUP_TIMEOUT = 20.0


def new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(64)).decode()


def new_key() -> str:
    return "k-" + uuid.uuid4().hex


def uid(prefix: str = "t") -> str:
    """A unique client order id."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def new_admin_token() -> str:
    """A control-API token for a test server (``--admin-token``)."""
    return secrets.token_urlsafe(24)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kraken_sign(secret: str, message: str) -> str:
    """Authent per clients.md §1.1."""
    digest = hashlib.sha256(message.encode()).digest()
    mac = hmac.new(base64.b64decode(secret), digest, hashlib.sha512).digest()
    return base64.b64encode(mac).decode()


# --------------------------------------------------------------------------- #
# HTTP recording and schema validation
# --------------------------------------------------------------------------- #


@dataclass
class Seen:
    method: str
    path: str
    url: str
    status: int
    body: Any
    content_type: str
    validate: bool = True


class HttpRecorder:
    """Collects every response seen by any hooked ``requests.Session``."""

    def __init__(self) -> None:
        self.entries: list[Seen] = []
        self._skip_depth = 0

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        req = response.request
        self.entries.append(
            Seen(
                method=(req.method or "GET").upper(),
                path=urlparse(req.url).path,
                url=req.url or "",
                status=response.status_code,
                body=body,
                content_type=response.headers.get("Content-Type", ""),
                validate=self._skip_depth == 0,
            )
        )
        return response

    def attach(self, session: requests.Session) -> None:
        hooks = session.hooks.setdefault("response", [])
        if self.hook not in hooks:
            hooks.append(self.hook)

    def unvalidated(self) -> _Unvalidated:
        """Context manager: responses inside are recorded but not schema-checked
        (used for intentionally hitting paths that have no spec operation)."""
        return _Unvalidated(self)

    def last(self, path_suffix: str | None = None) -> Seen:
        for entry in reversed(self.entries):
            if path_suffix is None or entry.path.endswith(path_suffix):
                return entry
        raise AssertionError(f"no response recorded for {path_suffix!r}")

    def check_all(self) -> list[str]:
        problems: list[str] = []
        for e in self.entries:
            if not e.validate or e.path.startswith(ADMIN_PREFIX):
                continue
            if not isinstance(e.body, (dict, list)):
                problems.append(f"{e.method} {e.url} -> {e.status}: body is not JSON: {str(e.body)[:200]!r}")
                continue
            try:
                validate_body(e.method, e.path, e.body, e.status)
            except AssertionError as exc:
                problems.append(f"{e.method} {e.url} -> {e.status}: {exc}\nbody: {json.dumps(e.body)[:1500]}")
        return problems


class _Unvalidated:
    def __init__(self, rec: HttpRecorder) -> None:
        self.rec = rec

    def __enter__(self) -> None:
        self.rec._skip_depth += 1

    def __exit__(self, *exc: object) -> None:
        self.rec._skip_depth -= 1


#: Strict schema checks also reject object properties the spec does not declare
#: (invented fields).  Set KRAKENSIM_SCHEMA_STRICT=0 to check declared fields only.
SCHEMA_STRICT = os.environ.get("KRAKENSIM_SCHEMA_STRICT", "1") != "0"


def validate_body(method: str, path: str, body: Any, status: int = 200) -> None:
    if _assert_valid is not None:
        _assert_valid(method, path, body, status, strict=SCHEMA_STRICT)
        return
    # Fallback until tests/schema_check.py exists: envelope checks only.
    if isinstance(body, dict) and "result" in body:
        assert body["result"] in ("success", "error"), body
        assert "serverTime" in body, "serverTime missing"
        if body["result"] == "error":
            assert isinstance(body.get("error"), str) and body["error"], "error must be a non-empty string"


# --------------------------------------------------------------------------- #
# Server process
# --------------------------------------------------------------------------- #


@dataclass
class Creds:
    key: str
    secret: str
    account_uid: str = ""  # known when the control API made the account


@dataclass
class ServerProcess:
    workdir: Path
    accounts: list[Creds]
    data: Path | None = None
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    extra_args: list[str] = field(default_factory=list)
    admin_token: str = field(default_factory=new_admin_token)
    log_path: Path = field(init=False)
    _starts: int = 0

    def __post_init__(self) -> None:
        self.log_path = self.workdir / "server.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "krakensim", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.data is None:
            cmd.append("--memory")
        else:
            cmd += ["--data", str(self.data)]
        cmd += ["--seed", "1", "--admin-token", self.admin_token]
        for c in self.accounts:
            cmd += ["--api-key", c.key, "--api-secret", c.secret]
        # serve runs the market by default (a --config file's [market] enabled decides for itself)
        quiet = [] if "--market" in self.extra_args or "--config" in self.extra_args else ["--quiet"]
        if "--rate-limits" not in self.extra_args:  # and Kraken's rate limits: the tests' clients run unthrottled
            quiet.append("--no-rate-limits")
        return cmd + quiet + list(self.extra_args)

    def start(self, port: int | None = None) -> None:
        self.port = port or free_port()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC_DIR), env.get("PYTHONPATH", "")) if p)
        env["PYTHONUNBUFFERED"] = "1"
        self._starts += 1
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        log.write(f"\n===== start #{self._starts}: {' '.join(self.command())}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=str(self.workdir), env=env
        )
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"krakensim exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"krakensim did not accept connections within {STARTUP_TIMEOUT}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def admin(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A control-API call (POST with a JSON body, or GET without one) that must succeed."""
        url = self.base + "/_krakensim/v1/" + path.lstrip("/")
        if body is None:
            r = requests.get(url, headers=bearer(self.admin_token), timeout=10)
        else:
            r = requests.post(url, json=body, headers=bearer(self.admin_token), timeout=10)
        assert r.status_code == 200, f"admin {path}: {r.status_code} {r.text[:500]}"
        out = r.json()
        assert out.get("result") == "success", out
        return out

    def new_account(self, usd: str = "100000") -> Creds:
        out = self.admin("accounts", {"usd": usd})
        return Creds(out["apiKey"], out["apiSecret"], out["accountUid"])

    def read_only_key(self, full_key: str) -> Creds:
        out = self.admin("keys", {"apiKey": full_key, "access": "read-only"})
        return Creds(out["apiKey"], out["apiSecret"], out["accountUid"])


# --------------------------------------------------------------------------- #
# Raw signed HTTP
# --------------------------------------------------------------------------- #


class RawClient:
    """Hand-built Kraken requests, signed per clients.md §1.1."""

    def __init__(self, base: str, creds: Creds | None, recorder: HttpRecorder) -> None:
        self.base = base
        self.creds = creds
        self.session = requests.Session()
        recorder.attach(self.session)

    def request(
        self,
        method: str,
        path: str,
        query: str = "",
        body: str = "",
        *,
        nonce: str | None = None,
        sign: bool = True,
        secret: str | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> requests.Response:
        url = self.base + path + ("?" + query if query else "")
        headers: dict[str, str] = {}
        if sign:
            assert self.creds is not None
            endpoint = path.removeprefix("/derivatives")
            message = query + body + (nonce or "") + endpoint
            headers["APIKey"] = self.creds.key
            headers["Authent"] = kraken_sign(secret or self.creds.secret, message)
            if nonce is not None:
                headers["Nonce"] = nonce
        if body or method.upper() in ("POST", "PUT"):
            headers["Content-Type"] = content_type
        return self.session.request(
            method, url, data=body.encode() if body else None, headers=headers, timeout=10
        )

    def v3(self, method: str, endpoint: str, query: str = "", body: str = "", **kw: Any) -> requests.Response:
        return self.request(method, "/derivatives/api/v3/" + endpoint, query, body, **kw)

    def v3json(
        self, method: str, endpoint: str, query: str = "", body: str = "", **kw: Any
    ) -> dict[str, Any]:
        r = self.v3(method, endpoint, query, body, **kw)
        assert r.status_code == 200, f"{method} {endpoint}: HTTP {r.status_code} {r.text[:500]}"
        return r.json()


def make_ccxt(base: str, creds: Creds | None, recorder: HttpRecorder) -> ccxt.krakenfutures:
    config: dict[str, Any] = {
        "enableRateLimit": False,
        "urls": {
            "api": {
                "public": base + "/derivatives/api/",
                "private": base + "/derivatives/api/",
                "charts": base + "/api/charts/",
                "history": base + "/api/history/",
            }
        },
    }
    if creds is not None:
        config["apiKey"] = creds.key
        config["secret"] = creds.secret
    ex = ccxt.krakenfutures(config)
    ex.enableLastHttpResponse = True
    ex.enableLastJsonResponse = True
    ex.enableLastResponseHeaders = True
    recorder.attach(ex.session)
    return ex


def make_sdk(cls: type, base: str, creds: Creds | None, recorder: HttpRecorder) -> Any:
    if creds is None:
        client = cls(url=base)
    else:
        client = cls(key=creds.key, secret=creds.secret, url=base)
    client.MAX_SESSION_AGE = 10**9  # never swap the (hooked) session mid-suite
    recorder.attach(client._FuturesClient__session)
    return client


# --------------------------------------------------------------------------- #
# Helpers shared by the test modules
# --------------------------------------------------------------------------- #


def open_order_ids(ex: ccxt.krakenfutures) -> set[str]:
    return {o["id"] for o in ex.fetch_open_orders()}


def raw_open_orders(ex: ccxt.krakenfutures) -> list[dict[str, Any]]:
    resp = ex.privateGetOpenorders()
    assert resp["result"] == "success", resp
    return resp["openOrders"]


def raw_open_order(ex: ccxt.krakenfutures, order_id: str) -> dict[str, Any] | None:
    for o in raw_open_orders(ex):
        if o["order_id"] == order_id:
            return o
    return None


def free_trade_price(ex: ccxt.krakenfutures, preferred: float = 90000.0) -> float:
    """A PF_XBTUSD price strictly inside the current spread (books may hold
    resting orders from other tests or simulated liquidity)."""
    book = ex.fetch_order_book(BTC)
    best_bid = book["bids"][0][0] if book["bids"] else None
    best_ask = book["asks"][0][0] if book["asks"] else None
    lo = best_bid + 1 if best_bid is not None else preferred
    hi = best_ask - 1 if best_ask is not None else preferred
    if best_bid is None and best_ask is None:
        return preferred
    if best_bid is None:
        return min(preferred, hi)
    if best_ask is None:
        return max(preferred, lo)
    assert lo <= hi, f"no free price inside spread {best_bid}/{best_ask}"
    return min(max(preferred, lo), hi)


def num(value: Any) -> float:
    return float(value)


# --------------------------------------------------------------------------- #
# A private venue with a manual clock (order-management tests)
# --------------------------------------------------------------------------- #

MANUAL_START = "2026-01-01T00:00:00Z"
MANUAL_START_MS = 1767225600000


def manual_clock_args(start: str = MANUAL_START) -> list[str]:
    return ["--clock", "manual", "--start-time", start]


class Venue:
    """A private server plus client factories and control-API shortcuts."""

    def __init__(self, srv: ServerProcess, recorder: HttpRecorder) -> None:
        self.srv = srv
        self.recorder = recorder
        self._sessions: list[requests.Session] = []

    @property
    def base(self) -> str:
        return self.srv.base

    def account(self, usd: str = "100000") -> Creds:
        return self.srv.new_account(usd)

    def ccxt(self, creds: Creds | None = None) -> ccxt.krakenfutures:
        ex = make_ccxt(self.base, creds, self.recorder)
        ex.load_markets()
        self._sessions.append(ex.session)
        return ex

    def sdk(self, cls: type, creds: Creds | None = None) -> Any:
        return make_sdk(cls, self.base, creds, self.recorder)

    def raw(self, creds: Creds | None = None) -> RawClient:
        client = RawClient(self.base, creds, self.recorder)
        self._sessions.append(client.session)
        return client

    def prices(self, symbol: str = XBT_ID, *, mark: Any = None, index: Any = None) -> None:
        body: dict[str, Any] = {"symbol": symbol}
        if mark is not None:
            body["mark"] = str(mark)
        if index is not None:
            body["index"] = str(index)
        out = self.srv.admin("prices", body)
        assert out.get("result") == "success", out

    def market_state(self, state: str, symbol: str = XBT_ID) -> None:
        out = self.srv.admin("market-state", {"symbol": symbol, "state": state})
        assert out.get("result") == "success", out

    def advance(self, ms: int) -> str:
        out = self.srv.admin("clock", {"advanceMs": ms})
        assert out.get("result") == "success", out
        return out["now"]

    def now(self) -> str:
        return str(self.srv.admin("clock")["now"])

    def close(self) -> None:
        for s in self._sessions:
            s.close()


def send_ok(resp: dict[str, Any], status: str = "placed") -> dict[str, Any]:
    """The sendStatus of a successful sendorder response, checked."""
    assert resp.get("result") == "success", resp
    send = resp["sendStatus"]
    assert send["status"] == status, send
    return send


def trade_between(seller: ccxt.krakenfutures, buyer: ccxt.krakenfutures, price: float, amount: float = 0.001) -> None:
    """Move `last` (and the mark): a resting sell taken by a buy at `price`."""
    seller.create_order(BTC, "limit", "sell", amount, price)
    taken = buyer.create_order(BTC, "limit", "buy", amount, price, {"timeInForce": "ioc"})
    assert taken["filled"] == amount, taken


class history_calls:  # noqa: N801 - used like a function
    """Context manager: the History API responses made inside are schema-checked
    together when it closes, with every problem listed."""

    def __init__(self, recorder: HttpRecorder) -> None:
        self.rec = recorder
        self.start = 0

    def __enter__(self) -> None:
        self.start = len(self.rec.entries)
        self.rec._skip_depth += 1

    def __exit__(self, *exc: object) -> None:
        self.rec._skip_depth -= 1
        if exc[0] is not None:
            return
        problems = []
        for e in self.rec.entries[self.start:]:
            if not e.validate:
                try:
                    validate_body(e.method, e.path, e.body, e.status)
                except AssertionError as err:
                    problems.append(f"{e.method} {e.url}: {err}")
        assert not problems, "\n\n".join(problems)


# --------------------------------------------------------------------------- #
# Margin, computed from the public instruments
# --------------------------------------------------------------------------- #


def instruments(venue: Venue) -> dict[str, dict[str, Any]]:
    """The public ``instruments``, by symbol."""
    out = venue.raw().v3json("GET", "instruments", sign=False)
    return {i["symbol"]: i for i in out["instruments"]}


def tiered(levels: list[dict[str, Any]], notional: D, column: str) -> D:
    """Tiered margin computed apart from the engine: each slice of ``notional`` between two thresholds at
    its level's rate (``column``: initialMargin or maintenanceMargin)."""
    rows = sorted(levels, key=lambda lv: D(str(lv.get("numNonContractUnits", lv.get("contracts")))))
    starts = [D(str(lv.get("numNonContractUnits", lv.get("contracts")))) for lv in rows]
    total = D(0)
    for i, lv in enumerate(rows):
        end = starts[i + 1] if i + 1 < len(rows) else notional
        if notional > starts[i]:
            total += (min(notional, end) - starts[i]) * D(str(lv[column]))
    return total
