"""Faults on purpose, and the exception each one provokes in ccxt and python-kraken-sdk (docs/testing.md's
table is this test): Unavailable, marketUnavailable, the edge's 5xx pages, timeouts, maintenance windows on
the exchange's clock, seeded probabilities and latency draws, dropped WebSocket connections."""

from __future__ import annotations

import ccxt
import pytest
import requests
from kraken.exceptions import KrakenUnavailableError
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from krakensim.runtime.faults import Fault, FaultPlan, parse_fault
from krakensim.testing import ControlError, Venue
from krakensim.testing.plugin import krakensim, krakensim_server, krakensim_settings  # noqa: F401

SEND = "/derivatives/api/v3/sendorder"


def order(ex: ccxt.krakenfutures) -> None:
    ex.create_order("BTC/USD:USD", "limit", "buy", 0.001, 50000)


def sdk_order(sdk: object) -> dict[str, object]:
    out: dict[str, object] = sdk.trade.create_order(  # type: ignore[attr-defined]
        orderType="lmt", side="buy", size=0.001, symbol="PF_XBTUSD", limitPrice=50000)
    return out


def test_unavailable(krakensim: Venue) -> None:  # noqa: F811
    acct = krakensim.new_account()
    ex = krakensim.ccxt(acct)
    ex.load_markets()
    krakensim.fault("unavailable", SEND)
    with pytest.raises(ccxt.ExchangeNotAvailable):
        order(ex)
    with pytest.raises(KrakenUnavailableError):
        sdk_order(krakensim.kraken_futures(acct))
    assert ex.fetch_open_orders() == []  # only sendorder is struck, and nothing was placed
    krakensim.clear_faults()
    order(ex)


def test_market_unavailable(krakensim: Venue) -> None:  # noqa: F811
    acct = krakensim.new_account()
    ex = krakensim.ccxt(acct)
    ex.load_markets()
    krakensim.fault("market_unavailable", SEND)
    with pytest.raises(ccxt.ContractUnavailable):
        order(ex)
    answer = sdk_order(krakensim.kraken_futures(acct))  # the SDK hands the envelope back, no exception
    assert answer["result"] == "error" and answer["error"] == "marketUnavailable"


@pytest.mark.parametrize(("status", "ccxt_error"), [(502, ccxt.ExchangeNotAvailable), (503, ccxt.ExchangeNotAvailable),
                                                     (504, ccxt.RequestTimeout), (520, ccxt.ExchangeNotAvailable)])
def test_the_edges_5xx_pages(krakensim: Venue, status: int, ccxt_error: type[Exception]) -> None:  # noqa: F811
    krakensim.fault("http_5xx", "/derivatives/api/v3/tickers*", status=status)
    r = requests.get(krakensim.url + "/derivatives/api/v3/tickers", timeout=10)
    assert r.status_code == status and r.headers["content-type"] == "text/html" and "cloudflare" in r.text
    with pytest.raises(ccxt_error):
        krakensim.ccxt().fetch_ticker("BTC/USD:USD")
    with pytest.raises(Exception, match=f"^{status} - <html>"):  # python-kraken-sdk: a bare Exception
        krakensim.kraken_futures().market.get_tickers()


def test_a_timeout_never_answers(krakensim: Venue) -> None:  # noqa: F811
    krakensim.fault("timeout", "/derivatives/api/v3/tickers*")
    ex = krakensim.ccxt()
    ex.timeout = 300  # ms
    with pytest.raises(ccxt.RequestTimeout):
        ex.fetch_ticker("BTC/USD:USD")
    sdk = krakensim.kraken_futures().market
    sdk.TIMEOUT = 0.3  # s
    with pytest.raises(requests.exceptions.ReadTimeout):
        sdk.get_tickers()
    assert krakensim.kraken_futures().market.get_orderbook(symbol="PF_XBTUSD")["result"] == "success"


def test_a_maintenance_window_on_the_exchange_clock(krakensim: Venue) -> None:  # noqa: F811
    ex = krakensim.ccxt(krakensim.new_account())
    ex.load_markets()
    krakensim.fault("maintenance", after_s=60, for_s=120)
    order(ex)  # not yet
    krakensim.advance(60)
    with pytest.raises(ccxt.ContractUnavailable):
        order(ex)
    assert ex.fetch_ticker("BTC/USD:USD")["info"]["symbol"] == "PF_XBTUSD"  # reads go on
    krakensim.advance(120)
    order(ex)  # back
    assert len(ex.fetch_open_orders()) == 2


def test_probabilities_are_seeded(krakensim: Venue) -> None:  # noqa: F811
    def struck() -> list[int]:
        krakensim.fault("unavailable", "/derivatives/api/v3/tickers", probability=0.5)
        out = []
        for _ in range(40):
            out.append(int(requests.get(krakensim.url + "/derivatives/api/v3/tickers", timeout=10).json()["result"]
                           == "error"))
        return out

    first = struck()
    assert 5 < sum(first) < 35
    krakensim.reset()  # the plan's generator starts again from the seed
    assert struck() == first


