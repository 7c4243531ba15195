"""WebSocket v1: connecting, requests, acks, errors and alerts, bad upgrades, keep-alive, closing,
slow consumers and the limits (shared/spec/ws/connection.md). Every message is schema-checked."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import pytest
import requests
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from apihelpers import Creds, ServerProcess, new_key, new_secret
from wshelpers import Ws, run, sign_challenge, ws_url

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_info_then_one_ack_per_product_in_request_order_then_the_snapshot(server: ServerProcess) -> None:
    async def go() -> None:
        ws = await Ws.open(ws_url(server.base))
        await ws.send({"event": "subscribe", "feed": "ticker", "product_ids": ["PI_XBTUSD", "PF_SOLUSD"]})
        got = [await ws.recv() for _ in range(4)]
        assert got[0] == {"event": "subscribed", "feed": "ticker", "product_ids": ["PI_XBTUSD"]}
        assert (got[1]["feed"], got[1]["product_id"]) == ("ticker", "PI_XBTUSD")
        assert got[2] == {"event": "subscribed", "feed": "ticker", "product_ids": ["PF_SOLUSD"]}
        assert (got[3]["feed"], got[3]["product_id"]) == ("ticker", "PF_SOLUSD")
        await ws.send({"event": "subscribe", "feed": "heartbeat"})
        assert await ws.until(lambda m: "event" in m) == {"event": "subscribed", "feed": "heartbeat"}
        await ws.send({"event": "unsubscribe", "feed": "ticker", "product_ids": ["PI_XBTUSD"]})
        assert await ws.until(lambda m: "event" in m) == {"event": "unsubscribed", "feed": "ticker",
                                                          "product_ids": ["PI_XBTUSD"]}
        await ws.send({"event": "unsubscribe", "feed": "ticker", "product_ids": ["PI_XBTUSD"]})
        assert await ws.until(lambda m: "event" in m) == {"event": "unsubscribed_failed", "feed": "ticker",
                                                          "product_ids": ["PI_XBTUSD"]}
        await ws.close()

    run(go())


BAD_REQUESTS: list[tuple[Any, dict[str, str]]] = [
    ("not json", {"event": "error", "message": "Json Error"}),
    ("[1, 2]", {"event": "error", "message": "Json Error"}),
    ('"subscribe"', {"event": "error", "message": "Json Error"}),
    ({"feed": "book", "product_ids": ["PF_XBTUSD"]}, {"event": "error", "message": "Json Error"}),
    ({"event": "frobnicate"}, {"event": "error", "message": "Json Error"}),
    ({"event": "subscribe"}, {"event": "error", "message": "Json Error"}),
    ({"event": "subscribe", "feed": 7}, {"event": "error", "message": "Json Error"}),
    ({"event": "subscribe", "feed": "book"}, {"event": "error", "message": "Json Error"}),
    ({"event": "subscribe", "feed": "book", "product_ids": "PF_XBTUSD"}, {"event": "error", "message": "Json Error"}),
    ({"event": "subscribe", "feed": "book", "product_ids": []}, {"event": "error", "message": "Json Error"}),
    ({"event": "subscribe", "feed": "book", "product_ids": [1]}, {"event": "error", "message": "Json Error"}),
    ({"event": "challenge"}, {"event": "error", "message": "Json Error"}),
    ({"event": "challenge", "api_key": ""}, {"event": "error", "message": "Json Error"}),
    ({"event": "subscribe", "feed": "orderbook", "product_ids": ["PF_XBTUSD"]},
     {"event": "error", "message": "Invalid feed"}),
    ({"event": "unsubscribe", "feed": "Book", "product_ids": ["PF_XBTUSD"]},
     {"event": "error", "message": "Invalid feed"}),
    ({"event": "subscribe", "feed": "book", "product_ids": ["PF_NOPEUSD"]},
     {"event": "error", "message": "Invalid product id"}),
    ({"event": "subscribe", "feed": "trade", "product_ids": ["pf_nosuchusd"]},
     {"event": "error", "message": "Invalid product id"}),
    ({"event": "subscribe", "feed": "open_orders"}, {"event": "alert",
                                                     "message": "Failed to subscribe to authenticated feed"}),
]


def test_errors_and_alerts_are_kraken_s_and_leave_the_connection_open(server: ServerProcess) -> None:
    async def go() -> None:
        ws = await Ws.open(ws_url(server.base))
        for request, answer in BAD_REQUESTS:
            await ws.send(request if isinstance(request, str) else json.dumps(request))
            assert await ws.recv() == answer, request
        # a request mixing a known and an unknown product subscribes nothing
        await ws.send({"event": "subscribe", "feed": "book", "product_ids": ["PF_XBTUSD", "PF_NOPEUSD"]})
        assert await ws.recv() == {"event": "error", "message": "Invalid product id"}
        await ws.send({"event": "unsubscribe", "feed": "book", "product_ids": ["PF_XBTUSD"]})
        assert (await ws.recv())["event"] == "unsubscribed_failed"
        # still open and serving
        await ws.send({"event": "subscribe", "feed": "book", "product_ids": ["PF_XBTUSD"]})
        assert (await ws.recv())["event"] == "subscribed"
        assert (await ws.recv())["feed"] == "book_snapshot"
        await ws.close()

    run(go())


def test_subscribing_again_is_an_alert_and_a_fresh_snapshot(server: ServerProcess) -> None:
    async def go() -> None:
        ws = await Ws.open(ws_url(server.base))
        await ws.send({"event": "subscribe", "feed": "trade", "product_ids": ["PF_ETHUSD"]})
        assert (await ws.recv())["event"] == "subscribed"
        assert (await ws.recv())["feed"] == "trade_snapshot"
        await ws.send({"event": "subscribe", "feed": "trade", "product_ids": ["PF_ETHUSD"]})
        assert await ws.recv() == {"event": "alert", "message": "Already subscribed to feed, re-requesting"}
        assert (await ws.recv())["feed"] == "trade_snapshot"
        await ws.send({"event": "unsubscribe", "feed": "trade", "product_ids": ["PF_ETHUSD"]})
        assert (await ws.recv())["event"] == "unsubscribed"  # one subscription, so one unsubscribe ends it
        await ws.send({"event": "unsubscribe", "feed": "trade", "product_ids": ["PF_ETHUSD"]})
        assert (await ws.recv())["event"] == "unsubscribed_failed"
        await ws.close()

    run(go())


def test_private_feeds_need_this_connection_s_challenge_signed_by_the_key_s_secret(
        server: ServerProcess, acct1: Creds, acct2: Creds) -> None:
    failed = {"event": "alert", "message": "Failed to subscribe to authenticated feed"}

    async def go() -> None:
        ws = await Ws.open(ws_url(server.base))
        other = await Ws.open(ws_url(server.base))
        challenge = await ws.challenge(acct1)
        foreign = await other.challenge(acct1)
        good = {"event": "subscribe", "feed": "open_orders", "api_key": acct1.key,
                "original_challenge": challenge, "signed_challenge": sign_challenge(acct1.secret, challenge)}
        wrong = [
            {**good, "signed_challenge": sign_challenge(acct2.secret, challenge)},  # another secret
            {**good, "signed_challenge": ""},
            {**good, "original_challenge": foreign,
             "signed_challenge": sign_challenge(acct1.secret, foreign)},  # another connection's challenge
            {**good, "api_key": acct2.key},  # not the key the challenge was given for
            {**good, "api_key": new_key()},  # no such key
            {k: v for k, v in good.items() if k != "signed_challenge"},
        ]
        for request in wrong:
            await ws.send(request)
            assert await ws.recv() == failed
        await ws.send(good)
        assert await ws.recv() == {"event": "subscribed", "feed": "open_orders"}
        snapshot = await ws.recv()
        assert ws.raw[-1].startswith('{"feed":"open_orders_snapshot","account":')  # the SDK's tests read it so
        assert snapshot["orders"] == [] or all(o["order_id"] for o in snapshot["orders"])
        # a second challenge leaves the first valid; an unsubscribe is signed too
        await ws.challenge(acct1)
        await ws.send({**good, "event": "unsubscribe"})
        assert await ws.recv() == {"event": "unsubscribed", "feed": "open_orders"}
        await ws.send({**good, "event": "unsubscribe", "signed_challenge": "x"})
        assert await ws.recv() == failed
        await ws.close()
        await other.close()

    run(go())


def _raw_http(port: int, head: str) -> tuple[int, dict[str, str], Any]:
    """Send one raw request; (status, headers, JSON body) of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head.encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    return status, headers, json.loads(body)


