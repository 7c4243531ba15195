"""Position update events (History API ``positions``) as ccxt's fetch_positions_history reads them, and
the spec's filters (position change OR'ed, update reason OR'ed, the two AND'ed). Schema-checked."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from apihelpers import BTC, MANUAL_START_MS, XBT_ID, Creds, Venue, history_calls


def _life(venue: Venue) -> tuple[Creds, Any]:
    """Open long 0.002 @ 90000, increase +0.001 @ 90300, decrease −0.001 @ 90600, reverse −0.004 @ 90000,
    close +0.002 @ 89700: one position event each, a second apart."""
    me, other = venue.account(), venue.account()
    ex, cp = venue.ccxt(me), venue.ccxt(other)
    for side, amount, price in (("buy", 0.002, 90000), ("buy", 0.001, 90300), ("sell", 0.001, 90600),
                                ("sell", 0.004, 90000), ("buy", 0.002, 89700)):
        cp.create_order(BTC, "limit", "sell" if side == "buy" else "buy", amount, price)
        ex.create_order(BTC, "market", side, amount)
        venue.advance(1000)
    return me, ex


def _updates(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["event"]["PositionUpdate"] for e in body["elements"]]


def test_every_change_of_a_position_is_an_event(venue: Venue, recorder) -> None:
    me, ex = _life(venue)
    raw = venue.raw(me)
    with history_calls(recorder):
        body = raw.request("GET", "/api/history/v3/positions", "sort=asc").json()
        v2 = raw.request("GET", "/api/history/v2/positions", "sort=asc").json()
    assert v2 == body and body["accountUid"] == me.account_uid and body["len"] == 5
    ups = _updates(body)
    assert [(u["positionChange"], u["oldPosition"], u["newPosition"]) for u in ups] == [
        ("open", "0", "0.002"), ("increase", "0.002", "0.003"), ("decrease", "0.003", "0.002"),
        ("reverse", "0.002", "-0.002"), ("close", "-0.002", "0")]
    assert [u["executionSize"] for u in ups] == ["0.002", "0.001", "0.001", "0.004", "0.002"]
    assert [u["executionPrice"] for u in ups] == ["90000", "90300", "90600", "90000", "89700"]
    assert [e["timestamp"] for e in body["elements"]] == [MANUAL_START_MS + 1000 * i for i in range(5)]
    assert all(u["tradeable"] == XBT_ID and u["updateReason"] == "trade" and u["tradeType"] == "userExecution"
               and u["feeCurrency"] == "USD" and u["accountUid"] == me.account_uid for u in ups)
    assert (ups[0]["oldAverageEntryPrice"], ups[0]["newAverageEntryPrice"]) == (None, "90000")
    assert ups[1]["newAverageEntryPrice"] == "90100"  # (2 × 90000 + 90300) / 3
    assert float(ups[2]["realizedPnL"]) == pytest.approx(0.5) and ups[0]["realizedPnL"] == "0"
    assert float(ups[4]["realizedPnL"]) == pytest.approx(0.6)  # short 0.002 from 90000, bought back at 89700
    fills = {f["fill_id"]: f for f in ex.privateGetFills()["fills"]}
    for u in ups:
        f = fills[u["executionUid"]]
        assert float(u["fee"]) == pytest.approx(f["price"] * f["size"] * 0.0005)
        assert u["fillTime"] == u["timestamp"]


@pytest.mark.parametrize(("filters", "changes"), [
    ({"opened": "true"}, ["open"]),
    ({"closed": "true"}, ["close"]),
    ({"increased": "true", "decreased": "true"}, ["increase", "decrease"]),
    ({"reversed": "true", "closed": "false"}, ["reverse"]),  # false has no effect
    ({"no_change": "true"}, []),
    ({"trades": "true"}, ["open", "increase", "decrease", "reverse", "close"]),
    ({"settlement": "true"}, []),
    ({"opened": "true", "trades": "true"}, ["open"]),  # a change filter AND a reason filter
    ({"opened": "true", "funding_realization": "true"}, []),
    ({"tradeable": "PF_ETHUSD"}, []),
    ({"tradeable": "pf_xbtusd", "closed": "true"}, ["close"]),
])
def test_filters(venue: Venue, recorder, filters: dict[str, str], changes: list[str]) -> None:
    me, _ = _life(venue)
    with history_calls(recorder):
        body = venue.raw(me).request("GET", "/api/history/v3/positions", urlencode({"sort": "asc", **filters})).json()
    assert [u["positionChange"] for u in _updates(body)] == changes


def test_pages_with_the_continuation_token(venue: Venue, recorder) -> None:
    me, _ = _life(venue)
    raw = venue.raw(me)
    seen: list[str] = []
    token = None
    with history_calls(recorder):
        while True:
            q = {"count": "2", **({"continuation_token": token} if token else {})}
            body = raw.request("GET", "/api/history/v3/positions", urlencode(q)).json()
            seen += [e["uid"] for e in body["elements"]]
            token = body.get("continuationToken")
            if token is None:
                break
        whole = raw.request("GET", "/api/history/v3/positions", "").json()
    assert seen == [e["uid"] for e in whole["elements"]] and len(seen) == len(set(seen)) == 5


def test_ccxt_fetch_positions_history_lists_the_closed_positions(venue: Venue, recorder) -> None:
    _, ex = _life(venue)
    with history_calls(recorder):
        closed = ex.fetch_positions_history()
        both = ex.fetch_positions_history([BTC], None, None, {"opened": True})
        since = ex.fetch_positions_history(None, MANUAL_START_MS + 4000)
    assert recorder.last("/positions").path == "/api/history/v3/positions"  # (ccxt: v3 for this one)
    assert [(p["side"], p["contracts"], p["entryPrice"], p["lastPrice"]) for p in closed] == [
        ("short", 0.002, 90000, 89700)]
    assert closed[0]["realizedPnl"] == pytest.approx(0.6) and closed[0]["symbol"] == BTC
    assert sorted(p["side"] for p in both) == ["long", "short"]
    assert [p["timestamp"] for p in since] == [MANUAL_START_MS + 4000]
