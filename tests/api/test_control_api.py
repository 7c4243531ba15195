"""The control API (/_krakensim/v1/…) is closed: its token, the Host it must be addressed by, no
request a browser page could make, keys never more powerful than asked for, and every refusal in
Kraken's envelope with an HTTP status other than 200 and nothing changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from apihelpers import XBT_ID, Creds, HttpRecorder, ServerProcess, Venue, manual_clock_args

ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "accounts", {"usd": "1000"}),
    ("POST", "keys", {"apiKey": "whatever", "access": "full"}),
    ("POST", "prices", {"symbol": XBT_ID, "mark": "95000"}),
    ("POST", "mark", {"symbol": XBT_ID, "mark": "95000"}),
    ("POST", "market-state", {"symbol": XBT_ID, "state": "suspended"}),
    ("POST", "clock", {"advanceMs": 1000}),
    ("GET", "clock", None),
    ("GET", "digest", None),
    ("GET", "accounts", None),  # lists every key's secret: the token above all
    ("POST", "notifications", {"type": "general", "priority": "low", "note": "hello"}),
]


DEFAULT = "the server's token"


def call(srv: ServerProcess, method: str, name: str, body: Any = None, *, auth: str | None = DEFAULT,
         headers: dict[str, str] | None = None, data: bytes | None = None) -> requests.Response:
    """A control-API request: ``Authorization: auth`` (by default the server's token; None: no such
    header), a JSON body (or raw ``data``), and any other ``headers``."""
    h = {} if auth is None else {"Authorization": f"Bearer {srv.admin_token}" if auth == DEFAULT else auth}
    h.update(headers or {})
    url = f"{srv.base}/_krakensim/v1/{name}"
    if data is None and body is not None:
        return requests.request(method, url, json=body, headers=h, timeout=10)
    return requests.request(method, url, data=data, headers=h, timeout=10)


def refused(r: requests.Response, status: int, error: str) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    doc = r.json()
    assert doc["result"] == "error" and doc["error"] == error and doc["serverTime"], doc
    assert set(doc) == {"result", "serverTime", "error"}, doc


def state(srv: ServerProcess) -> tuple[str, int]:
    out = srv.admin("digest")
    return out["digest"], out["journalSeq"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server (manual clock, in memory) for this module: what it is refused must change nothing."""
    server = ServerProcess(tmp_path_factory.mktemp("control"), [], extra_args=manual_clock_args())
    server.start()
    yield server
    server.stop()


def test_every_endpoint_needs_the_token(srv: ServerProcess) -> None:
    before = state(srv)
    token = srv.admin_token
    wrong = [None, "", "Bearer", "Bearer ", f"Bearer {'x' * 32}", f"Bearer {token}x", f"Bearer {token[:-1]}",
             f"Basic {token}", f"Token {token}", token, f"Bearer{token}"]
    for method, name, body in ENDPOINTS:
        for auth in wrong:
            r = call(srv, method, name, body, auth=auth)
            refused(r, 401, "authenticationError")
            assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert state(srv) == before
    r = call(srv, "GET", "clock", auth=f"bearer {token}")  # the scheme in any case (RFC 6750)
    assert r.status_code == 200 and r.json()["result"] == "success"


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1:{other}", "127.0.0.1", "localhost",
                                  "127.0.0.2:{port}", "localhost.evil.example:{port}", "[::2]:{port}",
                                  "::1:{port}", "127.0.0.1:{port}.evil.example"])
def test_a_host_that_is_not_this_server_is_refused(srv: ServerProcess, host: str) -> None:
    """A DNS-rebinding page reaches the loopback port under its own name: refused, token or not."""
    before = state(srv)
    value = host.format(port=srv.port, other=srv.port + 1)
    for method, name, body in ENDPOINTS:
        refused(call(srv, method, name, body, headers={"Host": value}), 403, "authenticationError")
    assert state(srv) == before


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}", "[::1]:{port}",
                                  "[0:0:0:0:0:0:0:1]:{port}"])
