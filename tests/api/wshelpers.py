"""A raw WebSocket client for the API tests: every message it receives is checked against the spec's
schemas (tests/schemas/ws/), and helpers for the challenge and for rebuilding a book from its feed."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect

from apihelpers import Creds
from ws_schema import assert_valid_message

T = TypeVar("T")
WAIT_S = 10.0  # the longest a test waits for a message it expects (a guard, not a measurement)


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://", 1) + "/ws/v1"


def feed(name: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate for ``Ws.until``: a data message of feed ``name`` (acks carry a ``feed`` too)."""
    return lambda m: "event" not in m and m.get("feed") == name


def sign_challenge(secret: str, challenge: str) -> str:
    """connection.md §4.2."""
    digest = hashlib.sha256(challenge.encode()).digest()
    return base64.b64encode(hmac.new(base64.b64decode(secret), digest, hashlib.sha512).digest()).decode()


class Ws:
    """One connection; ``recv`` checks each message against its schema and keeps it in ``seen``."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.seen: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self.challenges: dict[str, str] = {}

    @classmethod
    async def open(cls, url: str, **kw: Any) -> Ws:
        ws = cls(await connect(url, **kw))
        info = await ws.recv()
        assert ws.raw[-1] == '{"event":"info","version":1}', ws.raw[-1]  # these two keys, in this order
        assert info == {"event": "info", "version": 1}
        return ws

    async def send(self, obj: Any) -> None:
        await self.conn.send(obj if isinstance(obj, str | bytes) else json.dumps(obj))

    async def recv(self, timeout: float = WAIT_S) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.conn.recv(), timeout)
        assert isinstance(raw, str), "the server sends text frames"
        msg = json.loads(raw)
        assert_valid_message(msg)
        self.raw.append(raw)
        self.seen.append(msg)
        return msg  # type: ignore[no-any-return]

    async def until(self, pred: Callable[[dict[str, Any]], bool], timeout: float = WAIT_S) -> dict[str, Any]:
        """The next message ``pred`` accepts (those before it are kept in ``seen``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            msg = await self.recv(max(0.01, deadline - loop.time()))
            if pred(msg):
                return msg

    async def drain(self, seconds: float) -> list[dict[str, Any]]:
        """Everything that arrives within ``seconds``."""
        out: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            try:
                out.append(await self.recv(left))
            except TimeoutError:
                break
        return out

    async def challenge(self, creds: Creds) -> str:
        await self.send({"event": "challenge", "api_key": creds.key})
        msg = await self.until(lambda m: m.get("event") == "challenge")
        self.challenges[creds.key] = msg["message"]
        return str(msg["message"])

    async def private(self, feed: str, creds: Creds, event: str = "subscribe", **extra: Any) -> None:
        """A private subscribe (or unsubscribe) signed with this connection's challenge for ``creds``."""
        challenge = self.challenges.get(creds.key) or await self.challenge(creds)
        await self.send({"event": event, "feed": feed, "api_key": creds.key, "original_challenge": challenge,
                         "signed_challenge": sign_challenge(creds.secret, challenge), **extra})

    async def close(self) -> None:
        await self.conn.close()


class Book:
    """A book rebuilt from ``book_snapshot`` and ``book`` messages, as a client keeps it."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        assert snapshot["feed"] == "book_snapshot"
        self.product = snapshot["product_id"]
        self.seq = snapshot["seq"]
        self.bids = {lv["price"]: lv["qty"] for lv in snapshot["bids"]}
        self.asks = {lv["price"]: lv["qty"] for lv in snapshot["asks"]}

    def apply(self, delta: dict[str, Any]) -> None:
        assert delta["feed"] == "book" and delta["product_id"] == self.product
        assert delta["seq"] == self.seq + 1, f"seq {delta['seq']} after {self.seq}"  # exactly one more
        self.seq = delta["seq"]
        side = self.bids if delta["side"] == "buy" else self.asks
        if delta["qty"] == 0:
            assert delta["price"] in side, f"a level that was not there is deleted: {delta}"
            del side[delta["price"]]
        else:
            side[delta["price"]] = delta["qty"]

    def levels(self) -> tuple[list[list[float]], list[list[float]]]:
        """(bids best first, asks best first) as REST orderbook lists them."""
        bids = [[p, q] for p, q in sorted(self.bids.items(), reverse=True)]
        asks = [[p, q] for p, q in sorted(self.asks.items())]
        return bids, asks
