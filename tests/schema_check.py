"""Validate Kraken Futures REST response bodies against the official spec.

The JSON Schemas in ``tests/schemas/`` are generated from Kraken's OpenAPI
documents by ``tools/build_schemas.py`` (see ``tests/schemas/index.json``
``_notes`` for every deliberate deviation).  Typical use in a test::

    from schema_check import assert_valid

    resp = client.get("/derivatives/api/v3/tickers/PF_XBTUSD")
    assert_valid("GET", "/derivatives/api/v3/tickers/PF_XBTUSD", resp.json())
    assert_valid("POST", "/derivatives/api/v3/sendorder", body, strict=True)

``strict=True`` additionally rejects object properties that the schema does
not declare at that location (to catch invented fields).

Importable as ``schema_check`` (with ``tests/`` on ``sys.path``) and as
``tests.schema_check``.  Only files under ``tests/schemas/`` are read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

__all__ = [
    "SCHEMA_DIR",
    "FORMAT_CHECKER",
    "assert_valid",
    "has_schema",
    "load_schema",
    "match_operation",
    "validation_errors",
]

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"

_MAX_MESSAGE = 240
_DATE_TIME = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})[Tt]"
    r"(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:\.\d+)?"
    r"(?:[Zz]|[+-](?P<oh>\d{2}):(?P<om>\d{2}))"
)

#: Only ``date-time`` is enforced; every other ``format`` is an annotation.
FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("date-time")
def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time, e.g. Kraken's ``2019-09-05T16:33:50.734Z``."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    second = min(int(match["s"]), 59)  # RFC 3339 allows leap second 60
    try:
        datetime(
            int(match["y"]), int(match["mo"]), int(match["d"]), int(match["h"]), int(match["mi"]), second
        )
    except ValueError:
        return False
    if match["oh"] is not None and (int(match["oh"]) > 23 or int(match["om"]) > 59):
        return False
    return True


# -- index / routing ----------------------------------------------------------


@dataclass(frozen=True)
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    specificity: tuple[int, ...]
    files: Mapping[str, str]


def _normalize_path(path: str) -> str:
    if "://" in path:
        path = urlsplit(path).path
    path = path.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        path = "/" + path
    return path.rstrip("/") or "/"


@lru_cache(maxsize=1)
def _routes() -> tuple[_Route, ...]:
    raw = json.loads((SCHEMA_DIR / "index.json").read_text(encoding="utf-8"))
    routes = []
    for key, files in raw.items():
        if key.startswith("_"):
            continue
        method, template = key.split(" ", 1)
        segments = _normalize_path(template).strip("/").split("/")
        regex = "".join(
            "/[^/]+" if re.fullmatch(r"\{[^/{}]+\}", seg) else "/" + re.escape(seg) for seg in segments if seg
        )
        specificity = tuple(0 if seg.startswith("{") else 1 for seg in segments)
        routes.append(_Route(method, template, re.compile(regex or "/"), specificity, dict(files)))
    return tuple(routes)


def match_operation(method: str, path: str) -> str | None:
    """Return the ``"METHOD /path/template"`` key matching a concrete request path."""
    route = _match(method, path)
    return None if route is None else f"{route.method} {route.template}"


def _match(method: str, path: str) -> _Route | None:
    method = method.upper()
    concrete = _normalize_path(path)
    candidates = [r for r in _routes() if r.method == method and r.pattern.fullmatch(concrete)]
    if not candidates:
        return None
    # A literal segment beats a {param} at the first position where they differ
    # (e.g. /rfqs/open-offers wins over /rfqs/{rfqUid}).
    return max(candidates, key=lambda r: r.specificity)


def has_schema(method: str, path: str, status: int | None = None) -> bool:
    """True if a schema exists for this request (for ``status``, or for any status if None)."""
    route = _match(method, path)
    if route is None:
        return False
    return status is None or str(status) in route.files


@cache
def load_schema(file_name: str) -> dict[str, Any]:
    """Load (and sanity-check) one generated schema file by name."""
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / file_name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def _validator(file_name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(file_name), format_checker=FORMAT_CHECKER)


# -- error formatting -----------------------------------------------------------


def _pointer(parts: Iterable[str | int]) -> str:
    text = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return text or "(root)"


def _short(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _branch_label(validator: Draft202012Validator, branch: Any, index: int) -> str:
    label = f"#{index}"
    if isinstance(branch, dict):
        name = branch.get("title")
        if name is None and isinstance(branch.get("$ref"), str):
            name = branch["$ref"].rsplit("/", 1)[-1]
            target = _resolve_ref(validator.schema, branch["$ref"])
            if isinstance(target, dict) and target.get("title") and target["title"] != name:
                name = f"{name} ({target['title']})"
        if name:
            label += f" {name}"
    return label


def _format_error(validator: Draft202012Validator, error: ValidationError, depth: int) -> list[str]:
    pad = "  " * depth
    where = _pointer(error.absolute_path)
    if error.validator in ("oneOf", "anyOf") and isinstance(error.validator_value, list):
        branches = error.validator_value
        matching = [i for i, b in enumerate(branches) if validator.evolve(schema=b).is_valid(error.instance)]
        if matching:
            labels = ", ".join(_branch_label(validator, branches[i], i) for i in matching)
            return [f"{pad}- at {where}: matches more than one {error.validator} alternative: {labels}"]
        lines = [f"{pad}- at {where}: matches none of the {len(branches)} {error.validator} alternatives:"]
        by_branch: dict[int, list[ValidationError]] = {}
        for sub in error.context or ():
            by_branch.setdefault(int(sub.schema_path[0]), []).append(sub)
        for index in range(len(branches)):
            lines.append(f"{pad}    alternative {_branch_label(validator, branches[index], index)}:")
            for sub in sorted(by_branch.get(index, ()), key=_sort_key):
                lines.extend(_format_error(validator, sub, depth + 3))
        return lines
    return [f"{pad}- at {where}: {_short(error.message)}"]


def _sort_key(error: ValidationError) -> tuple[str, str]:
    return (_pointer(error.absolute_path), error.message)


# -- strict mode (undeclared properties) ---------------------------------------


def _resolve_ref(root: Any, ref: str) -> Any:
    if not ref.startswith("#"):
        raise ValueError(f"non-local $ref {ref!r} in generated schema")
    node = root
    for token in ref[1:].split("/")[1:] if ref != "#" else []:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _applicable(validator: Draft202012Validator, schema: Any, instance: Any) -> Iterator[dict[str, Any]]:
    """Yield every (sub)schema that applies to ``instance`` at this location."""
    if not isinstance(schema, dict):
        return
    yield schema
    if "$ref" in schema:
        yield from _applicable(validator, _resolve_ref(validator.schema, schema["$ref"]), instance)
    for sub in schema.get("allOf", ()):
        yield from _applicable(validator, sub, instance)
    for keyword in ("oneOf", "anyOf"):
        branches = schema.get(keyword)
        if not branches:
            continue
        valid = [b for b in branches if validator.evolve(schema=b).is_valid(instance)]
        for sub in valid or branches:  # invalid document: be generous, errors are reported anyway
            yield from _applicable(validator, sub, instance)


def _undeclared(
    validator: Draft202012Validator, schemas: list[Any], instance: Any, path: tuple[str | int, ...]
) -> Iterator[str]:
    unique = {id(s): s for schema in schemas for s in _applicable(validator, schema, instance)}
    applicable = list(unique.values())
    if isinstance(instance, dict):
        closed = any(
            k in s for s in applicable for k in ("properties", "patternProperties", "additionalProperties")
        )
        required = {name for s in applicable for name in s.get("required", ())}
        for key, value in instance.items():
            children: list[Any] = []
            declared = key in required
            for s in applicable:
                props = s.get("properties", {})
                patterns = [p for p in s.get("patternProperties", {}) if re.search(p, key)]
                if key in props:
                    children.append(props[key])
                elif patterns:
                    children.extend(s["patternProperties"][p] for p in patterns)
                elif "additionalProperties" in s and s["additionalProperties"] is not False:
                    children.append(s["additionalProperties"])
                else:
                    continue
                declared = True
            if closed and not declared:
                yield _pointer((*path, key))
            if children:
                yield from _undeclared(validator, children, value, (*path, key))
    elif isinstance(instance, list):
        for index, item in enumerate(instance):
            children = []
            for s in applicable:
                prefix = s.get("prefixItems", [])
                if index < len(prefix):
                    children.append(prefix[index])
                elif "items" in s:
                    children.append(s["items"])
            if children:
                yield from _undeclared(validator, children, item, (*path, index))


# -- public API -----------------------------------------------------------------


def validation_errors(
    method: str, path: str, body: object, status: int = 200, *, strict: bool = False
) -> list[str]:
    """Return human-readable violations (empty list if ``body`` is valid).

    Raises AssertionError if no schema exists for the request.
    """
    route = _match(method, path)
    if route is None:
        raise AssertionError(f"no schema for {method.upper()} {path} (no matching operation in index.json)")
    file_name = route.files.get(str(status))
    if file_name is None:
        raise AssertionError(
            f"no schema for {method.upper()} {path} status {status}"
            f" (operation {route.method} {route.template} documents {sorted(route.files)})"
        )
    validator = _validator(file_name)
    problems: list[str] = []
    for error in sorted(validator.iter_errors(body), key=_sort_key):
        problems.extend(_format_error(validator, error, 0))
    if strict:
        for pointer in dict.fromkeys(_undeclared(validator, [validator.schema], body, ())):
            problems.append(f"- at {pointer}: property not declared in the schema (strict mode)")
    return problems


def assert_valid(method: str, path: str, body: object, status: int = 200, *, strict: bool = False) -> None:
    """Assert ``body`` is a valid response for ``METHOD path`` with HTTP ``status``.

    ``path`` is the concrete request path (query string and scheme/host are
    ignored), e.g. ``/derivatives/api/v3/tickers/PF_XBTUSD``.  Raises
    AssertionError listing every violation, or if no schema exists.
    """
    problems = validation_errors(method, path, body, status, strict=strict)
    if problems:
        route = _match(method, path)
        assert route is not None
        header = (
            f"{method.upper()} {path} (status {status}) does not match {route.method} {route.template}"
            f" [{route.files[str(status)]}]{' in strict mode' if strict else ''}:"
        )
        raise AssertionError("\n".join([header, *problems]))
