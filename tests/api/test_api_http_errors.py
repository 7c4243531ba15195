"""HTTP-level faults answered in Kraken's envelope, over raw sockets, by both ways of serving.

What the HTTP parser refuses (a malformed request line, an unknown method, bad header bytes, a bad
Content-Length, a version other than 1.0 or 1.1), an oversized request target (414) or head (431)
are answered with ``{"result":"error","serverTime":…,"error":"invalidArgument"}``, never uvicorn's
text/plain page, by ``krakensim serve`` and by ``ThreadedServer`` alike.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
from collections.abc import Iterator
from datetime import datetime

import pytest

from krakensim import Settings, ThreadedServer
from krakensim.serve.protocol import MAX_FIELDS, MAX_HEAD, MAX_TARGET
from serverproc import free_port, start_server

H = b"Host: 127.0.0.1\r\n"
REFUSED = [
    ("garbage", b"\x00\x01\x02garbage\r\n\r\n", 400),
    ("no target", b"GET\r\n\r\n", 400),
    ("HTTP/0.9", b"GET /\r\n\r\n", 400),
    ("unknown method", b"FOO /derivatives/api/v3/tickers HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("HTTP/2.0 line", b"GET /derivatives/api/v3/tickers HTTP/2.0\r\n" + H + b"\r\n", 400),
    ("HTTP/3.0 line", b"GET /derivatives/api/v3/tickers HTTP/3.0\r\n" + H + b"\r\n", 400),
    ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
    ("CONNECT", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 400),
    ("NUL in a header", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\n\r\n", 400),
    ("space in a header name", b"GET / HTTP/1.1\r\n" + H + b"X A: b\r\n\r\n", 400),
    ("folded header", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\r\n b\r\n\r\n", 400),
    ("bare LF", b"GET /derivatives/api/v3/tickers HTTP/1.1\nHost: x\n\n", 400),
    ("non-ASCII path", b"GET /\xff\xfe HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("non-ASCII query", b"GET /derivatives/api/v3/tickers?a=\xff HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("target without a slash", b"GET abc HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("bad Content-Length", b"POST /derivatives/api/v3/sendorder HTTP/1.1\r\n" + H + b"Content-Length: abc\r\n\r\n", 400),
    ("negative Content-Length", b"POST /derivatives/api/v3/sendorder HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n",
     400),
    ("huge Content-Length", b"POST /derivatives/api/v3/sendorder HTTP/1.1\r\n" + H + b"Content-Length: " + b"9" * 30
     + b"\r\n\r\n", 400),
    ("bad chunk", b"POST /derivatives/api/v3/sendorder HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
     400),
    ("Content-Length and chunked", b"POST /derivatives/api/v3/sendorder HTTP/1.1\r\n" + H
     + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("request target too long", b"GET /derivatives/api/v3/tickers?a=" + b"x" * MAX_TARGET + b" HTTP/1.1\r\n" + H
     + b"\r\n", 414),
    ("header too long", b"GET / HTTP/1.1\r\n" + H + b"X-A: " + b"a" * MAX_HEAD + b"\r\n\r\n", 431),
    ("head never ending", b"GET / HTTP/1.1\r\n" + H + b"X-A: " + b"a" * (4 * MAX_HEAD), 431),
    ("too many headers", b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(MAX_FIELDS + 1))
     + b"\r\n", 431),
]
ANSWERED = [  # what the parser takes is the application's: answered by it, in the envelope too
    ("HTTP/1.0", b"GET /derivatives/api/v3/instruments/status HTTP/1.0\r\n\r\n", 200),
    # a WebSocket upgrade anywhere but /ws/v1 (the feeds: tests/api/test_ws_connection.py) is plain HTTP
    ("WebSocket upgrade", b"GET /derivatives/api/v3/nosuch HTTP/1.1\r\n" + H + b"Connection: Upgrade\r\n"
     b"Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 404),
    ("the WebSocket endpoint without an upgrade", b"GET /ws/v1 HTTP/1.1\r\n" + H + b"\r\n", 426),
    ("h2c upgrade", b"GET /derivatives/api/v3/nosuch HTTP/1.1\r\n" + H + b"Connection: Upgrade, HTTP2-Settings\r\n"
     b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n", 404),
    ("many headers within the limit", b"GET /derivatives/api/v3/instruments/status HTTP/1.1\r\n"
     + b"".join(b"X-%d: 1\r\n" % i for i in range(MAX_FIELDS - 1)) + H + b"\r\n", 200),
    ("body over the limit", b"POST /derivatives/api/v3/sendorder HTTP/1.1\r\n" + H + b"Content-Length: 1048577\r\n\r\n"
     + b"a" * 1048577, 413),
]


def exchange(port: int, data: bytes) -> tuple[int, dict[bytes, bytes], bytes]:
    """Send ``data`` as it is, read the one answer: status, headers (lower-case names), body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(data)
        except OSError:  # it may answer and close before reading all of it
            pass
        out = b""
        while b"\r\n\r\n" not in out:
            chunk = s.recv(65536)
            assert chunk, f"closed without an answer: {out!r}"
            out += chunk
        head, _, body = out.partition(b"\r\n\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:])}
        length = int(headers[b"content-length"])
        while len(body) < length:
            chunk = s.recv(65536)
            assert chunk, "closed in the middle of the body"
            body += chunk
    status = re.match(rb"HTTP/1\.1 (\d{3}) ", head)
    assert status, head
    return int(status[1]), headers, body[:length]


def assert_envelope(status: int, headers: dict[bytes, bytes], body: bytes, want: int) -> dict[str, object]:
    assert status == want, (status, body)
    assert headers[b"content-type"] == b"application/json", headers
    doc = json.loads(body)
    datetime.fromisoformat(str(doc["serverTime"]).replace("Z", "+00:00"))
    return doc


@pytest.fixture(scope="module", params=["serve", "ThreadedServer"])
def port(request: pytest.FixtureRequest) -> Iterator[int]:
    if request.param == "serve":
        p = free_port()
        proc = start_server(p, [], "--memory", stderr=subprocess.PIPE)
        try:
            yield p
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=10)
            assert b"Traceback" not in err, err.decode(errors="replace")[-2000:]
    else:
        with ThreadedServer(Settings(data=None, port=0)) as sim:
            yield sim.port


@pytest.mark.parametrize(("name", "data", "want"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_by_http_in_krakens_envelope(port: int, name: str, data: bytes, want: int) -> None:
    status, headers, body = exchange(port, data)
    doc = assert_envelope(status, headers, body, want)
    assert doc["result"] == "error" and doc["error"] == "invalidArgument", doc
    assert headers[b"connection"] == b"close"


@pytest.mark.parametrize(("name", "data", "want"), ANSWERED, ids=[c[0] for c in ANSWERED])
def test_answered_by_the_application(port: int, name: str, data: bytes, want: int) -> None:
    doc = assert_envelope(*exchange(port, data), want)
    assert doc["result"] == ("success" if want == 200 else "error"), doc


def test_the_server_still_serves_after_a_refusal(port: int) -> None:
    exchange(port, b"FOO / HTTP/1.1\r\n\r\n")
    status, _, body = exchange(port, b"GET /derivatives/api/v3/instruments/status HTTP/1.1\r\n" + H + b"\r\n")
    assert status == 200 and json.loads(body)["result"] == "success"
