"""uvicorn serving one application on a plain socket and on TLS sockets beside it.

uvicorn applies one TLS setting to every socket it serves; ``--tls-port`` needs the main port in
plain HTTP and another in TLS, both with the same application, protocols and connections (so that
shut-down drains them alike). This subclass starts uvicorn's own servers, then one TLS server per
extra socket with the same protocol factory uvicorn uses.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl

import uvicorn


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, tls: list[tuple[socket.socket, ssl.SSLContext]] | None = None) -> None:
        super().__init__(config)
        self.tls = tls or []

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.should_exit or not self.tls:
            return
        config = self.config
        factory = functools.partial(config.http_protocol_class, config=config,  # type: ignore[call-arg]
                                    server_state=self.server_state, app_state=self.lifespan.state)
        loop = asyncio.get_running_loop()
        for sock, context in self.tls:
            self.servers.append(await loop.create_server(factory, sock=sock, ssl=context, backlog=config.backlog))
