"""Request parameters: both clients' encodings, parsed strictly into Kraken's errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import unquote_plus

import orjson

from .errors import INVALID, JSON_ERROR, REQUIRED, ApiError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The number grammar: ASCII digits only (Python's Decimal and int would also take '٣', '1_0',
# ' 5' and '+5'), an optional minus, an optional fraction, an optional exponent. What the clients
# send (str(float): '0.001', '1e-05', '0.30000000000000004') always fits.
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?([0-9]+))?")
_UNSIGNED = re.compile(r"[0-9]+")
MAX_NUMBER_CHARS = 64  # far beyond any price or size, short enough to parse in no time
MAX_EXPONENT = 99  # so |value| < 10^163 and every Decimal operation stays far from overflow
INT64_MAX = 2**63 - 1
MAX_JSON_DEPTH = 16  # a batch is three levels deep; deeper nesting is nobody's instruction


def _pairs(text: str) -> list[tuple[str, str]]:
    """``a=1&b=x%20y`` → pairs, decoding ``%XX`` and ``+`` only where present (the hot path)."""
    out = []
    for part in text.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        if "%" in part or "+" in part:
            k, v = unquote_plus(k), unquote_plus(v)
        out.append((k, v))
    return out


class Params:
    """Parameters from the query string and the form body, repeated keys kept."""

    __slots__ = ("items",)

    def __init__(self, items: dict[str, list[str]]) -> None:
        self.items = items

    @classmethod
    def parse(cls, query: bytes, body: bytes, json_body_field: bool = False) -> Params:
        items: dict[str, list[str]] = {}
        for raw in (query, body):
            if not raw:
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise ApiError(INVALID) from e
            if json_body_field and raw is body and text.startswith("json="):
                # batchorder: ccxt sends raw compact JSON, the SDK form-encodes it
                items.setdefault("json", []).append(text)
                continue
            for k, v in _pairs(text):
                items.setdefault(k, []).append(v)
        return cls(items)

    def get(self, name: str) -> str | None:
        v = self.items.get(name)
        return v[-1] if v else None

    def all(self, name: str) -> list[str]:
        return self.items.get(name, [])

    def require(self, name: str) -> str:
        v = self.get(name)
        if v is None or v == "":
            raise ApiError(REQUIRED)
        return v


def parse_decimal(text: str) -> Decimal:
    """A decimal in the strict number grammar (``0.001``, ``-5``, ``1e-05``) or ``invalidArgument``.

    No whitespace, no ``+``, no underscores, no digits other than ASCII, no NaN or Infinity,
    at most 64 characters and an exponent of at most two digits' worth.
    """
    m = _DECIMAL.fullmatch(text) if len(text) <= MAX_NUMBER_CHARS else None
    if m is None or (m[1] is not None and int(m[1]) > MAX_EXPONENT):
        raise ApiError(INVALID)
    return Decimal(text)


def parse_unsigned(text: str, maximum: int = INT64_MAX) -> int:
    """A non-negative integer of ASCII digits, at most ``maximum``, or ``invalidArgument``."""
    if len(text) > len(str(maximum)) or not _UNSIGNED.fullmatch(text):
        raise ApiError(INVALID)
    n = int(text)
    if n > maximum:
        raise ApiError(INVALID)
    return n


def optional_unsigned(params: Params, name: str, maximum: int = INT64_MAX) -> int | None:
    """An optional integer parameter (``count``, ``since``, ``before``…): absent or empty is None."""
    text = params.get(name)
    return None if text is None or text == "" else parse_unsigned(text, maximum)


def parse_bool(text: str) -> bool:
    t = text.strip().lower()
    if t == "true":
        return True
    if t == "false":
        return False
    raise ApiError(INVALID)


def parse_json_field(raw: str) -> object:
    """The value of a ``json=`` form field, raw (ccxt) or form-encoded (SDK), at most 16 levels deep."""
    text = raw[5:] if raw.startswith("json=") else raw
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        # the SDK form-encodes the JSON (and other fields may follow after '&')
        first = text.split("&", 1)[0]
        try:
            doc = orjson.loads(unquote_plus(first))
        except orjson.JSONDecodeError as e:
            raise ApiError(JSON_ERROR) from e
    if json_depth(doc) > MAX_JSON_DEPTH:
        raise ApiError(INVALID)
    return doc


def json_depth(doc: object) -> int:
    """How deeply ``doc``'s arrays and objects nest (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(doc, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            depth += 1
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:  # no need to look further down
                stack.extend((child, depth) for child in node)
    return deepest


def parse_iso(text: str) -> int | None:
    """Epoch milliseconds of an ISO-8601 date-time, or None when it is not one."""
    t = text.strip().replace(" ", "T", 1)
    if t.endswith("Z") or t.endswith("z"):
        t = t[:-1] + "+00:00"
    try:
        d = datetime.fromisoformat(t)
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    delta = d - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def optional_iso(params: Params, name: str) -> int | None:
    """An optional ISO-8601 parameter (``processBefore``, ``lastFillTime``…) as epoch ms."""
    text = params.get(name)
    if text is None or text == "":
        return None
    ms = parse_iso(text)
    if ms is None:
        raise ApiError(INVALID)
    return ms
