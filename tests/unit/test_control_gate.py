"""The control API's gate (admin/gate.py) and where its token comes from (serve/build.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from krakensim import Settings, ThreadedServer
from krakensim.admin.gate import Gate, is_loopback, token_problem
from krakensim.api.errors import ApiError
from krakensim.serve.config import ConfigError

TOKEN = "a-test-token-of-32-characters-xx"


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("LOCALHOST", True), ("::1", True),
    ("[::1]", True), ("::ffff:127.0.0.1", True),
    ("0.0.0.0", False), ("::", False), ("", False), ("192.168.1.10", False), ("10.0.0.1", False),
    ("example.com", False), ("localhost.example.com", False), ("::ffff:10.0.0.1", False), ("128.0.0.1", False),
])
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(("bound", "host", "allowed"), [
    ("127.0.0.1", "127.0.0.1:8080", True),
    ("127.0.0.1", "localhost:8080", True),
    ("127.0.0.1", "[::1]:8080", True),
    ("127.0.0.1", "127.0.0.1:8081", False),
    ("127.0.0.1", "127.0.0.1", False),  # without the port (not 80)
    ("127.0.0.1", "192.168.1.10:8080", False),
    ("127.0.0.1", "rebind.evil.example:8080", False),
    ("192.168.1.10", "192.168.1.10:8080", True),
    ("192.168.1.10", "192.168.1.11:8080", False),
    ("fe80::1", "[fe80::1]:8080", True),
    ("fe80::1", "[fe80:0::1]:8080", True),
    ("fe80::1", "fe80::1:8080", False),  # unbracketed IPv6
    ("0.0.0.0", "192.168.1.10:8080", True),  # a wildcard bind: any IP literal (no DNS answer rebinds one)
    ("0.0.0.0", "[2001:db8::1]:8080", True),
    ("0.0.0.0", "krakensim.internal:8080", False),
    ("0.0.0.0", "localhost:8080", True),
    ("::", "[2001:db8::1]:8080", True),
    ("::", "evil.example:8080", False),
    ("127.0.0.1", "[::1:8080", False),
    ("127.0.0.1", "[::1]x:8080", False),
])
def test_allowed_hosts(bound: str, host: str, allowed: bool) -> None:
    gate = Gate(TOKEN)
    gate.listen(bound, 8080)
    assert gate.allows_host(host) is allowed


def test_port_80_may_be_left_out() -> None:
    gate = Gate(TOKEN)
    gate.listen("127.0.0.1", 80)
    assert gate.allows_host("localhost") and gate.allows_host("localhost:80")
    assert not gate.allows_host("localhost:8080")


def _scope(headers: dict[str, str], method: str = "GET") -> dict[str, object]:
    return {"method": method, "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}


def test_two_host_headers_are_refused() -> None:
    gate = Gate(TOKEN)
    gate.listen("127.0.0.1", 8080)
    ok = {"host": "127.0.0.1:8080", "authorization": f"Bearer {TOKEN}"}
    gate.check(_scope(ok))
    scope = _scope(ok)
    scope["headers"].append((b"host", b"evil.example:8080"))  # type: ignore[attr-defined]
    with pytest.raises(ApiError) as e:
        gate.check(scope)
    assert (e.value.http_status, e.value.code) == (403, "authenticationError")


@pytest.mark.parametrize(("token", "ok"), [
    (TOKEN, True), ("x" * 16, True), ("x" * 15, False), ("x" * 257, False), ("with space in it 123", False),
    ("tab\there-0123456789", False), ("ünïcødé-0123456789", False), ("", False),
])
def test_token_rules(token: str, ok: bool) -> None:
    assert (token_problem(token) is None) is ok


def _digest(sim: ThreadedServer, token: str) -> requests.Response:
    return requests.get(sim.url + "/_krakensim/v1/digest", headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_a_made_token_is_kept_with_the_data(tmp_path: Path) -> None:
    data = str(tmp_path / "journal.sqlite")
    with ThreadedServer(Settings(data=data, port=0)) as sim:
        first = sim.admin_token
        assert token_problem(first) is None
        assert _digest(sim, first).status_code == 200
        assert sim.built is not None and "kept with the data" in sim.built.admin_token_source
    with ThreadedServer(Settings(data=data, port=0)) as sim:
        assert sim.admin_token == first  # a restart keeps it
    with ThreadedServer(Settings(data=data, port=0, admin_token=TOKEN)) as sim:
        assert sim.admin_token == TOKEN  # a given one wins, for this run only
        assert _digest(sim, TOKEN).status_code == 200 and _digest(sim, first).status_code == 401
    with ThreadedServer(Settings(data=data, port=0)) as sim:
        assert sim.admin_token == first


def test_in_memory_each_run_makes_its_own() -> None:
    with ThreadedServer() as a, ThreadedServer() as b:
        assert a.admin_token != b.admin_token
        assert _digest(a, a.admin_token).status_code == 200
        assert _digest(a, b.admin_token).status_code == 401


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1"])
def test_beyond_loopback_a_token_must_be_chosen(host: str) -> None:
    with pytest.raises(ConfigError, match="--admin-token"):
        ThreadedServer(Settings(data=None, port=0, host=host)).start()


def test_a_poor_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="16 to 256"):
        ThreadedServer(Settings(data=None, port=0, admin_token="short")).start()
