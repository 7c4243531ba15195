"""The simulated market over the wire, stepped by a manual clock: depth, moving prices, fills."""

from __future__ import annotations

from pathlib import Path

from apihelpers import BTC, Creds, ServerProcess, make_ccxt, new_key, new_secret

ROOT = Path(__file__).resolve().parents[2]


def test_market_moves_and_fills_with_the_manual_clock(tmp_path: Path, recorder) -> None:
    config = str(ROOT / "examples" / "krakensim.toml")
    srv = ServerProcess(tmp_path, [Creds(new_key(), new_secret())], extra_args=["--clock", "manual", "--config", config])
    srv.start()
    try:
        ex = make_ccxt(srv.base, srv.accounts[0], recorder)
        ex.load_markets()
        assert ex.fetch_order_book(BTC)["bids"] == []  # nothing before the first step
        srv.admin("clock", {"advanceMs": 10_000})  # ten market steps
        book = ex.fetch_order_book(BTC)
        assert len(book["bids"]) >= 10 and len(book["asks"]) >= 10  # three makers' ladders
        assert 0 < book["asks"][0][0] - book["bids"][0][0] <= 2  # a tick or two wide
        marks = {ex.fetch_ticker(BTC)["info"]["markPrice"]}
        srv.admin("clock", {"advanceMs": 30_000})
        marks.add(ex.fetch_ticker(BTC)["info"]["markPrice"])
        assert len(marks) == 2  # the index moved, and the mark with it
        order = ex.create_order(BTC, "market", "buy", 0.01)
        assert order["status"] == "closed" and order["filled"] == 0.01
        assert ex.fetch_trades(BTC)  # public trades from the simulated takers and us
    finally:
        srv.stop()
