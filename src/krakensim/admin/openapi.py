"""The control API's OpenAPI document (``GET /_krakensim/v1/openapi.json``), made from the endpoint table.

Each endpoint documented in ``SCHEMAS`` has its request body and its success answer described; one
added to the table without an entry here still appears, with the envelope only (``x-undocumented``),
so the document never omits an endpoint the server has. The tests validate every answer against it.
"""

from __future__ import annotations

from typing import Any

from ..version import __version__

S: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
B: dict[str, Any] = {"type": "boolean"}
NUM: dict[str, Any] = {"type": ["string", "number"]}  # a decimal, as text or a JSON number


def obj(required: list[str] | None = None, **props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required or []}


KEY_ANSWER = obj(["accountUid", "apiKey", "apiSecret", "access"], accountUid=S, apiKey=S, apiSecret=S,
                 access={"enum": ["full", "read-only"]})
BALANCES: dict[str, Any] = {"type": "object", "additionalProperties": S}
WALLETS_ANSWER = obj(["accountUid", "flex", "cash", "marginAccounts", "spot"], accountUid=S,
                     master={"type": ["string", "null"]}, tradingEnabled=B, flex=BALANCES, cash=BALANCES,
                     marginAccounts=BALANCES, spot=BALANCES)
ACCOUNT_KEY = obj(["apiKey", "apiSecret", "access"], apiKey=S, apiSecret=S, access={"enum": ["full", "read-only"]})
ACCOUNT_ROW = obj(["accountUid", "master", "tradingEnabled", "keys", "balance", "marginEquity"], accountUid=S,
                  master={"type": ["string", "null"]}, tradingEnabled=B,
                  keys={"type": "array", "items": ACCOUNT_KEY}, balance=S, marginEquity=S)
ACCOUNTS_ANSWER = obj(["accounts", "total", "limit", "offset"], accounts={"type": "array", "items": ACCOUNT_ROW},
                      total=INT, limit=INT, offset=INT)
DIGEST_ANSWER = obj(["digest", "journalSeq"], digest=S, journalSeq=INT)

