"""A whole krakensim server in a background thread of this process, on a free loopback port.

Modelled on moto's ``ThreadedMotoServer``: ``start()`` returns once the server answers,
``stop()`` shuts it down cleanly (the runtime drains its journal first). The server is the
same one ``krakensim serve`` runs (the same composition root, the same ASGI app), so a client
pointed at ``url`` cannot tell the difference::

    with ThreadedServer(Settings(manual_clock_start=...)) as sim:
        ccxt.krakenfutures({"urls": {"api": {"public": sim.url + "/derivatives/api/", ...}}})
        requests.post(sim.url + "/_krakensim/v1/accounts", json={"usd": "50000"},
                      headers={"Authorization": f"Bearer {sim.admin_token}"})   # the control API
"""

from __future__ import annotations

import asyncio
import socket
import threading
from types import TracebackType

import uvicorn

from .serve.build import Built, Settings, build, check_exposure
from .serve.http import uvicorn_config
from .serve.listeners import Server
from .serve.tls import TlsListener, tls_listener

START_TIMEOUT_S = 30


class ThreadedServer:
    def __init__(self, settings: Settings | None = None) -> None:
        # in memory unless told otherwise: a test's venue keeps nothing
        self.settings = settings or Settings(data=None, port=0)
        self.built: Built | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._tls: TlsListener | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The base URL (``http://127.0.0.1:PORT``): REST under it as on futures.kraken.com."""
        return f"http://{self.settings.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """The WebSocket feeds (``ws://127.0.0.1:PORT/ws/v1``), as ``wss://futures.kraken.com/ws/v1``."""
        return f"ws://{self.settings.host}:{self.port}/ws/v1"

    @property
    def tls_port(self) -> int:
        """The TLS port (``Settings(tls_port=0)`` picks a free one)."""
        assert self._tls is not None, "started without tls_port"
        return self._tls.port

    @property
    def wss_url(self) -> str:
        """The WebSocket feeds over TLS (python-kraken-sdk's ``url`` is this without ``wss://``)."""
        return f"wss://{self.settings.host}:{self.tls_port}/ws/v1"

    @property
    def ca_file(self) -> str | None:
        """The certificate authority to trust for ``wss_url`` (``SSL_CERT_FILE``); None with the user's own."""
        assert self._tls is not None, "started without tls_port"
        return self._tls.files.ca

    @property
    def admin_token(self) -> str:
        """The control API's token: send ``Authorization: Bearer <token>`` to ``url + "/_krakensim/v1/…"``."""
        assert self.built is not None, "not started"
        return self.built.admin_token

    @property
    def demo(self) -> dict[str, str]:
        """The demo account: ``accountUid``, ``apiKey``, ``apiSecret``."""
        assert self.built is not None, "not started"
        return self.built.demo

    def start(self) -> ThreadedServer:
        if self._thread is not None:
            raise RuntimeError("already started")
        check_exposure(self.settings)  # before anything listens
        sock = socket.socket(socket.AF_INET6 if ":" in self.settings.host else socket.AF_INET, socket.SOCK_STREAM,
                             socket.IPPROTO_TCP)  # proto TCP: asyncio sets TCP_NODELAY only then (Nagle: +40 ms)
        try:
            sock.bind((self.settings.host, self.settings.port))
            if self.settings.tls_port is not None:
                self._tls = tls_listener(self.settings)
            self.built = build(self.settings)  # takes the data file's lock (if any) until stop()
        except BaseException:
            sock.close()
            if self._tls is not None:
                self._tls.sock.close()
            raise
        sock.listen(2048)
        self.port = sock.getsockname()[1]
        self.built.control.gate.listen(self.settings.host, self.port)
        tls = []
        if self._tls is not None:
            self._tls.sock.listen(2048)
            tls.append((self._tls.sock, self._tls.context))
        self._server = Server(uvicorn_config(self.built, self.settings.connection_limits, log_level="warning"), tls)
        ready = threading.Event()

        def run() -> None:
            assert self._server is not None
            try:
                asyncio.run(self._serve(sock, ready))
            except BaseException as e:  # noqa: BLE001 - reported by start() or stop()
                self._error = e
                ready.set()

        self._thread = threading.Thread(target=run, name=f"krakensim:{self.port}", daemon=True)
        self._thread.start()
        if not ready.wait(START_TIMEOUT_S) or self._error is not None or not self._server.started:
            self.stop()
            raise RuntimeError(f"krakensim did not start: {self._error!r}")
        return self

    async def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        assert self._server is not None
        server = self._server
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.005)
        ready.set()
        await task

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT_S)
        self._thread = None
        if self.built is not None and self.built.lock is not None:
            self.built.lock.release()

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
