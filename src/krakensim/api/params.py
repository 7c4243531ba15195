"""Request parameters: both clients' encodings, parsed strictly into Kraken's errors."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import unquote_plus

import orjson


class ApiError(Exception):
    """A request-level error, answered with Kraken's error envelope."""

    def __init__(self, code: str, http_status: int = 200) -> None:
        super().__init__(code)
        self.code = code
        self.http_status = http_status


REQUIRED = "requiredArgumentMissing"
INVALID = "invalidArgument"
JSON_ERROR = "Json Parse Error"


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
