"""One WebSocket connection on ``/ws/v1``: the handshake, the frames a client sends, and the writes.

uvicorn's HTTP protocol hands a connection over once it has read an upgrade request for
``/ws/v1`` (``ws=`` in its config: this class, made by ``protocol_class``). The opening and
closing handshakes, frame parsing and pongs are websockets' sans-I/O ``ServerProtocol``; what the
server sends is framed once by the hub and written straight to the transport, one write per
committed group.

A handshake that is not a valid upgrade is answered with an HTTP error in Kraken's envelope
(400, 405, 426, 505 as websockets judges the request; 429 past the connection limit), never a 500.
No extension is negotiated (no per-message compression: the same bytes go to every subscriber).

The queue of a connection is what it has not read yet: the transport's buffer. When that passes
``Limits.queue_bytes`` the consumer is too slow; it is sent a close frame (1011) and cut off, and
the engine, REST and the other subscribers never wait for it.
"""

from __future__ import annotations

import asyncio
import http
import time
import traceback
from dataclasses import dataclass
from typing import Any, cast

import orjson
from websockets.exceptions import InvalidState
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from ..api.asgi import error_body
from .hub import Hub, Key, Sub
from .session import INFO, Session

WS_PATH = "/ws/v1"
MAX_MESSAGE = 64 << 10  # bytes of one message from a client (a subscribe is a few hundred)
CLOSE_TIMEOUT_S = 10.0  # after our close frame, the peer has this long to finish before the socket is cut
# HTTP errors of a refused handshake: Kraken's words (the REST API's for the same statuses)
ERROR_CODES = {404: "notFound", 405: "notFound", 429: "apiLimitExceeded"}
KEPT_HEADERS = ("Allow", "Upgrade", "Sec-WebSocket-Version")  # what a refusal keeps of websockets' answer


@dataclass(frozen=True)
class Limits:
    """``queue_bytes`` always applies; Kraken's connection and request limits only when ``enabled``
    (the spec: off by default)."""

    queue_bytes: int = 4 << 20  # unsent bytes a connection may hold before it is closed (1011)
    enabled: bool = False
    connections_per_address: int = 100  # open at once from one client address; the next is refused (429)
    requests_per_second: int = 100  # messages from a client within one second; more closes it (1008)


def http_error(status: int, now_ms: int, headers: list[tuple[str, str]]) -> bytes:
    """A whole HTTP/1.1 response with Kraken's error envelope; the connection closes after it."""
    body = orjson.dumps(error_body(ERROR_CODES.get(status, "invalidArgument"), now_ms))
    lines = [f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n".encode()]
    lines += [f"{name}: {value}\r\n".encode("latin-1") for name, value in headers]
    lines.append(b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body))
    return b"".join(lines) + body