UPGRADE = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
KEY = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"


@pytest.mark.parametrize(("head", "status", "error", "header"), [
    (f"GET /ws/v1 HTTP/1.1\r\nHost: x\r\n{UPGRADE}\r\n", 400, "invalidArgument", None),  # no key
    (f"GET /ws/v1 HTTP/1.1\r\nHost: x\r\n{KEY}Upgrade: websocket\r\nConnection: Upgrade\r\n"
     "Sec-WebSocket-Version: 8\r\n\r\n", 426, "invalidArgument", "sec-websocket-version"),
    (f"POST /ws/v1 HTTP/1.1\r\nHost: x\r\n{UPGRADE}{KEY}Content-Length: 0\r\n\r\n", 405, "notFound", "allow"),
    (f"GET /ws/v1 HTTP/1.1\r\nHost: x\r\n{KEY}Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 426,
     "invalidArgument", "sec-websocket-version"),  # no version
    ("GET /ws/v1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 426, "invalidArgument", "upgrade"),  # plain
    ("GET /ws/v1 HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade, close\r\n\r\n", 426,
     "invalidArgument", "upgrade"),
    (f"GET /ws/v2 HTTP/1.1\r\nHost: x\r\n{UPGRADE}{KEY}Connection: close\r\n\r\n", 404, "notFound", None),
    (f"GET /ws HTTP/1.1\r\nHost: x\r\n{UPGRADE}{KEY}Connection: close\r\n\r\n", 404, "notFound", None),
])
def test_a_request_that_is_not_a_valid_upgrade_on_ws_v1_gets_a_clean_http_error(
        server: ServerProcess, head: str, status: int, error: str, header: str | None) -> None:
    got, headers, body = _raw_http(server.port, head)
    assert got == status, body
    assert body["result"] == "error" and body["error"] == error and "serverTime" in body
    assert headers["content-type"] == "application/json"
    if header is not None:
        assert header in headers


def test_an_upgrade_request_for_a_rest_path_is_answered_as_plain_http(server: ServerProcess) -> None:
    status, _, body = _raw_http(server.port, f"GET /derivatives/api/v3/tickers HTTP/1.1\r\nHost: x\r\n{UPGRADE}{KEY}"
                                             "Connection: Upgrade, close\r\n\r\n")
    assert status == 200 and body["result"] == "success"


def test_protocol_pings_are_answered_and_a_close_is_answered_with_the_same_code(server: ServerProcess) -> None:
    async def go() -> None:
        async with connect(ws_url(server.base), ping_interval=None) as conn:
            await conn.recv()  # info
            for _ in range(3):
                pong = await conn.ping(b"krakensim")
                await asyncio.wait_for(pong, 5)
            await conn.close(1000)
            assert conn.close_code == 1000 and conn.protocol.close_rcvd is not None and conn.protocol.close_rcvd.code == 1000

    run(go())


def test_a_consumer_that_does_not_read_is_closed_without_slowing_anyone(venue: Any) -> None:
    """A client that asks for snapshot after snapshot and never reads: its unsent bytes pass the limit
    (4 MiB), it is closed with 1011; meanwhile another subscriber gets every book change in order
    and REST answers."""
    maker = venue.account()
    raw = venue.raw(maker)
    orders = [{"order": "send", "order_tag": str(i), "orderType": "lmt", "symbol": "PF_XBTUSD", "side": "buy",
               "size": "0.001", "limitPrice": str(80000 + i)} for i in range(300)]
    out = raw.v3json("POST", "batchorder", body="json=" + json.dumps({"batchOrder": orders}))
    assert out["result"] == "success", out

    async def go() -> None:
        url = ws_url(venue.base)
        watcher = await Ws.open(url)
        await watcher.send({"event": "subscribe", "feed": "book", "product_ids": ["PF_XBTUSD"]})
        await watcher.recv()
        book_seq = (await watcher.recv())["seq"]
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)  # (no autotuning to tens of MB)
        sock.connect(("127.0.0.1", venue.srv.port))
        async with connect(url, sock=sock, max_queue=1, ping_interval=None) as slow:  # reads a frame, then stops
            await slow.send(json.dumps({"event": "subscribe", "feed": "book", "product_ids": ["PF_XBTUSD"]}))
            for _ in range(4000):  # each answered by an alert and a ~10 KB snapshot: 40 MB asked for
                await slow.send(json.dumps({"event": "subscribe", "feed": "book", "product_ids": ["PF_XBTUSD"]}))
            # the engine, REST and the other subscriber go on
            for i in range(5):
                raw.v3json("POST", "cancelorder", body=f"order_id={out['batchStatus'][i]['order_id']}")
            for _ in range(5):
                delta = await watcher.recv()
                assert delta["seq"] == book_seq + 1
                book_seq = delta["seq"]
            await asyncio.sleep(3)  # not a timing assertion: the server reads the 4,000 requests while nobody reads
            snapshots = 0
            with pytest.raises(ConnectionClosed):
                while True:
                    msg = json.loads(await asyncio.wait_for(slow.recv(), 30))
                    snapshots += msg.get("feed") == "book_snapshot"
            assert slow.protocol.close_rcvd is not None and slow.protocol.close_rcvd.code == 1011
            assert 0 < snapshots < 4001
        await watcher.close()

    run(go())


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Any:
    srv = ServerProcess(tmp_path_factory.mktemp("wslimits"), [Creds(new_key(), new_secret())],
                        extra_args=["--ws-limits"])
    srv.start()
    yield srv
    srv.stop()


