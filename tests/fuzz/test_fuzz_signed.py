"""Property-based fuzzing of every signed endpoint with hostile values, over raw HTTP bytes.

Parameters (repeated keys included) take hostile values: numbers with huge or tiny exponents,
NaN and Infinity in every spelling, underscores, a leading '+', whitespace, digits that are not
ASCII ('٣', '３'), other non-ASCII text, very long strings, nothing at all; encoded properly, raw,
with broken percent-escapes or with bytes that are not UTF-8, in the query (ccxt) or the form body
(the SDK), now and then padded past the body limit. batchorder gets hostile JSON: deep nesting,
values of the wrong type, instructions that are not instructions. The request is signed with a
valid signature over exactly those bytes (now and then a wrong one, or none), with a nonce that is
fresh, missing, malformed or far ahead of the clock.

Every answer must be no 5xx, JSON, valid against the spec; an error must leave the state digest as
it was; a bad signature and a malformed or far-ahead nonce are ``authenticationError``; and the key
keeps working with its ordinary nonces to the end.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote_plus

from hypothesis import given, settings
from hypothesis import strategies as st

from fuzzing import CASES, FUZZ, KEY, Server, is_error, judge, sign, signed_path, state_digest
from krakensim.api.asgi import MAX_BODY
from krakensim.api.errors import REQUIRED
from krakensim.api.routes import PATTERNS, ROUTES
from krakensim.runtime.keys import nonce_ceiling
from rawhttp import RawConnection

D3 = "/derivatives/api/v3/"
# signed path templates, fuzzed with one concrete path each (an account uid that is nobody's subaccount)
SIGNED_PATTERNS = [(D3 + "subaccount/", "/trading-enabled", ("GET", "PUT"))]
SIGNED_FACTOR = 80  # examples per example of an OpenAPI operation: this one test covers every signed endpoint
SIGNED = [
    ("POST", D3 + "sendorder"), ("POST", D3 + "editorder"), ("POST", D3 + "cancelorder"),
    ("POST", D3 + "cancelallorders"), ("POST", D3 + "cancelallordersafter"), ("POST", D3 + "batchorder"),
    ("GET", D3 + "orders/status"), ("POST", D3 + "orders/status"), ("GET", D3 + "openorders"),
    ("GET", D3 + "self-trade-strategy"), ("PUT", D3 + "self-trade-strategy"), ("GET", D3 + "fills"),
    ("GET", D3 + "accounts"), ("GET", D3 + "openpositions"), ("GET", D3 + "feeschedules/volumes"),
    ("GET", D3 + "trading/instruments"), ("GET", D3 + "notifications"),
    ("GET", D3 + "leveragepreferences"), ("PUT", D3 + "leveragepreferences"), ("GET", D3 + "pnlpreferences"),
    ("PUT", D3 + "pnlpreferences"), ("POST", D3 + "transfer"), ("POST", D3 + "transfer/subaccount"),
    ("POST", D3 + "withdrawal"), ("GET", D3 + "subaccounts"),
    ("GET", D3 + "unwindqueue"), ("GET", D3 + "assignmentprogram/current"),
    ("POST", D3 + "assignmentprogram/add"), ("POST", D3 + "assignmentprogram/delete"),
    ("GET", D3 + "assignmentprogram/history"),
    ("GET", D3 + "portfolio-margining/parameters"), ("POST", D3 + "portfolio-margining/simulate"),
    ("GET", D3 + "initialmargin"), ("GET", D3 + "initialmargin/maxordersize"),
    *(("GET", f"/api/history/{v}/{what}") for v in ("v2", "v3")
      for what in ("orders", "triggers", "executions", "account-log", "accountlogcsv", "positions")),
    *((m, prefix + "00000000-0000-4000-8000-000000000001" + suffix) for prefix, suffix, ms in SIGNED_PATTERNS
      for m in ms),
]
NAMES = ["orderType", "symbol", "side", "size", "limitPrice", "stopPrice", "cliOrdId", "reduceOnly", "processBefore",
         "order_id", "orderId", "qtyMode", "triggerSignal", "trailingStopMaxDeviation", "trailingStopDeviationUnit",
         "limitPriceOffsetValue", "limitPriceOffsetUnit", "orderIds", "cliOrdIds", "timeout", "strategy",
         "lastFillTime", "since", "before", "count", "sort", "continuation_token", "tradeable", "contractType",
         "json", "maxLeverage", "pnlPreference", "fromAccount", "toAccount", "unit", "amount", "fromUser", "toUser",
         "currency", "sourceWallet", "tradingEnabled", "contract", "maxSize", "maxPosition", "acceptLong",
         "acceptShort", "timeFrame", "enabled", "id", "", "junk", "from", "to", "info", "conversion_details",
         "opened", "closed", "reversed", "no_change", "trades", "settlement"]

NUMBER_SPELLINGS = [
    "1e999999999", "-1e999999999", "1E999999999", "1e-999999999", "9e99", "1e100", "1e-100", "0e999999999",
    "NaN", "nan", "-NaN", "sNaN", "+NaN", "Infinity", "-Infinity", "+Infinity", "inf", "-inf", "INF", "∞",
    "1_0", "1_000.5", "+5", "+0.001", " 5", "5 ", "\t5", "5\n", "\u00a05", "٣", "١٠٠", "３", "𝟓", "²", "৫",
    "0x10", "0b1", "1e", "e5", ".", "-", "--1", "1.2.3", "1,5", "-0", "0", "00001", ".5", "5.", "1e+05",
    "9" * 19, "9" * 20, "9" * 64, "9" * 65, "1" + "0" * 4300, "0." + "0" * 100 + "1",
]
LEGIT = ["PF_XBTUSD", "futures trade", "PI_XBTUSD", "PF_ETHUSD", "buy", "sell", "lmt", "post", "ioc", "mkt", "fok", "stp",
         "take_profit", "trailing_stop", "true", "false", "True", "0.001", "0.01", "1", "89000", "90000", "45000",
         "PERCENT", "QUOTE_CURRENCY", "mark", "last", "index", "ABSOLUTE", "RELATIVE", "REJECT_TAKER",
         "CANCEL_MAKER_SELF", "asc", "desc", "60", "2026-01-01T00:00:00.000Z", "2999-01-01T00:00:00Z",
         "00000000-0000-4000-8000-000000000001", "flex", "cash", "fi_xbtusd", "usd", "xbt", "BTC", "EUR", "all",
         "weekdays", "weekends"]
values = st.one_of(
    st.sampled_from(NUMBER_SPELLINGS), st.sampled_from(LEGIT),
    st.integers(-(2**70), 2**70).map(str), st.floats().map(repr), st.decimals(allow_nan=True).map(str),
    st.text(max_size=16), st.text(st.characters(codec="ascii"), max_size=16),
    st.sampled_from(["x" * 101, "é" * 200, "%", "&", "=", "+", "null", "[]", "{}", "\x00", "\r\n"]),
)
params = st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=10)  # repeated keys too


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False),
                        st.text(max_size=8), st.sampled_from(NUMBER_SPELLINGS + LEGIT))
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.sampled_from(NAMES + ["order"]), inner,
                                                                         max_size=3)), max_leaves=12)


instruction = st.dictionaries(st.sampled_from(["order", "order_tag", "orderType", "symbol", "side", "size",
                                               "limitPrice", "order_id", "cliOrdId", "reduceOnly", "junk"]),
                              st.one_of(st.sampled_from(["send", "edit", "cancel"]), values, _json_values()),
                              max_size=8)
batch_docs = st.one_of(
    st.fixed_dictionaries({"batchOrder": st.lists(instruction, max_size=4)}),
    _json_values(),
    st.integers(1, 5000).map(lambda depth: "[" * depth + "]" * depth),  # deep nesting, as text
    st.integers(1, 5000).map(lambda depth: '{"batchOrder":' + "[" * depth + "]" * depth + "}"),
    st.sampled_from(["{bad", "", '{"batchOrder": 5}', '{"batchOrder": [1e999]}', "[" * 100000]),
)


def _encode(pairs: list[tuple[str, str]], how: str) -> bytes:
    """Form-encode ``pairs``: properly, raw (no escaping at all), or properly with damage added."""
    if how == "raw":
        return "&".join(f"{k}={v}" for k, v in pairs).encode("utf-8", "surrogatepass")
    text = "&".join(f"{quote_plus(k, errors='surrogatepass')}={quote_plus(v, errors='surrogatepass')}"
                    for k, v in pairs)
    if how == "bad-escape":
        return (text + "&size=%ZZ&symbol=%&x=%F").encode()
    if how == "bad-utf8":
        return text.encode() + b"&side=\xff\xfe&cliOrdId=\xc3("
    return text.encode()


def _batch_body(doc: Any, sdk: bool) -> bytes:
    text = doc if isinstance(doc, str) else json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    if sdk:  # the SDK form-encodes the JSON
        return b"json=" + quote_plus(text, errors="surrogatepass").encode()
    return b"json=" + text.encode("utf-8", "surrogatepass")  # ccxt sends it raw


class Nonces:
    """Increasing nanosecond nonces: what the key uses whenever the case asks for a good one."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self) -> str:
        self.last = max(self.last + 1, time.time_ns())
        return str(self.last)


