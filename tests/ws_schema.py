"""Validate Kraken Futures WebSocket v1 messages against the JSON Schemas in ``tests/schemas/ws/``.

The schemas are written by hand from the spec (``shared/spec/ws/``: connection.md,
public-feeds.md, private-feeds.md), one per message kind: a control message is named by its
``event`` (``info``, ``challenge``, ``subscribed``, ``error``, ``alert``…), a data message by its
``feed`` (``book_snapshot``, ``book``, ``fills``…). Every object rejects properties the spec does
not name (no invented fields). Typical use::

    from ws_schema import assert_valid_message
    assert_valid_message(json.loads(frame))
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

WS_SCHEMA_DIR = Path(__file__).resolve().parent / "schemas" / "ws"


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(WS_SCHEMA_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


@cache
def _validator(kind: str) -> Draft202012Validator:
    path = WS_SCHEMA_DIR / f"{kind}.json"
    if not path.exists():
        raise AssertionError(f"no schema for WebSocket message kind {kind!r}")
    schema = json.loads(path.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=_registry())


def kind_of(msg: Any) -> str:
    """The schema a message answers to: its ``event`` (control messages and acks) or its ``feed``."""
    if not isinstance(msg, dict):
        raise AssertionError(f"a WebSocket message must be a JSON object, got {type(msg).__name__}")
    if "event" in msg:
        return str(msg["event"])
    if "feed" in msg:
        return str(msg["feed"])
    raise AssertionError(f"a message with neither event nor feed: {msg!r}"[:300])


def validation_errors(msg: Any) -> list[str]:
    kind = kind_of(msg)
    errors = sorted(_validator(kind).iter_errors(msg), key=lambda e: list(e.absolute_path))
    return [f"{kind}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"[:400] for e in errors]


def assert_valid_message(msg: Any) -> None:
    problems = validation_errors(msg)
    if problems:
        raise AssertionError("WebSocket message does not match the spec:\n  " + "\n  ".join(problems)
                             + f"\nmessage: {json.dumps(msg)[:1500]}")
