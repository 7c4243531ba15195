"""The control API (loopback, unauthenticated): accounts, keys, prices, digest.

Everything it changes goes through the journal like any trading command.
"""

from __future__ import annotations

import base64
import os
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from ..api.errors import INVALID, ApiError
from ..api.render.numbers import iso
from ..api.request import Reply, Request
from ..engine.accounts import MAX_FUNDS_USD
from ..engine.commands import CreateAccount, SetMarketState, SetPrices
from ..engine.orders import MARKET_STATES
from ..engine.units import USD8
from ..runtime.clock import ManualClock
from ..runtime.core import Runtime
from ..runtime.keys import ACCESS_LEVELS, FULL, AddApiKey

PREFIX = "/_krakensim/v1/"
DEFAULT_FUNDS = Decimal("100000")
MAX_FUNDS = Decimal(MAX_FUNDS_USD)


def new_key_pair() -> tuple[str, str]:
    key = base64.b64encode(os.urandom(27)).decode().replace("/", "x").replace("+", "y")
    secret = base64.b64encode(secrets.token_bytes(64)).decode()
    return key, secret


def create_account_command(usd: Decimal) -> CreateAccount:
    return CreateAccount(int(usd * USD8))


def create_account(rt: Runtime, usd: Decimal, key: str | None = None, secret: str | None = None,
                   access: str = FULL) -> dict[str, str]:
    """Start-up path (before the journal writer runs): create a funded account and its key."""
    account_id = rt.submit_sync(create_account_command(usd)).account_id
    assert account_id is not None
    if key is None or secret is None:
        key, secret = new_key_pair()
    rt.submit_sync(AddApiKey(key, secret, account_id, access))
    return {"accountUid": account_id, "apiKey": key, "apiSecret": secret}


def _json(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise ApiError("Json Parse Error") from e
    if not isinstance(doc, dict):
        raise ApiError(INVALID)
    return doc


async def admin(req: Request, body: bytes) -> Reply:
    rt = req.rt
    path = req.path
    if not path.startswith(PREFIX):
        raise ApiError("notFound", 404)
    name = path[len(PREFIX):]
    await rt.barrier()
    if name == "accounts" and req.method == "POST":
        doc = _json(body)
        try:
            usd = Decimal(str(doc.get("usd", DEFAULT_FUNDS)))
        except InvalidOperation as e:
            raise ApiError(INVALID) from e
        if not usd.is_finite() or usd < 0 or usd > MAX_FUNDS:
            raise ApiError(INVALID)
        account_id = (await rt.submit(create_account_command(usd))).account_id
        assert account_id is not None
        key, secret = new_key_pair()
        await rt.submit(AddApiKey(key, secret, account_id, FULL))
        return 200, {"result": "success", "accountUid": account_id, "apiKey": key, "apiSecret": secret,
                     "serverTime": iso(rt.clock())}
    if name == "keys" and req.method == "POST":
        doc = _json(body)
        existing = rt.keys.keys.get(str(doc.get("apiKey", "")))
        access = str(doc.get("access", FULL))
        if existing is None or access not in ACCESS_LEVELS:
            raise ApiError(INVALID)
        key, secret = new_key_pair()
        await rt.submit(AddApiKey(key, secret, existing.account_id, access))
        return 200, {"result": "success", "apiKey": key, "apiSecret": secret, "access": access,
                     "serverTime": iso(rt.clock())}
    if name == "digest" and req.method == "GET":
        return 200, {"result": "success", "digest": rt.exchange.digest(), "journalSeq": rt.seq,
                     "serverTime": iso(rt.clock())}
    if name in ("mark", "prices") and req.method == "POST":
        doc = _json(body)
        inst = rt.exchange.listed.get(str(doc.get("symbol", "")))
        if inst is None:
            raise ApiError(INVALID)
        prices: dict[str, int] = {}
        for field, key in (("mark", "mark"), ("price", "mark"), ("index", "index")):
            if field in doc:
                try:
                    ticks = inst.price_to_ticks(Decimal(str(doc[field])))
                except InvalidOperation as e:
                    raise ApiError(INVALID) from e
                if ticks is None:
                    raise ApiError(INVALID)
                prices[key] = ticks
        if not prices:
            raise ApiError("requiredArgumentMissing")
        await rt.submit(SetPrices(inst.symbol, **prices))
        return 200, {"result": "success", "serverTime": iso(rt.clock())}
    if name == "market-state" and req.method == "POST":
        doc = _json(body)
        symbol, state = str(doc.get("symbol", "")), str(doc.get("state", ""))
        if symbol not in rt.exchange.listed or state not in MARKET_STATES:
            raise ApiError(INVALID)
        await rt.submit(SetMarketState(symbol, state))
        return 200, {"result": "success", "serverTime": iso(rt.clock())}
    if name == "clock" and req.method == "GET":
        return 200, {"result": "success", "now": iso(rt.clock()), "manual": isinstance(rt.clock, ManualClock),
                     "serverTime": iso(rt.clock())}
    if name == "clock" and req.method == "POST":
        doc = _json(body)
        if not isinstance(rt.clock, ManualClock):
            raise ApiError("Unavailable")
        ms = doc.get("advanceMs")
        if not isinstance(ms, int) or isinstance(ms, bool) or ms < 0:
            raise ApiError(INVALID)
        await rt.advance(ms)
        return 200, {"result": "success", "now": iso(rt.clock()), "serverTime": iso(rt.clock())}
    raise ApiError("notFound", 404)
