"""Deterministic identifiers: UUID-shaped strings derived from the seed and a counter."""

from __future__ import annotations

from hashlib import blake2b

_M = (1 << 128) - 1
_A = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd: multiplication by it is a bijection mod 2**128
_C = 0xD6E8FEB86659FD93C2B2AE3D27D4EB4F  # odd


class IdGen:
    """Yields version-4-shaped UUID strings; the n-th id depends only on (seed, n).

    The counter goes through a bijective integer mix keyed by the seed, so ids never repeat
    within a seed and look as scattered as Kraken's random UUIDs.
    """

    __slots__ = ("_key", "counter")

    def __init__(self, seed: int, counter: int = 0) -> None:
        self._key = int.from_bytes(blake2b(seed.to_bytes(16, "big", signed=True), digest_size=16).digest(), "big")
        self.counter = counter

    def next(self) -> str:
        self.counter += 1
        x = ((self.counter ^ self._key) * _A) & _M
        x ^= x >> 61
        x = (x * _C) & _M
        x ^= x >> 67
        # version nibble 4, variant bits 10
        x = (x & 0xFFFFFFFF_FFFF_0FFF_3FFF_FFFFFFFFFFFF) | 0x00000000_0000_4000_8000_000000000000
        # 8-4-4-4-12 hex digits (one %-format: a third cheaper than slicing a 32-digit string)
        return "%08x-%04x-%04x-%04x-%012x" % (  # noqa: UP031
            x >> 96, (x >> 80) & 0xFFFF, (x >> 64) & 0xFFFF, (x >> 48) & 0xFFFF, x & 0xFFFF_FFFF_FFFF
        )


def derived_id(text: str) -> str:
    """A version-4-shaped UUID string that depends only on ``text`` (ids that must not consume the
    seeded sequence, such as an account log entry's booking uid, made from the account and the entry)."""
    x = int.from_bytes(blake2b(text.encode(), digest_size=16).digest(), "big")
    x = (x & 0xFFFFFFFF_FFFF_0FFF_3FFF_FFFFFFFFFFFF) | 0x00000000_0000_4000_8000_000000000000
    return "%08x-%04x-%04x-%04x-%012x" % (  # noqa: UP031
        x >> 96, (x >> 80) & 0xFFFF, (x >> 64) & 0xFFFF, (x >> 48) & 0xFFFF, x & 0xFFFF_FFFF_FFFF
    )
