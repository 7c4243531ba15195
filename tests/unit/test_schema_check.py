"""The response-schema checker must be honest: accept every spec example, reject broken documents.

Only the committed files under tests/schemas/ are read (never the spec directory).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from schema_check import (
    FORMAT_CHECKER,
    SCHEMA_DIR,
    assert_valid,
    has_schema,
    load_schema,
    match_operation,
    validation_errors,
)

INDEX: dict[str, Any] = json.loads((SCHEMA_DIR / "index.json").read_text(encoding="utf-8"))
OPERATIONS: dict[str, dict[str, str]] = {k: v for k, v in INDEX.items() if not k.startswith("_")}
EXAMPLES: list[dict[str, Any]] = json.loads((SCHEMA_DIR / "examples.json").read_text(encoding="utf-8"))

CANCEL_ORDER = "/derivatives/api/v3/cancelorder"
SEND_ORDER = "/derivatives/api/v3/sendorder"
TS = "2024-05-01T12:00:00.123Z"
ORDER_ID = "cb4e34f6-4eb3-4d4b-9724-4c3035b99d47"


def _example(name_suffix: str, operation: str | None = None) -> Any:
    matches = [
        ex
        for ex in EXAMPLES
        if ex["name"].endswith(name_suffix) and (operation is None or ex["operation"] == operation)
    ]
    assert len(matches) == 1, f"{name_suffix}: {[m['name'] for m in matches]}"
    return copy.deepcopy(matches[0]["value"])


def _concrete(template: str) -> str:
    """Turn a path template into a concrete request path."""
    return template.replace("{", "X").replace("}", "X")


def _rejected(
    method: str, path: str, body: object, *needles: str, status: int = 200, strict: bool = False
) -> str:
    with pytest.raises(AssertionError) as info:
        assert_valid(method, path, body, status, strict=strict)
    message = str(info.value)
    for needle in needles:
        assert needle in message, message
    return message


def _matching_branches(file_name: str, def_name: str, instance: object) -> list[int]:
    schema = load_schema(file_name)
    validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    branches = schema["$defs"][def_name]["oneOf"]
    return [i for i, branch in enumerate(branches) if validator.evolve(schema=branch).is_valid(instance)]


ORDER = {
    "orderId": ORDER_ID,
    "cliOrdId": None,
    "type": "lmt",
    "symbol": "PF_XBTUSD",
    "side": "buy",
    "quantity": 1,
    "filled": 0,
    "limitPrice": 60000,
    "reduceOnly": False,
    "timestamp": TS,
    "lastUpdateTimestamp": TS,
}
ORDER_TRIGGER = {
    "uid": ORDER_ID,
    "clientId": None,
    "type": "lmt",
    "symbol": "PF_XBTUSD",
    "side": "sell",
    "quantity": 1,
    "limitPrice": 59000,
    "triggerPrice": 59500,
    "triggerSide": "trigger_below",
    "triggerSignal": "mark_price",
    "reduceOnly": False,
    "timestamp": TS,
    "lastUpdateTimestamp": TS,
    "startTime": None,
}
ERROR_BODY = {"result": "error", "serverTime": TS, "error": "apiLimitExceeded"}


def _send_order_response(*events: dict[str, Any], status: str = "placed") -> dict[str, Any]:
    return {
        "result": "success",
        "serverTime": TS,
        "sendStatus": {
            "order_id": ORDER_ID,
            "status": status,
            "receivedTime": TS,
            "orderEvents": list(events),
        },
    }


# -- the committed files are consistent ----------------------------------------


def test_index_files_exist_and_every_schema_file_is_indexed() -> None:
    referenced = {name for files in OPERATIONS.values() for name in files.values()}
    on_disk = {p.name for p in SCHEMA_DIR.glob("*.json")} - {"index.json", "examples.json"}
    assert referenced == on_disk
    for name in sorted(on_disk):
        load_schema(name)  # also runs Draft202012Validator.check_schema
    assert isinstance(INDEX["_notes"], list) and INDEX["_notes"]


def test_schemas_contain_no_openapi_leftovers_or_external_refs() -> None:
    forbidden = {"nullable", "example", "discriminator"}

    def walk(node: Any, where: str, in_name_map: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not in_name_map:
                    assert key not in forbidden and not key.startswith("x-"), f"{where}/{key}"
                    if key == "$ref":
                        assert value.startswith("#/$defs/"), f"{where}: {value}"
                walk(
                    value,
                    f"{where}/{key}",
                    not in_name_map and key in ("properties", "patternProperties", "$defs"),
                )
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{where}/{index}", False)

    for path in sorted(SCHEMA_DIR.glob("*__*.json")):
        walk(load_schema(path.name), path.name, False)


def test_expected_operations_are_covered() -> None:
    expected = {
        "POST /derivatives/api/v3/sendorder",
        "POST /derivatives/api/v3/editorder",
        "POST /derivatives/api/v3/cancelorder",
        "POST /derivatives/api/v3/cancelallorders",
        "POST /derivatives/api/v3/cancelallordersafter",
        "POST /derivatives/api/v3/batchorder",
        "GET /derivatives/api/v3/openorders",
        "POST /derivatives/api/v3/orders/status",
        "GET /derivatives/api/v3/orders/status",
        "GET /derivatives/api/v3/fills",
        "GET /derivatives/api/v3/tickers",
        "GET /derivatives/api/v3/tickers/{symbol}",
        "GET /derivatives/api/v3/instruments",
        "GET /derivatives/api/v3/orderbook",
        "GET /derivatives/api/v3/history",
        "GET /derivatives/api/v3/accounts",
        "GET /derivatives/api/v3/openpositions",
        "GET /derivatives/api/v3/historical-funding-rates",
        "GET /derivatives/api/v4/historicalfundingrates",
        "GET /api/history/v2/orders",
        "GET /api/history/v3/orders",
        "GET /api/history/v3/account-log",
        "GET /api/charts/v1/{tick_type}/{symbol}/{resolution}",
    }
    assert expected <= set(OPERATIONS)


def test_aliases_share_schema_files() -> None:
    assert (
        OPERATIONS["GET /derivatives/api/v3/orders/status"]
        == OPERATIONS["POST /derivatives/api/v3/orders/status"]
    )
    assert (
        OPERATIONS["GET /derivatives/api/v4/historicalfundingrates"]
        == OPERATIONS["GET /derivatives/api/v3/historical-funding-rates"]
    )
    v3 = {k.replace("/api/history/v3/", "/"): v for k, v in OPERATIONS.items() if "/api/history/v3/" in k}
    v2 = {k.replace("/api/history/v2/", "/"): v for k, v in OPERATIONS.items() if "/api/history/v2/" in k}
    assert v3 and v2 == v3


def test_cancelorder_schema_comes_from_cancel_order_md() -> None:
    schema = load_schema(OPERATIONS["POST " + CANCEL_ORDER]["200"])
    assert "cancel-order.md" in schema["$comment"]
    # 2026 drift only present in the cancel-order.md fragment
    assert "unknown" in schema["$defs"]["OrderTriggerJson"]["properties"]["side"]["enum"]


# -- every spec example validates ----------------------------------------------


def test_examples_cover_the_spec() -> None:
    names = {ex["name"] for ex in EXAMPLES}
    components = {n for n in names if n.startswith("trading/public.yml#/components/examples/")}
    assert len(components) == 30  # every components/examples entry of trading/public.yml
    assert "rest/cancel-order.md#/components/examples/CancelOrderExample" in names
    for ex in EXAMPLES:
        assert ex["operation"] in OPERATIONS and str(ex["status"]) in OPERATIONS[ex["operation"]]


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e['operation']} {e['name']}" for e in EXAMPLES])
def test_spec_example_validates(example: dict[str, Any], strict: bool) -> None:
    method, template = example["operation"].split(" ", 1)
    path = _concrete(template)
    assert match_operation(method, path) == example["operation"]
    assert_valid(method, path, example["value"], example["status"], strict=strict)


# -- deliberately broken documents are rejected ----------------------------------


def test_missing_server_time_is_rejected() -> None:
    body = _example("cancel-order.md#/components/examples/CancelOrderExample")
    del body["serverTime"]
    _rejected("POST", CANCEL_ORDER, body, "'serverTime' is a required property")


def test_bogus_cancel_status_is_rejected() -> None:
    body = _example("cancel-order.md#/components/examples/CancelOrderExample")
    body["cancelStatus"]["status"] = "bogus"
    _rejected("POST", CANCEL_ORDER, body, "/cancelStatus/status", "'bogus' is not one of")


def test_order_event_of_unknown_type_is_rejected() -> None:
    body = _example("cancel-order.md#/components/examples/CancelOrderExample")
    body["cancelStatus"]["orderEvents"][0]["type"] = "EXPIRE"
    _rejected("POST", CANCEL_ORDER, body, "/cancelStatus/orderEvents/0", "'EXPIRE' is not one of ['CANCEL']")
    sent = _send_order_response({"type": "TELEPORT", "order": ORDER, "reducedQuantity": None})
    _rejected("POST", SEND_ORDER, sent, "/sendStatus/orderEvents/0", "none of the 8 oneOf alternatives")


def test_error_result_without_error_field_is_rejected() -> None:
    body = {"result": "error", "serverTime": TS}
    for path in (CANCEL_ORDER, SEND_ORDER, "/derivatives/api/v3/openorders"):
        method = "GET" if path.endswith("openorders") else "POST"
        _rejected(method, path, body, "'error' is a required property")
    _rejected(
        "GET", "/derivatives/api/v3/tickers/PF_NOPE", body, "'error' is a required property", status=404
    )


def test_open_order_without_order_id_is_rejected() -> None:
    body = _example("OpenOrdersExample")
    del body["openOrders"][2]["order_id"]
    _rejected(
        "GET", "/derivatives/api/v3/openorders", body, "/openOrders/2", "'order_id' is a required property"
    )


def test_wrong_types_and_bad_timestamps_are_rejected() -> None:
    body = _example("TickersExample")
    body["tickers"][0]["markPrice"] = "30209.9"
    _rejected("GET", "/derivatives/api/v3/tickers", body, "/tickers/0")
    body = _example("FillsExample")
    body["serverTime"] = "2020-07-22 13:44"
    _rejected("GET", "/derivatives/api/v3/fills", body, "is not a 'date-time'")
    body["serverTime"] = "2020-13-22T13:44:24.311Z"
    _rejected("GET", "/derivatives/api/v3/fills", body, "is not a 'date-time'")
    body["serverTime"] = "2020-07-22T13:44:24Z"
    assert_valid("GET", "/derivatives/api/v3/fills", body)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2019-09-05T16:33:50.734Z", True),
        ("2019-09-05T16:33:50Z", True),
        ("2019-09-05T16:33:50.734+01:00", True),
        ("2016-12-31T23:59:60Z", True),
        ("2019-09-05 16:33:50.734Z", False),
        ("2019-09-05T16:33:50.734", False),
        ("2019-02-30T16:33:50.734Z", False),
        ("2019-09-05T24:33:50Z", False),
        ("1567701230734", False),
    ],
)
def test_date_time_format(value: str, ok: bool) -> None:
    assert FORMAT_CHECKER.conforms(value, "date-time") is ok


def test_error_message_lists_all_errors() -> None:
    body = _example("OpenOrdersExample")
    del body["openOrders"][0]["order_id"]
    body["openOrders"][1]["side"] = "up"
    message = _rejected("GET", "/derivatives/api/v3/openorders", body, "/openOrders/0", "/openOrders/1/side")
    assert "GET__derivatives_api_v3_openorders__200.json" in message


# -- oneOf branches are exclusive for valid data ---------------------------------


def test_place_event_with_order_matches_only_place_event() -> None:
    file_name = OPERATIONS["POST " + SEND_ORDER]["200"]
    event = {"type": "PLACE", "order": ORDER, "reducedQuantity": None}
    assert _matching_branches(file_name, "OrderEvent", event) == [0]  # PlaceEvent
    trigger_event = {"type": "PLACE", "orderTrigger": ORDER_TRIGGER}
    assert _matching_branches(file_name, "OrderEvent", trigger_event) == [5]  # PlaceTriggerEvent
    assert_valid("POST", SEND_ORDER, _send_order_response(event), strict=True)
    assert_valid("POST", SEND_ORDER, _send_order_response(trigger_event), strict=True)


@pytest.mark.parametrize("path", [SEND_ORDER, CANCEL_ORDER])
def test_every_order_event_variant_matches_exactly_one_branch(path: str) -> None:
    file_name = OPERATIONS["POST " + path]["200"]
    events = [
        {"type": "PLACE", "order": ORDER, "reducedQuantity": None},
        {"type": "CANCEL", "uid": ORDER_ID, "order": ORDER},
        {"type": "EDIT", "old": ORDER, "new": dict(ORDER, quantity=2), "reducedQuantity": None},
        {"type": "REJECT", "uid": ORDER_ID, "order": ORDER, "reason": "POST_WOULD_EXECUTE"},
        {
            "type": "EXECUTION",
            "executionId": ORDER_ID,
            "price": 60000,
            "amount": 1,
            "orderPriorEdit": None,
            "orderPriorExecution": ORDER,
            "takerReducedQuantity": None,
        },
        {"type": "PLACE", "orderTrigger": ORDER_TRIGGER},
        {"type": "CANCEL", "uid": ORDER_ID, "orderTrigger": ORDER_TRIGGER},
        {"type": "REJECT", "uid": ORDER_ID, "orderTrigger": None, "reason": "INVALID_PRICE"},
    ]
    for expected, event in enumerate(events):
        assert _matching_branches(file_name, "OrderEvent", event) == [expected], event


def test_event_with_both_order_and_order_trigger_is_ambiguous_and_rejected() -> None:
    event = {"type": "PLACE", "order": ORDER, "reducedQuantity": None, "orderTrigger": ORDER_TRIGGER}
    _rejected("POST", SEND_ORDER, _send_order_response(event), "matches more than one oneOf alternative")


def test_success_and_error_responses_are_exclusive() -> None:
    checked = 0
    for key, files in sorted(OPERATIONS.items()):
        method, template = key.split(" ", 1)
        if not template.startswith("/derivatives/") or "200" not in files:
            continue
        schema = load_schema(files["200"])
        branches = schema.get("oneOf", [])
        if {"$ref": "#/$defs/ErrorResponse"} not in branches:
            continue
        assert len(branches) == 2
        validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
        assert [b for b in branches if validator.evolve(schema=b).is_valid(ERROR_BODY)] == [branches[1]], key
        assert_valid(method, _concrete(template), ERROR_BODY, strict=True)
        checked += 1
    assert checked >= 40
    # and every spec example matches exactly the branch its "result" says
    for example in EXAMPLES:
        schema = load_schema(OPERATIONS[example["operation"]][str(example["status"])])
        branches = schema.get("oneOf", [])
        if {"$ref": "#/$defs/ErrorResponse"} not in branches:
            continue
        validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
        matching = [
            i for i, b in enumerate(branches) if validator.evolve(schema=b).is_valid(example["value"])
        ]
        assert matching == ([1] if example["value"]["result"] == "error" else [0]), example["name"]


def test_index_ticker_and_market_ticker_are_exclusive() -> None:
    file_name = OPERATIONS["GET /derivatives/api/v3/tickers"]["200"]
    tickers = _example("TickersExample")["tickers"]
    assert [_matching_branches(file_name, "AnyTicker", t) for t in tickers] == [[0], [0], [1], [1]]


# -- strict mode -------------------------------------------------------------------


def test_strict_mode_reports_invented_fields_with_json_pointer() -> None:
    body = _example("PlacedOrderExample")
    body["sendStatus"]["orderEvents"][0]["order"]["inventedField"] = 1
    body["sendStatus"]["madeUp"] = True
    assert_valid("POST", SEND_ORDER, body)  # additional properties are allowed by the spec
    message = _rejected(
        "POST",
        SEND_ORDER,
        body,
        "/sendStatus/orderEvents/0/order/inventedField",
        "/sendStatus/madeUp",
        strict=True,
    )
    assert "strict mode" in message
    assert message.count("/sendStatus/madeUp") == 1


def test_strict_mode_allows_map_keys_and_rejects_fields_of_the_wrong_branch() -> None:
    accounts = _example("AccountsExample")  # 'fi_xbtusd' is an additionalProperties map key
    assert_valid("GET", "/derivatives/api/v3/accounts", accounts, strict=True)
    body = {"result": "success", "serverTime": TS, "error": "apiLimitExceeded"}
    assert_valid("PUT", "/derivatives/api/v3/leveragepreferences", body)
    _rejected("PUT", "/derivatives/api/v3/leveragepreferences", body, "/error", strict=True)


# -- routing -------------------------------------------------------------------------


def test_path_matching() -> None:
    assert (
        match_operation("get", "/derivatives/api/v3/tickers/PF_XBTUSD")
        == "GET /derivatives/api/v3/tickers/{symbol}"
    )
    assert (
        match_operation("GET", "/derivatives/api/v3/tickers?contractType=x")
        == "GET /derivatives/api/v3/tickers"
    )
    assert (
        match_operation("GET", "https://futures.kraken.com/derivatives/api/v3/instruments/PF_XBTUSD/status")
        == "GET /derivatives/api/v3/instruments/{symbol}/status"
    )
    assert (
        match_operation("GET", "/derivatives/api/v3/rfqs/open-offers")
        == "GET /derivatives/api/v3/rfqs/open-offers"
    )
    assert match_operation("GET", "/derivatives/api/v3/rfqs/abc") == "GET /derivatives/api/v3/rfqs/{rfqUid}"
    assert (
        match_operation("GET", "/api/charts/v1/analytics/liquidity-pool?since=1&interval=60")
        == "GET /api/charts/v1/analytics/liquidity-pool"
    )
    assert match_operation("GET", "/api/charts/v1/trade/PF_XBTUSD/1h") == (
        "GET /api/charts/v1/{tick_type}/{symbol}/{resolution}"
    )
    assert match_operation("GET", "/api/charts/v1") == "GET /api/charts/v1/"
    assert match_operation("GET", "/api/history/v2/orders") == "GET /api/history/v2/orders"


def test_has_schema() -> None:
    assert has_schema("GET", "/derivatives/api/v3/tickers/PF_XBTUSD")
    assert has_schema("GET", "/derivatives/api/v3/tickers/PF_XBTUSD", 404)
    assert not has_schema("GET", "/derivatives/api/v3/tickers/PF_XBTUSD", 500)
    assert has_schema("GET", "/derivatives/api/v3/orders/status")
    assert has_schema("GET", "/derivatives/api/v4/historicalfundingrates?symbol=PF_XBTUSD")
    assert not has_schema("GET", "/derivatives/api/v3/sendorder")
    assert not has_schema("GET", "/derivatives/api/v3/no-such-endpoint")
    assert not has_schema("GET", "/api/history/v3/accountlogcsv")  # CSV, no JSON schema


def test_missing_schema_never_passes_silently() -> None:
    with pytest.raises(AssertionError, match="no schema for GET /derivatives/api/v3/nope"):
        assert_valid("GET", "/derivatives/api/v3/nope", {})
    with pytest.raises(AssertionError, match="no schema for DELETE"):
        assert_valid("DELETE", SEND_ORDER, {})
    with pytest.raises(AssertionError, match="status 500"):
        assert_valid("POST", SEND_ORDER, ERROR_BODY, 500)
    assert validation_errors("POST", SEND_ORDER, ERROR_BODY) == []
