"""Portfolio margining over the wire: ``portfolio-margining/parameters`` (krakensim's constants, its
futures' limits as the options limits) and ``portfolio-margining/simulate`` (PnL, tiered margin, scenario
PnLs and market risk of futures positions at the marks), checked against a computation of the test's own
from the public ``instruments`` margin levels and the formulas in docs/fidelity.md."""

from __future__ import annotations

import json
from decimal import Decimal as D
from typing import Any
from urllib.parse import quote

import pytest

from apihelpers import XBT_ID, Venue, instruments, num, tiered

SHOCKS = [D("-0.15"), D("-0.1"), D("-0.05"), D("0.05"), D("0.1"), D("0.15")]
NETTING = D("0.5")
MARKS = {"PF_XBTUSD": D(90000), "PF_ETHUSD": D(3100), "PI_XBTUSD": D(88000)}


def pnl(inverse: bool, size: D, entry: D, mark: D) -> D:
    """USD a position would realise at ``mark``: size × (mark − entry), or size × (mark − entry) / entry for
    an inverse contract worth one USD."""
    return size * (mark - entry) / entry if inverse else size * (mark - entry)


def simulate(venue: Venue, positions: list[dict[str, Any]]) -> dict[str, Any]:
    body = "json=" + quote(json.dumps({"positions": positions}))
    return venue.raw(venue.account()).v3json("POST", "portfolio-margining/simulate", body=body)


def test_parameters_are_krakensims_constants_and_its_futures_limits(venue: Venue) -> None:
    out = venue.raw(venue.account()).v3json("GET", "portfolio-margining/parameters")
    assert out["result"] == "success", out
    assert [D(str(s)) for s in out["priceShockLevels"]] == SHOCKS
    assert D(str(out["crossAssetNettingFactor"])) == NETTING
    assert out["totalOptionOrdersConsideredInInitialMarginCalc"] == 0
    limits = out["optionsUserLimits"]["limitsPerBaseCurrency"]
    expected: dict[str, float] = {}
    for inst in instruments(venue).values():
        expected[inst["base"]] = max(expected.get(inst["base"], 0), num(inst["maxPositionSize"]))
    assert {b: num(v["maxTotalPositionSize"]) for b, v in limits.items()} == expected
    assert {b: num(v["maxTotalOpenOrdersSize"]) for b, v in limits.items()} == expected
    assert num(out["optionsUserLimits"]["maxNetPositionDelta"]) == max(expected.values())


def test_simulate_prices_futures_positions_at_the_marks(venue: Venue) -> None:
    for symbol, mark in MARKS.items():
        venue.prices(symbol, mark=mark, index=mark)
    positions = [
        {"instrument": "PF_XBTUSD", "size": 0.5, "entryPrice": 80000.5},
        {"instrument": "pf_ethusd", "size": -12, "entryPrice": 3000},  # any case, as every symbol
        {"instrument": "PI_XBTUSD", "size": -20000, "entryPrice": 85000},
        {"instrument": "PF_XBTUSD", "size": 0.25, "entryPrice": 91000},
    ]
    out = simulate(venue, positions)
    assert out["result"] == "success", out
    specs = instruments(venue)

    def rows() -> list[tuple[str, bool, D, D]]:
        return [(p["instrument"].upper(), specs[p["instrument"].upper()]["type"] == "futures_inverse",
                 D(str(p["size"])), D(str(p["entryPrice"]))) for p in positions]

    want_pnl = sum(pnl(inv, size, entry, MARKS[s]) for s, inv, size, entry in rows())
    assert num(out["pnl"]) == pytest.approx(float(want_pnl), abs=1e-6)
    net = {"PF_XBTUSD": D("0.75"), "PF_ETHUSD": D(-12), "PI_XBTUSD": D(-20000)}
    notional = {s: abs(n) * (1 if specs[s]["type"] == "futures_inverse" else MARKS[s]) for s, n in net.items()}
    im = sum(tiered(specs[s]["marginLevels"], notional[s], "initialMargin") for s in net)
    mm = sum(tiered(specs[s]["marginLevels"], notional[s], "maintenanceMargin") for s in net)
    assert notional["PF_XBTUSD"] == 67500 and notional["PI_XBTUSD"] == 20000
    assert num(out["initialMargin"]) == pytest.approx(float(im), abs=1e-6)
    assert num(out["maintenanceMargin"]) == pytest.approx(float(mm), abs=1e-6)
    b = out["portfolioMarginBreakdown"]
    assert num(b["futuresMaintenanceMargin"]) == num(out["maintenanceMargin"])

    def change(shock: D, base: str | None = None) -> D:
        return sum((pnl(inv, size, entry, MARKS[s] * (1 + shock)) - pnl(inv, size, entry, MARKS[s])
                    for s, inv, size, entry in rows() if base is None or specs[s]["base"] == base), D(0))

    scenarios = [change(s) for s in SHOCKS]
    assert b["totalScenarioPnls"] == pytest.approx([float(v) for v in scenarios], abs=1e-6)
    risk = max(D(0), -min(scenarios))
    assert risk > 0 and num(b["totalMarketRisk"]) == pytest.approx(float(risk), abs=1e-6)
    per_base = sum(max(D(0), -min(change(s, base) for s in SHOCKS)) for base in ("XBT", "ETH"))
    netted = (1 - NETTING) * per_base + NETTING * risk
    assert per_base > risk  # XBT and ETH offset here: netting counts
    assert num(b["totalCrossAssetNettedMarketRisk"]) == pytest.approx(float(netted), abs=1e-6)
    delta = sum((n if specs[s]["type"] == "futures_inverse" else n * MARKS[s]) for s, n in net.items())
    assert num(b["netPortfolioDelta"]) == pytest.approx(float(delta), abs=1e-6)
    assert (b["totalAbsoluteOptionPositionDeltaNotional"], b["totalPremium"], b["isBuyOnly"]) == (0, 0, True)
    assert {s: (num(g["delta"]), g["iv"], g["gamma"], g["vega"], g["theta"], g["rho"])
            for s, g in out["greeks"].items()} == {s: (float(n), -1.0, None, None, None, None) for s, n in net.items()}


