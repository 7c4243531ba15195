"""A fresh venue with the market has a past: ccxt warms up on 500 candles at every timeframe, the funding
history, trades and the 24 h statistics at start-up (issue 14, part 3)."""

from __future__ import annotations

from pathlib import Path

from apihelpers import BTC, Creds, ServerProcess, make_ccxt, new_key, new_secret

TIMEFRAMES = ("1m", "5m", "15m", "30m", "1h", "4h", "12h", "1d", "1w")


def test_ccxt_finds_500_candles_funding_and_trades_at_start_up(tmp_path: Path, recorder) -> None:
    srv = ServerProcess(tmp_path, [Creds(new_key(), new_secret())], extra_args=["--market"])  # the wall clock
    srv.start()
    try:
        ex = make_ccxt(srv.base, srv.accounts[0], recorder)
        ex.load_markets()
        index = float(ex.fetch_ticker(BTC)["info"]["indexPrice"])
        for tf in TIMEFRAMES:
            for price in ("trade", "mark", "index"):
                candles = ex.fetch_ohlcv(BTC, tf, limit=500, params={"price": price})
                assert len(candles) == 500, (tf, price, len(candles))
                assert all(a[0] < b[0] for a, b in zip(candles, candles[1:], strict=False))
        minutes = ex.fetch_ohlcv(BTC, "1m", limit=500, params={"price": "index"})
        assert abs(minutes[-1][4] - index) < index * 0.01  # the past runs into the present
        rates = ex.fetch_funding_rate_history(BTC)
        assert len(rates) > 24 and all(r["fundingRate"] is not None for r in rates)
        assert len(ex.fetch_trades(BTC)) > 50
        assert float(ex.fetch_ticker(BTC)["baseVolume"]) > 0
    finally:
        srv.stop()