def test_with_limits_the_101st_connection_from_one_address_is_refused_with_429(limited: ServerProcess) -> None:
    async def go() -> None:
        url = ws_url(limited.base)
        conns = [await connect(url, ping_interval=None) for _ in range(100)]
        with pytest.raises(InvalidStatus) as refused:
            await connect(url, ping_interval=None)
        assert refused.value.response.status_code == 429
        assert json.loads(refused.value.response.body)["error"] == "apiLimitExceeded"
        await conns.pop().close()
        await asyncio.sleep(0.2)  # (the server sees the close)
        conns.append(await connect(url, ping_interval=None))  # a slot is free again
        for c in conns:
            await c.close()

    run(go())


def test_with_limits_more_than_100_messages_in_a_second_closes_with_1008(limited: ServerProcess) -> None:
    async def go() -> None:
        async with connect(ws_url(limited.base), ping_interval=None) as conn:
            for _ in range(150):
                await conn.send(json.dumps({"event": "subscribe", "feed": "heartbeat"}))
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(conn.recv(), 10)
            assert conn.protocol.close_rcvd is not None and conn.protocol.close_rcvd.code == 1008

    run(go())


def test_without_limits_a_client_may_open_more_than_100_connections(server: ServerProcess) -> None:
    async def go() -> None:
        conns = [await connect(ws_url(server.base), ping_interval=None) for _ in range(120)]
        for c in conns:
            assert json.loads(await c.recv()) == {"event": "info", "version": 1}
        for c in conns:
            await c.close()

    run(go())