def test_latency_draws_are_seeded_and_bounded() -> None:
    a, b = FaultPlan(7), FaultPlan(7)
    for doc in ({"kind": "latency", "ms": 100, "max_ms": 300, "distribution": "uniform"},
                {"kind": "latency", "ms": 50, "sd_ms": 100, "distribution": "normal"},
                {"kind": "latency", "ms": 80, "distribution": "exponential"}):
        fa, fb = a.add(parse_fault(doc, 0)), b.add(parse_fault(doc, 0))
        draws = [a.latency_s(fa) for _ in range(200)]
        assert draws == [b.latency_s(fb) for _ in range(200)] and min(draws) >= 0
        if doc["distribution"] == "uniform":
            assert 0.1 <= min(draws) and max(draws) <= 0.3
    assert Fault("latency", ms=20).matches("GET", "/x", 0)


def test_a_latency_fault_still_answers(krakensim: Venue) -> None:  # noqa: F811
    krakensim.fault("latency", "/derivatives/api/v3/tickers", ms=50, distribution="exponential")
    assert krakensim.kraken_futures().market.get_tickers()["result"] == "success"
    assert krakensim.control("GET", "faults")["faults"][0]["distribution"] == "exponential"


def test_refusals_name_the_field_and_the_control_api_is_never_struck(krakensim: Venue) -> None:  # noqa: F811
    for fields, name in (({"kind": "nope"}, "kind"), ({"kind": "http_5xx", "status": 404}, "status"),
                         ({"kind": "latency", "ms": -1}, "ms"), ({"kind": "latency", "colour": 1}, "colour"),
                         ({"kind": "unavailable", "probability": 2}, "probability")):
        with pytest.raises(ControlError) as e:
            krakensim.control("POST", "faults", fields)
        assert e.value.status == 400 and e.value.answer["message"].startswith(name + ":")
    krakensim.fault("http_5xx")  # every path…
    assert krakensim.status()["accounts"] == 1  # …but the control API's
    krakensim.reset()
    assert krakensim.control("GET", "faults")["faults"] == []


def test_dropped_websocket_connections(krakensim: Venue) -> None:  # noqa: F811
    with connect(krakensim.ws_url) as ws:
        assert "info" in ws.recv(timeout=10)
        ws.send('{"event": "subscribe", "feed": "ticker", "product_ids": ["PF_XBTUSD"]}')
        ws.recv(timeout=10)
        assert krakensim.drop_websockets() == 1
        with pytest.raises(ConnectionClosed) as e:
            while True:
                ws.recv(timeout=10)
        assert e.value.rcvd is not None and e.value.rcvd.code == 1011


def test_faults_of_the_configuration_come_back_after_a_reset(tmp_path: object) -> None:
    from krakensim import ThreadedServer
    from krakensim.serve.config import ConfigError, parse_config
    from krakensim.testing.plugin import default_settings

    cfg = parse_config({"faults": [{"kind": "unavailable", "endpoint": "/derivatives/api/v3/tickers"}]})
    with pytest.raises(ConfigError, match=r"^faults\[0\]\.kind:"):
        parse_config({"faults": [{"kind": "sometimes"}]})
    settings = default_settings()
    settings.faults = cfg.faults
    with ThreadedServer(settings) as server:
        venue = Venue(server)
        try:
            assert requests.get(server.url + "/derivatives/api/v3/tickers", timeout=10).json()["error"] == "Unavailable"
            venue.clear_faults()
            assert requests.get(server.url + "/derivatives/api/v3/tickers", timeout=10).json()["result"] == "success"
            venue.reset()
            assert requests.get(server.url + "/derivatives/api/v3/tickers", timeout=10).json()["error"] == "Unavailable"
        finally:
            venue.close()


def test_ccxt_pro_sees_the_drop_and_reconnects(krakensim: Venue) -> None:  # noqa: F811
    import asyncio

    async def scenario() -> str:
        ex = krakensim.ccxt_pro()
        try:
            await ex.watch_ticker("BTC/USD:USD")
            pending = asyncio.ensure_future(ex.watch_ticker("BTC/USD:USD"))
            await asyncio.sleep(0.2)
            assert await asyncio.get_running_loop().run_in_executor(None, krakensim.drop_websockets) == 1
            with pytest.raises(ccxt.NetworkError, match="1011"):
                await asyncio.wait_for(pending, 10)
            ticker = await asyncio.wait_for(ex.watch_ticker("BTC/USD:USD"), 10)  # a new connection
            return str(ticker["info"]["product_id"])
        finally:
            await ex.close()

    assert asyncio.run(scenario()) == "PF_XBTUSD"
