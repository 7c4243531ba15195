"""Market scenarios over the wire: scheduled through the control API and the CLI, played on the
exchange clock, refused with a reason when wrong, and kept across a restart (journaled)."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from apihelpers import BTC, Creds, ServerProcess, bearer, make_ccxt, new_key, new_secret

HALT = {"name": "halt", "target": "PF_ETHUSD", "startInMs": 2_000, "durationMs": 5_000}


def test_scenarios_from_the_control_api_and_the_cli(tmp_path: Path, recorder) -> None:
    srv = ServerProcess(tmp_path, [Creds(new_key(), new_secret())], data=tmp_path / "journal.sqlite",
                        extra_args=["--clock", "manual", "--market", "--past-days", "0", "--scenario", json.dumps(HALT)])
    srv.start()
    try:
        ex = make_ccxt(srv.base, srv.accounts[0], recorder)
        ex.load_markets()
        srv.admin("clock", {"advanceMs": 5_000})
        before = float(ex.fetch_ticker(BTC)["info"]["indexPrice"])
        assert ex.fetch_ticker("ETH/USD:USD")["info"]["suspended"] is True  # the CLI's halt, in force
        crash = srv.admin("scenarios", {"name": "crash", "target": "XBT", "percent": 10, "durationMs": 10_000})
        assert crash["scenario"]["state"] == "active" and crash["scenario"]["amount"] == 1000
        srv.admin("clock", {"advanceMs": 15_000})
        after = float(ex.fetch_ticker(BTC)["info"]["indexPrice"])
        assert 0.86 * before < after < 0.94 * before
        assert ex.fetch_ticker("ETH/USD:USD")["info"]["suspended"] is False  # resumed
        url = srv.base + "/_krakensim/v1/scenarios"
        bad = requests.post(url, json={"name": "meteor"}, headers=bearer(srv.admin_token), timeout=10)
        assert bad.status_code == 400 and "name must be one of" in bad.json()["error"]
        listed = srv.admin("scenarios")["scenarios"]
        assert [(s["name"], s["state"]) for s in listed] == [("halt", "done"), ("crash", "done")]
        srv.stop()
        srv.start()  # the scenarios are journaled: a restart knows them
        assert [s["name"] for s in srv.admin("scenarios")["scenarios"]] == ["halt", "crash"]
    finally:
        srv.stop()