class WebSocketProtocol(asyncio.Protocol):
    """The asyncio protocol of one upgraded connection (a ``Peer`` of the hub)."""

    hub: Hub  # set on the class ``protocol_class`` makes
    limits: Limits

    def __init__(self, config: Any, server_state: Any, app_state: Any, _loop: Any = None) -> None:
        self.connections: set[Any] = server_state.connections
        self.transport: asyncio.Transport | None = None
        self.conn = ServerProtocol(max_size=MAX_MESSAGE)
        self.out: list[bytes] = []
        self.subs: dict[Key, Sub] = {}
        self.session: Session | None = None
        self.address = ""
        self.counted = False  # counted against its address's connection limit
        self.closing = False  # a close frame was sent or received: nothing more is written
        self.close_timer: asyncio.TimerHandle | None = None
        self.fragments: list[bytes] | None = None  # a message arriving in several frames
        self.fragment_type = Opcode.TEXT
        self.window = 0.0  # the request limit's current second, and the requests in it
        self.requests = 0

    # ------------------------------------------------------------------ asyncio
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connections.add(self)
        self.transport = cast(asyncio.Transport, transport)  # (uvloop's transports are not its subclasses)
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if peer else ""

    def data_received(self, data: bytes) -> None:
        try:
            self._received(data)
        except Exception:  # never a traceback on the wire: logged here, the connection closed (1011)
            traceback.print_exc()
            if self.session is None:
                if not self.closing:
                    self._refuse(500, [])
            else:
                self.drop(1011, "internal error")

    def _received(self, data: bytes) -> None:
        conn = self.conn
        conn.receive_data(data)
        for event in conn.events_received():
            if isinstance(event, Request):
                self._handshake(event)
            elif isinstance(event, Frame):
                self._frame(event)
        if self.closing and self.session is None:  # refused
            return
        if self.session is None and conn.state is State.CONNECTING and conn.handshake_exc is not None:
            self._refuse(400, [])  # not an HTTP request websockets could read
            return
        self._write_protocol()
        self.hub.flush()

    def eof_received(self) -> bool | None:
        self.conn.receive_eof()
        self._write_protocol()
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self.closing = True
        self.out.clear()
        if self.close_timer is not None:
            self.close_timer.cancel()
            self.close_timer = None
        if self.session is not None:
            self.hub.detach(self)
            self.session = None
        if self.counted:
            self.counted = False
            left = self.hub_addresses[self.address] - 1
            if left:
                self.hub_addresses[self.address] = left
            else:
                del self.hub_addresses[self.address]

    def pause_writing(self) -> None:
        """The transport buffers more than its high-water mark: ``flush`` measures it against the limit."""

    def resume_writing(self) -> None:
        pass

    def shutdown(self) -> None:
        """The server is stopping (uvicorn's graceful shut-down): going away (1001)."""
        if self.session is not None:
            self.drop(1001, "server shutting down")
        elif self.transport is not None:
            self.transport.close()

    @property
    def hub_addresses(self) -> dict[str, int]:
        return self.hub.addresses

    # ------------------------------------------------------------------ the handshake
    def _handshake(self, request: Request) -> None:
        if request.path.split("?", 1)[0] != WS_PATH:  # (uvicorn only hands over /ws/v1)
            self._refuse(404, [])
            return
        limits = self.limits
        if limits.enabled and self.hub_addresses.get(self.address, 0) >= limits.connections_per_address:
            self._refuse(429, [])
            return
        if request.headers.get("Sec-WebSocket-Version") != "13":  # RFC 6455 §4.2.2: 426, naming the version
            self._refuse(426, [("Sec-WebSocket-Version", "13")])
            return
        response = self.conn.accept(request)
        if response.status_code != 101:
            kept = [(k, v) for k, v in response.headers.raw_items() if k in KEPT_HEADERS]
            self._refuse(response.status_code, kept)
            return
        self.conn.send_response(response)
        self._write_protocol()
        if limits.enabled:
            self.counted = True
            self.hub_addresses[self.address] = self.hub_addresses.get(self.address, 0) + 1
        self.session = Session(self.hub, self)
        self.hub.attach(self)
        self.hub.push(self, INFO)

    def _refuse(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.closing = True
        assert self.transport is not None
        self.transport.write(http_error(status, self.hub.rt.clock(), headers))
        self.transport.close()

    # ------------------------------------------------------------------ frames from the client
    def _frame(self, frame: Frame) -> None:
        op = frame.opcode
        if op is Opcode.CLOSE:  # websockets has queued the reply (the same code); nothing more is sent
            self.closing = True
            self.out.clear()
            if self.session is not None:
                self.hub.detach(self)
            return
        if op is Opcode.PING or op is Opcode.PONG or self.closing:  # (websockets queued the pong)
            return
        if op is Opcode.CONT:
            if self.fragments is None:
                return
            self.fragments.append(bytes(frame.data))
        else:
            self.fragments = [bytes(frame.data)]
            self.fragment_type = op
        if sum(map(len, self.fragments)) > MAX_MESSAGE:
            self.fragments = None
            self.drop(1009, "message too big")
            return
        if not frame.fin:
            return
        data = b"".join(self.fragments)
        self.fragments = None
        if self.limits.enabled and self._over_request_limit():
            self.drop(1008, "too many requests")
            return
        if self.session is not None:
            self.session.handle(data)

    def _over_request_limit(self) -> bool:
        second = time.monotonic() // 1
        if second != self.window:
            self.window, self.requests = second, 0
        self.requests += 1
        return self.requests > self.limits.requests_per_second

    # ------------------------------------------------------------------ writing
    def _write_protocol(self) -> None:
        """What websockets has to send (the handshake's answer, pongs, close frames); then close the
        socket if the closing handshake says so."""
        transport = self.transport
        assert transport is not None
        for data in self.conn.data_to_send():
            if data:
                transport.write(data)
            else:  # end of the stream: the server closes the TCP connection first
                transport.close()
        if self.conn.close_expected() and self.close_timer is None and not transport.is_closing():
            self.close_timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_S, transport.abort)

    def flush(self) -> None:
        """Write what the hub queued, in one write; a consumer too slow for its limit is closed."""
        out = self.out
        if not out:
            return
        if self.closing or self.transport is None:
            out.clear()
            return
        data = out[0] if len(out) == 1 else b"".join(out)
        out.clear()
        transport = self.transport
        waiting = transport.get_write_buffer_size()
        if waiting and waiting + len(data) > self.limits.queue_bytes:  # (one write of any size may start a queue)
            self.hub.stats.dropped += 1
            self.drop(1011, "slow consumer: messages were not read")
            return
        transport.write(data)

    def drop(self, code: int, reason: str) -> None:
        """Close with ``code``: stop every subscription, send the close frame, cut the socket if the
        peer does not finish the closing handshake in time."""
        if self.closing or self.transport is None:
            return
        self.closing = True
        self.out.clear()
        if self.session is not None:
            self.hub.detach(self)
        try:
            self.conn.send_close(code, reason)
        except InvalidState:
            pass
        self._write_protocol()
        if self.close_timer is None:
            self.close_timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT_S, self.transport.abort)


def protocol_class(hub: Hub, limits: Limits | None = None) -> type[WebSocketProtocol]:
    """The class uvicorn should use for upgraded connections (``uvicorn.Config(ws=…)``)."""
    return type("KrakenWebSocketProtocol", (WebSocketProtocol,), {"hub": hub, "limits": limits or Limits()})
