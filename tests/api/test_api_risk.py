"""Liquidation, the unwind queue, the assignment program and funding payments, over loopback with the
unchanged clients (every response validated against the spec's schemas)."""

from __future__ import annotations

import json

import pytest
from kraken.futures import User
from test_ws_private import private_ws

from apihelpers import BTC, XBT_ID, Venue
from wshelpers import run

HOUR = 3_600_000


def test_a_4x_long_whose_mark_falls_far_below_entry_is_liquidated(venue: Venue) -> None:
    long, maker = venue.account("10000"), venue.account("10000000")
    el, em = venue.ccxt(long), venue.ccxt(maker)
    em.create_order(BTC, "limit", "sell", 0.4444, 90000)
    el.create_order(BTC, "limit", "buy", 0.4444, 90000, {"timeInForce": "ioc"})  # 40,000 USD on 10,000: 4×
    el.create_order(BTC, "limit", "sell", 0.1, 99000, {"clientOrderId": "mine"})
    em.create_order(BTC, "limit", "buy", 1, 69000)  # the book absorbs it above the bankruptcy price
    venue.prices(mark=80000)
    assert [p["contracts"] for p in el.fetch_positions()] == [0.4444]  # still above maintenance margin
    venue.prices(mark=60000)

    assert el.fetch_positions() == [] and el.fetch_open_orders() == []
    fills = el.privateGetFills()["fills"]  # newest first
    assert fills[0]["fillType"] == "liquidation" and fills[0]["size"] == 0.4444 and fills[0]["price"] == 69000
    assert fills[0]["side"] == "sell" and fills[1]["fillType"] == "taker"
    public = el.publicGetHistory({"symbol": XBT_ID})["history"]  # the public tape marks it
    assert public[0]["type"] == "liquidation" and public[1]["type"] == "fill"
    history = json.dumps(el.historyGetOrders({"count": 100}))  # the History API shows the liquidation order
    assert '"orderType": "Liquidation"' in history and '"reason": "liquidation"' in history
    executions = json.dumps(el.historyGetExecutions({"count": 100}))
    assert '"orderType": "Liquidation"' in executions
    flex = el.privateGetAccounts()["accounts"]["flex"]
    assert 0 <= flex["balanceValue"] < 10000 - 0.4444 * (90000 - 69000)  # the loss, the fees, the liquidation fee

    async def log() -> list[dict[str, object]]:
        ws, first = await private_ws(venue, long, "account_log")
        await ws.close()
        return first["account_log"]["logs"]  # type: ignore[return-value]

    logs = run(log())  # newest first
    assert [e["info"] for e in logs[:3]] == ["futures liquidation"] * 3  # the fee, the fill's two legs
    assert logs[0]["liquidation_fee"] > 0 and logs[0]["asset"] == "usd"  # the fee: a wallet entry
    assert logs[1]["asset"] == "usd" and logs[1]["contract"] == "pf_xbtusd"  # the fill's wallet leg
    assert logs[2]["asset"] == "pf_xbtusd" and logs[2]["new_balance"] == 0  # its position leg: closed


def test_the_unwind_queue_ranks_positions_and_the_assignment_program_journals_preferences(venue: Venue) -> None:
    a, b, c = venue.account(), venue.account(), venue.account("1000")
    ea, eb, ec = venue.ccxt(a), venue.ccxt(b), venue.ccxt(c)
    ea.create_order(BTC, "limit", "sell", 0.2, 90000)
    eb.create_order(BTC, "limit", "buy", 0.1, 90000, {"timeInForce": "ioc"})
    ec.create_order(BTC, "limit", "buy", 0.1, 90000, {"timeInForce": "ioc"})
    venue.prices(mark=90500)
    queue = venue.sdk(User, a).get_unwind_queue()  # GET /derivatives/api/v3/unwindqueue
    assert queue["queue"] == [{"symbol": XBT_ID, "percentile": 100}]  # the only short
    b_rank = venue.sdk(User, b).get_unwind_queue()["queue"][0]["percentile"]
    c_rank = venue.sdk(User, c).get_unwind_queue()["queue"][0]["percentile"]
    assert (b_rank, c_rank) == (60, 100)  # the same profit on less equity: c is unwound first, b in the 2nd half

    raw = venue.raw(b)
    added = raw.v3json("POST", "assignmentprogram/add", body="contractType=flex&contract=pf_xbtusd&maxSize=0.5"
                       "&acceptLong=true&acceptShort=false&timeFrame=all&enabled=true")
    assert added["participant"] == {"contractType": "flex", "contract": XBT_ID, "maxSize": 0.5, "maxPosition": None,
                                    "acceptLong": True, "acceptShort": False, "timeFrame": "all", "enabled": True}
    other = raw.v3json("POST", "assignmentprogram/add",
                       body="contractType=flex&acceptLong=false&acceptShort=true&timeFrame=weekends&enabled=false")
    current = raw.v3json("GET", "assignmentprogram/current")["participants"]
    assert [p["id"] for p in current] == [added["id"], other["id"]]
    gone = raw.v3json("POST", "assignmentprogram/delete", body=f"id={other['id']}")
    assert gone["id"] == other["id"] and gone["participant"]["timeFrame"] == "weekends"
    assert [p["id"] for p in raw.v3json("GET", "assignmentprogram/current")["participants"]] == [added["id"]]
    history = raw.v3json("GET", "assignmentprogram/history")["participants"]  # newest first
    assert [(h["deleted"], h["participant"]["timeFrame"]) for h in history] == [
        (True, "weekends"), (False, "weekends"), (False, "all")]
    assert venue.raw(a).v3json("GET", "assignmentprogram/current")["participants"] == []  # b's, not a's
    bad = raw.v3json("POST", "assignmentprogram/add",
                     body="contractType=flex&acceptLong=yes&acceptShort=true&timeFrame=all&enabled=true")
    assert bad["result"] == "error" and bad["error"] == "invalidArgument"
    missing = raw.v3json("POST", "assignmentprogram/delete", body="id=999")
    assert missing["error"] == "invalidArgument"


