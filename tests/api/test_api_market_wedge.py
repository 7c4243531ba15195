"""Issue 14's wedge over the wire: a sweep empties the asks, a stray buy at 120,000 rests, and the
next market step trades against it (the arbitrageur) and quotes the ask side again."""

from __future__ import annotations

from pathlib import Path

from apihelpers import BTC, Creds, ServerProcess, make_ccxt, new_key, new_secret


def test_a_stray_buy_far_above_fair_value_does_not_wedge_the_market(tmp_path: Path, recorder) -> None:
    srv = ServerProcess(tmp_path, [Creds(new_key(), new_secret())], extra_args=["--clock", "manual", "--market"])
    srv.start()
    try:
        whale = make_ccxt(srv.base, srv.new_account("1000000000"), recorder)
        whale.load_markets()
        srv.admin("clock", {"advanceMs": 10_000})  # ten market steps
        sweep = whale.create_order(BTC, "market", "buy", 500)  # more than the whole ask side within 1 %
        assert 0 < sweep["filled"] < 500
        assert whale.fetch_order_book(BTC)["asks"] == []  # swept: nothing left to sell
        stray = whale.create_order(BTC, "limit", "buy", 1, 120_000)  # crosses nothing: it rests
        assert stray["status"] == "open"
        srv.admin("clock", {"advanceMs": 1_000})  # one market step
        book = whale.fetch_order_book(BTC)
        assert book["asks"] and book["bids"]
        index = float(whale.fetch_ticker(BTC)["info"]["indexPrice"])
        assert book["bids"][0][0] < book["asks"][0][0] < index * 1.01  # quoted around the fair price again
        assert not whale.fetch_open_orders(BTC)  # the stray buy was sold into
        filled = [t for t in whale.fetch_my_trades(BTC) if t["order"] == stray["id"]]
        assert sum(t["amount"] for t in filled) == 1 and {t["price"] for t in filled} == {120_000}
    finally:
        srv.stop()