def test_rest_over_the_same_port_is_unaffected(server: ServerProcess) -> None:
    r = requests.get(server.base + "/derivatives/api/v3/instruments", timeout=10)
    assert r.status_code == 200 and r.json()["result"] == "success"


@pytest.mark.parametrize(("frame", "code"), [
    (b"\x81\x05hello", 1002),  # a client frame that is not masked
    (b"\x83\x80\x00\x00\x00\x00", 1002),  # a reserved opcode
    (b"\x81\xff" + (1 << 40).to_bytes(8, "big") + b"\x00\x00\x00\x00", 1009),  # a frame announcing a terabyte
])
def test_a_malformed_frame_closes_the_connection_with_the_protocol_s_code(server: ServerProcess, frame: bytes,
                                                                          code: int) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(f"GET /ws/v1 HTTP/1.1\r\nHost: x\r\n{UPGRADE}{KEY}\r\n".encode())
        data = b""
        while b'{"event":"info","version":1}' not in data:
            data += s.recv(4096)
        assert data.startswith(b"HTTP/1.1 101 ")
        s.sendall(frame)
        rest = b""
        while chunk := s.recv(4096):
            rest += chunk
    assert rest[:1] == b"\x88" and int.from_bytes(rest[2:4], "big") == code  # a close frame with the code
