"""Bad input over raw, properly signed HTTP, and the error envelope."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import ccxt
import pytest
from kraken.exceptions import KrakenRequiredArgumentMissingError
from kraken.futures import Trade

from apihelpers import XBT_ID, raw_open_orders

PRICE = 88100


def assert_error_envelope(resp, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == 200, (
        f"API-level errors must be HTTP 200, got {resp.status_code}: {resp.text[:300]}"
    )
    assert "json" in resp.headers.get("Content-Type", ""), resp.headers.get("Content-Type")
    body = resp.json()
    assert body["result"] == "error", body
    assert isinstance(body["error"], str) and body["error"], body
    datetime.fromisoformat(body["serverTime"].replace("Z", "+00:00"))
    if code is not None:
        assert body["error"] == code, body
    return body


def _form(**kw: Any) -> str:
    return urlencode(kw)


def test_sendorder_missing_size(raw1) -> None:
    r = raw1.v3("POST", "sendorder", body=_form(orderType="lmt", symbol=XBT_ID, side="buy", limitPrice=PRICE))
    assert_error_envelope(r, "requiredArgumentMissing")


def test_sendorder_missing_side_in_query(raw1) -> None:
    # ccxt style: parameters in the query string, empty body
    r = raw1.v3(
        "POST", "sendorder", query=_form(symbol=XBT_ID, size="0.001", orderType="lmt", limitPrice=PRICE)
    )
    assert_error_envelope(r, "requiredArgumentMissing")


@pytest.mark.parametrize(
    ("field", "value"),
    [("size", "abc"), ("limitPrice", "12x"), ("side", "sideways"), ("orderType", "banana")],
)
def test_sendorder_invalid_argument(raw_factory, fresh_account, field: str, value: str) -> None:
    raw = raw_factory(fresh_account())
    params = {"orderType": "lmt", "symbol": XBT_ID, "side": "buy", "size": "0.001", "limitPrice": str(PRICE)}
    params[field] = value
    r = raw.v3("POST", "sendorder", body=urlencode(params))
    body = r.json()
    if field in ("size", "limitPrice"):
        assert_error_envelope(r, "invalidArgument")
    else:
        # Kraken reports an invalid side / order type either as an API error or as a
        # rejected sendStatus; either way nothing may be placed.
        if body.get("result") == "error":
            assert_error_envelope(r)
        else:
            assert body["sendStatus"]["status"] in ("invalidSide", "invalidOrderType", "invalidArgument"), (
                body
            )
    assert raw.v3json("GET", "openorders")["openOrders"] == []


def test_batchorder_json_parse_error(raw1) -> None:
    r = raw1.v3("POST", "batchorder", body="json={bad")
    assert_error_envelope(r, "Json Parse Error")


def test_batchorder_missing_json(raw1) -> None:
    r = raw1.v3("POST", "batchorder", body="")
    assert_error_envelope(r)


def test_sendorder_unknown_symbol(raw_factory, fresh_account) -> None:
    raw = raw_factory(fresh_account())
    r = raw.v3(
        "POST",
        "sendorder",
        body=_form(orderType="lmt", symbol="PF_NOSUCHUSD", side="buy", size="1", limitPrice="10"),
    )
    assert r.status_code == 200
    body = r.json()
    if body["result"] == "error":
        assert_error_envelope(r)
    else:
        assert body["sendStatus"]["status"] != "placed", body
    assert raw.v3json("GET", "openorders")["openOrders"] == []


def test_cancelorder_without_id(raw1) -> None:
    r = raw1.v3("POST", "cancelorder", body="")
    assert_error_envelope(r, "requiredArgumentMissing")


def test_editorder_unknown_order(raw1) -> None:
    r = raw1.v3(
        "POST", "editorder", body=_form(orderId="00000000-0000-4000-8000-000000000001", limitPrice=PRICE)
    )
    body = r.json()
    assert r.status_code == 200
    assert body["result"] == "success"
    assert body["editStatus"]["status"] == "orderForEditNotFound"


def test_ccxt_maps_errors_to_typed_exceptions(ex1: ccxt.krakenfutures) -> None:
    before = raw_open_orders(ex1)
    with pytest.raises(ccxt.BadRequest):
        ex1.privatePostSendorder({"symbol": XBT_ID, "side": "buy", "orderType": "lmt", "limitPrice": PRICE})
    assert ex1.last_json_response["error"] == "requiredArgumentMissing"
    with pytest.raises(ccxt.BadRequest):
        ex1.privatePostSendorder(
            {"symbol": XBT_ID, "side": "buy", "size": "abc", "orderType": "lmt", "limitPrice": PRICE}
        )
    assert ex1.last_json_response["error"] == "invalidArgument"
    with pytest.raises(ccxt.OrderNotFound):
        ex1.edit_order("00000000-0000-4000-8000-000000000002", "BTC/USD:USD", "limit", "buy", 0.001, PRICE)
    assert raw_open_orders(ex1) == before


def test_sdk_raises_typed_required_argument_missing(sdk_trade: Trade) -> None:
    with pytest.raises(KrakenRequiredArgumentMissingError):
        sdk_trade.request(
            method="POST",
            uri="/derivatives/api/v3/sendorder",
            post_params={"orderType": "lmt", "symbol": XBT_ID, "side": "buy", "limitPrice": PRICE},
            auth=True,
        )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/derivatives/api/v3/nosuchendpoint"),
        ("POST", "/derivatives/api/v3/nosuchendpoint"),
        ("GET", "/derivatives/api/v9/tickers"),
        ("GET", "/totally/unknown"),
        ("GET", "/api/history/v2/nosuch"),
        ("GET", "/api/charts/v1/trade/PF_XBTUSD/7m"),
    ],
)
def test_unknown_path_is_json_not_html(raw_factory, recorder, method: str, path: str) -> None:
    raw = raw_factory(None)
    with recorder.unvalidated():
        r = raw.request(method, path, sign=False)
    assert "json" in r.headers.get("Content-Type", ""), (
        r.status_code,
        r.headers.get("Content-Type"),
        r.text[:200],
    )
    assert not r.text.lstrip().startswith("<")
    body = r.json()
    assert isinstance(body, dict)
    if "result" in body:  # Kraken-shaped error
        assert body["result"] == "error"
        assert isinstance(body.get("error"), str) and body["error"]
        assert "serverTime" in body
    else:  # charts/history style error objects
        assert body.get("error") or body.get("errors") or body.get("message"), body


def test_unknown_ticker_symbol(raw_factory) -> None:
    raw = raw_factory(None)
    r = raw.v3("GET", "tickers/PF_NOSUCHUSD", sign=False)
    assert "json" in r.headers.get("Content-Type", "")
    body = r.json()
    # spec: 404 "Contract could not be found" with an ErrorResponse body
    assert r.status_code in (200, 404)
    assert body["result"] == "error" and isinstance(body["error"], str) and "serverTime" in body


def test_orderbook_unknown_symbol(raw_factory) -> None:
    raw = raw_factory(None)
    r = raw.v3("GET", "orderbook", query="symbol=" + quote("PF_NOSUCHUSD"), sign=False)
    assert "json" in r.headers.get("Content-Type", "")
    body = r.json()
    assert body["result"] == "error" and isinstance(body["error"], str) and "serverTime" in body


def test_error_never_null_or_empty_on_success(raw1) -> None:
    body = raw1.v3json("GET", "openorders")
    assert body["result"] == "success"
    assert "error" not in body, "success bodies must omit `error` (SDK crashes on null, misreads empty)"
