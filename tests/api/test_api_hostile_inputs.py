"""Inputs that once gave a 500 with a traceback, or that lenient parsing took: each one now gets
Kraken's error (or status), and changes nothing.

Decimal overflow (``1e999999999`` as any number), non-finite ``from``/``to`` in the Charts API,
values that are not scalars inside batchorder's JSON, very deep nesting, and numbers Python would
read but Kraken's grammar does not (``1_0``, ``+5``, `` 5``, ``٣``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from apihelpers import XBT_ID, RawClient

OVERFLOW = ["1e999999999", "-1e999999999", "1E999999999"]
LENIENT = ["1_0", "+5", " 5", "5 ", "٣", "１", "1e100", "NaN", "-Infinity"]
ORDER = {"orderType": "lmt", "symbol": XBT_ID, "side": "buy", "size": "0.001", "limitPrice": "45000"}
STOP = {"orderType": "stp", "symbol": XBT_ID, "side": "buy", "size": "0.001", "stopPrice": "95000"}
TRAIL = {"orderType": "trailing_stop", "symbol": XBT_ID, "side": "sell", "size": "0.001",
         "trailingStopMaxDeviation": "1", "trailingStopDeviationUnit": "PERCENT"}


def envelope(r: Any, status: int = 200) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    doc = r.json()
    assert doc["result"] == "error", doc
    datetime.fromisoformat(doc["serverTime"].replace("Z", "+00:00"))
    return str(doc["error"])


def open_orders(raw: RawClient) -> list[dict[str, Any]]:
    return list(raw.v3json("GET", "openorders")["openOrders"])


@pytest.fixture
def raw(raw_factory, fresh_account) -> RawClient:
    client: RawClient = raw_factory(fresh_account())
    return client


@pytest.mark.parametrize("value", OVERFLOW + LENIENT)
@pytest.mark.parametrize(("params", "field"), [
    (ORDER, "size"), (ORDER, "limitPrice"), (STOP, "stopPrice"), (TRAIL, "trailingStopMaxDeviation"),
    ({**TRAIL, "trailingStopDeviationUnit": "QUOTE_CURRENCY"}, "trailingStopMaxDeviation"),
])
def test_sendorder_numbers(raw: RawClient, params: dict[str, str], field: str, value: str) -> None:
    assert envelope(raw.v3("POST", "sendorder", body=urlencode({**params, field: value}))) == "invalidArgument"
    assert open_orders(raw) == []


@pytest.mark.parametrize("value", OVERFLOW + LENIENT)
def test_limit_price_offset_numbers(raw: RawClient, value: str) -> None:
    body = urlencode({**STOP, "limitPriceOffsetValue": value, "limitPriceOffsetUnit": "PERCENT"})
    status = raw.v3json("POST", "sendorder", body=body)["sendStatus"]
    assert status["status"] == "invalidPrice"
    assert status["orderEvents"][0]["reason"] == "LIMIT_PRICE_OFFSET_VALUE_INVALID"
    assert open_orders(raw) == []


@pytest.mark.parametrize("value", OVERFLOW + LENIENT)
@pytest.mark.parametrize("field", ["size", "limitPrice", "stopPrice"])
def test_editorder_numbers(raw: RawClient, field: str, value: str) -> None:
    placed = raw.v3json("POST", "sendorder", body=urlencode(ORDER))["sendStatus"]["order_id"]
    before = open_orders(raw)
    body = urlencode({"orderId": placed, field: value})
    assert envelope(raw.v3("POST", "editorder", body=body)) == "invalidArgument"
    assert open_orders(raw) == before


@pytest.mark.parametrize("value", OVERFLOW + LENIENT + ["60.5", "-1", "4294967296"])
def test_cancelallordersafter_timeout(raw: RawClient, value: str) -> None:
    assert envelope(raw.v3("POST", "cancelallordersafter", body=urlencode({"timeout": value}))) == "invalidArgument"


def _batch(raw: RawClient, doc: Any) -> Any:
    text = doc if isinstance(doc, str) else json.dumps(doc, separators=(",", ":"))
    return raw.v3("POST", "batchorder", body="json=" + text)


@pytest.mark.parametrize("value", OVERFLOW + LENIENT)
def test_batch_numbers(raw: RawClient, value: str) -> None:
    placed = raw.v3json("POST", "sendorder", body=urlencode(ORDER))["sendStatus"]["order_id"]
    before = open_orders(raw)
    doc = {"batchOrder": [{"order": "send", "order_tag": "1", **ORDER, "size": value},
                          {"order": "send", "order_tag": "2", **ORDER, "limitPrice": value},
                          {"order": "edit", "order_id": placed, "size": value}]}
    statuses = _batch(raw, doc).json()["batchStatus"]
    assert [s["status"] for s in statuses] == ["invalidSize", "invalidSize", "invalidSize"]
    assert open_orders(raw) == before


@pytest.mark.parametrize("bad", [
    {"symbol": [XBT_ID]}, {"symbol": {"a": 1}}, {"size": ["1"]}, {"order_tag": {"x": 1}}, {"cliOrdId": [1]},
    {"reduceOnly": [True]}, {"limitPrice": {"$numberDecimal": "1"}},
    {"cliOrdId": json.loads("[" * 900 + "]" * 900)},  # deeper than repr() can go
])
def test_batch_values_that_are_not_scalars_refuse_the_whole_batch(raw: RawClient, bad: dict[str, Any]) -> None:
    doc = {"batchOrder": [{"order": "send", "order_tag": "ok", **ORDER}, {"order": "send", **ORDER, **bad}]}
    assert envelope(_batch(raw, doc)) == "invalidArgument"
    assert open_orders(raw) == []


@pytest.mark.parametrize(("text", "error"), [
    ('{"batchOrder":' + "[" * 17 + "]" * 17 + "}", "invalidArgument"),  # over 16 levels
    ("[" * 1000 + "]" * 1000, "invalidArgument"),
    ("[" * 100_000 + "]" * 100_000, "Json Parse Error"),  # beyond what the JSON parser nests
    ('{"batchOrder":[{"order":"send","size":1e999}]}', "Json Parse Error"),
])
def test_batch_deep_nesting(raw: RawClient, text: str, error: str) -> None:
    assert envelope(_batch(raw, text)) == error


@pytest.mark.parametrize("value", OVERFLOW + ["inf", "-inf", "nan", "Infinity", "1e400", "1e309", "-1", "1_0",
                                              "+5", " 5", "٣", "9" * 65])
@pytest.mark.parametrize("name", ["from", "to"])
def test_charts_from_to(raw: RawClient, recorder, name: str, value: str) -> None:
    with recorder.unvalidated():  # the Charts API documents no error body: the envelope is checked here
        r = raw.request("GET", "/api/charts/v1/trade/PF_XBTUSD/1m", query=urlencode({name: value}), sign=False)
    assert envelope(r, 400) == "invalidArgument"


@pytest.mark.parametrize(("name", "value"), [
    ("count", "1_0"), ("count", "+5"), ("count", "٣"), ("count", "-1"), ("count", "1e3"), ("count", "9" * 30),
])
def test_charts_count(raw: RawClient, recorder, name: str, value: str) -> None:
    with recorder.unvalidated():
        r = raw.request("GET", "/api/charts/v1/mark/PF_XBTUSD/1h", query=urlencode({name: value}), sign=False)
    assert envelope(r, 400) == "invalidArgument"


@pytest.mark.parametrize(("name", "value"), [
    ("since", "1_0"), ("since", "+5"), ("since", "٣"), ("since", "-1"), ("before", " 5"), ("before", "9" * 30),
    ("count", "0"), ("count", "1e3"), ("continuation_token", "LTU="), ("continuation_token", "2aM="),  # '-5', '٣'
    ("continuation_token", "not base64!"),
])
@pytest.mark.parametrize("path", ["/api/history/v2/orders", "/api/history/v3/market/PF_XBTUSD/executions"])
def test_history_integers(raw: RawClient, recorder, path: str, name: str, value: str) -> None:
    with recorder.unvalidated():  # the History API documents no error body: the envelope is checked here
        r = raw.request("GET", path, query=urlencode({name: value}), sign="market" not in path)
    assert envelope(r, 400) == "invalidArgument"
