"""The account log (History API ``account-log`` v2 and v3, ``accountlogcsv``) as ccxt's fetch_ledger and
python-kraken-sdk's get_account_log / get_account_log_csv read it. Every JSON answer is schema-checked."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

import pytest
from kraken.futures import User

from apihelpers import BTC, MANUAL_START_MS, Creds, Venue, history_calls

FEE_TAKER = 0.0005
CSV_HEADER = ("uid,dateTime,account,type,symbol,contract,change,new balance,new average entry price,trade price,"
              "mark price,funding rate,realized pnl,fee,realized funding,collateral,conversion spread percentage,"
              "liquidation fee,position uid")


def _round_trip(venue: Venue) -> tuple[Creds, Any, dict[str, Any]]:
    """An account that buys 0.002 at 90000 (a taker), a second later sells 0.001 at 91000 (a taker)."""
    me, other = venue.account(), venue.account()
    ex, cp = venue.ccxt(me), venue.ccxt(other)
    cp.create_order(BTC, "limit", "sell", 0.002, 90000)
    buy = ex.create_order(BTC, "market", "buy", 0.002)
    venue.advance(1000)
    cp.create_order(BTC, "limit", "buy", 0.001, 91000)
    sell = ex.create_order(BTC, "market", "sell", 0.001)
    return me, ex, {"buy": buy, "sell": sell}


def test_sdk_account_log_lists_each_fill_as_a_position_leg_then_a_wallet_leg(venue: Venue, recorder) -> None:
    me, ex, _ = _round_trip(venue)
    fills = sorted(ex.privateGetFills()["fills"], key=lambda f: f["fillTime"])
    user = venue.sdk(User, me)
    with history_calls(recorder):
        log = user.get_account_log(sort="asc")
    assert recorder.last("/account-log").path == "/api/history/v2/account-log"
    assert log["accountUid"] == me.account_uid
    logs = log["logs"]
    assert [e["id"] for e in logs] == [1, 2, 3, 4, 5]
    assert [(e["info"], e["asset"], e["contract"]) for e in logs] == [
        ("admin transfer", "usd", None),
        ("futures trade", "pf_xbtusd", "pf_xbtusd"), ("futures trade", "usd", "pf_xbtusd"),
        ("futures trade", "pf_xbtusd", "pf_xbtusd"), ("futures trade", "usd", "pf_xbtusd")]
    funded, open_pos, open_cash, close_pos, close_cash = logs
    assert (funded["old_balance"], funded["new_balance"], funded["fee"], funded["execution"]) == (0, 100000, None, None)
    assert funded["date"] == "2026-01-01T00:00:00.000Z" and close_cash["date"] == "2026-01-01T00:00:01.000Z"
    # the position's legs: sizes in contracts, entry prices, the execution; no PnL nor fee (on the wallet's leg)
    assert (open_pos["old_balance"], open_pos["new_balance"], open_pos["old_average_entry_price"],
            open_pos["new_average_entry_price"], open_pos["trade_price"]) == (0, 0.002, None, 90000, 90000)
    assert (close_pos["old_balance"], close_pos["new_balance"], close_pos["new_average_entry_price"],
            close_pos["trade_price"], close_pos["realized_pnl"], close_pos["fee"]) == (
        0.002, 0.001, 90000, 91000, None, None)
    assert [open_pos["execution"], close_pos["execution"]] == [f["fill_id"] for f in fills]
    # the wallet's legs: USD before and after, the realised PnL and the fee of the same execution
    assert open_cash["execution"] == open_pos["execution"] and close_cash["execution"] == close_pos["execution"]
    assert open_cash["fee"] == pytest.approx(90000 * 0.002 * FEE_TAKER) and open_cash["realized_pnl"] == 0
    assert open_cash["old_balance"] == 100000
    assert open_cash["new_balance"] == pytest.approx(100000 - open_cash["fee"])
    assert close_cash["realized_pnl"] == pytest.approx(1.0) and close_cash["fee"] == pytest.approx(91 * FEE_TAKER)
    assert close_cash["old_balance"] == open_cash["new_balance"]
    assert close_cash["new_balance"] == pytest.approx(close_cash["old_balance"] + 1.0 - close_cash["fee"])
    assert close_cash["margin_account"] == "flex" and close_cash["mark_price"] is not None


def test_sdk_account_log_pages_by_id_and_time_and_filters_by_info(venue: Venue, recorder) -> None:
    me, _, _ = _round_trip(venue)
    user = venue.sdk(User, me)
    with history_calls(recorder):
        newest_two = user.get_account_log(count=2)
        by_id = user.get_account_log(from_=2, to="3", sort="asc")
        late = user.get_account_log(since=MANUAL_START_MS + 1000, sort="asc")
        early = user.get_account_log(before=MANUAL_START_MS + 1000)
        early_iso = user.get_account_log(before="2026-01-01T00:00:01.000Z")  # as the SDK's docstring sends it
        transfers = user.get_account_log(info="admin transfer")
        trades = user.get_account_log(info="futures trade", count=3)
        none = user.get_account_log(info="funding rate change")
        v3 = venue.raw(me).request("GET", "/api/history/v3/account-log", "sort=asc")
    assert [e["id"] for e in newest_two["logs"]] == [5, 4]
    assert [e["id"] for e in by_id["logs"]] == [2, 3]
    assert [e["id"] for e in late["logs"]] == [4, 5]
    assert [e["id"] for e in early["logs"]] == [3, 2, 1] and early_iso == early
    assert [e["id"] for e in transfers["logs"]] == [1]
    assert [e["id"] for e in trades["logs"]] == [5, 4, 3]
    assert none["logs"] == []
    v2 = user.get_account_log(sort="asc")
    assert v3.json() == v2  # History v2 and v3 answer alike


@pytest.mark.parametrize("params", [
    {"sort": "up"}, {"count": "0"}, {"count": "-1"}, {"from": "x"}, {"since": "yesterday"},
    {"info": "futures trades"}, {"conversion_details": "maybe"},
])
def test_account_log_refuses_malformed_arguments(venue: Venue, recorder, params: dict[str, str]) -> None:
    raw = venue.raw(venue.account())
    with recorder.unvalidated():  # (the spec documents no error answer for the History API)
        r = raw.request("GET", "/api/history/v3/account-log", urlencode(params))
    assert r.status_code == 400 and r.json()["error"] == "invalidArgument"


def test_ccxt_fetch_ledger_sees_the_funding_and_each_trade_with_its_fee(venue: Venue) -> None:
    _, ex, o = _round_trip(venue)
    ledger = sorted(ex.fetch_ledger(), key=lambda e: int(e["id"]))  # (ccxt sorts by time alone)
    assert [(e["type"], e["currency"]) for e in ledger] == [("transfer", "USD"), ("trade", "USD"), ("trade", "USD")]
    funded, opened, closed = ledger  # ccxt keeps the wallet legs (asset != contract), oldest first
    assert (funded["direction"], funded["amount"], funded["after"]) == ("in", 100000, 100000)
    assert opened["amount"] == pytest.approx(0) and opened["fee"]["cost"] == pytest.approx(0.09)
    assert (closed["direction"], closed["amount"]) == ("in", pytest.approx(1.0))
    assert closed["fee"]["cost"] == pytest.approx(0.0455)
    fills = {f["order_id"]: f["fill_id"] for f in ex.privateGetFills()["fills"]}
    assert [opened["referenceId"], closed["referenceId"]] == [fills[o["buy"]["id"]], fills[o["sell"]["id"]]]
    assert closed["account"] == "flex"
    since = ex.fetch_ledger(None, MANUAL_START_MS + 1000)
    assert [e["id"] for e in since] == [closed["id"]]
    until = ex.fetch_ledger(None, None, None, {"until": MANUAL_START_MS + 1000})
    assert sorted(e["id"] for e in until) == [funded["id"], opened["id"]]


def test_sdk_account_log_csv_is_kraken_s_export(venue: Venue, recorder) -> None:
    me, _, _ = _round_trip(venue)
    user = venue.sdk(User, me)
    with history_calls(recorder):
        log = user.get_account_log()["logs"]  # newest first, as the export
    with recorder.unvalidated():  # text, not JSON: the spec gives it no schema
        resp = user.get_account_log_csv()
        v3 = venue.raw(me).request("GET", "/api/history/v3/accountlogcsv", "conversion_details=true")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
    text = resp.content.decode()
    lines = text.splitlines()
    assert lines[0] == CSV_HEADER
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["uid"] for r in rows] == [e["booking_uid"] for e in log]
    by_uid = {e["booking_uid"]: e for e in log}
    for row in rows:
        e = by_uid[row["uid"]]
        assert (row["account"], row["type"], row["symbol"], row["contract"]) == (
            e["margin_account"], e["info"], e["asset"], e["contract"] or "")
        assert float(row["new balance"]) == e["new_balance"]
        assert float(row["change"]) == pytest.approx(e["new_balance"] - e["old_balance"])
        for column, key in (("trade price", "trade_price"), ("mark price", "mark_price"), ("fee", "fee"),
                            ("realized pnl", "realized_pnl"), ("new average entry price", "new_average_entry_price")):
            assert (float(row[column]) if row[column] else None) == e[key], column
        assert "e" not in row["new balance"].lower()  # plain decimals, never an exponent
    assert rows[-1]["dateTime"] == "2026-01-01 00:00:00" and rows[0]["dateTime"] == "2026-01-01 00:00:01"
    assert v3.content.decode().splitlines()[0] == CSV_HEADER + ",exchange rate,exchange rate from,conversion fee"


def test_sdk_pages_by_id_in_both_directions_give_the_whole_log(venue: Venue, recorder) -> None:
    me, _, _ = _round_trip(venue)
    user = venue.sdk(User, me)
    with history_calls(recorder):
        whole = [e["id"] for e in user.get_account_log(sort="asc")["logs"]]
        up: list[int] = []
        while page := user.get_account_log(sort="asc", count=2, from_=(up[-1] + 1) if up else 1)["logs"]:
            up += [e["id"] for e in page]
        down: list[int] = []
        while page := user.get_account_log(count=2, **({"to": str(down[-1] - 1)} if down else {}))["logs"]:
            down += [e["id"] for e in page]
            if down[-1] == 1:
                break
    assert up == whole == down[::-1] == [1, 2, 3, 4, 5]
