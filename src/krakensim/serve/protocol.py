"""HTTP faults below the application, answered in Kraken's error envelope, and limits on a request's head.

uvicorn's httptools protocol answers whatever its parser refuses (a malformed request line, an
unknown method, bad header bytes, a bad Content-Length or chunk) with its own text/plain 400 page,
and httptools sets no limit on the request line or the headers. This subclass answers those
faults with ``{"result":"error","serverTime":…,"error":"invalidArgument"}`` and refuses a request
target over 16 KiB (414), a head over 64 KiB or with more than 100 header fields (431), and any
HTTP version but 1.0 and 1.1 (400). The connection is closed after such an answer, as uvicorn does.

Silent and slow connections cannot hold the server: a request's head must arrive within
``head_timeout_s`` of its first byte (or of the connection, for the first request) and its body within
``body_timeout_s`` of the head; a connection idle between requests is closed after ``idle_timeout_s``
(uvicorn's keep-alive timer). Those are closed without an answer, as nginx closes them. At most
``max_connections`` are open: one more closes the longest-idle connection (a keep-alive one between
requests, as nginx reuses them) or, when every connection is busy, is answered 429 ``apiLimitExceeded``
and closed.
"""

from __future__ import annotations

import asyncio
import http
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..api.asgi import error_body
from ..api.errors import INVALID, RATE_LIMITED

MAX_TARGET = 16 << 10  # bytes of the request target (path and query): ccxt sends its parameters there
MAX_HEAD = 64 << 10  # bytes of the request line and the headers together
MAX_FIELDS = 100  # header fields
VERSIONS = ("1.0", "1.1")
WS_PATH = b"/ws/v1"  # the WebSocket endpoint (handed to ws/protocol.py)




@dataclass(frozen=True)
class ConnectionLimits:
    """How long a connection may be silent or slow, and how many may be open (docs/fidelity.md)."""

    head_timeout_s: float = 20.0  # from a head's first byte (or the connection) to its last
    body_timeout_s: float = 30.0  # from the end of the head to the end of the body
    idle_timeout_s: float = 65.0  # between requests on a kept-alive connection (ccxt polls every few s)
    max_connections: int = 4096  # open at once; see serve.http.raise_fd_limit


_opened = itertools.count()  # the order connections were made in (the longest idle goes first)


class HeadRefused(Exception):
    """Raised inside a parser callback to stop the parser; the protocol's ``refused`` says the status."""


def error_response(status: int, now_ms: int, extra_headers: list[tuple[bytes, bytes]], error: str = INVALID) -> bytes:
    """A whole HTTP/1.1 response carrying Kraken's error envelope; the connection closes after it."""
    body = orjson.dumps(error_body(error, now_ms))
    lines = [b"HTTP/1.1 %d %s\r\n" % (status, http.HTTPStatus(status).phrase.encode())]
    lines += [b"%s: %s\r\n" % (name, value) for name, value in extra_headers]
    lines.append(b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body))
    return b"".join(lines) + body


class KrakenHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with Kraken's envelope for its own errors and bounded heads.

    ``clock`` (epoch ms, for ``serverTime``) is set on the subclass ``protocol_class`` makes.
    """

    clock: Callable[[], int]
    limits: ConnectionLimits = ConnectionLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeout_keep_alive = self.limits.idle_timeout_s  # type: ignore[assignment]  # call_later takes a float
        self.refused = 400  # the status of the next refusal: 400 unless a limit says otherwise
        self.in_head = True  # from the end of one message to the end of the next one's headers
        self.received = 0  # bytes received while in a head
        self.head_size = 0  # bytes of the current head's target and fields, as parsed
        self.fields = 0
        self.deadline: asyncio.TimerHandle | None = None  # closes a head or body that is too slow
        self.opened = next(_opened)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections and not self._make_room():
            self.transport = transport  # for connection_lost
            transport.write(error_response(429, self.clock(), list(self.server_state.default_headers),
                                           RATE_LIMITED))
            transport.close()
            return
        super().connection_made(transport)
        self._arm(self.limits.head_timeout_s)  # a connection that never sends a byte is closed too

    def _make_room(self) -> bool:
        """Close the longest-idle connection between requests, if there is one."""
        idle = [c for c in self.connections if isinstance(c, KrakenHttpProtocol) and c._idle()]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c.opened)
        oldest.transport.close()
        self.connections.discard(oldest)  # its connection_lost comes later, on the loop
        return True

    def _idle(self) -> bool:
        return (self.in_head and self.received == 0 and (self.cycle is None or self.cycle.response_complete)
                and not self.transport.is_closing())

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self.deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self) -> None:
        self.deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the transport goes to the WebSocket protocol, with its own rules: no timer of ours
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def refuse(self, status: int) -> None:
        self.refused = status
        raise HeadRefused(status)

    def data_received(self, data: bytes) -> None:
        if self.in_head:
            if self.received == 0 and self.deadline is None:
                self._arm(self.limits.head_timeout_s)  # the next request's head starts
            self.received += len(data)
        super().data_received(data)
        # the parser holds an unfinished head in memory: one that keeps growing is refused here
        if self.in_head and self.received > MAX_HEAD and not self.transport.is_closing():
            self.refused = 431
            self.send_400_response("")

    # parser callbacks: an exception raised in one stops the parser, and uvicorn calls send_400_response
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_size = self.fields = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self.head_size += len(url)
        if len(self.url) > MAX_TARGET:
            self.refuse(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields += 1
        self.head_size += len(name) + len(value)
        if self.fields > MAX_FIELDS or self.head_size > MAX_HEAD:
            self.refuse(431)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self.parser.get_http_version() not in VERSIONS:
            self.refuse(400)
        self.in_head = False
        self._arm(self.limits.body_timeout_s)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()  # the app has the request: the idle timer starts once it has answered
        self.in_head = True
        self.received = 0

    def _unsupported_upgrade_warning(self) -> None:
        """An upgrade request (WebSocket, h2c) is answered as the plain HTTP request it also is."""

    def _should_upgrade(self) -> bool:
        """Only ``/ws/v1`` is a WebSocket endpoint: an upgrade request for any other path is plain HTTP."""
        return super()._should_upgrade() and self.url.split(b"?", 1)[0] == WS_PATH

    def send_400_response(self, msg: str) -> None:
        """Every refusal ends here (uvicorn calls it for any parser error): Kraken's envelope, then close."""
        self.transport.write(error_response(self.refused, self.clock(), list(self.server_state.default_headers)))
        self.transport.close()


def protocol_class(clock: Callable[[], int], limits: ConnectionLimits | None = None) -> type[KrakenHttpProtocol]:
    """The protocol uvicorn should use (``uvicorn.Config(http=…)``), dating its errors by ``clock``."""
    return type("KrakenHttpProtocolWithClock", (KrakenHttpProtocol,),
                {"clock": staticmethod(clock), "limits": limits or ConnectionLimits()})
