"""Deterministic identifiers: UUID-shaped strings derived from the seed and a counter."""

from __future__ import annotations

from hashlib import blake2b


class IdGen:
    """Yields version-4-shaped UUID strings; the n-th id depends only on (seed, n)."""

    __slots__ = ("_key", "counter")

    def __init__(self, seed: int, counter: int = 0) -> None:
        self._key = seed.to_bytes(16, "big", signed=True)
        self.counter = counter

    def next(self) -> str:
        self.counter += 1
        h = blake2b(self.counter.to_bytes(8, "big"), digest_size=16, key=self._key).hexdigest()
        # set the version nibble to 4 and the variant bits to 10xx, as a random UUID has
        v = "89ab"[int(h[16], 16) & 3]
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{v}{h[17:20]}-{h[20:32]}"
