"""Serving the application over HTTP: the lock, the socket, uvicorn (or granian), the banner.

The order matters: the data file's lock first (a second server on the same file stops here and
touches nothing), then the socket is bound (a busy port stops here, before the journal is opened),
and only then is the journal opened, checked and replayed (build). The socket listens once the
exchange is ready, so a client is refused rather than kept waiting while the journal replays.
SIGINT and SIGTERM stop the server cleanly: during start-up they abandon it (nothing has been
acknowledged yet); once it serves, uvicorn drains the requests and the runtime drains its groups
and writes the final snapshot.
"""

from __future__ import annotations

import resource
import signal
import socket
import sys
from types import FrameType
from typing import Any

import uvicorn

from ..admin.gate import is_loopback
from ..store.integrity import JournalError
from ..store.lock import DataInUse
from ..ws.protocol import protocol_class as ws_protocol_class
from .build import Built, Settings, banner, build, check_exposure, exposure_warning, lock_data
from .listeners import Server
from .protocol import ConnectionLimits, protocol_class
from .tls import TlsListener, tls_banner, tls_listener

GRACE_S = 10  # requests still running this long after the signal are cancelled (nothing durable is lost)


class StartError(Exception):
    """The server could not start (the message says why)."""


# why a start is refused, each with a message for the operator (no traceback)
START_ERRORS: tuple[type[Exception], ...] = (StartError, JournalError, DataInUse)


class StartInterrupted(BaseException):
    """SIGINT or SIGTERM arrived while the server was starting (a BaseException, like KeyboardInterrupt:
    no ``except Exception`` on the way, such as the replay's, may take it for a failure)."""


def _abandon_start(sig: int, frame: FrameType | None) -> None:
    raise StartInterrupted(signal.Signals(sig).name)


def _noted(sig: int, frame: FrameType | None) -> None:
    """uvicorn raises the signal that stopped it again once it has shut down: it has been dealt with."""


def raise_fd_limit(limits: ConnectionLimits) -> None:
    """Let the process hold ``max_connections`` sockets and its own files: the soft limit is often 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = limits.max_connections + 256  # the journal, snapshots, the listener, the event loop's own
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want if hard == resource.RLIM_INFINITY else min(want, hard), hard))


def uvicorn_config(built: Built, limits: ConnectionLimits | None = None, **options: Any) -> uvicorn.Config:
    """uvicorn serving ``built``'s app with Kraken's envelope for HTTP-level errors (serve/protocol.py)
    and the WebSocket feeds on ``/ws/v1`` (ws/protocol.py: an upgrade anywhere else is plain HTTP)."""
    return uvicorn.Config(built.app, http=protocol_class(built.runtime.clock, limits),
                          ws=ws_protocol_class(built.hub, built.ws_limits), lifespan="on",
                          access_log=False, server_header=False, **options)


def serve(s: Settings) -> None:
    check_exposure(s)  # before anything is locked, bound or opened
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _abandon_start)
    lock = lock_data(s.data) if s.data else None
    sock = socket.socket(socket.AF_INET6 if ":" in s.host else socket.AF_INET, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP)  # proto TCP: asyncio sets TCP_NODELAY only then (Nagle: +40 ms)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((s.host, s.port))
    except OSError as e:
        sock.close()
        raise StartError(f"cannot listen on {s.host}:{s.port} ({e.strerror or e}); nothing was opened") from None
    tls: TlsListener | None = None
    if s.tls_port is not None:
        try:
            tls = tls_listener(s)
        except OSError as e:
            sock.close()
            raise StartError(f"cannot serve TLS on {s.host}:{s.tls_port} ({e.strerror or e}); nothing was opened") \
                from None
    built = build(s, lock)
    sock.listen(2048)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    built.control.gate.listen(s.host, port)
    host = f"[{s.host}]" if ":" in s.host else s.host
    if not is_loopback(s.host):
        sys.stderr.write(exposure_warning(s.host))
    print(banner(f"http://{host}:{port}", built, s.data, s.host), flush=True)
    if tls is not None:
        tls.sock.listen(2048)
        print(tls_banner(host, tls), flush=True)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _noted)  # uvicorn (or granian) installs its own while it runs
    if s.http == "granian":
        sock.close()
        if tls is not None:
            tls.sock.close()
        _serve_granian(built, s.host, port)
        return
    raise_fd_limit(s.connection_limits)
    config = uvicorn_config(built, s.connection_limits, loop="uvloop", proxy_headers=False, log_level="warning", backlog=2048,
                            timeout_graceful_shutdown=GRACE_S)
    server = Server(config, [(tls.sock, tls.context)] if tls is not None else None)
    try:
        server.run(sockets=[sock])
    finally:
        sys.stdout.flush()


def _serve_granian(built: Built, host: str, port: int) -> None:
    """The same app on granian's embedded server (measured against uvicorn in docs/benchmarks.md)."""
    import uvloop  # noqa: PLC0415 - only with --http granian
    from granian.constants import Interfaces
    from granian.server.embed import Server

    async def main() -> None:
        await built.runtime.start()
        server = Server(built.app, address=host, port=port, interface=Interfaces.ASGI, log_enabled=False)
        try:
            await server.serve()
        finally:
            await built.runtime.stop()

    uvloop.run(main())
