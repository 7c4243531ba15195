"""The control API (loopback, unauthenticated): accounts, keys, prices, digest.

Everything it changes goes through the journal like any trading command.
"""

from __future__ import annotations

import base64
import os
import secrets
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import orjson

from ..api.auth import ACCESS_LEVELS, FULL
from ..api.params import INVALID, ApiError
from ..api.wire import iso
from ..engine.exchange import MARKET_STATES
from ..runtime.clock import ManualClock
from ..runtime.core import Runtime

if TYPE_CHECKING:
    from ..api.app import Request

PREFIX = "/_krakensim/v1/"
DEFAULT_FUNDS = Decimal("100000")
MAX_FUNDS = Decimal("10000000000")  # 1e10 USD: the balance stays a 64-bit integer of 1e-8 USD


def new_key_pair() -> tuple[str, str]:
    key = base64.b64encode(os.urandom(27)).decode().replace("/", "x").replace("+", "y")
    secret = base64.b64encode(secrets.token_bytes(64)).decode()
    return key, secret


def account_commands(usd: Decimal) -> dict[str, Any]:
    return {"c": "acct", "usd8": int(usd * 100_000_000)}


def create_account(rt: Runtime, usd: Decimal, key: str | None = None, secret: str | None = None,
                   access: str = FULL) -> dict[str, str]:
    """Start-up path (before the journal writer runs): create a funded account and its key."""
    uid = rt.submit_sync(account_commands(usd)).extra
    if key is None or secret is None:
        key, secret = new_key_pair()
    rt.submit_sync({"c": "key", "k": key, "s": secret, "a": uid, "x": access})
    return {"accountUid": uid, "apiKey": key, "apiSecret": secret}


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


async def admin(req: Request, body: bytes) -> tuple[int, dict[str, Any]]:
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
        uid = (await rt.submit(account_commands(usd))).extra
        key, secret = new_key_pair()
        await rt.submit({"c": "key", "k": key, "s": secret, "a": uid, "x": FULL})
        return 200, {"result": "success", "accountUid": uid, "apiKey": key, "apiSecret": secret,
                     "serverTime": iso(rt.clock())}
    if name == "keys" and req.method == "POST":
        doc = _json(body)
        existing = rt.keys.keys.get(str(doc.get("apiKey", "")))
        access = str(doc.get("access", FULL))
        if existing is None or access not in ACCESS_LEVELS:
            raise ApiError(INVALID)
        key, secret = new_key_pair()
        await rt.submit({"c": "key", "k": key, "s": secret, "a": existing.account, "x": access})
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
        cmd: dict[str, Any] = {"c": "prices", "s": inst.symbol}
        for field, key in (("mark", "mark"), ("price", "mark"), ("index", "index")):
            if field in doc:
                try:
                    ticks = inst.price_to_ticks(Decimal(str(doc[field])))
                except InvalidOperation as e:
                    raise ApiError(INVALID) from e
                if ticks is None:
                    raise ApiError(INVALID)
                cmd[key] = ticks
        if "mark" not in cmd and "index" not in cmd:
            raise ApiError("requiredArgumentMissing")
        await rt.submit(cmd)
        return 200, {"result": "success", "serverTime": iso(rt.clock())}
    if name == "market-state" and req.method == "POST":
        doc = _json(body)
        symbol, state = str(doc.get("symbol", "")), str(doc.get("state", ""))
        if symbol not in rt.exchange.listed or state not in MARKET_STATES:
            raise ApiError(INVALID)
        await rt.submit({"c": "state", "s": symbol, "v": state})
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
