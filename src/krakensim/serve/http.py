"""Serving the application over HTTP: the socket, uvicorn (or granian), the banner."""

from __future__ import annotations

import socket
import sys
from typing import Any

import uvicorn

from .build import Built, Settings, banner, build
from .protocol import protocol_class


def uvicorn_config(built: Built, **options: Any) -> uvicorn.Config:
    """uvicorn serving ``built``'s app with Kraken's envelope for HTTP-level errors (serve/protocol.py).

    No WebSocket support yet (``ws="none"``): an upgrade request is answered as plain HTTP, by the
    app, instead of by a WebSocket handshake the app would leave unfinished (a 500 page).
    """
    return uvicorn.Config(built.app, http=protocol_class(built.runtime.clock), ws="none", lifespan="on",
                          access_log=False, server_header=False, **options)


def serve(s: Settings) -> None:
    built = build(s)
    sock = socket.socket(socket.AF_INET6 if ":" in s.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((s.host, s.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    host = f"[{s.host}]" if ":" in s.host else s.host
    print(banner(f"http://{host}:{port}", built.demo, built.replayed, s.data), flush=True)
    if s.http == "granian":
        sock.close()
        _serve_granian(built, s.host, port)
        return
    config = uvicorn_config(built, loop="uvloop", proxy_headers=False, log_level="warning", backlog=2048)
    server = uvicorn.Server(config)
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
