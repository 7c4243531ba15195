"""WebSocket connections in a whole server (``ThreadedServer``): a thousand idle connections are served,
and connections that come and go, closing cleanly or vanishing, leave nothing behind in the hub or in
uvicorn's connection set."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from websockets.asyncio.client import ClientConnection, connect

from krakensim.serve.build import Settings
from krakensim.simulator import ThreadedServer
from krakensim.ws.hub import Hub

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def sim() -> Iterator[ThreadedServer]:
    with ThreadedServer(Settings(data=None, port=0, manual_clock_start=1_767_225_600_000)) as s:
        yield s


def hub_of(sim: ThreadedServer) -> Hub:
    assert sim.built is not None
    return sim.built.hub


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(what)
        time.sleep(0.02)


def test_ws_url_is_the_feeds_of_this_server(sim: ThreadedServer) -> None:
    assert sim.ws_url == f"ws://127.0.0.1:{sim.port}/ws/v1"


def test_a_thousand_idle_connections_are_served_and_rest_goes_on(sim: ThreadedServer) -> None:
    async def go() -> None:
        conns = [await connect(sim.ws_url, ping_interval=None) for _ in range(1000)]
        for c in conns:
            assert json.loads(await c.recv()) == {"event": "info", "version": 1}
        assert len(hub_of(sim).peers) == 1000
        r = await asyncio.to_thread(requests.get, sim.url + "/derivatives/api/v3/tickers", timeout=10)
        assert r.json()["result"] == "success"
        for c in conns:
            await c.close()

    asyncio.run(go())
    eventually(lambda: not hub_of(sim).peers, "connections left in the hub")


def test_connections_that_come_and_go_leave_nothing_behind(sim: ThreadedServer) -> None:
    demo = sim.demo

    async def one(i: int) -> ClientConnection:
        c = await connect(sim.ws_url, ping_interval=None)
        await c.recv()
        for feed in ("book", "trade", "ticker", "ticker_lite"):
            await c.send(json.dumps({"event": "subscribe", "feed": feed, "product_ids": ["PF_XBTUSD", "PI_XBTUSD"]}))
        await c.send(json.dumps({"event": "subscribe", "feed": "heartbeat"}))
        await c.send(json.dumps({"event": "challenge", "api_key": demo["apiKey"]}))
        while True:
            msg = json.loads(await c.recv())
            if msg.get("event") == "challenge":
                break
        signed = base64.b64encode(hmac.new(base64.b64decode(demo["apiSecret"]),
                                           hashlib.sha256(msg["message"].encode()).digest(),
                                           hashlib.sha512).digest()).decode()
        for feed in ("open_orders", "balances", "open_positions"):
            await c.send(json.dumps({"event": "subscribe", "feed": feed, "api_key": demo["apiKey"],
                                     "original_challenge": msg["message"], "signed_challenge": signed}))
        return c

    async def go() -> None:
        hub = hub_of(sim)
        for _ in range(2):  # connect, subscribe, go away; then again
            conns = [await one(i) for i in range(60)]
            await asyncio.sleep(0.2)
            assert len(hub.peers) == 60 and hub.channels and hub.state_subs
            for i, c in enumerate(conns):
                if i % 3 == 0:
                    await c.close()  # the closing handshake
                elif i % 3 == 1:
                    c.transport.abort()  # gone without a word
                else:
                    await c.send(json.dumps({"event": "unsubscribe", "feed": "heartbeat"}))
                    c.transport.close()  # half a conversation, then the socket closes
            for _ in range(200):
                if not hub.peers:
                    break
                await asyncio.sleep(0.02)

    asyncio.run(go())
    hub = hub_of(sim)
    eventually(lambda: not hub.peers and not hub.channels and not hub.state_subs and not hub.deferred,
               f"left behind: {len(hub.peers)} peers, {list(hub.channels)[:5]}, {hub.state_subs}")
    assert sim._server is not None
    eventually(lambda: not sim._server.server_state.connections, "uvicorn still holds connections")  # type: ignore[union-attr]
