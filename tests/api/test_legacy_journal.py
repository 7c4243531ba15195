"""A journal written by an earlier release (commit 40cd364, before typed commands) still replays,
to the same observable state: open orders, positions, balances, fills, order and trigger history,
executions, books, tickers, trades, funding rates, candles (tests/fixtures/legacy_journal)."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_journal"
sys.path.insert(0, str(FIXTURE))

from make_legacy_journal import Recorder, _diff, capture_once  # noqa: E402

ROOT = FIXTURE.parents[2]
# the state digest hashes the engine's internal structures, which the change was free to reshape
INTERNAL = "GET /_krakensim/v1/digest"
NO_ACCOUNT = "00000000-0000-0000-0000-000000000000"


def without_counterparties(expected: dict[str, Any]) -> int:
    """What changed on purpose since 40cd364: an account's executions no longer show the other
    party's account uid and client order id (docs/fidelity.md, "Privacy"). Returns how many
    counterparty orders the fixture's answers held."""
    n = 0
    for name, answer in expected.items():
        if not name.endswith(" GET /api/history/v3/executions?count=1000&sort=asc"):
            continue
        for element in answer["elements"]:
            execution = element["event"]["Execution"]["execution"]
            for side in ("makerOrder", "takerOrder"):
                if execution[side]["accountUid"] != answer["accountUid"]:
                    execution[side].update(accountUid=NO_ACCOUNT, clientId="")
                    n += 1
    return n


def volumes_as_strings(expected: dict[str, Any]) -> int:
    """What changed on purpose since: the Charts API's candle ``volume`` is a JSON string, as the live
    venue sends it (docs/fidelity.md). Returns how many candles the fixture's answers held."""
    n = 0
    for name, answer in expected.items():
        if "/api/charts/" in name and isinstance(answer, dict):
            for candle in answer.get("candles", ()):
                candle["volume"] = str(candle["volume"])
                n += 1
    return n


def with_margin_accounts(expected: dict[str, Any]) -> int:
    """What changed on purpose since: ``accounts`` lists the single-collateral margin account of each inverse
    contract's base currency (fi_xbtusd, empty here), and ``openpositions`` gives ``pnlCurrency`` only for the
    multi-collateral contracts (docs/fidelity.md, "Wallets"). Returns how many answers changed."""
    n = 0
    empty = {"type": "marginAccount", "currency": "xbt", "balances": {"xbt": "0"},
             "auxiliary": {"usd": 0, "pv": 0, "pnl": 0, "af": 0, "funding": 0},
             "marginRequirements": {"im": 0, "mm": 0, "lt": 0, "tt": 0},
             "triggerEstimates": {"im": 0, "mm": 0, "lt": 0, "tt": 0}}
    for name, answer in expected.items():
        if name.endswith(" GET /derivatives/api/v3/accounts"):
            answer["accounts"]["fi_xbtusd"] = empty
            n += 1
        elif name.endswith(" GET /derivatives/api/v3/openpositions"):
            for p in answer["openPositions"]:
                if p["symbol"].startswith(("PI_", "FI_")):
                    del p["pnlCurrency"]
                    n += 1
    return n


MONEY = ("availableMargin", "balanceValue", "collateralValue", "marginEquity", "portfolioValue",
         "unrealizedFunding", "totalUnrealized", "totalUnrealizedAsMargin")


def funding_paid(expected: dict[str, Any], got: dict[str, Any]) -> int:
    """What changed on purpose since: perpetual positions pay and receive funding (docs/fidelity.md,
    "Funding payments"), so the wallets' money differs by what was paid; positions, fills and every
    other answer do not. Takes the replay's money figures of each ``accounts`` answer; returns how
    many wallets' balances moved."""
    n = 0
    for name, answer in expected.items():
        if not name.endswith(" GET /derivatives/api/v3/accounts"):
            continue
        flex, now = answer["accounts"]["flex"], got[name]["accounts"]["flex"]
        n += flex["balanceValue"] != now["balanceValue"]
        for key in MONEY:
            flex[key] = now[key]
        for usd in ("available", "collateral", "quantity", "value"):
            flex["currencies"]["USD"][usd] = now["currencies"]["USD"][usd]
    return n


def test_a_journal_of_the_previous_format_replays_to_the_same_state(tmp_path: Path) -> None:
    expected = json.loads((FIXTURE / "expected.json").read_text())
    assert without_counterparties(expected) == 35  # every execution of A and of B had one
    assert volumes_as_strings(expected) > 0
    assert with_margin_accounts(expected) >= 2
    args = argparse.Namespace(src=str(ROOT / "src"), cwd=str(ROOT), python=sys.executable,
                              admin_token=secrets.token_urlsafe(24))
    rec = Recorder(None)
    got = capture_once(str(FIXTURE / "journal.sqlite"), args, rec, str(tmp_path))
    assert not rec.surprises, rec.surprises
    assert got["journalSeq"] == expected["journalSeq"] == 19294
    assert set(got) == set(expected)
    assert got[INTERNAL]["journalSeq"] == expected[INTERNAL]["journalSeq"]
    del got[INTERNAL]["digest"], expected[INTERNAL]["digest"]
    assert funding_paid(expected, got) == 2  # A and B held perpetuals across hours with a premium
    diffs = _diff(expected, got)
    assert not diffs, "\n".join(diffs[:50])
    # the fixture covers what it says: both accounts traded, and the expired maturities settled
    for who in ("A", "B"):
        assert expected[f"{who}: GET /derivatives/api/v3/fills"]["fills"]
        assert expected[f"{who}: GET /api/history/v3/orders?count=1000&sort=asc"]["elements"]
    assert expected["GET /derivatives/api/v3/history?symbol=FF_XBTUSD_260130"]["history"]