def test_unrealized_funding_accrues_after_hourly_rates_and_is_realised(venue: Venue) -> None:
    long, short = venue.account(), venue.account()
    el, es = venue.ccxt(long), venue.ccxt(short)
    es.create_order(BTC, "limit", "sell", 1, 90000)
    el.create_order(BTC, "limit", "buy", 1, 90000, {"timeInForce": "ioc"})
    venue.prices(mark=90090, index=90000)  # 0.1 % premium: 0.0125 % an hour
    venue.advance(HOUR)  # the first rate is published at the hour
    assert el.privateGetAccounts()["accounts"]["flex"]["unrealizedFunding"] == 0
    venue.advance(HOUR // 2)
    half_hour = 90090 * 0.000125 / 2
    flex_long = el.privateGetAccounts()["accounts"]["flex"]
    assert flex_long["unrealizedFunding"] == pytest.approx(-half_hour)
    assert flex_long["totalUnrealized"] == pytest.approx(flex_long["pnl"] - half_hour)
    short_positions = es.privateGetOpenpositions()["openPositions"]
    assert short_positions[0]["unrealizedFunding"] == pytest.approx(half_hour)
    assert es.privateGetAccounts()["accounts"]["flex"]["unrealizedFunding"] == pytest.approx(half_hour)
    balance = el.privateGetAccounts()["accounts"]["flex"]["balanceValue"]
    venue.advance(HOUR // 2)  # the end of the hour: realised into the wallets
    flex_long = el.privateGetAccounts()["accounts"]["flex"]
    assert flex_long["balanceValue"] == pytest.approx(balance - 2 * half_hour)
    assert flex_long["unrealizedFunding"] == 0

    async def log() -> list[dict[str, object]]:
        ws, first = await private_ws(venue, short, "account_log")
        await ws.close()
        return first["account_log"]["logs"]  # type: ignore[return-value]

    row = run(log())[0]
    assert (row["info"], row["contract"], row["asset"]) == ("funding rate change", "pf_xbtusd", "usd")
    assert row["realized_funding"] == pytest.approx(2 * half_hour)
    assert row["funding_rate"] == pytest.approx(0.000125 * 90090)  # absolute, as the tickers show it


def test_ccxt_fetch_funding_history_shows_what_each_side_paid_and_it_sums_to_zero(venue: Venue) -> None:
    long, short = venue.account(), venue.account()
    el, es = venue.ccxt(long), venue.ccxt(short)
    es.create_order(BTC, "limit", "sell", 1, 90000)
    el.create_order(BTC, "limit", "buy", 1, 90000, {"timeInForce": "ioc"})
    venue.prices(mark=90090, index=90000)  # 0.1 % premium: longs pay shorts 0.0125 % an hour
    venue.advance(3 * HOUR)  # rates published at the first hour, paid over the next two
    paid = el.fetch_funding_history(BTC)
    received = es.fetch_funding_history(BTC)
    assert paid and received and len(paid) == len(received)
    assert all(p["symbol"] == BTC and p["amount"] < 0 for p in paid)
    assert all(r["amount"] > 0 for r in received)
    assert sum(p["amount"] for p in paid) + sum(r["amount"] for r in received) == pytest.approx(0, abs=1e-8)
    assert sum(r["amount"] for r in received) == pytest.approx(2 * 90090 * 0.000125)
    assert es.fetch_funding_history("ETH/USD:USD") == []  # a contract it never held
