"""API keys, the Authent signature and nonces: who may send what, and which nonces are spent.

``Authent = base64(HMAC-SHA512(base64decode(secret), SHA256(postData + nonce + endpointPath)))``
where postData is the raw query string followed by the raw body (only one of them is ever
non-empty for the reference clients) and endpointPath is the request path without its
``/derivatives`` prefix.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import hmac
from dataclasses import dataclass, field

from ..engine.commands import Command

FULL = "full"
READ_ONLY = "read-only"
ACCESS_LEVELS = (FULL, READ_ONLY)

# Nonces may arrive out of order within a window; anything older is "below threshold".
# The window scales with the nonce so that it is about three minutes whatever the unit
# the client counts in (milliseconds, microseconds, or the SDK's 1e-8 seconds).
NONCE_WINDOW_DIVISOR = 10**7
NONCE_WINDOW_MIN = 1000

# A nonce must not be ahead of the server's clock read in nanoseconds (the finest unit clients
# count in: the guide's milliseconds, microseconds, the SDK's 10^-8 s, time_ns)
# by more than a day: anything larger is a bug that would lock the key out (its threshold would
# leave every later nonce behind), so it is refused without moving the threshold.
NONCE_UNITS_PER_MS = 1_000_000
NONCE_MAX_AHEAD_MS = 86_400_000
NONCE_MAX_DIGITS = 19  # the ceiling stays below 2^63 (the journal's integers) until the year 2262
FAR_AHEAD = "authenticationError"


def nonce_ceiling(now_ms: int) -> int:
    """The largest nonce accepted when the server's clock reads ``now_ms``."""
    return (now_ms + NONCE_MAX_AHEAD_MS) * NONCE_UNITS_PER_MS


def parse_nonce(text: str) -> int | None:
    """The Nonce header's value: 1 to 19 ASCII digits, no sign, no spaces; None otherwise."""
    if not 0 < len(text) <= NONCE_MAX_DIGITS or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def sign(secret_b64: str, message: bytes) -> str:
    """The Authent a client computes for ``message`` (postData + nonce + endpointPath)."""
    key = base64.b64decode(secret_b64)
    digest = hashlib.sha256(message).digest()
    return base64.b64encode(hmac.new(key, digest, hashlib.sha512).digest()).decode()


def signed_path(raw_path: str) -> str:
    return raw_path[len("/derivatives"):] if raw_path.startswith("/derivatives") else raw_path


@dataclass
class NonceState:
    highest: int = -1
    seen: set[int] = field(default_factory=set)
    heap: list[int] = field(default_factory=list)

    def threshold(self) -> int:
        return self.highest - max(NONCE_WINDOW_MIN, self.highest // NONCE_WINDOW_DIVISOR)

    def check(self, nonce: int, now_ms: int) -> str | None:
        """None if ``nonce`` is acceptable when the server's clock reads ``now_ms``, otherwise
        Kraken's error string. Checking changes nothing; only ``accept`` moves the window."""
        if nonce > nonce_ceiling(now_ms):
            return FAR_AHEAD
        if nonce in self.seen:
            return "nonceDuplicate"
        if self.highest >= 0 and nonce < self.threshold():
            return "nonceBelowThreshold"
        return None

    def accept(self, nonce: int) -> None:
        if nonce in self.seen:
            return
        self.seen.add(nonce)
        heapq.heappush(self.heap, nonce)
        if nonce > self.highest:
            self.highest = nonce
        floor = self.threshold()
        heap = self.heap
        while heap and heap[0] < floor:
            self.seen.discard(heapq.heappop(heap))


@dataclass
class ApiKey:
    key: str
    secret: str
    account_id: str
    access: str
    secret_bytes: bytes = b""
    nonces: NonceState = field(default_factory=NonceState)

    def __post_init__(self) -> None:
        self.secret_bytes = base64.b64decode(self.secret)


def valid_secret(secret: str) -> bool:
    try:
        return len(base64.b64decode(secret, validate=True)) > 0
    except (binascii.Error, ValueError):
        return False


class AddApiKey(Command, frozen=True, tag="key", rename={"api_key": "k", "secret": "s", "account_id": "a", "access": "x"}):
    """A key for an account (journaled with the exchange's commands, applied by the runtime)."""

    api_key: str
    secret: str
    account_id: str
    access: str = FULL


class KeyStore:
    def __init__(self) -> None:
        self.keys: dict[str, ApiKey] = {}

    def add(self, key: str, secret: str, account_id: str, access: str = FULL) -> ApiKey:
        k = ApiKey(key, secret, account_id, access)
        self.keys[key] = k
        return k

    def verify(self, key: str, authent: str, message: bytes) -> ApiKey | None:
        """The key if ``authent`` is its signature of ``message``; None otherwise."""
        k = self.keys.get(key)
        if k is None:
            return None
        expected = base64.b64encode(hmac.digest(k.secret_bytes, hashlib.sha256(message).digest(), "sha512"))
        if not hmac.compare_digest(expected, authent.encode("latin-1", "replace")):
            return None
        return k