GOOD_NONCE = Nonces()
HOSTILE_NONCES = ["-5", "+5", " 5", "5 ", "1_0", "٣", "1e3", "0x10", "1.5", "10" * 10, "1" + "0" * 20,
                  "9" * 19, "9" * 4301, "abc", "\t1"]
nonces = st.one_of(
    st.just("good"), st.just("good"), st.just("none"), st.just("far-ahead"),
    st.sampled_from(HOSTILE_NONCES),
)


def _nonce(kind: str) -> str:
    if kind == "good":
        return GOOD_NONCE()
    if kind == "none":
        return ""
    if kind == "far-ahead":  # beyond the ceiling at any moment of the run
        return str(nonce_ceiling(time.time_ns() // 1_000_000 + 3_600_000))
    return kind


def test_every_signed_endpoint_is_fuzzed() -> None:
    served = {(m, p) for p, r in ROUTES.items() if r.auth is not None for m in r.methods}
    fixed = {(m, p) for m, p in SIGNED if not any(p.startswith(pre) for pre, _, _ in SIGNED_PATTERNS)}
    assert served == fixed, served ^ fixed
    signed_patterns = [(prefix, suffix, r.methods) for prefix, suffix, r in PATTERNS if r.auth is not None]
    assert signed_patterns == SIGNED_PATTERNS


@settings(FUZZ, max_examples=FUZZ.max_examples * SIGNED_FACTOR)
@given(endpoint=st.sampled_from(SIGNED), pairs=params, in_body=st.booleans(),
       how=st.sampled_from(["proper", "proper", "raw", "bad-escape", "bad-utf8"]), batch=batch_docs,
       sdk=st.booleans(), nonce_kind=nonces, signature=st.sampled_from(["valid"] * 8 + ["wrong", "missing"]),
       pad=st.sampled_from([0] * 19 + [MAX_BODY + 1]))
def test_fuzz_signed_endpoints(server: Server, endpoint: tuple[str, str], pairs: list[tuple[str, str]],
                               in_body: bool, how: str, batch: Any, sdk: bool, nonce_kind: str, signature: str,
                               pad: int) -> None:
    method, path = endpoint
    encoded = _encode(pairs, how)
    if path.endswith("batchorder"):
        query, body = b"", _batch_body(batch, sdk)
    elif in_body and method in ("POST", "PUT"):
        query, body = b"", encoded
    else:
        query, body = encoded, b""
    if pad:
        body += b"&pad=" + b"x" * pad
    nonce = _nonce(nonce_kind).encode("utf-8", "surrogatepass")
    authent = sign(query + body + nonce + signed_path(path).encode())
    headers = [(b"Content-Type", b"application/x-www-form-urlencoded")]
    if signature != "missing":
        headers += [(b"APIKey", KEY.encode()), (b"Authent", (authent[::-1] if signature == "wrong" else authent).encode())]
    if nonce:
        headers.append((b"Nonce", nonce))
    target = path.encode() + (b"?" + query if query else b"")
    before = state_digest(server.base)
    conn = RawConnection(server.port)
    try:
        answer = conn.request(method, target, headers, body)
    finally:
        conn.close()
    CASES["signed"] += 1
    context = f"\nrequest: {method} {target[:600]!r} {headers!r} body {body[:600]!r}"
    try:
        doc = judge(method, path, answer.status, answer.headers.get(b"content-type", b"").decode(), answer.body)
    except AssertionError as e:
        raise AssertionError(f"{e}{context}") from None
    if is_error(answer.status, doc):
        assert state_digest(server.base) == before, f"{doc} changed the state{context}"
    error = doc.get("error") if isinstance(doc, dict) else None
    if answer.status in (400, 413, 414, 431):
        return  # refused by HTTP before authentication was looked at (a signed endpoint's own errors are 200 or 401)
    if signature != "valid" or nonce_kind == "far-ahead" or nonce_kind in HOSTILE_NONCES:
        # a command missing an argument it can never do without is refused before its key is looked at
        route = ROUTES.get(path) or next((r for pre, suf, r in PATTERNS if path.startswith(pre) and path.endswith(suf)),
                                         None)
        allowed = {"authenticationError"} | ({REQUIRED} if route is not None and route.required else set())
        assert error in allowed, f"{answer.status} {doc}{context}"


def test_the_key_still_works_after_the_fuzz(server: Server) -> None:
    """Nothing the fuzz sent (far-ahead or malformed nonces included) locked the key out."""
    nonce = GOOD_NONCE().encode()
    path = "/derivatives/api/v3/accounts"
    headers = [(b"APIKey", KEY.encode()), (b"Authent", sign(nonce + signed_path(path).encode()).encode()),
               (b"Nonce", nonce)]
    conn = RawConnection(server.port)
    answer = conn.request("GET", path.encode(), headers)
    conn.close()
    assert answer.status == 200 and json.loads(answer.body)["result"] == "success", answer