def test_simulate_of_an_empty_portfolio_is_zero(venue: Venue) -> None:
    out = simulate(venue, [])
    assert (out["pnl"], out["initialMargin"], out["maintenanceMargin"], out["greeks"]) == (0, 0, 0, {})
    assert out["portfolioMarginBreakdown"]["totalScenarioPnls"] == [0] * len(SHOCKS)


@pytest.mark.parametrize(("body", "error"), [
    ("", "requiredArgumentMissing"),
    ("json=" + quote("{\"positions\": ["), "Json Parse Error"),
    ("json=" + quote(json.dumps({"positions": {}})), "invalidArgument"),
    ("json=" + quote(json.dumps([])), "invalidArgument"),
    ("json=" + quote(json.dumps({"positions": [{"instrument": "PF_DOGGO", "size": 1, "entryPrice": 1}]})),
     "invalidArgument"),
    ("json=" + quote(json.dumps({"positions": [{"instrument": XBT_ID, "size": 0.00001, "entryPrice": 1}]})),
     "invalidArgument"),  # finer than a lot
    ("json=" + quote(json.dumps({"positions": [{"instrument": XBT_ID, "size": 1, "entryPrice": 0}]})),
     "invalidArgument"),
    ("json=" + quote(json.dumps({"positions": [{"instrument": "PI_XBTUSD", "size": 1, "entryPrice": 1e-300}]})),
     "invalidArgument"),  # below a tick
    ("json=" + quote(json.dumps({"positions": [{"instrument": XBT_ID, "size": True, "entryPrice": 1}]})),
     "invalidArgument"),
    ("json=" + quote(json.dumps({"positions": [{"instrument": XBT_ID, "entryPrice": 1}]})), "invalidArgument"),
    ("json=" + quote(json.dumps({"positions": ["PF_XBTUSD"]})), "invalidArgument"),
])
def test_simulate_refuses_what_is_not_a_portfolio(venue: Venue, body: str, error: str) -> None:
    out = venue.raw(venue.account()).v3json("POST", "portfolio-margining/simulate", body=body)
    assert (out["result"], out["error"]) == ("error", error), out


def test_simulate_takes_the_json_raw_as_batchorder_does(venue: Venue) -> None:
    """A client that sends the field unencoded (as ccxt does batchorder's) is understood too."""
    doc = json.dumps({"positions": [{"instrument": XBT_ID, "size": 1, "entryPrice": 85000}]}, separators=(",", ":"))
    venue.prices(XBT_ID, mark=90000, index=90000)
    out = venue.raw(venue.account()).v3json("POST", "portfolio-margining/simulate", body="json=" + doc)
    assert out["result"] == "success" and num(out["pnl"]) == 5000, out
