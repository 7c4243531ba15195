"""Serving the application over HTTP: the socket, uvicorn (or granian), the banner."""

from __future__ import annotations

import socket
import sys

import uvicorn

from ..admin.gate import is_loopback
from .build import Built, Settings, banner, build, exposure_warning


def serve(s: Settings) -> None:
    built = build(s)
    sock = socket.socket(socket.AF_INET6 if ":" in s.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((s.host, s.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    port = sock.getsockname()[1]
    built.control.gate.listen(s.host, port)
    host = f"[{s.host}]" if ":" in s.host else s.host
    if not is_loopback(s.host):
        sys.stderr.write(exposure_warning(s.host))
    print(banner(f"http://{host}:{port}", built, s.data, s.host), flush=True)
    if s.http == "granian":
        sock.close()
        _serve_granian(built, s.host, port)
        return
    config = uvicorn.Config(
        built.app,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        log_level="warning",
        backlog=2048,
    )
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
