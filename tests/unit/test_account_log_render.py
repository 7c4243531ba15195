"""Entries other rooms log (funding, liquidation, transfers, conversions, settlements) render generically:
every AccountLogEntry valid against the spec's schema (strictly), the position update of each position leg
valid against HistoricalPositionUpdateElement, with the fields their ``info`` implies."""

from __future__ import annotations

from typing import Any

import pytest

from krakensim.api.positions_history import position_change, position_update
from krakensim.api.render.account_log import account_log_entry, csv_row
from krakensim.engine import default_instruments
from krakensim.engine.events import AccountLogged
from schema_check import assert_valid

INSTRUMENTS = default_instruments()
T = 1_767_225_600_000
USD8 = 10**8


def entry(info: str, symbol: str | None, old: int, new: int, **kw: Any) -> AccountLogged:
    return AccountLogged(T, "acct", 7, "5f6b6355-82a4-43e7-ae31-b443563df4b2", info, symbol, old, new, **kw)


CASES = [
    entry("funding rate change", "PF_XBTUSD", 100 * USD8, 99 * USD8, funding_rate=10**7, mark_price=90_000,
          realized_funding=-USD8),
    entry("futures liquidation", "PF_XBTUSD", 100 * USD8, 90 * USD8, trade_price=85_000, mark_price=85_000,
          realized_pnl=-9 * USD8, fee=USD8 // 2, liquidation_fee=USD8 // 2, execution="e-1"),
    entry("futures liquidation", "PF_XBTUSD", 10, 0, old_cost=900_000, trade_price=85_000, execution="e-1",
          asset="PF_XBTUSD"),
    entry("transfer", None, 100 * USD8, 50 * USD8),
    entry("subaccount transfer", None, 0, 5 * USD8, asset="XBT", margin_account="flex"),
    entry("conversion", None, 0, 2 * USD8, asset="ETH", conversion_spot_price=3_000 * USD8),
    entry("settlement", "PF_XBTUSD", -10, 0, old_cost=-900_000, trade_price=91_000, mark_price=91_000,
          realized_pnl=-USD8, fee=USD8 // 10, asset="PF_XBTUSD"),
    entry("admin transfer", None, 0, 1000 * USD8, asset="USD", margin_account="fi_xbtusd"),
]


@pytest.mark.parametrize("e", CASES, ids=lambda e: f"{e.info}-{e.asset}")
def test_every_entry_is_a_valid_account_log_entry(e: AccountLogged) -> None:
    d = account_log_entry(INSTRUMENTS.__getitem__, e, conversion_details=True)
    assert_valid("GET", "/api/history/v3/account-log", {"accountUid": "acct", "logs": [d]}, strict=True)
    csv_row(INSTRUMENTS.__getitem__, d, e, True)  # renders without error
    if e.info == "funding rate change":
        assert d["funding_rate"] == pytest.approx(1e-5 * 90_000) and d["realized_funding"] == -1
        assert (d["asset"], d["contract"], d["fee"], d["realized_pnl"]) == ("usd", "pf_xbtusd", None, None)
    if e.info == "futures liquidation" and e.asset == "USD":
        assert (d["liquidation_fee"], d["fee"], d["realized_pnl"]) == (0.5, 0.5, -9)
    if e.info == "conversion":
        assert (d["asset"], d["exchange_rate"], d["exchange_rate_from"]) == ("eth", 3000, "ETH")
    if e.info == "admin transfer":
        assert d["margin_account"] == "fi_xbtusd" and d["liquidation_fee"] is None


@pytest.mark.parametrize("e", [c for c in CASES if c.symbol is not None and c.asset == c.symbol],
                         ids=lambda e: e.info)
def test_position_legs_are_valid_position_updates(e: AccountLogged) -> None:
    inst = INSTRUMENTS["PF_XBTUSD"]
    u = position_update("acct", inst, e)
    body = {"accountUid": "acct", "len": 1, "elements": [{"uid": "u", "timestamp": T, "event": {"PositionUpdate": u}}]}
    assert_valid("GET", "/api/history/v3/positions", body, strict=True)
    if e.info == "settlement":
        assert (u["updateReason"], u["settlementPrice"], u["positionChange"]) == ("settlement", "91000", "close")
        assert "tradeType" not in u and u["fillTime"] is None
    else:
        assert (u["updateReason"], u["tradeType"], u["newAverageEntryPrice"]) == ("trade", "liquidation", "90000")


def test_position_change() -> None:
    assert [position_change(o, n) for o, n in [(0, 1), (1, 0), (1, 2), (2, 1), (1, -1), (-1, 1), (3, 3), (-2, -3)]] == [
        "open", "close", "increase", "decrease", "reverse", "reverse", "noChange", "increase"]
