"""The in-process façade: a whole server in a thread on a free port, started and stopped."""

from __future__ import annotations

import socket

import pytest
import requests

from krakensim import Settings, ThreadedServer


def test_a_threaded_server_serves_the_api_and_stops() -> None:
    with ThreadedServer(Settings(data=None, port=0)) as sim:
        assert sim.port > 0 and sim.url == f"http://127.0.0.1:{sim.port}"
        r = requests.get(sim.url + "/derivatives/api/v3/instruments", timeout=5)
        assert r.status_code == 200 and r.json()["result"] == "success"
        assert "PF_XBTUSD" in {i["symbol"] for i in r.json()["instruments"]}
        assert sim.demo["apiKey"] and sim.demo["accountUid"] in sim.built.runtime.exchange.accounts  # type: ignore[union-attr]
        port = sim.port
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):  # nobody listens on the port any more
        s.connect(("127.0.0.1", port))


def test_two_servers_run_side_by_side_with_their_own_state() -> None:
    with ThreadedServer() as a, ThreadedServer() as b:
        assert a.port != b.port
        assert a.demo["apiKey"] != b.demo["apiKey"]
        for sim in (a, b):
            assert requests.get(sim.url + "/derivatives/api/v3/tickers", timeout=5).json()["result"] == "success"
