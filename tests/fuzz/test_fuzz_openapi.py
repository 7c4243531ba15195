"""Schemathesis over Kraken's own OpenAPI documents, for every endpoint krakensim serves.

For each operation of the documents (tests/fuzz/openapi/, copies of Kraken's) that krakensim
serves, schemathesis generates requests, positive (what the document allows) and negative (what
it does not), and each one is sent to every path krakensim serves that operation at (History v2
and v3, the v4 funding rates, orders/status by GET and POST, trading/instruments), its parameters
in the query (as ccxt sends them) or in a form body (as the SDK does), signed with a valid key and
nonce where the endpoint wants a key. Every answer must be no 5xx, JSON, valid against the spec
(tests/schema_check.py: schemas generated from the same documents, with the relaxations listed in
tests/schemas/index.json), and an error must leave the exchange's state digest as it was.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode
from schemathesis.schemas import APIOperation

from fuzzing import CASES, FUZZ, KEY, Server, is_error, judge, sign, signed_path, state_digest
from krakensim.api.charts import PREFIX as CHARTS_PREFIX
from krakensim.api.routes import PATTERNS, ROUTES
from rawhttp import RawConnection

SPEC_DIR = Path(__file__).resolve().parent / "openapi" / "futures-rest"
# each document, and the prefix its paths are served under (its servers name futures.kraken.com's)
DOCUMENTS = {
    "trading/public.yml": "/derivatives/api/v3",
    "history/api-public.yml": "/api/history/v3",
    "charts/api-public.yml": "/api/charts/v1",
}
D3 = "/derivatives/api/v3"


@dataclass(frozen=True)
class Target:
    """Where one operation is served: method, path template (the operation's parameter names)."""

    method: str
    template: str
    signed: bool


def _served() -> dict[str, tuple[Target, ...]]:
    """Every operation krakensim serves ("METHOD /full/template" of the documents) and its targets."""
    plain = ["GET /instruments", "GET /instruments/status", "GET /instruments/{symbol}/status", "GET /tickers",
             "GET /tickers/{symbol}", "GET /orderbook", "GET /history", "GET /feeschedules"]
    keyed = ["GET /accounts", "POST /batchorder", "POST /cancelallorders", "POST /cancelallordersafter",
             "POST /cancelorder", "POST /editorder", "POST /sendorder", "GET /feeschedules/volumes", "GET /fills",
             "GET /openorders", "GET /openpositions", "GET /self-trade-strategy", "PUT /self-trade-strategy",
             "GET /leveragepreferences", "PUT /leveragepreferences", "GET /pnlpreferences", "PUT /pnlpreferences",
             "POST /transfer", "POST /transfer/subaccount", "POST /withdrawal", "GET /subaccounts",
             "GET /subaccount/{subaccountUid}/trading-enabled", "PUT /subaccount/{subaccountUid}/trading-enabled",
             "GET /notifications",

             "GET /unwindqueue", "GET /assignmentprogram/current", "POST /assignmentprogram/add",
             "POST /assignmentprogram/delete", "GET /assignmentprogram/history",
             "GET /portfolio-margining/parameters", "POST /portfolio-margining/simulate"]
    out: dict[str, tuple[Target, ...]] = {}
    for op, signed in [*((o, False) for o in plain), *((o, True) for o in keyed)]:
        method, path = op.split(" ")
        out[f"{method} {D3}{path}"] = (Target(method, D3 + path, signed),)
    out[f"GET {D3}/instruments"] += (Target("GET", D3 + "/trading/instruments", True),)  # 2026 docs only
    # the legacy initialmargin paths (in no OpenAPI document) take sendorder's orderType, symbol, side, size, limitPrice
    out[f"POST {D3}/sendorder"] += (Target("GET", D3 + "/initialmargin", True),
                                    Target("GET", D3 + "/initialmargin/maxordersize", True))
    out[f"POST {D3}/orders/status"] = (Target("POST", D3 + "/orders/status", True),
                                       Target("GET", D3 + "/orders/status", True))  # ccxt's GET
    out[f"GET {D3}/historical-funding-rates"] = (Target("GET", D3 + "/historical-funding-rates", False),
                                                 Target("GET", "/derivatives/api/v4/historicalfundingrates", False))
    for path, signed in [("/orders", True), ("/triggers", True), ("/executions", True), ("/account-log", True),
                         ("/accountlogcsv", True), ("/positions", True),
                         ("/market/{tradeable}/executions", False), ("/market/{tradeable}/orders", False),
                         ("/market/{tradeable}/price", False)]:
        out[f"GET /api/history/v3{path}"] = tuple(Target("GET", f"/api/history/{v}{path}", signed) for v in ("v3", "v2"))
    for path in ("/", "/{tick_type}", "/{tick_type}/{symbol}", "/{tick_type}/{symbol}/{resolution}"):
        out[f"GET /api/charts/v1{path}"] = (Target("GET", "/api/charts/v1" + path, False),)
    return out


SERVED = _served()


def _operations() -> dict[str, APIOperation]:
    ops: dict[str, APIOperation] = {}
    for document, prefix in DOCUMENTS.items():
        schema = schemathesis.openapi.from_path(SPEC_DIR / document)
        for result in schema.get_all_operations():
            op = result.ok()
            ops[f"{op.method.upper()} {prefix}{op.path}"] = op
    return ops


OPERATIONS = _operations()


def test_every_served_endpoint_is_fuzzed() -> None:
    """Each path and method krakensim routes (but the control API) is the target of an operation above."""
    targets = {(t.method, t.template) for ts in SERVED.values() for t in ts}
    for path, route in ROUTES.items():
        for method in route.methods:
            assert (method, path) in targets, f"{method} {path} is served but not fuzzed"
    for prefix, suffix, route in PATTERNS:
        for method in route.methods:
            assert any(m == method and t.startswith(prefix) and t.endswith(suffix) and "{" in t
                       for m, t in targets), f"{method} {prefix}{{…}}{suffix} is served but not fuzzed"
    assert ("GET", CHARTS_PREFIX + "{tick_type}/{symbol}/{resolution}") in targets
    assert set(SERVED) <= set(OPERATIONS), set(SERVED) - set(OPERATIONS)


# ---------------------------------------------------------------------- encoding a case as bytes
def _text(value: Any) -> str:
    """A parameter value as a client would write it: JSON for objects, lower-case booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return "" if value is None else str(value)


def _form(params: dict[str, Any]) -> bytes:
    pairs = [(k, _text(v)) for k, values in params.items()
             for v in (values if isinstance(values, list) else [values])]
    return urlencode(pairs, errors="surrogatepass").encode()


def _batch_body(body: Any, sdk: bool) -> bytes:
    """batchorder's form body: ccxt sends ``json=`` and the raw compact JSON, the SDK form-encodes it."""
    fields = body if isinstance(body, dict) else {"json": body}
    if not sdk and set(fields) == {"json"}:
        return b"json=" + _text(fields["json"]).encode("utf-8", "surrogatepass")
    return _form(fields)


def _target_path(template: str, path_parameters: dict[str, Any]) -> str:
    # str.format would read "{}" inside a value; the templates hold only whole {name} parameters
    path = template
    for name, value in path_parameters.items():
        path = path.replace("{" + name + "}", quote(_text(value).encode("utf-8", "surrogatepass"), safe=""))
    return path


_HEADER_NAME = set(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_AUTH_HEADERS = {"apikey", "authent", "nonce", "host", "content-length", "transfer-encoding", "connection"}


def _generated_headers(headers: dict[str, Any] | None) -> list[tuple[bytes, bytes]]:
    """The headers schemathesis generated (hostile ones in negative mode) that HTTP can carry at all."""
    out = []
    for name, value in (headers or {}).items():
        n = name.encode("utf-8", "replace")
        v = _text(value).encode("utf-8", "replace")
        if (n and set(n) <= _HEADER_NAME and name.lower() not in _AUTH_HEADERS
                and not any(b in v for b in b"\r\n\x00") and v == v.strip()):
            out.append((n, v))
    return out


class Nonces:
    """Increasing nanosecond nonces, as clients that count in time_ns send."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self) -> bytes:
        self.last = max(self.last + 1, time.time_ns())
        return str(self.last).encode()


NONCE = Nonces()


def send(conn: RawConnection, target: Target, case: Any, in_body: bool, sdk: bool) -> tuple[str, int, Any]:
    path = _target_path(target.template, case.path_parameters or {})
    query = _form(case.query or {})
    body = b""
    if target.template.endswith("/batchorder"):
        body = _batch_body(case.body, sdk) if case.body is not None else b""
    elif target.method in ("POST", "PUT") and in_body:
        query, body = b"", query
    headers = _generated_headers(case.headers)
    if target.signed:
        nonce = NONCE()
        authent = sign(query + body + nonce + signed_path(path).encode())
        headers += [(b"APIKey", KEY.encode()), (b"Authent", authent.encode()), (b"Nonce", nonce)]
    if body:
        headers.append((b"Content-Type", b"application/x-www-form-urlencoded"))
    request_target = path.encode() + (b"?" + query if query else b"")
    answer = conn.request(target.method, request_target, headers, body)
    try:
        doc = judge(target.method, path, answer.status, answer.headers.get(b"content-type", b"").decode(),
                    answer.body)
    except AssertionError as e:
        raise AssertionError(f"{e}\nrequest: {target.method} {request_target[:800]!r} {headers!r} "
                             f"body {body[:800]!r}") from None
    return path, answer.status, doc


MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
SYMBOLS = ("PF_XBTUSD", "PI_XBTUSD", "PF_ETHUSD")
# Values schemathesis would hardly ever find (a listed symbol, an existing order), fixed in a share
# of the cases so that they get past the symbol and reach the parsing of everything else.
QUERY_SYMBOL = {f"POST {D3}/sendorder", f"GET {D3}/orderbook", f"GET {D3}/history",
                f"GET {D3}/historical-funding-rates", f"POST {D3}/cancelallorders"}
ORDER_ID = {f"POST {D3}/editorder": "orderId", f"POST {D3}/cancelorder": "order_id"}


def _fixed(operation: str, op: APIOperation, order_ids: list[str]) -> list[dict[str, Any]]:
    """Sets of fixed parameters for ``as_strategy`` (the rest is generated)."""
    names = {p.name for p in op.iter_parameters() if p.location == "path"}
    out: list[dict[str, Any]] = []
    for symbol in SYMBOLS:
        path = {n: v for n, v in (("symbol", symbol), ("tradeable", symbol), ("tick_type", "trade"),
                                  ("resolution", "1m")) if n in names}
        if path:
            out.append({"path_parameters": path})
        if operation in QUERY_SYMBOL:
            out.append({"query": {"symbol": symbol}})
    if operation in ORDER_ID:
        out += [{"query": {ORDER_ID[operation]: oid}} for oid in order_ids]
    return out


def _place_resting_orders(server: Server) -> list[str]:
    """Three orders of the fuzz account resting far from the market, for edits and cancels to find."""
    conn = RawConnection(server.port)
    ids = []
    for price in ("45000", "46000", "47000"):
        body = urlencode({"orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy", "size": "0.01",
                          "limitPrice": price}).encode()
        nonce = NONCE()
        headers = [(b"APIKey", KEY.encode()), (b"Authent", sign(body + nonce + b"/api/v3/sendorder").encode()),
                   (b"Nonce", nonce), (b"Content-Type", b"application/x-www-form-urlencoded")]
        answer = conn.request("POST", b"/derivatives/api/v3/sendorder", headers, body)
        ids.append(json.loads(answer.body)["sendStatus"]["order_id"])
    conn.close()
    return ids


@pytest.fixture(scope="module")
def order_ids(server: Server) -> list[str]:
    return _place_resting_orders(server)


def _cases(operation: str, op: APIOperation, order_ids: list[str]) -> st.SearchStrategy[Any]:
    generated = [op.as_strategy(generation_mode=mode) for mode in MODES]
    fixed = [op.as_strategy(generation_mode=mode, **f) for f in _fixed(operation, op, order_ids) for mode in MODES]
    return st.one_of(generated) if not fixed else st.one_of(st.one_of(generated), st.one_of(fixed))


@pytest.mark.parametrize("operation", sorted(SERVED))
def test_openapi_operation(server: Server, order_ids: list[str], operation: str) -> None:
    op = OPERATIONS[operation]
    targets = SERVED[operation]
    conn = RawConnection(server.port)

    @FUZZ
    @given(case=_cases(operation, op, order_ids), in_body=st.booleans(), sdk=st.booleans())
    def fuzz(case: Any, in_body: bool, sdk: bool) -> None:
        for target in targets:
            before = state_digest(server.base)
            path, status, doc = send(conn, target, case, in_body, sdk)
            CASES["openapi"] += 1
            if is_error(status, doc):
                assert state_digest(server.base) == before, f"{target.method} {path} -> {status} {doc} changed the state"

    try:
        fuzz()
    finally:
        conn.close()
