"""The control API (``/_krakensim/v1/…``): accounts, keys, prices, market states, the clock, the digest,
notifications, market scenarios.

Every request passes the gate first (admin/gate.py: the token, Host, Origin, a JSON body). Everything
it changes goes through the journal like any trading command. A refusal is Kraken's error envelope
with an HTTP status that says what went wrong (never 200): 400 for a malformed or invalid body, 403
for a key it may not make, 404 for an unknown path or account, 405 for a known path with another
method, 409 for a clock that cannot be moved.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

import orjson

from ..api.errors import INVALID, JSON_ERROR, REQUIRED, ApiError
from ..api.params import parse_iso
from ..api.render.numbers import iso
from ..api.request import Reply, Request
from ..engine.accounts import MAX_FUNDS_USD
from ..engine.commands import CreateAccount, PostNotification, SetMarketState, SetPrices
from ..engine.events import NotificationPosted
from ..engine.notifications import refusal as notification_refusal
from ..engine.orders import MARKET_STATES
from ..engine.units import USD8
from ..runtime.clock import ManualClock
from ..runtime.core import MAX_MARKET_STEP_MS, Runtime
from ..runtime.keys import ACCESS_LEVELS, FULL, AddApiKey
from . import wallets
from .gate import AUTH_ERROR, Gate
from .scenarios import ScenarioError, describe, parse_scenario

PREFIX = "/_krakensim/v1/"
DEFAULT_FUNDS = Decimal("100000")
MAX_FUNDS = Decimal(MAX_FUNDS_USD)
BAD_REQUEST, FORBIDDEN, NOT_FOUND, NOT_ALLOWED, CONFLICT = 400, 403, 404, 405, 409


def new_key_pair() -> tuple[str, str]:
    key = base64.b64encode(os.urandom(27)).decode().replace("/", "x").replace("+", "y")
    secret = base64.b64encode(secrets.token_bytes(64)).decode()
    return key, secret


def new_admin_token() -> str:
    return secrets.token_urlsafe(32)


def create_account_command(usd: Decimal) -> CreateAccount:
    """A new account: USD in its flex wallet, inverse contracts margined in base currency (as on Kraken)."""
    return CreateAccount(int(usd * USD8), inverse_in_base=True)


def create_account(rt: Runtime, usd: Decimal, key: str | None = None, secret: str | None = None,
                   access: str = FULL) -> dict[str, str]:
    """Start-up path (before the journal writer runs): create a funded account and its key."""
    account_id = rt.submit_sync(create_account_command(usd)).account_id
    assert account_id is not None
    if key is None or secret is None:
        key, secret = new_key_pair()
    rt.submit_sync(AddApiKey(key, secret, account_id, access))
    return {"accountUid": account_id, "apiKey": key, "apiSecret": secret}


def _bad(code: str = INVALID) -> ApiError:
    return ApiError(code, BAD_REQUEST)


def _json(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise _bad(JSON_ERROR) from e
    if not isinstance(doc, dict):
        raise _bad()
    return doc


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _bad()
    try:
        return Decimal(str(value))
    except InvalidOperation as e:
        raise _bad() from e


def _success(rt: Runtime, **payload: Any) -> Reply:
    return 200, {"result": "success", **payload, "serverTime": iso(rt.clock())}


async def _create_account(rt: Runtime, doc: dict[str, Any]) -> Reply:
    usd = _decimal(doc.get("usd", str(DEFAULT_FUNDS)))  # (a Decimal default was refused as not a number)
    if not usd.is_finite() or usd < 0 or usd > MAX_FUNDS:
        raise _bad()
    master = doc.get("master")  # a subaccount of this account (the master's key sees and moves it)
    if master is not None and (not isinstance(master, str) or master not in rt.exchange.accounts):
        raise ApiError("notFound", NOT_FOUND)
    command = create_account_command(usd)
    funds = wallets.funds_of(doc)
    if master is not None or funds:
        command = CreateAccount(command.balance, master=master, funds=funds, inverse_in_base=True)
    try:
        account_id = (await rt.submit(command)).account_id
    except ValueError as e:  # a currency a wallet does not take (XBT into fi_ethusd) or no such wallet
        raise ApiError("invalidAccount", BAD_REQUEST) from e
    assert account_id is not None
    key, secret = new_key_pair()
    await rt.submit(AddApiKey(key, secret, account_id, FULL))
    return _success(rt, accountUid=account_id, apiKey=key, apiSecret=secret, access=FULL)


async def _create_key(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """A key on an account named by ``accountUid``, or on the account of an existing ``apiKey``.

    Named by account, the key has the access asked for: the token holder asks for it explicitly.
    Derived from a key, it never has more access than that key (a read-only key makes no full one).
    """
    if "access" not in doc or ("accountUid" not in doc and "apiKey" not in doc):
        raise _bad(REQUIRED)
    access = doc["access"]
    if access not in ACCESS_LEVELS or ("accountUid" in doc and "apiKey" in doc):
        raise _bad()
    if "accountUid" in doc:
        account_id = doc["accountUid"]
        if not isinstance(account_id, str) or account_id not in rt.exchange.accounts:
            raise ApiError("notFound", NOT_FOUND)
    else:
        given = doc["apiKey"]
        existing = rt.keys.keys.get(given) if isinstance(given, str) else None
        if existing is None:
            raise ApiError("notFound", NOT_FOUND)
        if access == FULL and existing.access != FULL:
            raise ApiError(AUTH_ERROR, FORBIDDEN)
        account_id = existing.account_id
    key, secret = new_key_pair()
    await rt.submit(AddApiKey(key, secret, account_id, access))
    return _success(rt, accountUid=account_id, apiKey=key, apiSecret=secret, access=access)


async def _digest(rt: Runtime, doc: dict[str, Any]) -> Reply:
    return _success(rt, digest=rt.exchange.digest(), journalSeq=rt.seq)


async def _set_prices(rt: Runtime, doc: dict[str, Any]) -> Reply:
    if "currency" in doc and "index" in doc and "symbol" not in doc:
        return await wallets.set_collateral_price(rt, doc["currency"], doc["index"], _decimal)
    if "symbol" not in doc:
        raise _bad(REQUIRED)
    symbol = doc["symbol"]
    inst = rt.exchange.listed.get(symbol) if isinstance(symbol, str) else None
    if inst is None:
        raise _bad()
    prices: dict[str, int] = {}
    for field, key in (("mark", "mark"), ("price", "mark"), ("index", "index")):
        if field in doc:
            ticks = inst.price_to_ticks(_decimal(doc[field]))
            if ticks is None:
                raise _bad()
            prices[key] = ticks
    if not prices:
        raise _bad(REQUIRED)
    res = await rt.submit(SetPrices(inst.symbol, **prices))
    if res.status != "ok":  # the contract expired between the check and the command
        raise _bad()
    return _success(rt)


async def _set_market_state(rt: Runtime, doc: dict[str, Any]) -> Reply:
    if "symbol" not in doc or "state" not in doc:
        raise _bad(REQUIRED)
    symbol, state = doc["symbol"], doc["state"]
    if not isinstance(symbol, str) or symbol not in rt.exchange.listed or state not in MARKET_STATES:
        raise _bad()
    await rt.submit(SetMarketState(symbol, state))
    return _success(rt)


def _optional_int(doc: dict[str, Any], name: str) -> int | None:
    value = doc.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad()
    return value


async def _post_notification(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """A notification to every account: ``type``, ``priority``, ``note`` and, optionally, ``effectiveTime``
    (epoch ms or ISO-8601; now when absent) and ``expectedDowntimeMinutes`` (REST NotificationJson's names)."""
    if "type" not in doc or "priority" not in doc or "note" not in doc:
        raise _bad(REQUIRED)
    kind, priority, note = doc["type"], doc["priority"], doc["note"]
    if not isinstance(kind, str) or not isinstance(priority, str) or not isinstance(note, str):
        raise _bad()
    at = doc.get("effectiveTime")
    if isinstance(at, str):
        at = parse_iso(at)
        if at is None:
            raise _bad()
    else:
        at = _optional_int(doc, "effectiveTime")
    downtime = _optional_int(doc, "expectedDowntimeMinutes")
    if notification_refusal(kind, priority, note, at, downtime) is not None:
        raise _bad()
    res = await rt.submit(PostNotification(kind, priority, note, at, downtime))
    n = next(e for e in res.events if isinstance(e, NotificationPosted))
    return _success(rt, id=n.notification_id, effectiveTime=iso(n.effective_time))


async def _clock(rt: Runtime, doc: dict[str, Any]) -> Reply:
    return _success(rt, now=iso(rt.clock()), manual=isinstance(rt.clock, ManualClock))


async def _advance_clock(rt: Runtime, doc: dict[str, Any]) -> Reply:
    if "advanceMs" not in doc:
        raise _bad(REQUIRED)
    ms = doc["advanceMs"]
    if not isinstance(ms, int) or isinstance(ms, bool) or ms < 0:
        raise _bad()
    step = doc.get("marketStepMs")
    if step is not None and (not isinstance(step, int) or isinstance(step, bool)
                             or not 1 <= step <= MAX_MARKET_STEP_MS):
        raise _bad()
    if not isinstance(rt.clock, ManualClock):
        raise ApiError("Unavailable", CONFLICT)  # only a manual clock (--clock manual) is moved by hand
    await rt.advance(ms, step)
    return _success(rt, now=iso(rt.clock()))


async def _run_scenario(rt: Runtime, doc: dict[str, Any]) -> Reply:
    """Schedule a market scenario (admin/scenarios.py), journaled; the simulated market plays it."""
    ex = rt.exchange
    try:
        cmd = parse_scenario(doc, rt.clock(), {i.base for i in ex.listed.values()}, set(ex.listed))
    except ScenarioError as e:
        raise ApiError(f"{INVALID}: {e}", BAD_REQUEST) from e
    await rt.submit(cmd)
    return _success(rt, scenario=describe(cmd, len(ex.scenarios), rt.clock()))


async def _scenarios(rt: Runtime, doc: dict[str, Any]) -> Reply:
    now = rt.clock()
    return _success(rt, scenarios=[describe(sc, n, now) for n, sc in enumerate(rt.exchange.scenarios, 1)])


Handler = Callable[[Runtime, dict[str, Any]], Awaitable[Reply]]
HANDLERS: dict[str, dict[str, Handler]] = {
    "accounts": {"POST": _create_account},
    "keys": {"POST": _create_key},
    "digest": {"GET": _digest},
    "prices": {"POST": _set_prices},
    "mark": {"POST": _set_prices},  # the first name of "prices"
    "market-state": {"POST": _set_market_state},
    "clock": {"GET": _clock, "POST": _advance_clock},
    "deposit": {"POST": wallets.deposit},
    "withdraw": {"POST": wallets.withdraw},
    "wallets": {"GET": wallets.wallets},
    "notifications": {"POST": _post_notification},
    "scenarios": {"GET": _scenarios, "POST": _run_scenario},
}


class ControlApi:
    """The control API behind its gate; ``token`` is what ``Authorization: Bearer`` must carry."""

    def __init__(self, token: str, handlers: dict[str, dict[str, Handler]] | None = None) -> None:
        self.token = token
        self.gate = Gate(token)
        self.handlers = HANDLERS if handlers is None else handlers  # every endpoint: admin/endpoints.py

    async def __call__(self, scope: dict[str, Any], req: Request, body: bytes) -> Reply:
        self.gate.check(scope)
        methods = self.handlers.get(req.path[len(PREFIX):]) if req.path.startswith(PREFIX) else None
        if methods is None:
            raise ApiError("notFound", NOT_FOUND)
        handler = methods.get(req.method)
        if handler is None:
            raise ApiError("notFound", NOT_ALLOWED)
        doc = _json(body) if req.method == "POST" else dict(parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace")))
        await req.rt.barrier()
        return await handler(req.rt, doc)
