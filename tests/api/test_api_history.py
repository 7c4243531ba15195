"""The private History API (orders, triggers, executions) as ccxt's
fetch_closed_orders / fetch_canceled_orders and the SDK's User getters call it.

History responses are checked against the spec inside ``history_calls`` with
one known server defect patched in (``HistoricalOrder.spotData`` missing, see
``test_history_order_objects_carry_spot_data``), so every other deviation
still fails."""

from __future__ import annotations

import pytest
from kraken.futures import User

from apihelpers import BTC, MANUAL_START_MS, XBT_ID, history_calls, num, trade_between, validate_body


def _scenario(venue):
    """One account with: a filled market buy, a cancelled limit, an edited limit,
    a fired stop and a cancelled stop; a counterparty."""
    me, other = venue.account(), venue.account()
    ex, cp = venue.ccxt(me), venue.ccxt(other)
    sell = cp.create_order(BTC, "limit", "sell", 0.002, 90000)
    mkt = ex.create_order(BTC, "market", "buy", 0.002)
    venue.advance(1000)
    gone = ex.create_order(BTC, "limit", "buy", 0.001, 85000, {"clientOrderId": "hist-gone"})
    ex.cancel_order(gone["id"])
    venue.advance(1000)
    kept = ex.create_order(BTC, "limit", "buy", 0.001, 85000)
    ex.edit_order(kept["id"], BTC, "limit", "buy", 0.001, 85500)
    venue.advance(1000)
    fired = ex.create_order(BTC, "limit", "buy", 0.001, 80000, {"triggerPrice": 95000, "triggerSignal": "mark"})
    dropped = ex.create_order(BTC, "limit", "sell", 0.001, 84000, {"triggerPrice": 85000})
    ex.cancel_order(dropped["id"])
    venue.advance(1000)
    venue.prices(mark=95000)
    return me, ex, cp, {"sell": sell, "mkt": mkt, "gone": gone, "kept": kept, "fired": fired, "dropped": dropped}


def _events(elements):
    return [(next(iter(e["event"])), e) for e in elements]


def test_ccxt_closed_and_canceled_orders(venue, recorder) -> None:
    _, ex, _, o = _scenario(venue)
    with history_calls(recorder):
        closed = ex.fetch_closed_orders()
        canceled = ex.fetch_canceled_orders()
        trig_closed = ex.fetch_closed_orders(None, None, None, {"trigger": True})
        trig_canceled = ex.fetch_canceled_orders(None, None, None, {"trigger": True})
        limited = ex.fetch_closed_orders(BTC, None, 1)
    assert recorder.last("/orders").path == "/api/history/v2/orders"
    closed_by_id = {c["id"]: c for c in closed}
    assert o["mkt"]["id"] in closed_by_id
    assert closed_by_id[o["mkt"]["id"]]["filled"] == pytest.approx(0.002)
    assert closed_by_id[o["mkt"]["id"]]["side"] == "buy"
    assert o["kept"]["id"] not in closed_by_id and o["gone"]["id"] not in closed_by_id
    assert {c["id"] for c in canceled if c["status"] == "canceled"} >= {o["gone"]["id"]}
    gone = [c for c in canceled if c["id"] == o["gone"]["id"]]
    assert gone and all(c["clientOrderId"] == "hist-gone" for c in gone)
    assert o["dropped"]["id"] in {c["id"] for c in trig_canceled}
    assert all(c["status"] == "canceled" for c in trig_canceled)
    # ccxt keeps an OrderTriggerActivated whose order has no "filled" of "0" as closed
    assert [c["id"] for c in trig_closed] == [o["fired"]["id"]]
    assert len(limited) <= 1
    assert recorder.last("/triggers").path == "/api/history/v2/triggers"


def test_sdk_order_events(venue, recorder) -> None:
    me, _, _, o = _scenario(venue)
    user = venue.sdk(User, me)
    with history_calls(recorder):
        resp = user.get_order_events()
        asc = user.get_order_events(sort="asc")
        since = user.get_order_events(since=MANUAL_START_MS + 2000, sort="asc")
        before = user.get_order_events(before=MANUAL_START_MS + 1000)
        other_symbol = user.get_order_events(tradeable="PF_ETHUSD")
    assert resp["len"] == len(resp["elements"]) > 0
    events = _events(resp["elements"])
    stamps = [e["timestamp"] for _, e in events]
    assert stamps == sorted(stamps, reverse=True)
    assert [e["uid"] for e in asc["elements"]] == [e["uid"] for e in resp["elements"]][::-1]
    kinds = {(k, (e["event"][k].get("order") or e["event"][k].get("newOrder"))["uid"]) for k, e in events}
    assert ("OrderPlaced", o["mkt"]["id"]) in kinds
    assert ("OrderUpdated", o["mkt"]["id"]) in kinds  # the full fill
    assert ("OrderCancelled", o["gone"]["id"]) in kinds
    assert ("OrderUpdated", o["kept"]["id"]) in kinds  # the edit
    for k, e in events:
        body = e["event"][k]
        if k == "OrderCancelled":
            assert body["reason"] == "cancelled_by_user" and body["order"]["clientId"] == "hist-gone"
            assert body["order"]["direction"] == "Buy" and body["order"]["tradeable"] == XBT_ID
            assert body["order"]["orderType"] == "Limit" and body["order"]["limitPrice"] == "85000"
        if k == "OrderUpdated" and body["newOrder"]["uid"] == o["kept"]["id"]:
            assert body["reason"] == "edited_by_user"
            assert (body["oldOrder"]["limitPrice"], body["newOrder"]["limitPrice"]) == ("85000", "85500")
    assert all(e["timestamp"] >= MANUAL_START_MS + 2000 for e in since["elements"])
    assert all(e["timestamp"] < MANUAL_START_MS + 1000 for e in before["elements"])
    assert {next(iter(e["event"])) for e in before["elements"]} == {"OrderPlaced", "OrderUpdated"}
    assert other_symbol["elements"] == [] and other_symbol["len"] == 0


