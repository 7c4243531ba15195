"""The ASGI application: Kraken's paths, authentication, parameters and error mapping.

request → auth → command → engine → events → journal → response
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from ..runtime.core import Runtime
from . import charts, handlers, history
from .auth import FULL, signed_path
from .params import INVALID, ApiError, Params
from .wire import iso

MAX_BODY = 1 << 20

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_JSON_HEADERS = [(b"content-type", b"application/json")]


class Request:
    """What a handler sees: parameters, the authenticated account, the runtime."""

    __slots__ = ("method", "path", "params", "account", "key", "nonce", "rt", "path_args")

    def __init__(
        self, method: str, path: str, params: Params, rt: Runtime, path_args: tuple[str, ...] = ()
    ) -> None:
        self.method = method
        self.path = path
        self.params = params
        self.rt = rt
        self.account: str = ""
        self.key: str = ""
        self.nonce: int | None = None
        self.path_args = path_args

    def command(self, cmd: dict[str, Any]) -> dict[str, Any]:
        """Stamp a state-changing command with the key and nonce that authorised it."""
        if self.nonce is not None:
            cmd["k"] = self.key
            cmd["n"] = self.nonce
        return cmd


Handler = Callable[[Request], Awaitable[tuple[int, dict[str, Any]]]]


class Route:
    __slots__ = ("handler", "methods", "auth", "json_body", "write_methods")

    def __init__(self, handler: Handler, methods: tuple[str, ...], auth: str | None, json_body: bool = False,
                 write_methods: tuple[str, ...] = ()):
        self.handler = handler
        self.methods = methods
        self.auth = auth  # None: public; "read": any key; "full": trading key
        self.json_body = json_body
        self.write_methods = write_methods  # methods that need a full-access key on a "read" route


D = "/derivatives/api/v3/"
ROUTES: dict[str, Route] = {
    D + "sendorder": Route(handlers.sendorder, ("POST",), FULL),
    D + "cancelorder": Route(handlers.cancelorder, ("POST",), FULL),
    D + "editorder": Route(handlers.editorder, ("POST",), FULL),
    D + "cancelallorders": Route(handlers.cancelallorders, ("POST",), FULL),
    D + "cancelallordersafter": Route(handlers.cancelallordersafter, ("POST",), FULL),
    D + "self-trade-strategy": Route(handlers.self_trade_strategy, ("GET", "PUT"), "read", write_methods=("PUT",)),
    D + "batchorder": Route(handlers.batchorder, ("POST",), FULL, json_body=True),
    D + "openorders": Route(handlers.openorders, ("GET",), "read"),
    D + "orders/status": Route(handlers.orders_status, ("GET", "POST"), FULL),
    D + "fills": Route(handlers.fills, ("GET",), "read"),
    D + "accounts": Route(handlers.accounts, ("GET",), "read"),
    D + "openpositions": Route(handlers.openpositions, ("GET",), "read"),
    D + "instruments": Route(handlers.instruments, ("GET",), None),
    D + "instruments/status": Route(handlers.instruments_status, ("GET",), None),
    D + "trading/instruments": Route(handlers.trading_instruments, ("GET",), "read"),
    D + "tickers": Route(handlers.tickers, ("GET",), None),
    D + "orderbook": Route(handlers.orderbook, ("GET",), None),
    D + "history": Route(history.trade_history, ("GET",), None),
    D + "feeschedules": Route(handlers.feeschedules, ("GET",), None),
    D + "historical-funding-rates": Route(handlers.historical_funding_rates, ("GET",), None),
    "/derivatives/api/v4/historicalfundingrates": Route(handlers.historical_funding_rates, ("GET",), None),
    D + "feeschedules/volumes": Route(handlers.feeschedules_volumes, ("GET",), "read"),
}
for _v in ("v2", "v3"):
    ROUTES[f"/api/history/{_v}/orders"] = Route(history.account_orders, ("GET",), "read")
    ROUTES[f"/api/history/{_v}/triggers"] = Route(history.account_triggers, ("GET",), "read")
    ROUTES[f"/api/history/{_v}/executions"] = Route(history.account_executions, ("GET",), "read")
# path templates with one argument: prefix, suffix
PATTERNS: list[tuple[str, str, Route]] = [
    (D + "tickers/", "", Route(handlers.ticker, ("GET",), None)),
    (D + "instruments/", "/status", Route(handlers.instrument_status, ("GET",), None)),
    ("/api/history/v3/market/", "/executions", Route(history.market_executions, ("GET",), None)),
    ("/api/history/v2/market/", "/executions", Route(history.market_executions, ("GET",), None)),
    ("/api/history/v3/market/", "/orders", Route(history.market_orders, ("GET",), None)),
    ("/api/history/v2/market/", "/orders", Route(history.market_orders, ("GET",), None)),
    ("/api/history/v3/market/", "/price", Route(history.market_price, ("GET",), None)),
    ("/api/history/v2/market/", "/price", Route(history.market_price, ("GET",), None)),
]

ADMIN_PREFIX = "/_krakensim/"
CHARTS = Route(charts.charts, ("GET",), None)
EMPTY = Params({})


def error_body(code: str, now: int) -> dict[str, Any]:
    return {"result": "error", "serverTime": iso(now), "error": code}


class App:
    def __init__(self, rt: Runtime, admin: Callable[[Request, bytes], Awaitable[tuple[int, dict[str, Any]]]]):
        self.rt = rt
        self.admin = admin

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
        status = 200
        try:
            body = b""
            more = True
            while more:
                msg = await receive()
                body += msg.get("body", b"")
                more = msg.get("more_body", False)
                if len(body) > MAX_BODY:
                    raise ApiError(INVALID, 413)
            status, payload = await self.dispatch(scope, body)
        except ApiError as e:
            status, payload = e.http_status, error_body(e.code, rt.clock())
        except Exception:  # never a traceback on the wire
            traceback.print_exc()
            status, payload = 500, error_body("Server Error", rt.clock())
        data = orjson.dumps(payload)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*_JSON_HEADERS, (b"content-length", str(len(data)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": data})

    async def dispatch(self, scope: Scope, body: bytes) -> tuple[int, dict[str, Any]]:
        path: str = scope["path"]
        method: str = scope["method"]
        route = ROUTES.get(path)
        args: tuple[str, ...] = ()
        if route is None:
            if path.startswith(charts.PREFIX) or path == charts.PREFIX[:-1]:
                route = CHARTS
            elif path.startswith(ADMIN_PREFIX):
                req = Request(method, path, EMPTY, self.rt)
                return await self.admin(req, body)
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
        if route.auth is not None:  # authentication sees only the raw bytes, before any parsing
            level = FULL if method in route.write_methods else route.auth
            self.authenticate(scope, req, level, query, body)
        req.params = Params.parse(query, body, route.json_body)
        return await route.handler(req)

    def authenticate(self, scope: Scope, req: Request, level: str, query: bytes, body: bytes) -> None:
        key = authent = nonce = None
        for name, value in scope["headers"]:
            n = name.lower()
            if n == b"apikey":
                key = value.decode("latin-1")
            elif n == b"authent":
                authent = value.decode("latin-1")
            elif n == b"nonce":
                nonce = value.decode("latin-1")
        # the History API answers a failed authentication with 401 ("Credentials required")
        status = 401 if scope["path"].startswith("/api/history/") else 200
        if not key or not authent:
            raise ApiError("authenticationError", status)
        message = query + body + (nonce or "").encode("latin-1") + signed_path(scope["path"]).encode()
        k = self.rt.keys.verify(key, authent, message)
        if k is None:
            raise ApiError("authenticationError", status)
        if level == FULL and k.access != FULL:
            raise ApiError("authenticationError", status)
        if nonce:
            try:
                n = int(nonce)
            except ValueError as e:
                raise ApiError("authenticationError") from e
            err = k.nonces.check(n)
            if err is not None:
                raise ApiError(err)
            k.nonces.accept(n)
            req.nonce = n
        req.key = key
        req.account = k.account

