"""Fixed maturities over the wire: listing, ccxt's dated futures, expiry and settlement."""

from __future__ import annotations

import pytest
import requests
from kraken.futures import Market

from apihelpers import Creds, num

JAN_FI = "FI_XBTUSD_260130"  # the manual clock starts at 2026-01-01T00:00:00Z
JAN_FF = "FF_XBTUSD_260130"
JAN_LTT = "2026-01-30T16:00:00.000Z"  # 16:00 London (GMT in January)


def test_fixed_maturities_are_listed_with_their_last_trading_time(venue) -> None:
    sdk = venue.sdk(Market)
    instruments = {i["symbol"]: i for i in sdk.get_instruments()["instruments"]}
    fi = {s for s in instruments if s.startswith("FI_")}
    ff = {s for s in instruments if s.startswith("FF_")}
    assert fi == {"FI_XBTUSD_260130", "FI_XBTUSD_260227", "FI_XBTUSD_260327", "FI_XBTUSD_260626"}
    assert ff == {"FF_XBTUSD_260130", "FF_XBTUSD_260227", "FF_XBTUSD_260327", "FF_XBTUSD_260626",
                  "FF_XBTUSD_261225"}
    jan = instruments[JAN_FI]
    assert jan["lastTradingTime"] == JAN_LTT and jan["type"] == "futures_inverse"
    assert jan["underlying"] == "rr_xbtusd" and "fundingRateCoefficient" not in jan
    assert instruments[JAN_FF]["lastTradingTime"] == "2026-01-30T08:00:00.000Z"
    assert instruments[JAN_FF]["type"] == "flexible_futures"
    assert "lastTradingTime" not in instruments["PF_XBTUSD"]
    tags = {t["symbol"]: t["tag"] for t in sdk.get_tickers()["tickers"]}
    assert (tags[JAN_FI], tags["FI_XBTUSD_260327"], tags["FF_XBTUSD_261225"], tags["PF_XBTUSD"]) == (
        "month", "quarter", "semiannual", "perpetual")
    # ccxt sees dated futures with their expiry
    ex = venue.ccxt()
    m = ex.market("BTC/USD:BTC-260130")
    assert m["id"] == JAN_FI and m["future"] and not m["swap"] and m["inverse"]
    assert m["expiryDatetime"] == "2026-01-30T16:00:00.000Z"
    assert ex.market("BTC/USD:USD-261225")["id"] == "FF_XBTUSD_261225"


def test_contract_type_filter_and_trading_instruments(venue) -> None:
    raw = venue.raw()
    inverse = raw.v3json("GET", "instruments", "contractType=futures_inverse", sign=False)["instruments"]
    assert {i["type"] for i in inverse} == {"futures_inverse"} and len(inverse) == 5  # PI_ and four FI_
    both = raw.v3json("GET", "instruments/status", "contractType=futures_inverse&contractType=flexible_futures",
                      sign=False)["instrumentStatus"]
    assert len(both) == len(raw.v3json("GET", "instruments", sign=False)["instruments"])
    bad = raw.v3("GET", "instruments", "contractType=options", sign=False)
    assert bad.json()["result"] == "error"
    # trading/instruments needs a key, and adds the minimum trade size
    with venue.recorder.unvalidated():  # 2026 docs only: not in the OpenAPI spec
        assert raw.v3("GET", "trading/instruments", sign=False).json()["error"] == "authenticationError"
        mine = venue.raw(venue.account()).v3json("GET", "trading/instruments")["instruments"]
    by = {i["symbol"]: i for i in mine}
    assert by["PF_XBTUSD"]["minimumTradeSize"] == 0.0001 and by[JAN_FI]["minimumTradeSize"] == 1


def test_expiry_cancels_orders_settles_positions_and_delists(venue) -> None:
    # inverse contracts are margined in bitcoin from the fi_xbtusd margin account
    seller, buyer = (Creds(a["apiKey"], a["apiSecret"], a["accountUid"]) for a in (
        venue.srv.admin("accounts", {"wallets": {"fi_xbtusd": {"XBT": "1"}}}) for _ in range(2)))
    s_ex, b_ex = venue.ccxt(seller), venue.ccxt(buyer)
    symbol = "BTC/USD:BTC-260130"
    venue.prices(JAN_FI, mark=90000, index=90000)
    s_ex.create_order(symbol, "limit", "sell", 1000, 90000)
    resting = s_ex.create_order(symbol, "limit", "sell", 500, 95000)
    b_ex.create_order(symbol, "market", "buy", 1000)
    assert [num(p["contracts"]) for p in b_ex.fetch_positions([symbol])] == [1000]
    before = {n: num(e.fetch_balance({"type": "fi_xbtusd"})["BTC"]["total"]) for n, e in (("s", s_ex), ("b", b_ex))}
    venue.prices(JAN_FI, index=91000)  # the index the settlement hour averages
    venue.advance(30 * 86_400_000)  # past the last trading time
    assert b_ex.fetch_positions() == [] and s_ex.fetch_positions() == []
    after = {n: num(e.fetch_balance({"type": "fi_xbtusd"})["BTC"]["total"]) for n, e in (("s", s_ex), ("b", b_ex))}
    assert after["b"] > before["b"] and after["s"] < before["s"]  # the long gained from 90,000 to 91,000
    gain = 1000 * (1 / 90000 - 1 / 91000)  # in bitcoin
    assert after["b"] - before["b"] == pytest.approx(gain - 0.5 / 91000, abs=2e-8)
    # both paid a taker fee at settlement: 0.05 % of 1,000 contracts of 1 USD = 0.5 USD each, in bitcoin
    # at the settlement price (amounts are rounded down to 1e-8, so a 1e-8 may go missing on each side)
    assert abs(after["b"] - before["b"] + after["s"] - before["s"] + 1.0 / 91000) < 3e-8
    assert resting["id"] not in {o["id"] for o in s_ex.fetch_open_orders()}
    hist = venue.raw(seller)  # the reason is in the History API (ccxt does not show it)
    with venue.recorder.unvalidated():
        orders = hist.request("GET", "/api/history/v2/orders").json()["elements"]
    reasons = [e["event"]["OrderCancelled"]["reason"] for e in orders if "OrderCancelled" in e["event"]]
    assert reasons == ["contract_expired"]
    # delisted; what replaced it
    listed = {i["symbol"] for i in venue.sdk(Market).get_instruments()["instruments"]}
    assert JAN_FI not in listed and JAN_FF not in listed and "FI_XBTUSD_260227" in listed
    r = venue.raw(buyer).v3("POST", "sendorder", f"orderType=lmt&symbol={JAN_FI}&side=buy&size=1&limitPrice=90000")
    assert r.json()["result"] == "error"
    assert requests.get(venue.base + f"/derivatives/api/v3/tickers/{JAN_FI}", timeout=10).status_code == 404