def test_sdk_trigger_events(venue, recorder) -> None:
    me, _, _, o = _scenario(venue)
    user = venue.sdk(User, me)
    with history_calls(recorder):
        resp = user.get_trigger_events(sort="asc")
    events = [(k, e["event"][k]) for k, e in _events(resp["elements"])]
    fired = [(k, b) for k, b in events if b["order"]["uid"] == o["fired"]["id"]]
    dropped = [(k, b) for k, b in events if b["order"]["uid"] == o["dropped"]["id"]]
    assert [k for k, _ in fired] == ["OrderTriggerPlaced", "OrderTriggerActivated"]
    assert [k for k, _ in dropped] == ["OrderTriggerPlaced", "OrderTriggerCancelled"]
    placed = fired[0][1]
    assert placed["reason"] == "new_user_order"
    opts = placed["order"]["triggerOptions"]
    assert (opts["triggerPrice"], opts["triggerSignal"], opts["triggerSide"]) == ("95000", "MarkPrice", "Above")
    assert placed["order"]["limitPrice"] == "80000" and placed["order"]["direction"] == "Buy"
    assert dropped[1][1]["reason"] == "cancelled_by_user"
    assert dropped[0][1]["order"]["triggerOptions"]["triggerSide"] == "Below"


def test_sdk_and_ccxt_execution_events(venue, recorder) -> None:
    me, ex, cp, o = _scenario(venue)
    user = venue.sdk(User, me)
    with history_calls(recorder):
        resp = user.get_execution_events()
        v3 = ex.historyGetExecutions()
    [el] = resp["elements"]
    exe = el["event"]["Execution"]["execution"]
    assert exe["takerOrder"]["uid"] == o["mkt"]["id"] and exe["makerOrder"]["uid"] == o["sell"]["id"]
    assert (exe["price"], exe["quantity"]) == ("90000", "0.002")
    [fill] = ex.fetch_my_trades(BTC)
    assert exe["uid"] == fill["id"] == el["uid"]
    assert exe["timestamp"] == MANUAL_START_MS
    assert num(exe["usdValue"]) == pytest.approx(180)
    assert num(exe["takerOrderData"]["fee"]) == pytest.approx(0.09)  # 0.05 % of 180 USD
    assert v3["elements"] == resp["elements"]
    # the counterparty sees the same execution from the maker side
    with history_calls(recorder):
        theirs = cp.historyGetExecutions()
    [their_el] = theirs["elements"]
    assert their_el["event"]["Execution"]["execution"]["uid"] == exe["uid"]
    assert num(their_el["event"]["Execution"]["execution"]["makerOrderData"]["fee"]) == pytest.approx(0.036)


def test_history_v2_and_v3_agree_and_paginate(venue, recorder) -> None:
    me = venue.account()
    ex = venue.ccxt(me)
    for i in range(5):
        o = ex.create_order(BTC, "limit", "buy", 0.001, 80000 + i)
        ex.cancel_order(o["id"])
        venue.advance(10)
    raw = venue.raw(me)
    with history_calls(recorder):
        v2 = raw.request("GET", "/api/history/v2/orders").json()
        v3 = raw.request("GET", "/api/history/v3/orders").json()
        page1 = raw.request("GET", "/api/history/v3/orders", "count=4").json()
        token = page1.get("continuationToken")
        assert token, page1
        page2 = raw.request("GET", "/api/history/v3/orders", f"count=4&continuation_token={token}").json()
    assert v2["elements"] == v3["elements"] and v2["len"] == 10
    assert len(page1["elements"]) == 4
    uids = [e["uid"] for e in page1["elements"]] + [e["uid"] for e in page2["elements"]]
    assert uids == [e["uid"] for e in v3["elements"]][: len(uids)]
    assert len(set(uids)) == len(uids) == 8


def test_history_with_read_only_key(venue, recorder) -> None:
    me = venue.account()
    ex = venue.ccxt(me)
    trade_between(venue.ccxt(venue.account()), ex, 90000)
    ro = venue.srv.read_only_key(me.key)
    user = venue.sdk(User, ro)
    with history_calls(recorder):
        assert len(user.get_execution_events()["elements"]) == 1
        assert len(user.get_order_events()["elements"]) > 0


def test_history_bad_signature_is_401(venue, recorder) -> None:
    me = venue.account()
    raw = venue.raw(me)
    with recorder.unvalidated():
        resp = raw.request("GET", "/api/history/v2/orders", secret=venue.account().secret)
    assert "elements" not in resp.json()
    assert resp.status_code == 401, (resp.status_code, resp.text)


def test_history_order_objects_carry_spot_data(venue, recorder) -> None:
    me = venue.account()
    ex = venue.ccxt(me)
    trade_between(venue.ccxt(venue.account()), ex, 90000)
    with recorder.unvalidated():
        orders = ex.historyGetOrders()
        executions = ex.historyGetExecutions()
    validate_body("GET", "/api/history/v2/orders", orders)
    validate_body("GET", "/api/history/v2/executions", executions)
