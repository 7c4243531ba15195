"""The ASGI application: Kraken's paths, authentication, parameters and the error envelope.

request → route → auth → parameters → handler (command → runtime → engine) → Kraken's JSON.
Whatever goes wrong, the answer is Kraken's envelope, never a framework page or a traceback.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import orjson

from ..runtime.core import Runtime
from . import charts
from .auth import authenticate
from .coverage import not_served_message, unserved_template
from .errors import INVALID, REQUIRED, ApiError
from .faults_applied import strike
from .params import Params
from .rate_limited import charge_rate_limit
from .render.numbers import iso
from .request import Reply, Request
from .routes import ADMIN_PREFIX, CHARTS, PATTERNS, ROUTES, TRADING
from .text import TextBody

MAX_BODY = 1 << 20
# The History and Charts APIs answer bare data, no result/error envelope, and the spec gives
# their 200 only that shape: an error there is HTTP 400 (401 for authentication, 404 for a path).
BARE_APIS = ("/api/history/", "/api/charts/")
WS_PATH = "/ws/v1"

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
AdminHandler = Callable[[Scope, Request, bytes], Awaitable[Reply]]  # the scope: its gate reads the headers


class StaticFile(Protocol):
    """A file answered as it is (the dashboard's, see dashboard/pages.py): its headers and bytes."""

    @property
    def headers(self) -> Sequence[tuple[bytes, bytes]]: ...

    @property
    def body(self) -> bytes: ...


StaticFiles = Callable[[str], StaticFile | None]  # path → the file, or None: the path is the API's

_JSON_HEADERS = [(b"content-type", b"application/json")]
EMPTY = Params({})


def error_body(code: str, now: int) -> dict[str, Any]:
    return {"result": "error", "serverTime": iso(now), "error": code}


async def _send_text(send: Send, status: int, text: str, extra: tuple[tuple[bytes, bytes], ...]) -> None:
    data = text.encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(data)).encode()), *extra]})
    await send({"type": "http.response.body", "body": data})


def not_served(method: str, path: str) -> None:
    """An endpoint of Kraken's spec that krakensim does not serve yet: HTTP 404 with Kraken's ``Unavailable``
    ("The endpoint being called is unavailable") and a message saying so, not a bare ``notFound`` (no 5xx:
    the server is fine, the venue lacks the endpoint)."""
    template = unserved_template(method, path)
    if template is not None:
        raise ApiError("Unavailable", 404, message=not_served_message(method, template))


class App:
    def __init__(self, rt: Runtime, admin: AdminHandler, static: StaticFiles | None = None) -> None:
        self.rt = rt
        self.admin = admin
        self.static = static

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        t = scope["type"]
        if t == "http":
            await self.http(scope, receive, send)
        elif t == "lifespan":
            await self.lifespan(receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await self.rt.start()
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await self.rt.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        rt = self.rt
        if self.static is not None and scope["method"] in ("GET", "HEAD"):
            page = self.static(scope["path"])
            if page is not None:
                await send({"type": "http.response.start", "status": 200, "headers": list(page.headers)})
                await send({"type": "http.response.body", "body": page.body if scope["method"] == "GET" else b""})
                return
        status = 200
        extra: tuple[tuple[bytes, bytes], ...] = ()
        try:
            if rt.faults.faults and not scope["path"].startswith(ADMIN_PREFIX) and await strike(rt, scope, receive, send):
                return  # answered by a fault on purpose (runtime/faults.py)
            body = b""
            more = True
            while more:
                msg = await receive()
                if msg["type"] == "http.disconnect":  # the client left: nothing to answer, nothing to run
                    return
                body += msg.get("body", b"")
                more = msg.get("more_body", False)
                if len(body) > MAX_BODY:
                    raise ApiError(INVALID, 413)
            status, payload = await self.dispatch(scope, body)
        except ApiError as e:
            status, payload, extra = e.http_status, error_body(e.code, rt.clock()), e.headers
            if e.message is not None:
                payload["message"] = e.message
            if e.text is not None:
                await _send_text(send, status, e.text, extra)
                return
            if status == 200 and scope["path"].startswith(BARE_APIS):
                status = 400  # their 200 is only ever their data (see BARE_APIS)
        except Exception:  # never a traceback on the wire
            traceback.print_exc()
            status, payload = 500, error_body("Server Error", rt.clock())
        if isinstance(payload, TextBody):  # the account log's CSV export
            data, kind = payload.data, [(b"content-type", payload.content_type)]
        else:
            data, kind = orjson.dumps(payload), _JSON_HEADERS
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*kind, (b"content-length", str(len(data)).encode()), *extra],
            }
        )
        await send({"type": "http.response.body", "body": data})

    async def dispatch(self, scope: Scope, body: bytes) -> Reply:
        path: str = scope["path"]
        method: str = scope["method"]
        route = ROUTES.get(path)
        args: tuple[str, ...] = ()
        if path == WS_PATH:  # the WebSocket endpoint reached without a WebSocket upgrade (serve/protocol.py)
            raise ApiError(INVALID, 426, ((b"upgrade", b"websocket"),))
        if route is None or method not in route.methods:
            not_served(method, path)
        if route is None:
            if path.startswith(charts.PREFIX) or path == charts.PREFIX[:-1]:
                route = CHARTS
            elif path.startswith(ADMIN_PREFIX):
                return await self.admin(scope, Request(method, path, EMPTY, self.rt), body)
            else:
                for prefix, suffix, r in PATTERNS:
                    if path.startswith(prefix) and path.endswith(suffix) and len(path) > len(prefix) + len(suffix):
                        arg = path[len(prefix): len(path) - len(suffix)]
                        if "/" not in arg:
                            route, args = r, (arg,)
                            break
            if route is None:
                raise ApiError("notFound", 404)
        if method not in route.methods:
            raise ApiError("notFound", 405)
        query: bytes = scope.get("query_string", b"")
        req = Request(method, path, EMPTY, self.rt, args)
        params: Params | None = None
        if route.required:
            # live Kraken answers a command missing an argument so before it authenticates (a bogus key
            # too): nothing is applied and no nonce window moves. Malformed bytes still authenticate first.
            try:
                params = Params.parse(query, body, route.json_body)
            except ApiError:
                params = None
            if params is not None and route.missing_argument(method, params):
                raise ApiError(REQUIRED)
        level = route.key_level(method)
        if level is not None:
            authenticate(scope, req, level, query, body)
        req.params = params if params is not None else Params.parse(query, body, route.json_body)
        if level is not None and self.rt.limiter.enabled:
            charge_rate_limit(self.rt, path, method, req)
        if path in TRADING and not self.rt.exchange.accounts[req.account_id].trading_enabled:
            raise ApiError("accountInactive")  # a subaccount whose master disabled its trading
        if route.reads(method):
            await self.rt.barrier()
        return await route.handler(req)