def test_loopback_names_are_this_server(srv: ServerProcess, host: str) -> None:
    r = call(srv, "GET", "clock", headers={"Host": host.format(port=srv.port)})
    assert r.status_code == 200 and r.json()["result"] == "success", r.text


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://localhost:{port}"},  # this server under another name than the request's Host
    {"Origin": "https://127.0.0.1:{port}"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
])
def test_requests_from_other_pages_are_refused(srv: ServerProcess, headers: dict[str, str]) -> None:
    """What a browser adds to a request another page makes: refused even with the right token."""
    before = state(srv)
    h = {k: v.format(port=srv.port) for k, v in headers.items()}
    for method, name, body in ENDPOINTS:
        refused(call(srv, method, name, body, headers=h), 403, "authenticationError")
    assert state(srv) == before


def test_the_servers_own_origin_is_accepted(srv: ServerProcess) -> None:
    for h in ({"Origin": f"http://127.0.0.1:{srv.port}"}, {"Sec-Fetch-Site": "same-origin"},
              {"Sec-Fetch-Site": "none"}):
        r = call(srv, "POST", "accounts", {"usd": "10"}, headers=h)
        assert r.status_code == 200 and r.json()["result"] == "success", (h, r.text)


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/jsonx", None])
def test_a_post_body_must_be_declared_json(srv: ServerProcess, content_type: str | None) -> None:
    """The bodies a browser sends cross-origin without a preflight: refused with 415."""
    before = state(srv)
    for method, name, body in ENDPOINTS:
        if method != "POST":
            continue
        data = json.dumps(body).encode()
        h = {} if content_type is None else {"Content-Type": content_type}
        refused(call(srv, method, name, data=data, headers=h), 415, "invalidArgument")
    refused(call(srv, "POST", "accounts", data=b"", headers={"Content-Type": "text/plain"}), 415, "invalidArgument")
    assert state(srv) == before
    r = call(srv, "POST", "accounts", data=b'{"usd": "10"}', headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 200 and r.json()["result"] == "success", r.text


def test_each_error_has_its_status_and_changes_nothing(srv: ServerProcess) -> None:
    json_ct = {"Content-Type": "application/json"}
    cases: list[tuple[str, str, Any, int, str]] = [
        ("POST", "accounts", b"{bad", 400, "Json Parse Error"),
        ("POST", "accounts", b"[1, 2]", 400, "invalidArgument"),
        ("POST", "accounts", {"usd": "abc"}, 400, "invalidArgument"),
        ("POST", "accounts", {"usd": -1}, 400, "invalidArgument"),
        ("POST", "accounts", {"usd": True}, 400, "invalidArgument"),
        ("POST", "accounts", {"usd": "1e30"}, 400, "invalidArgument"),
        ("POST", "prices", {}, 400, "requiredArgumentMissing"),
        ("POST", "prices", {"symbol": XBT_ID}, 400, "requiredArgumentMissing"),
        ("POST", "prices", {"symbol": "PF_NOPE", "mark": "1"}, 400, "invalidArgument"),
        ("POST", "prices", {"symbol": ["PF_XBTUSD"], "mark": "1"}, 400, "invalidArgument"),
        ("POST", "prices", {"symbol": XBT_ID, "mark": "abc"}, 400, "invalidArgument"),
        ("POST", "prices", {"symbol": XBT_ID, "index": "0.3"}, 400, "invalidArgument"),  # off the tick grid
        ("POST", "market-state", {"symbol": XBT_ID}, 400, "requiredArgumentMissing"),
        ("POST", "market-state", {"symbol": XBT_ID, "state": "bogus"}, 400, "invalidArgument"),
        ("POST", "market-state", {"symbol": XBT_ID, "state": ["open"]}, 400, "invalidArgument"),
        ("POST", "clock", {}, 400, "requiredArgumentMissing"),
        ("POST", "clock", {"advanceMs": -1}, 400, "invalidArgument"),
        ("POST", "clock", {"advanceMs": "1000"}, 400, "invalidArgument"),
        ("POST", "keys", {"access": "full"}, 400, "requiredArgumentMissing"),
        ("POST", "keys", {"accountUid": "no-such-account"}, 400, "requiredArgumentMissing"),
        ("POST", "keys", {"accountUid": "no-such-account", "access": "admin"}, 400, "invalidArgument"),
        ("POST", "keys", {"accountUid": "no-such-account", "access": "full"}, 404, "notFound"),
        ("POST", "keys", {"apiKey": "no-such-key", "access": "read-only"}, 404, "notFound"),
        ("POST", "keys", {"apiKey": 5, "access": "read-only"}, 404, "notFound"),
        ("POST", "notifications", {"type": "general", "priority": "low"}, 400, "requiredArgumentMissing"),
        ("POST", "notifications", {"type": "news", "priority": "low", "note": "x"}, 400, "invalidArgument"),
        ("POST", "notifications", {"type": "general", "priority": "urgent", "note": "x"}, 400, "invalidArgument"),
        ("POST", "notifications", {"type": "general", "priority": "low", "note": ""}, 400, "invalidArgument"),
        ("POST", "notifications", {"type": "general", "priority": "low", "note": 5}, 400, "invalidArgument"),
        ("POST", "notifications", {"type": "maintenance", "priority": "high", "note": "x",
                                   "effectiveTime": "soon"}, 400, "invalidArgument"),
        ("POST", "notifications", {"type": "maintenance", "priority": "high", "note": "x",
                                   "expectedDowntimeMinutes": -5}, 400, "invalidArgument"),
        ("POST", "notifications", {"type": "maintenance", "priority": "high", "note": "x",
                                   "expectedDowntimeMinutes": True}, 400, "invalidArgument"),
        ("GET", "notifications", None, 405, "notFound"),
        ("GET", "nope", None, 404, "notFound"),
        ("GET", "", None, 404, "notFound"),
        ("GET", "accounts?limit=0", None, 400, "invalidArgument"),
        ("DELETE", "accounts", None, 405, "notFound"),
        ("PUT", "clock", None, 405, "notFound"),
    ]
    account = srv.new_account()
    cases.append(("POST", "keys", {"accountUid": account.account_uid, "apiKey": account.key, "access": "full"},
                  400, "invalidArgument"))
    before = state(srv)
    for method, name, body, status, error in cases:
        if isinstance(body, bytes):
            r = call(srv, method, name, data=body, headers=json_ct)
        else:
            r = call(srv, method, name, body, headers=json_ct)
        assert r.status_code == status, (method, name, body, r.status_code, r.text)
        refused(r, status, error)
    assert state(srv) == before


def test_the_wall_clock_is_not_moved_by_hand(server: ServerProcess) -> None:
    r = call(server, "POST", "clock", {"advanceMs": 1000})
    refused(r, 409, "Unavailable")


def test_keys_are_never_more_powerful_than_asked(srv: ServerProcess, recorder: HttpRecorder) -> None:
    venue = Venue(srv, recorder)
    full = venue.account()
    read_only = srv.read_only_key(full.key)
    assert read_only.account_uid == full.account_uid

    # the issue: the public half of a read-only key must not buy a full key
    before = state(srv)
    refused(call(srv, "POST", "keys", {"apiKey": read_only.key, "access": "full"}), 403, "authenticationError")
    assert state(srv) == before
    again = srv.admin("keys", {"apiKey": read_only.key, "access": "read-only"})
    assert again["access"] == "read-only" and again["accountUid"] == full.account_uid

    # the token holder asks by account: it gets exactly the access it names
    by_account = {a: srv.admin("keys", {"accountUid": full.account_uid, "access": a}) for a in ("full", "read-only")}
    assert {a: k["access"] for a, k in by_account.items()} == {"full": "full", "read-only": "read-only"}
    assert all(k["accountUid"] == full.account_uid for k in by_account.values())

    def can_trade(key: str, secret: str) -> bool:
        raw = venue.raw(Creds(key, secret))
        out = raw.v3json("POST", "sendorder", body=f"orderType=lmt&symbol={XBT_ID}&side=buy&size=0.001&limitPrice=80000")
        return out["result"] == "success"

    def can_read(key: str, secret: str) -> bool:
        raw = venue.raw(Creds(key, secret))
        return raw.v3json("GET", "openorders")["result"] == "success"

    assert can_trade(by_account["full"]["apiKey"], by_account["full"]["apiSecret"])
    assert not can_trade(by_account["read-only"]["apiKey"], by_account["read-only"]["apiSecret"])
    assert not can_trade(read_only.key, read_only.secret)
    assert not can_trade(again["apiKey"], again["apiSecret"])
    assert can_read(again["apiKey"], again["apiSecret"])
    made = srv.admin("accounts", {"usd": "10"})
    assert made["access"] == "full" and can_trade(made["apiKey"], made["apiSecret"])
    venue.close()
