"""Request parameters: both clients' encodings, parsed strictly into Kraken's errors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote_plus

import orjson

from .errors import INVALID, JSON_ERROR, REQUIRED, ApiError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    """A finite decimal (exponents accepted, e.g. ``1e-05``) or ``invalidArgument``."""
    try:
        d = Decimal(text.strip())
    except (InvalidOperation, ValueError) as e:
        raise ApiError(INVALID) from e
    if not d.is_finite():
        raise ApiError(INVALID)
    return d


def parse_bool(text: str) -> bool:
    t = text.strip().lower()
    if t == "true":
        return True
    if t == "false":
        return False
    raise ApiError(INVALID)


def parse_json_field(raw: str) -> object:
    """The value of a ``json=`` form field, raw (ccxt) or form-encoded (SDK)."""
    text = raw[5:] if raw.startswith("json=") else raw
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    # the SDK form-encodes the JSON (and other fields may follow after '&')
    first = text.split("&", 1)[0]
    try:
        return orjson.loads(unquote_plus(first))
    except orjson.JSONDecodeError as e:
        raise ApiError(JSON_ERROR) from e


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
