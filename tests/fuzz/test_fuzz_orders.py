"""Property-based fuzzing of the order endpoints over real HTTP.

For random (often malformed) parameters, encodings and bodies, every answer must be
JSON, never a 5xx, valid against the spec's schema for the endpoint, and — when it is an
error — leave the exchange's state exactly as it was (digest before == digest after).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema_check import assert_valid
from serverproc import ADMIN_HEADERS, free_port, start_server

ROOT = Path(__file__).resolve().parents[2]
KEY = "fuzz-key"
SECRET = base64.b64encode(os.urandom(64)).decode()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    proc = start_server(port, [(KEY, SECRET)], "--memory", stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        yield base
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        assert b"Traceback" not in err, err.decode()[-2000:]


SESSION = requests.Session()

values = st.one_of(
    st.sampled_from(["PF_XBTUSD", "PF_ETHUSD", "PI_XBTUSD", "pf_xbtusd", "XBTUSD", "buy", "sell", "BUY",
                     "lmt", "post", "ioc", "mkt", "fok", "stp", "take_profit", "trailing_stop", "LMT",
                     "true", "false", "True", "yes", "0.001", "1e-05", "-1", "0", "0.00001", "89000",
                     "90000", "91000", "1e308", "NaN", "Infinity", "inf", "89000.5", "0x10", "",
                     "2023-11-08T19:56:35.441Z", "2999-01-01T00:00:00Z", "not-a-date", "ABSOLUTE",
                     "RELATIVE", "x" * 101, "ünïcødé", "%", "&", "=", "null", "[]", "{}"]),
    st.text(max_size=12),
    st.integers(-10**20, 10**20).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=6).map(str),
)
names = st.sampled_from(["orderType", "symbol", "side", "size", "limitPrice", "stopPrice", "cliOrdId",
                         "reduceOnly", "processBefore", "order_id", "orderId", "qtyMode", "triggerSignal",
                         "orderIds", "cliOrdIds", "json", "junk"])
params = st.dictionaries(names, values, max_size=8)
endpoints = st.sampled_from(["sendorder", "cancelorder", "editorder", "batchorder", "orders/status"])
batch_json = st.one_of(
    st.just("json={bad"),
    st.just('json={"batchOrder": 5}'),
    st.builds(lambda p: "json=" + str(p).replace("'", '"'),
              st.fixed_dictionaries({"batchOrder": st.lists(st.dictionaries(
                  st.sampled_from(["order", "order_tag", "orderType", "symbol", "side", "size", "limitPrice",
                                   "order_id", "cliOrdId"]), values, max_size=7), max_size=4)})),
    st.binary(max_size=40).map(lambda b: "json=" + b.decode("latin-1")),
)


def sign(message: bytes) -> str:
    digest = hashlib.sha256(message).digest()
    return base64.b64encode(hmac.new(base64.b64decode(SECRET), digest, hashlib.sha512).digest()).decode()


def digest(base: str) -> str:
    return str(SESSION.get(base + "/_krakensim/v1/digest", headers=ADMIN_HEADERS, timeout=5).json()["digest"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=endpoints, p=params, in_body=st.booleans(), batch=batch_json, nonce=st.booleans(),
       bad_sig=st.integers(0, 9))
def test_fuzz_order_endpoints(server: str, endpoint: str, p: dict[str, str], in_body: bool, batch: str,
                              nonce: bool, bad_sig: int) -> None:
    path = "/derivatives/api/v3/" + endpoint
    encoded = batch if endpoint == "batchorder" else urlencode(p)
    query, body = ("", encoded) if in_body or endpoint == "batchorder" else (encoded, "")
    n = str(time.time_ns()) if nonce else ""
    message = (query + body + n + path[len("/derivatives"):]).encode("latin-1", "replace")
    authent = sign(message)
    if bad_sig == 0:
        authent = authent[::-1]
    headers = {"APIKey": KEY, "Authent": authent, "Content-Type": "application/x-www-form-urlencoded"}
    if n:
        headers["Nonce"] = n
    method = "GET" if endpoint == "orders/status" and not in_body else "POST"
    before = digest(server)
    url = server + path + ("?" + query if query else "")
    r = SESSION.request(method, url, data=body.encode("latin-1", "replace"), headers=headers, timeout=10)
    assert r.status_code < 500, r.text
    doc = r.json()
    assert_valid(method, path, doc, r.status_code)
    if doc.get("result") == "error":
        assert "serverTime" in doc and isinstance(doc["error"], str)
        assert digest(server) == before, f"error {doc['error']} changed the state"
    if bad_sig == 0:
        assert doc == {**doc, "result": "error", "error": "authenticationError"}
