"""What the fuzz tests share: their hypothesis settings, the server under test, Kraken's signature,
the state digest and the judgement of one answer (never a 5xx, JSON, valid against the spec).

``make test`` runs the ``krakensim-fuzz-ci`` hypothesis profile (the whole fuzz well under a
minute). ``KRAKENSIM_FUZZ=long`` selects ``krakensim-fuzz-long`` (50 times the cases), and
``KRAKENSIM_FUZZ_EXAMPLES=N`` sets the examples per test (per operation for the OpenAPI fuzz)::

    KRAKENSIM_FUZZ=long python -m pytest tests/fuzz
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from hypothesis import HealthCheck, settings

from schema_check import assert_valid, has_schema, validation_errors
from serverproc import ADMIN_HEADERS, free_port, start_server

CI_EXAMPLES = 12  # per OpenAPI operation (sent to every path it is served at); the other tests scale it
LONG_FACTOR = 50
_long = os.environ.get("KRAKENSIM_FUZZ", "") == "long"
EXAMPLES = int(os.environ.get("KRAKENSIM_FUZZ_EXAMPLES", "0")) or CI_EXAMPLES * (LONG_FACTOR if _long else 1)
PROFILE = "krakensim-fuzz-long" if _long else "krakensim-fuzz-ci"
settings.register_profile(
    PROFILE,
    max_examples=EXAMPLES,
    deadline=None,  # a request to a live server has no meaningful deadline
    database=None,  # a live server's state cannot be replayed: no example database
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)
FUZZ = settings.get_profile(PROFILE)
CASES: Counter[str] = Counter()  # requests sent, by fuzz test: printed at the end of the run

KEY = "fuzz-key"
SECRET = base64.b64encode(os.urandom(64)).decode()
# a manual clock: nothing fires on a timer (a dead man's switch armed by the fuzz, funding, expiries),
# so the state moves only by the requests themselves and a digest taken around one of them tells
START_TIME = "2026-01-01T00:00:00Z"
SESSION = requests.Session()

# The spec's error envelope (ErrorResponse, as generated for tickers/{symbol}'s 404) judges answers
# with a status the spec documents no body for (400 and 401 of the History and Charts APIs, 404,
# 405, 413, 414, 431).
ENVELOPE_OF = ("GET", "/derivatives/api/v3/tickers/PF_XBTUSD", 404)
# paths served with another operation's schema: trading/instruments (2026 docs only, not in the
# OpenAPI) is instruments with each element's minimumTradeSize
SCHEMA_ALIASES = {"/derivatives/api/v3/trading/instruments": "/derivatives/api/v3/instruments"}
# legacy paths that are in no OpenAPI document: the number fields (each a number or null) of their success
# answer, checked by hand (account.md's legacy facts)
LEGACY_FIELDS = {
    "/derivatives/api/v3/initialmargin": ("initialMargin", "estimatedLiquidationThreshold", "price"),
    "/derivatives/api/v3/initialmargin/maxordersize": ("maxBuySize", "maxSellSize", "buyPrice", "sellPrice"),
}


def _legacy_valid(path: str, doc: object) -> bool:
    """A legacy path's success answer: the envelope, its number-or-null fields, an optional ``error`` word."""
    if not isinstance(doc, dict) or doc.get("result") != "success" or not isinstance(doc.get("serverTime"), str):
        return False
    fields = LEGACY_FIELDS[path]
    extra = set(doc) - {"result", "serverTime", "error", *fields}
    return not extra and isinstance(doc.get("error", ""), str) and all(
        doc[f] is None or (isinstance(doc[f], (int, float)) and not isinstance(doc[f], bool)) for f in fields)


@dataclass
class Server:
    base: str
    port: int
    proc: subprocess.Popen[bytes]


@contextmanager
def running_server() -> Iterator[Server]:
    """A ``krakensim serve --memory`` with the fuzz account on a manual clock; on exit, its stderr
    must hold no traceback."""
    port = free_port()
    proc = start_server(port, [(KEY, SECRET)], "--memory", "--clock", "manual", "--start-time", START_TIME,
                        stderr=subprocess.PIPE)
    try:
        yield Server(f"http://127.0.0.1:{port}", port, proc)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        assert b"Traceback" not in err, err.decode(errors="replace")[-3000:]


def sign(message: bytes, secret: str = SECRET) -> str:
    """Authent of ``message`` = postData + nonce + endpoint path (clients.md §1.1)."""
    digest = hashlib.sha256(message).digest()
    return base64.b64encode(hmac.new(base64.b64decode(secret), digest, hashlib.sha512).digest()).decode()


def signed_path(path: str) -> str:
    return path[len("/derivatives"):] if path.startswith("/derivatives") else path


def state_digest(base: str) -> str:
    """The control API's digest of the whole exchange state."""
    r = SESSION.get(base + "/_krakensim/v1/digest", headers=ADMIN_HEADERS, timeout=10)
    assert r.status_code == 200, r.text
    return str(r.json()["digest"])


def judge(method: str, path: str, status: int, content_type: str, body: bytes) -> dict[str, Any] | list[Any]:
    """Assert that one answer is no 5xx, is JSON and is valid against the spec; returns the document."""
    assert status < 500, f"{method} {path} -> {status}: {body[:600]!r}"
    if status == 200 and path.endswith("/accountlogcsv"):  # the one answer that is not JSON: Kraken's CSV export
        assert content_type.startswith("text/csv") and body.startswith(b"uid,dateTime,account,"), body[:300]
        return {}
    assert content_type.startswith("application/json"), f"{method} {path} -> {status} {content_type}: {body[:300]!r}"
    doc = json.loads(body)
    assert isinstance(doc, (dict, list)), doc
    schema_path = SCHEMA_ALIASES.get(path, path)
    if path in LEGACY_FIELDS and status == 200 and isinstance(doc, dict) and doc.get("result") == "success":
        assert _legacy_valid(path, doc), f"{method} {path} -> {status}: {body[:300]!r}"
    elif path in LEGACY_FIELDS:  # a refusal: Kraken's error envelope, with any status
        problems = validation_errors(*ENVELOPE_OF[:2], doc, ENVELOPE_OF[2], strict=True)
        assert not problems, f"{method} {path} -> {status}: not Kraken's error envelope: {problems} {body[:300]!r}"
    elif has_schema(method, schema_path, status):
        if schema_path != path and isinstance(doc, dict) and isinstance(doc.get("instruments"), list):
            doc_checked = {**doc, "instruments": [{k: v for k, v in i.items() if k != "minimumTradeSize"}
                                                  for i in doc["instruments"]]}
        else:
            doc_checked = doc
        assert_valid(method, schema_path, doc_checked, status, strict=True)
    else:
        assert status >= 400, f"{method} {path} -> {status} has no schema: {body[:300]!r}"
        problems = validation_errors(*ENVELOPE_OF[:2], doc, ENVELOPE_OF[2], strict=True)
        assert not problems, f"{method} {path} -> {status}: not Kraken's error envelope: {problems} {body[:300]!r}"
    return doc


def is_error(status: int, doc: dict[str, Any] | list[Any]) -> bool:
    """An answer that refused the request: its state must be as before."""
    return status >= 400 or (isinstance(doc, dict) and doc.get("result") == "error")
