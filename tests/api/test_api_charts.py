"""The Charts API: trade, mark and spot candles, as ccxt's fetch_ohlcv family and the SDK read them."""

from __future__ import annotations

from kraken.futures import Market

from apihelpers import BTC, XBT_ID, trade_between

MIN = 60_000


def test_trade_mark_and_index_candles(venue) -> None:
    # the venue's manual clock starts at 2026-01-01T00:00:00Z
    t0 = 1767225600000
    a, b = venue.ccxt(venue.account()), venue.ccxt(venue.account())
    trade_between(a, b, 90000, 0.002)
    venue.advance(30_000)
    trade_between(a, b, 90100, 0.003)
    venue.advance(60_000)  # next minute
    trade_between(a, b, 89900, 0.001)
    venue.prices(index=89950)
    venue.advance(3 * MIN)

    ohlcv = a.fetch_ohlcv(BTC, "1m", since=t0, limit=10)
    assert ohlcv == [
        [t0, 90000.0, 90100.0, 90000.0, 90100.0, 0.005],
        [t0 + MIN, 89900.0, 89900.0, 89900.0, 89900.0, 0.001],
    ]
    five = a.fetch_ohlcv(BTC, "5m", since=t0, limit=3)
    assert five == [[t0, 90000.0, 90100.0, 89900.0, 89900.0, 0.006]]
    mark = a.fetch_mark_ohlcv(BTC, "1m", since=t0, limit=10)
    # the mark follows the trades and is carried through the quiet minutes after them
    assert [c[0] for c in mark] == [t0 + i * MIN for i in range(5)]
    assert [c[4] for c in mark] == [90100.0, 89900.0, 89900.0, 89900.0, 89900.0]
    index = a.fetch_index_ohlcv(BTC, "1m", since=t0, limit=10)
    assert index[0][0] == t0 + MIN and {c[4] for c in index} == {89950.0}

    sdk = venue.sdk(Market)
    assert sdk.get_tick_types() == ["trade", "mark", "spot"]
    assert XBT_ID in sdk.get_tradeable_products(tick_type="trade")
    assert "1w" in sdk.get_resolutions(tick_type="trade", tradeable=XBT_ID)
    got = sdk.get_ohlc(tick_type="trade", symbol=XBT_ID, resolution="1h", from_=t0 // 1000, to=t0 // 1000 + 3600)
    assert got["more_candles"] is False
    assert [(c["time"], c["open"], c["close"]) for c in got["candles"]] == [(t0, "90000", "89900")]
    # volume is a JSON string on the live wire, like the prices (docs/fidelity.md); ccxt reads it as a number
    assert [c["volume"] for c in got["candles"]] == ["0.006"]
