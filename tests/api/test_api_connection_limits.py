"""Silent and slow connections cannot hold the server, and the connection cap never locks clients out.

Over raw sockets against a ``ThreadedServer`` with short limits: a connection that sends nothing, a
head or a body that never ends, a kept-alive connection left idle are all closed by the server; at the
cap, a new connection closes the longest-idle one, and is answered 429 ``apiLimitExceeded`` only when
every open connection is in the middle of a request.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from krakensim import Settings, ThreadedServer
from krakensim.serve.protocol import ConnectionLimits

CAP = 6
LIMITS = ConnectionLimits(head_timeout_s=0.5, body_timeout_s=0.5, idle_timeout_s=0.5, max_connections=CAP)
STATUS = b"GET /derivatives/api/v3/instruments/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
WAIT_S = 15  # generous: the server closes after 0.5 s; this only bounds a failing test


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with ThreadedServer(Settings(data=None, port=0, connection_limits=LIMITS)) as sim:
        yield sim.port


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
    return s


def read_until_closed(s: socket.socket) -> bytes:
    """Everything the server sends until it closes (a socket timeout fails the test)."""
    got = b""
    while chunk := s.recv(65536):
        got += chunk
    return got


def still_serves(port: int) -> None:
    r = requests.get(f"http://127.0.0.1:{port}/derivatives/api/v3/instruments/status", timeout=WAIT_S)
    assert r.status_code == 200 and r.json()["result"] == "success"


def test_a_connection_that_sends_nothing_is_closed(port: int) -> None:
    with connect(port) as s:
        assert read_until_closed(s) == b""
    still_serves(port)


@pytest.mark.parametrize("partial", [
    b"GET /derivatives/api/v3/instruments/status HTTP/1.1\r\n",
    b"GET /derivatives/api/v3/instruments/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a",
], ids=["request line only", "half a header"])
def test_a_head_that_never_ends_is_closed(port: int, partial: bytes) -> None:
    with connect(port) as s:
        s.sendall(partial)
        assert read_until_closed(s) == b""
    still_serves(port)


def test_a_body_that_never_comes_is_closed(port: int) -> None:
    with connect(port) as s:
        s.sendall(b"POST /derivatives/api/v3/sendorder HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nsymbol=")
        assert read_until_closed(s) == b""
    still_serves(port)


def test_an_idle_kept_alive_connection_is_closed_after_its_answers(port: int) -> None:
    with connect(port) as s:
        s.sendall(STATUS)
        got = read_until_closed(s)
    assert got.startswith(b"HTTP/1.1 200 ") and b'"result":"success"' in got


def test_at_the_cap_the_longest_idle_connection_makes_room(port: int) -> None:
    silent = [connect(port) for _ in range(CAP)]
    try:
        with connect(port) as s:  # one more than the cap: the first silent one is closed for it
            s.sendall(STATUS)
            head = s.recv(65536)
        assert head.startswith(b"HTTP/1.1 200 "), head
        silent[0].settimeout(WAIT_S)
        assert silent[0].recv(1) == b""
    finally:
        for s in silent:
            s.close()


def test_at_the_cap_with_every_connection_busy_a_new_one_is_told_to_back_off() -> None:
    patient = ConnectionLimits(head_timeout_s=60, body_timeout_s=60, idle_timeout_s=60, max_connections=CAP)
    with ThreadedServer(Settings(data=None, port=0, connection_limits=patient)) as sim:
        for _attempt in range(10):  # the server may take the new connection before it read the others' bytes
            busy = [connect(sim.port) for _ in range(CAP)]
            try:
                for s in busy:
                    s.sendall(b"GET /derivatives/api/v3/instruments/status HTTP/1.1\r\n")  # a head under way
                time.sleep(0.2)  # not a timing assertion: fewer attempts while the server reads them
                with connect(sim.port) as s:
                    s.settimeout(2)
                    try:
                        got = read_until_closed(s)
                    except TimeoutError:
                        continue  # taken: it made room by closing one not yet seen busy; try again
            finally:
                for s in busy:
                    s.close()
            head, _, body = got.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 429 "), got
            doc = json.loads(body)
            assert doc["result"] == "error" and doc["error"] == "apiLimitExceeded", doc
            break
        else:
            pytest.fail("never refused at the cap")
        still_serves(sim.port)


def test_a_websocket_outlives_the_http_timers(port: int) -> None:
    """The upgraded connection is the WebSocket protocol's: no head, body or idle timer of HTTP closes it."""
    from websockets.sync.client import connect as ws_connect

    with ws_connect(f"ws://127.0.0.1:{port}/ws/v1", open_timeout=WAIT_S) as ws:
        info = json.loads(ws.recv(timeout=WAIT_S))
        assert info["event"] == "info", info
        time.sleep(4 * LIMITS.body_timeout_s)  # several of HTTP's timeouts pass with nothing sent
        ws.send(json.dumps({"event": "subscribe", "feed": "heartbeat"}))
        ack = json.loads(ws.recv(timeout=WAIT_S))
        assert ack == {"event": "subscribed", "feed": "heartbeat"}, ack
