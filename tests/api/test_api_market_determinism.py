"""Same seed, same market, bit for bit (issue 14, part 5): with or without clients connected (public and
private WebSocket feeds, REST reads between the advances), however the manual clock is advanced (one
call or many), and with a coarser market step (``marketStepMs``) as well."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

from apihelpers import (
    BTC,
    XBT_ID,
    Creds,
    HttpRecorder,
    ServerProcess,
    make_ccxt,
    manual_clock_args,
    new_key,
    new_secret,
)
from ws_schema import assert_valid_message
from wshelpers import sign_challenge, ws_url

ETH = "ETH/USD:USD"
SPAN_MS = 120_000  # two minutes of market
TRADER = Creds(new_key(), new_secret())  # the same key in every run (keys are part of the state)


def _run(workdir: Path, recorder: HttpRecorder, *, clients: bool, chunks: int,
         market_step_ms: int | None = None) -> dict[str, Any]:
    """Start a market server (seed 7), advance it ``SPAN_MS`` in ``chunks`` calls, and read the outcome."""
    workdir.mkdir()
    srv = ServerProcess(workdir, [TRADER], extra_args=["--seed", "7", "--market", *manual_clock_args()])
    srv.start()
    messages = 0
    try:
        ex = make_ccxt(srv.base, TRADER, recorder)
        with contextlib.ExitStack() as stack:
            ws = stack.enter_context(connect(ws_url(srv.base))) if clients else None
            if ws is not None:
                ws.send(json.dumps({"event": "subscribe", "feed": "book", "product_ids": [XBT_ID, "PF_ETHUSD"]}))
                ws.send(json.dumps({"event": "subscribe", "feed": "trade", "product_ids": [XBT_ID]}))
                ws.send(json.dumps({"event": "subscribe", "feed": "ticker", "product_ids": [XBT_ID]}))
                ws.send(json.dumps({"event": "challenge", "api_key": TRADER.key}))
            for _ in range(chunks):
                body: dict[str, Any] = {"advanceMs": SPAN_MS // chunks}
                if market_step_ms is not None:
                    body["marketStepMs"] = market_step_ms
                srv.admin("clock", body)
                if ws is not None:  # read everything the feeds sent, and answer the challenge once
                    while True:
                        try:
                            msg = json.loads(ws.recv(timeout=0.05))
                        except TimeoutError:
                            break
                        assert_valid_message(msg)
                        messages += 1
                        if msg.get("event") == "challenge":
                            signed = sign_challenge(TRADER.secret, msg["message"])
                            for feed in ("open_orders", "fills", "balances"):
                                ws.send(json.dumps({"event": "subscribe", "feed": feed, "api_key": TRADER.key,
                                                    "original_challenge": msg["message"],
                                                    "signed_challenge": signed}))
                    ex.fetch_order_book(BTC)
                    ex.fetch_ticker(ETH)
                    ex.fetch_trades(BTC)
                    ex.fetch_balance()
                    ex.fetch_open_orders()
            ex.load_markets()
            trades = [(t["id"], t["timestamp"], t["price"], t["amount"], t["side"]) for t in ex.fetch_trades(BTC)]
            books = {s: ex.fetch_order_book(s) for s in (BTC, ETH)}
            marks = {s: ex.fetch_ticker(s)["info"]["markPrice"] for s in (BTC, ETH)}
        ex.session.close()
        digest = srv.admin("digest")["digest"]
    finally:
        srv.stop()
    return {"trades": trades, "books": books, "marks": marks, "digest": digest, "messages": messages}


def test_clients_and_how_the_clock_is_advanced_change_nothing(tmp_path: Path, recorder: HttpRecorder) -> None:
    alone = _run(tmp_path / "alone", recorder, clients=False, chunks=1)
    watched = _run(tmp_path / "watched", recorder, clients=True, chunks=24)
    assert watched["messages"] > 50  # the feeds were busy: books, trades and tickers of two minutes
    assert len(alone["trades"]) >= 10
    assert watched["trades"] == alone["trades"]
    assert watched["books"] == alone["books"] and watched["marks"] == alone["marks"]
    assert watched["digest"] == alone["digest"]  # the whole exchange state


def test_a_coarser_market_step_is_as_deterministic(tmp_path: Path, recorder: HttpRecorder) -> None:
    fine = _run(tmp_path / "fine", recorder, clients=False, chunks=1)
    coarse = _run(tmp_path / "coarse", recorder, clients=False, chunks=1, market_step_ms=10_000)
    again = _run(tmp_path / "again", recorder, clients=True, chunks=12, market_step_ms=10_000)
    assert coarse["digest"] == again["digest"] and coarse["trades"] == again["trades"]
    assert coarse["books"] == again["books"]
    assert coarse["digest"] != fine["digest"]  # another resolution, another (equally seeded) market
    assert len(coarse["trades"]) >= 5 and len(coarse["books"][BTC]["bids"]) >= 10  # still a market
