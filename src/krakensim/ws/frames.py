"""WebSocket frames the server writes (RFC 6455 §5.2), built once and written to every subscriber.

A server's frames are never masked and krakensim negotiates no extension (no per-message
compression), so one message's frame is the same bytes for every connection: the fan-out
serialises a message once and hands the same object to each socket.
"""

from __future__ import annotations

import struct

import orjson

_TEXT = 0x81  # FIN + text


def _header(first: int, n: int) -> bytes:
    if n < 126:
        return bytes((first, n))
    if n < 1 << 16:
        return struct.pack("!BBH", first, 126, n)
    return struct.pack("!BBQ", first, 127, n)


def text(payload: bytes) -> bytes:
    """One text frame carrying ``payload`` (UTF-8 JSON)."""
    return _header(_TEXT, len(payload)) + payload


def message(obj: object) -> bytes:
    """One JSON object as a text frame (orjson keeps the keys in the order they were inserted)."""
    return text(orjson.dumps(obj))

