"""What a handler sees (``Request``), what it answers (``Reply``) and how a route is declared."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ..engine.instruments import Instrument
from ..runtime.core import Runtime, Stamp
from ..runtime.keys import FULL
from .errors import INVALID, ApiError
from .params import Params
from .render.numbers import iso

Reply = tuple[int, Any]


class Request:
    """Parameters, the authenticated account, the runtime."""

    __slots__ = ("method", "path", "params", "account_id", "key", "nonce", "rt", "path_args")

    def __init__(
        self, method: str, path: str, params: Params, rt: Runtime, path_args: tuple[str, ...] = ()
    ) -> None:
        self.method = method
        self.path = path
        self.params = params
        self.rt = rt
        self.account_id: str = ""
        self.key: str = ""
        self.nonce: int | None = None
        self.path_args = path_args

    @property
    def stamp(self) -> Stamp | None:
        """The key and nonce that authorised a state-changing command (journaled with it)."""
        return None if self.nonce is None else (self.key, self.nonce)

    def instrument(self, symbol: str) -> Instrument:
        """A listed instrument named in any case, or ``invalidArgument``."""
        inst = find_instrument(self.rt.exchange.listed, symbol)
        if inst is None:
            raise ApiError(INVALID)
        return inst

    def any_instrument(self, symbol: str) -> Instrument | None:
        """An instrument ever listed (expired ones too) named in any case, or None."""
        return find_instrument(self.rt.exchange.instruments, symbol)

    def instrument_of(self, symbol: str) -> Instrument:
        """Any instrument ever listed (what an order or a fill names)."""
        return self.rt.exchange.instruments[symbol]


def find_instrument(table: Mapping[str, Instrument], symbol: str) -> Instrument | None:
    """The instrument a client names in any case: live Kraken takes ``pf_xbtusd`` for ``PF_XBTUSD``.

    The one place a symbol from a request is resolved; answers then carry ``inst.symbol``, the
    canonical spelling (upper case, as ``instruments`` lists it)."""
    return table.get(symbol) or table.get(symbol.upper())


Handler = Callable[[Request], Awaitable[Reply]]

READ = "read"  # a route any valid key may call (FULL: only a full-access key)


class Route:
    __slots__ = ("handler", "methods", "auth", "json_body", "writes", "required")

    def __init__(self, handler: Handler, methods: tuple[str, ...], auth: str | None, json_body: bool = False,
                 writes: tuple[str, ...] = (), required: tuple[tuple[str, ...], ...] = ()) -> None:
        self.handler = handler
        self.methods = methods
        self.auth = auth  # None: public; READ: any key; FULL: a trading key for every method
        self.json_body = json_body  # batchorder: the body is a json= field
        self.writes = writes  # methods that submit commands (on a READ route they need a trading key)
        # arguments checked before authentication, as live Kraken does: each group needs one of its names
        self.required = required

    def missing_argument(self, method: str, params: Params) -> bool:
        """Does a command lack an argument it can never do without (whatever its other arguments)?"""
        return method in self.writes and any(all(not params.get(n) for n in group) for group in self.required)

    def key_level(self, method: str) -> str | None:
        return FULL if self.auth == FULL or (self.auth is not None and method in self.writes) else self.auth

    def reads(self, method: str) -> bool:
        """Does ``method`` only read? Then it first waits until everything applied so far is durable,
        so that it never shows what a crash could take back. A command waits for its own commit."""
        return method not in self.writes


def ok(now: int, **payload: Any) -> Reply:
    return 200, {"result": "success", **payload, "serverTime": iso(now)}