# path -> method -> (summary, request body schema or None, success fields schema)
SCHEMAS: dict[str, dict[str, tuple[str, dict[str, Any] | None, dict[str, Any]]]] = {
    "accounts": {"POST": ("A funded account and a full-access key", obj([], usd=NUM), KEY_ANSWER),
                 "GET": ("Every account, a page at a time (?limit=1..1000, default 100; ?offset=), with its keys "
                         "and secrets, flex USD balance and margin equity", None, ACCOUNTS_ANSWER)},
    "keys": {"POST": ("Another key on an account (by accountUid, or by one of its keys)",
                      obj(["access"], accountUid=S, apiKey=S, access={"enum": ["full", "read-only"]}), KEY_ANSWER)},
    "digest": {"GET": ("The state's digest and the journal's position", None, DIGEST_ANSWER)},
    "prices": {"POST": ("Mark and/or index of one contract", obj(["symbol"], symbol=S, mark=NUM, price=NUM,
                                                                  index=NUM), obj())},
    "mark": {"POST": ("The first name of prices", obj(["symbol"], symbol=S, mark=NUM, price=NUM, index=NUM),
                      obj())},
    "market-state": {"POST": ("A contract's market state", obj(["symbol", "state"], symbol=S, state=S), obj())},
    "clock": {"GET": ("The exchange's time", None, obj(["now", "manual"], now=S, manual=B)),
              "POST": ("Move a manual clock forward; the simulated market steps every marketStepMs meanwhile "
                       "(default: its interval; coarser simulates a long span faster)",
                       obj(["advanceMs"], advanceMs=INT, marketStepMs=INT), obj(["now"], now=S))},
    "health": {"GET": ("Is the server well", None, obj(["status", "version"], status={"enum": ["ok", "failed"]},
                                                       version=S))},
    "status": {"GET": ("What the server is and holds", None, obj(
        ["version", "now", "manualClock", "market", "journal", "journalSeq", "accounts", "apiKeys", "instruments",
         "digest"], version=S, now=S, manualClock=B, market=B, journal={"type": ["string", "null"]},
        journalSeq=INT, accounts=INT, apiKeys=INT, instruments={"type": "array", "items": S}, digest=S))},
    "reset": {"POST": ("Back to the configured start ({}), or to a state file ({\"state\": …})",
                       obj([], state=S), DIGEST_ANSWER)},
    "snapshot": {"GET": ("The whole state as a state file (JSON lines)", None, obj(["state"], state=S))},
    "restore": {"POST": ("Replace the state with a state file's", obj(["state"], state=S),
                         obj(["commands", "digest", "journalSeq"], commands=INT, digest=S, journalSeq=INT))},
    "underlying-price": {"POST": ("Index and mark of every contract on an underlying",
                                  obj(["base", "price"], base=S, price=NUM),
                                  obj(["symbols"], symbols={"type": "array", "items": S}))},
    "rate-limits": {"GET": ("Whether Kraken's rate limits apply", None, obj(["enabled", "configured"], enabled=B,
                                                                             configured=B)),
                    "POST": ("Switch Kraken's rate limits (buckets full again)", obj(["enabled"], enabled=B),
                             obj(["enabled", "configured"], enabled=B, configured=B))},
    "faults": {"GET": ("The faults in force", None, obj(["faults", "seed"], faults={"type": "array"}, seed=INT)),
               "POST": ("One more fault on purpose (docs/testing.md)", obj(["kind"], kind=S, endpoint=S, method=S,
                                                                          probability={"type": "number"}),
                        obj(["fault"], fault={"type": "object"}))},
    "faults/clear": {"POST": ("No more faults", obj(), obj(["faults", "seed"], faults={"type": "array"}, seed=INT))},
    "faults/drop-websockets": {"POST": ("Close every WebSocket connection now", obj(), obj(["dropped"],
                                                                                          dropped=INT))},
    "market": {"GET": ("The simulated market: configured, running", None,
                       obj(["simulated", "running"], simulated=B, running=B)),
               "POST": ("Pause or resume the simulated market (prices and agents)", obj(["running"], running=B),
                        obj(["simulated", "running"], simulated=B, running=B))},
    "clock/speed": {"GET": ("A scaled clock's speed, now and as configured (null: not a scaled clock)", None,
                            obj(["now", "speed", "configured"], now=S, speed={"type": ["number", "null"]},
                                configured={"type": ["number", "null"]})),
                    "POST": ("How much faster than the wall clock a scaled clock runs (until a reset)",
                             obj(["speed"], speed={"type": "number"}),
                             obj(["now", "speed", "configured"], now=S, speed={"type": "number"},
                                 configured={"type": "number"}))},
    "openapi.json": {"GET": ("This document", None, {"type": "object"})},
    # wallets (issue 13): collateral in and out, what each wallet of an account holds
    "deposit": {"POST": ("Collateral into a wallet of an account (flex by default)",
                         obj(["accountUid", "currency", "amount"], accountUid=S, currency=S, amount=NUM, wallet=S),
                         WALLETS_ANSWER)},
    "withdraw": {"POST": ("Collateral out of a wallet of an account (flex by default)",
                          obj(["accountUid", "currency", "amount"], accountUid=S, currency=S, amount=NUM, wallet=S),
                          WALLETS_ANSWER)},
    "wallets": {"GET": ("What each wallet of an account holds (?accountUid=…)", None, WALLETS_ANSWER)},
    "notifications": {"POST": ("A notification to every account (REST notifications, notifications_auth)",
                               obj(["type", "priority", "note"], type=S, priority=S, note=S, effectiveTime=NUM,
                                   expectedDowntimeMinutes=INT),
                               obj(["id", "effectiveTime"], id={"type": ["string", "integer"]}, effectiveTime=S))},
    "scenarios": {"GET": ("The market scenarios scheduled", None, obj(["scenarios"], scenarios={"type": "array"})),
                  "POST": ("Schedule a market scenario (admin/scenarios.py: crash, squeeze, volatility, drought, "
                           "halt, funding_spike, replay)", obj(["name"], name=S, target=S, startInMs=INT,
                                                                durationMs=INT),
                           obj(["scenario"], scenario={"type": "object"}))},
}

ERROR = obj(["result", "error", "serverTime"], result={"const": "error"}, error=S, serverTime=S, message=S)
REFUSALS = {"400": "a malformed or invalid body (message: the field)", "401": "no or a wrong token",
            "403": "a Host or Origin not its own, or a key it may not make", "404": "an unknown path or account",
            "405": "another method", "409": "a clock that is not manual", "415": "a POST body not declared JSON"}


def _success(fields: dict[str, Any]) -> dict[str, Any]:
    if fields.get("type") == "object" and "properties" in fields:
        props = {"result": {"const": "success"}, "serverTime": S, **fields["properties"]}
        return {"type": "object", "properties": props, "required": ["result", "serverTime", *fields["required"]]}
    return fields


def document(endpoints: dict[str, dict[str, Any]]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for name, methods in sorted(endpoints.items()):
        item: dict[str, Any] = {}
        for method in sorted(methods):
            summary, body, fields = SCHEMAS.get(name, {}).get(method, ("", None, obj()))
            op: dict[str, Any] = {
                "summary": summary or f"{method} {name}", "security": [{"bearer": []}],
                "responses": {"200": {"description": "success",
                                      "content": {"application/json": {"schema": _success(fields)}}},
                              **{code: {"description": why, "content": {"application/json": {
                                  "schema": {"$ref": "#/components/schemas/Error"}}}} for code, why in REFUSALS.items()}},
            }
            if method not in SCHEMAS.get(name, {}):
                op["x-undocumented"] = True
            if body is not None:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
            item[method.lower()] = op
        paths[f"/_krakensim/v1/{name}"] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "krakensim control API", "version": __version__,
                 "description": "Accounts, prices, the clock, reset and state files of a krakensim server. "
                                "Every request: Authorization: Bearer <token>; POST bodies: application/json."},
        "paths": paths,
        "components": {"schemas": {"Error": ERROR},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
