"""The control API's OpenAPI document is served, names every endpoint the server has, and every answer
(successes and refusals) matches it."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from krakensim.admin.endpoints import ENDPOINTS
from krakensim.admin.openapi import SCHEMAS
from krakensim.testing import ControlError, Venue
from krakensim.testing.plugin import krakensim, krakensim_server, krakensim_settings  # noqa: F401


def check(doc: dict[str, Any], name: str, method: str, status: int, answer: Any) -> None:
    op = doc["paths"][f"/_krakensim/v1/{name}"][method.lower()]
    schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
    jsonschema.validate(answer, {**schema, "components": doc["components"]})


def test_every_endpoint_is_documented(krakensim: Venue) -> None:  # noqa: F811
    doc = krakensim.control("GET", "openapi.json")
    assert doc["openapi"].startswith("3.1")
    served = {(f"/_krakensim/v1/{n}", m.lower()) for n, ms in ENDPOINTS.items() for m in ms}
    assert {(p, m) for p, item in doc["paths"].items() for m in item} == served
    undocumented = {(n, m) for n, ms in ENDPOINTS.items() for m in ms} - {(n, m) for n, ms in SCHEMAS.items() for m in ms}
    assert not undocumented, f"add these to admin/openapi.py SCHEMAS: {sorted(undocumented)}"


CALLS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "health", None), ("GET", "status", None), ("GET", "digest", None), ("GET", "clock", None),
    ("POST", "clock", {"advanceMs": 1000}), ("POST", "accounts", {"usd": "10"}),
    ("POST", "prices", {"symbol": "PF_XBTUSD", "mark": "91000"}),
    ("POST", "market-state", {"symbol": "PF_XBTUSD", "state": "open"}),
    ("POST", "underlying-price", {"base": "ETH", "price": 3000}), ("GET", "snapshot", None),
    ("POST", "reset", {}),
]


@pytest.mark.parametrize(("method", "name", "body"), CALLS)
def test_answers_match_the_document(krakensim: Venue, method: str, name: str,  # noqa: F811
                                    body: dict[str, Any] | None) -> None:
    doc = krakensim.control("GET", "openapi.json")
    check(doc, name, method, 200, krakensim.control(method, name, body))


def test_keys_and_restore_answers_match_the_document(krakensim: Venue) -> None:  # noqa: F811
    doc = krakensim.control("GET", "openapi.json")
    made = krakensim.control("POST", "accounts", {})
    check(doc, "keys", "POST", 200, krakensim.control("POST", "keys", {"apiKey": made["apiKey"],
                                                                         "access": "read-only"}))
    state = krakensim.snapshot()
    check(doc, "restore", "POST", 200, krakensim.control("POST", "restore", {"state": state}))


@pytest.mark.parametrize(("method", "name", "body", "status"), [
    ("POST", "accounts", {"usd": "-1"}, 400), ("POST", "underlying-price", {"base": "XBT"}, 400),
    ("POST", "restore", {"state": "x"}, 400), ("POST", "keys", {"apiKey": "nope", "access": "full"}, 404),
    ("GET", "reset", None, 405), ("GET", "nothing-here", None, 404),
])
def test_refusals_match_the_document(krakensim: Venue, method: str, name: str,  # noqa: F811
                                     body: dict[str, Any] | None, status: int) -> None:
    doc = krakensim.control("GET", "openapi.json")
    with pytest.raises(ControlError) as e:
        krakensim.control(method, name, body)
    assert e.value.status == status
    op = doc["paths"].get(f"/_krakensim/v1/{name}", {}).get(method.lower())
    if op is not None:  # a documented operation: its own refusal
        check(doc, name, method, status, e.value.answer)
    jsonschema.validate(e.value.answer, doc["components"]["schemas"]["Error"])
