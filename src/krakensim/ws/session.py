"""What a client may ask on one connection: a challenge, subscribe, unsubscribe (connection.md §4–6).

Every request is answered at once (nothing here waits): an ack (one per product, in request
order), then the subscription's snapshot once the hub reaches the state it was read from; or
Kraken's error (``Json Error``, ``Invalid feed``, ``Invalid product id``) or alert (``Failed to
subscribe to authenticated feed``, ``Already subscribed to feed, re-requesting``). Neither closes
the connection.
"""

from __future__ import annotations

import hmac
import uuid
from collections import OrderedDict
from typing import Any

import orjson

from ..runtime.keys import sign
from .feeds import HEARTBEAT, PRIVATE_FEEDS, PRODUCT_FEEDS
from .frames import message
from .hub import Hub, Key, Peer

JSON_ERROR = "Json Error"
INVALID_FEED = "Invalid feed"
INVALID_PRODUCT = "Invalid product id"
AUTH_FAILED = "Failed to subscribe to authenticated feed"
ALREADY = "Already subscribed to feed, re-requesting"

INFO = message({"event": "info", "version": 1})
MAX_KEYS = 16  # API keys a connection may hold challenges for
MAX_CHALLENGES = 16  # challenges kept per key (earlier ones stay valid until this many are newer)


def _error(text: str) -> bytes:
    return message({"event": "error", "message": text})


def _alert(text: str) -> bytes:
    return message({"event": "alert", "message": text})


class Session:
    """The requests of one connection (``peer``) and the challenges it was given."""

    __slots__ = ("hub", "peer", "challenges")

    def __init__(self, hub: Hub, peer: Peer) -> None:
        self.hub = hub
        self.peer = peer
        self.challenges: OrderedDict[str, list[str]] = OrderedDict()  # API key → challenges issued for it

    def send(self, frame: bytes) -> None:
        self.hub.push(self.peer, frame)

    def handle(self, data: bytes) -> None:
        """One frame from the client (a text frame, or a binary one holding the same JSON)."""
        try:
            msg = orjson.loads(data)
        except orjson.JSONDecodeError:
            self.send(_error(JSON_ERROR))
            return
        if not isinstance(msg, dict):
            self.send(_error(JSON_ERROR))
            return
        event = msg.get("event")
        if event == "challenge":
            self._challenge(msg)
        elif event == "subscribe" or event == "unsubscribe":
            self._subscription(msg, event == "subscribe")
        else:  # no event, or one Kraken does not know
            self.send(_error(JSON_ERROR))

    # ------------------------------------------------------------------ challenge
    def _challenge(self, msg: dict[str, Any]) -> None:
        key = msg.get("api_key")
        if not isinstance(key, str) or not key:
            self.send(_error(JSON_ERROR))
            return
        challenge = str(uuid.uuid4())  # whether the key exists is told by the subscribe, not here
        issued = self.challenges.pop(key, [])
        issued.append(challenge)
        self.challenges[key] = issued[-MAX_CHALLENGES:]
        while len(self.challenges) > MAX_KEYS:
            self.challenges.popitem(last=False)
        self.send(message({"event": "challenge", "message": challenge}))

    def account_of(self, msg: dict[str, Any]) -> str | None:
        """The account whose key signed this connection's challenge in ``msg``; None if anything is off."""
        key, original, signed = msg.get("api_key"), msg.get("original_challenge"), msg.get("signed_challenge")
        if not (isinstance(key, str) and isinstance(original, str) and isinstance(signed, str) and signed):
            return None
        if original not in self.challenges.get(key, ()):
            return None
        known = self.hub.rt.keys.keys.get(key)
        if known is None:
            return None
        if not hmac.compare_digest(sign(known.secret, original.encode()).encode(), signed.encode()):
            return None
        return known.account_id

    # ------------------------------------------------------------------ subscribe / unsubscribe
    def _subscription(self, msg: dict[str, Any], on: bool) -> None:
        feed = msg.get("feed")
        if not isinstance(feed, str):
            self.send(_error(JSON_ERROR))
            return
        if feed in PRODUCT_FEEDS:
            products = self._products(msg.get("product_ids"), required=True)
            if products is not None:
                for product in products:
                    self._one(on, feed, (feed, product), {"product_ids": [product]})
        elif feed == HEARTBEAT:
            self._one(on, feed, (feed, ""), {})
        elif feed in PRIVATE_FEEDS:
            self._private(msg, feed, on)
        else:
            self.send(_error(INVALID_FEED))

    def _products(self, raw: Any, required: bool) -> list[str] | None:
        """The requested products in order, once each; None (and the error sent) if they are no good."""
        if raw is None and not required:
            return []
        if not isinstance(raw, list) or not raw or not all(isinstance(p, str) for p in raw):
            self.send(_error(JSON_ERROR))
            return None
        listed = self.hub.ex.listed
        # any case, answered in the canonical one: live Kraken answers a subscription to
        # "pi_bchusd" with "PI_BCHUSD" (cryptofeed's captured sample, its pull request 503)
        symbols = [p if p in listed else p.upper() for p in raw]
        if not all(s in listed for s in symbols):  # the whole request is refused (spec: SIMULATOR)
            self.send(_error(INVALID_PRODUCT))
            return None
        return list(dict.fromkeys(symbols))

    def _private(self, msg: dict[str, Any], feed: str, on: bool) -> None:
        account = self.account_of(msg)
        if account is None:
            self.send(_alert(AUTH_FAILED))
            return
        extra: dict[str, Any] = {}
        products: frozenset[str] | None = None
        if feed == "fills" and msg.get("product_ids") is not None:  # 2026 docs: an optional filter
            chosen = self._products(msg["product_ids"], required=False)
            if chosen is None:
                return
            products = frozenset(chosen)
            extra["product_ids"] = chosen
        self._one(on, feed, (feed, account), extra, products)

    def _one(self, on: bool, feed: str, key: Key, extra: dict[str, Any],
             products: frozenset[str] | None = None) -> None:
        hub, peer = self.hub, self.peer
        if not on:
            done = hub.unsubscribe(peer, key)
            self.send(message({"event": "unsubscribed" if done else "unsubscribed_failed", "feed": feed, **extra}))
            return
        if key in peer.subs:  # again: a fresh snapshot, still one subscription
            hub.unsubscribe(peer, key)
            self.send(_alert(ALREADY))
        else:
            self.send(message({"event": "subscribed", "feed": feed, **extra}))
        hub.subscribe(peer, key, products)
