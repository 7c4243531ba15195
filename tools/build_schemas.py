#!/usr/bin/env python3
"""Generate JSON Schema (2020-12) files for Kraken Futures REST responses.

Reads the official OpenAPI YAML documents of the Kraken Futures REST API
(trading, history and charts) plus the newer embedded OpenAPI fragment for
``POST /cancelorder`` (``rest/cancel-order.md``), resolves every ``$ref``
(including cross-file ones such as ``_schemas.yml#/OpenPositionJson``),
converts OpenAPI-isms to plain JSON Schema 2020-12 and writes

* one schema per (operation, response status) into ``tests/schemas/``,
  named ``<METHOD>__<path without leading slash, "/" -> "_">__<status>.json``
  (e.g. ``POST__derivatives_api_v3_cancelorder__200.json``,
  ``GET__derivatives_api_v3_tickers_{symbol}__200.json``);
* ``tests/schemas/index.json`` mapping ``"METHOD /full/path/template"`` to
  ``{"<status>": "<file name>"}`` plus ``"_notes"`` (every deviation from a
  literal translation of the spec, with the reason);
* ``tests/schemas/examples.json``: every response example found in the spec,
  with the operation and status it documents.

Referenced component schemas are emitted under ``$defs`` of each file and
referenced as ``#/$defs/<Name>`` so every file is self-contained.

Usage (from the repository root)::

    python tools/build_schemas.py [SPEC_DIR]

``SPEC_DIR`` defaults to ``../shared/spec`` relative to the repository root.
The output is deterministic (sorted keys, ``indent=1``) and is committed;
this script does not need to run in CI.
"""

from __future__ import annotations

import argparse
import copy
import json
import posixpath
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SPEC_DIR = Path("..") / "shared" / "spec"  # relative to REPO_ROOT
OUT_DIR = REPO_ROOT / "tests" / "schemas"

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# Source documents (paths relative to the ``futures-rest`` directory).
TRADING_DOC = "trading/public.yml"
HISTORY_DOC = "history/api-public.yml"
CHARTS_DOC = "charts/api-public.yml"
# Virtual document id (relative to the spec dir, unlike the futures-rest ids above)
# for the OpenAPI fragment embedded in rest/cancel-order.md.
CANCEL_ORDER_DOC = "rest/cancel-order.md"
CANCEL_ORDER_OP = ("post", "/cancelorder")

# Extra prefixes under which the same operations are served.  The history
# OpenAPI document only declares ``/api/history/v3``; the Derivatives
# introduction guide and many clients still use ``/api/history/v2``.
PREFIX_ALIASES: dict[str, tuple[str, ...]] = {
    "/api/history/v3": ("/api/history/v2",),
}

# Additional "METHOD /path" keys that reuse the schemas of another operation.
OPERATION_ALIASES: dict[str, tuple[str, str]] = {
    "GET /derivatives/api/v4/historicalfundingrates": (
        "GET /derivatives/api/v3/historical-funding-rates",
        "clients (ccxt, python-kraken-sdk) call the v4 path; same payload as the v3"
        " historical-funding-rates endpoint",
    ),
    "GET /derivatives/api/v3/orders/status": (
        "POST /derivatives/api/v3/orders/status",
        "orders/status is POST in the spec but clients also call it with GET",
    ),
}

# Keys dropped during conversion (OpenAPI-only or documentation-only).
DROPPED_KEYS = frozenset({"example", "examples", "discriminator", "xml", "externalDocs"})
# JSON Schema keywords whose value is a schema.
SCHEMA_VALUED = frozenset(
    {
        "items",
        "additionalProperties",
        "not",
        "contains",
        "propertyNames",
        "if",
        "then",
        "else",
        "unevaluatedProperties",
        "unevaluatedItems",
    }
)
# JSON Schema keywords whose value is a list of schemas.
SCHEMA_LIST_VALUED = frozenset({"allOf", "oneOf", "anyOf", "prefixItems"})
# JSON Schema keywords whose value is a map of name -> schema.
SCHEMA_MAP_VALUED = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
# Keywords copied verbatim.
PLAIN_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "required",
        "description",
        "title",
        "format",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "$comment",
    }
)
ANNOTATION_KEYWORDS = ("title", "description", "default", "deprecated", "$comment")


@dataclass(frozen=True)
class Relaxation:
    """A deliberate, documented deviation from the spec applied to one component schema."""

    doc: str
    pointer: str
    drop_required: tuple[str, ...]
    reason: str
    # (property, extra enum values): values the live API answers that the spec's enum lacks
    extend_enum: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # (property, JSON type): a field whose type on the live wire differs from the spec's
    retype: tuple[tuple[str, str], ...] = ()
    # an object the live wire sends wrapped as {uid, timestamp, event: {<wrap>: object}}, as every other
    # History API element is, where the spec lists the inner object alone
    wrap: str = ""


# Spec examples that contradict the spec's own ``required`` lists.  The task
# requires every spec example to validate, so the contradicted fields become
# optional (they stay declared, with their type).  Keep this list minimal.
RELAXATIONS: tuple[Relaxation, ...] = (
    Relaxation(
        TRADING_DOC,
        "/components/schemas/OrderJson",
        ("cliOrdId",),
        "OrderJson.cliOrdId is required (nullable) in the spec, but the PlacedOrder,"
        " RejectedOrder, ExecutedOrder, EditOrder, BatchOrder and CancelAllOrders"
        " examples omit it; made optional",
    ),
    Relaxation(
        TRADING_DOC,
        "/components/schemas/PlaceEvent",
        ("reducedQuantity",),
        "PlaceEvent.reducedQuantity is required (nullable) in the spec, but the"
        " PlacedOrderExample and BatchOrderExample PLACE events omit it; made optional",
    ),
    Relaxation(
        TRADING_DOC,
        "/components/schemas/EditEvent",
        ("reducedQuantity",),
        "EditEvent.reducedQuantity is required (nullable) in the spec, but the"
        " EditOrderExample and BatchOrderExample EDIT events omit it; made optional",
    ),
    Relaxation(
        TRADING_DOC,
        "/components/schemas/ExecuteEvent",
        ("orderPriorEdit", "takerReducedQuantity"),
        "ExecuteEvent.orderPriorEdit and .takerReducedQuantity are required (nullable)"
        " in the spec, but ExecutedOrderExample omits both; made optional",
    ),
    Relaxation(
        "trading/_schemas.yml",
        "/OpenPositionJson",
        ("unrealizedFunding",),
        "OpenPositionJson.unrealizedFunding is required (nullable) in the spec, but the"
        " second position of OpenPositionsSuccessExample omits it; made optional",
    ),
    Relaxation(
        HISTORY_DOC,
        "/components/schemas/TriggerOptions",
        ("trailingStopOptions", "limitPriceOffset"),
        "TriggerOptions.trailingStopOptions and .limitPriceOffset are required (not nullable)"
        " in the spec, but the responses recorded from the live exchange (spec/samples,"
        " OrderTriggerPlaced/Activated/Cancelled of plain stop orders) omit both; made optional",
    ),
    Relaxation(
        TRADING_DOC,
        "/components/schemas/BatchInstructionResult",
        (),
        "BatchInstructionResult.status lists no answer for a batch cancel or edit of an order that"
        " does not exist; krakensim answers with the statuses Kraken's cancelorder and editorder use"
        " for that (notFound, orderForEditNotFound), so they are added to the enum",
        extend_enum=(("status", ("notFound", "orderForEditNotFound")),),
    ),
    Relaxation(
        TRADING_DOC,
        "/components/schemas/EditOrderStatus",
        (),
        "EditOrderStatus.status lacks the statuses an edit of a trailing stop's stop or limit price"
        " gets (cannotEditTriggerPriceOfTrailingStop, cannotEditLimitPriceOfTrailingStop: edit-only"
        " outcomes that the spec lists only in the sendStatus enum), so they are added",
        extend_enum=(("status", ("cannotEditTriggerPriceOfTrailingStop", "cannotEditLimitPriceOfTrailingStop")),),
    ),
)


# placed after the tuple so that the indexes of the relaxations above do not move
RELAXATIONS += (
    Relaxation(
        CHARTS_DOC,
        "/components/schemas/Candlestick",
        (),
        "Candlestick.volume is a number in the spec, but the live API sends it as a JSON string (captured"
        " responses in nautilus_trader's test data; gocryptotrader decodes it with json:\"volume,string\")"
        " like the candle's prices; retyped to string",
        retype=(("volume", "string"),),
    ),
    Relaxation(
        "history/_schemas.yml",
        "/HistoricalPositionUpdateElement",
        (),
        "HistoricalPositionUpdateElement is listed as the element itself, but the live API sends each"
        " element as {uid, timestamp, event: {PositionUpdate: <the element>}} like every other History"
        " API element (ccxt's fetch_positions_history reads elements[].event.PositionUpdate from"
        " captured responses); wrapped so",
        wrap="PositionUpdate",
    ),
)


class SpecError(Exception):
    """Raised when the spec cannot be translated faithfully."""


def json_pointer_get(document: Any, pointer: str) -> Any:
    """Resolve a JSON pointer ("" or "/a/b") inside ``document``."""
    node = document
    if pointer in ("", "/"):
        return node
    if not pointer.startswith("/"):
        raise SpecError(f"bad JSON pointer {pointer!r}")
    for raw in pointer[1:].split("/"):
        token = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict):
            if token not in node:
                raise SpecError(f"unresolvable JSON pointer {pointer!r} (missing {token!r})")
            node = node[token]
        else:
            raise SpecError(f"unresolvable JSON pointer {pointer!r}")
    return node


def extract_cancel_order_fragment(markdown: str) -> dict[str, Any]:
    """Return the OpenAPI document embedded between ````yaml and ```` in cancel-order.md."""
    match = re.search(r"^````yaml[^\n]*\n(.*?)^````", markdown, re.S | re.M)
    if match is None:
        raise SpecError("no ````yaml block found in cancel-order.md")
    fragment = yaml.safe_load(match.group(1))
    if not isinstance(fragment, dict) or "paths" not in fragment:
        raise SpecError("cancel-order.md fragment is not an OpenAPI document")
    return fragment


class SpecLoader:
    """Loads YAML documents lazily and resolves (possibly cross-file) references."""

    def __init__(self, futures_rest_dir: Path, cancel_order_md: Path) -> None:
        self.root = futures_rest_dir
        self.docs: dict[str, Any] = {}
        self.docs[CANCEL_ORDER_DOC] = extract_cancel_order_fragment(
            cancel_order_md.read_text(encoding="utf-8")
        )

    def doc(self, doc_id: str) -> Any:
        if doc_id not in self.docs:
            path = self.root / doc_id
            with path.open(encoding="utf-8") as handle:
                self.docs[doc_id] = yaml.safe_load(handle)
        return self.docs[doc_id]

    def split_ref(self, ref: str, doc_id: str) -> tuple[str, str]:
        """Return (target doc id, JSON pointer) for ``ref`` appearing in ``doc_id``."""
        file_part, _, pointer = ref.partition("#")
        if not file_part:
            return doc_id, pointer
        if doc_id == CANCEL_ORDER_DOC:
            raise SpecError(f"cross-file $ref {ref!r} in the cancel-order.md fragment")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(doc_id), file_part))
        return target, pointer

    def resolve(self, ref: str, doc_id: str) -> tuple[str, str, Any]:
        target_doc, pointer = self.split_ref(ref, doc_id)
        return target_doc, pointer, json_pointer_get(self.doc(target_doc), pointer)

    def deref_object(self, node: Any, doc_id: str) -> tuple[str, Any]:
        """Follow ``$ref`` chains of non-schema objects (responses, parameters)."""
        seen: set[tuple[str, str]] = set()
        while isinstance(node, dict) and "$ref" in node:
            target_doc, pointer, node = self.resolve(node["$ref"], doc_id)
            if (target_doc, pointer) in seen:
                raise SpecError(f"reference cycle at {target_doc}#{pointer}")
            seen.add((target_doc, pointer))
            doc_id = target_doc
        return doc_id, node


@dataclass
class BuildLog:
    """Facts gathered while converting, reported in index.json ``_notes``."""

    nullable_enums: set[str] = field(default_factory=set)
    applied_relaxations: set[int] = field(default_factory=set)
    dropped_required: set[str] = field(default_factory=set)
    anyof_conversions: set[str] = field(default_factory=set)


# oneOf keywords that are genuinely ambiguous for valid data and therefore
# emitted as anyOf: "<doc>#<JSON pointer of the schema owning the oneOf>" -> reason.
ONEOF_TO_ANYOF: dict[str, str] = {}


class SchemaBuilder:
    """Converts one OpenAPI response schema (and everything it references)."""

    def __init__(self, loader: SpecLoader, log: BuildLog) -> None:
        self.loader = loader
        self.log = log
        self.defs: dict[str, Any] = {}
        self.def_names: dict[tuple[str, str], str] = {}

    # -- references -----------------------------------------------------
    def def_name_for(self, doc_id: str, pointer: str) -> str:
        key = (doc_id, pointer)
        if key in self.def_names:
            return self.def_names[key]
        base = pointer.rstrip("/").rsplit("/", 1)[-1] or "root"
        name = base
        if name in self.defs or name in self.def_names.values():
            stem = posixpath.splitext(posixpath.basename(doc_id))[0].lstrip("_")
            name = f"{posixpath.dirname(doc_id).replace('/', '.').strip('.')}.{stem}.{base}"
            name = name.lstrip(".")
            counter = 2
            while name in self.def_names.values():
                name = f"{name}_{counter}"
                counter += 1
        self.def_names[key] = name
        return name

    def ref(self, ref: str, doc_id: str) -> str:
        target_doc, pointer, target = self.loader.resolve(ref, doc_id)
        key = (target_doc, pointer)
        already = key in self.def_names
        name = self.def_name_for(target_doc, pointer)
        if not already:
            self.defs[name] = True  # placeholder, allows recursive schemas
            converted = self.convert(target, target_doc, pointer)
            self.defs[name] = self.apply_relaxations(converted, target_doc, pointer)
        return f"#/$defs/{name}"

    def apply_relaxations(self, schema: Any, doc_id: str, pointer: str) -> Any:
        for index, relaxation in enumerate(RELAXATIONS):
            if (relaxation.doc, relaxation.pointer) != (doc_id, pointer):
                continue
            required = schema.get("required", [])
            missing = [name for name in relaxation.drop_required if name not in required]
            if missing:
                raise SpecError(f"relaxation {relaxation} is stale: {missing} not required")
            schema["required"] = [n for n in required if n not in relaxation.drop_required]
            for prop, values in relaxation.extend_enum:
                enum = schema.get("properties", {}).get(prop, {}).get("enum")
                if enum is None or any(v in enum for v in values):
                    raise SpecError(f"relaxation {relaxation} is stale: {prop} enum")
                enum.extend(values)
            for prop, json_type in relaxation.retype:
                declared = schema.get("properties", {}).get(prop)
                if declared is None or declared.get("type") == json_type:
                    raise SpecError(f"relaxation {relaxation} is stale: {prop} type")
                declared["type"] = json_type
            if relaxation.wrap:
                schema = {
                    "type": "object",
                    "required": ["uid", "timestamp", "event"],
                    "properties": {
                        "uid": {"type": "string"},
                        "timestamp": {"type": "integer", "format": "timestamp-milliseconds"},
                        "event": {"type": "object", "required": [relaxation.wrap],
                                  "properties": {relaxation.wrap: schema}},
                    },
                }
            self.log.applied_relaxations.add(index)
        return schema

    # -- conversion -----------------------------------------------------
    def convert(self, node: Any, doc_id: str, pointer: str) -> Any:
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            raise SpecError(f"schema at {doc_id}#{pointer} is not an object: {node!r}")
        out: dict[str, Any] = {}
        nullable = node.get("nullable", False)
        for key, value in node.items():
            where = f"{pointer}/{key}"
            if key == "nullable" or key in DROPPED_KEYS or key.startswith("x-"):
                continue
            if key == "$ref":
                out["$ref"] = self.ref(value, doc_id)
            elif key in SCHEMA_MAP_VALUED:
                out[key] = {name: self.convert(sub, doc_id, f"{where}/{name}") for name, sub in value.items()}
            elif key in SCHEMA_VALUED:
                out[key] = self.convert(value, doc_id, where)
            elif key in SCHEMA_LIST_VALUED:
                converted = [self.convert(sub, doc_id, f"{where}/{i}") for i, sub in enumerate(value)]
                if key == "oneOf" and f"{doc_id}#{pointer}" in ONEOF_TO_ANYOF:
                    self.log.anyof_conversions.add(f"{doc_id}#{pointer}")
                    key = "anyOf"
                out[key] = converted
            elif key in PLAIN_KEYWORDS:
                out[key] = copy.deepcopy(value)
            else:
                raise SpecError(f"unsupported schema keyword {key!r} at {doc_id}#{pointer}")
        self.fix_openapi30_exclusive_bounds(out)
        self.drop_undeclared_required(out, doc_id, pointer)
        if nullable is True:
            out = self.make_nullable(out)
        self.add_null_to_enum(out, doc_id, pointer)
        return out

    @staticmethod
    def fix_openapi30_exclusive_bounds(out: dict[str, Any]) -> None:
        for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if isinstance(out.get(flag), bool):
                if out[flag] and bound in out:
                    out[flag] = out.pop(bound)
                else:
                    del out[flag]

    def drop_undeclared_required(self, out: dict[str, Any], doc_id: str, pointer: str) -> None:
        """Drop ``required`` names that the same schema never declares.

        Such names have no type and contradict the declared properties
        (e.g. AnalyticsLongShortData declares ``longCount`` but requires
        ``long_count``); the project's rendered reference omits them as well.
        """
        props = out.get("properties")
        required = out.get("required")
        if not isinstance(props, dict) or not isinstance(required, list):
            return
        if "additionalProperties" in out or "patternProperties" in out:
            return
        undeclared = [name for name in required if name not in props]
        if undeclared:
            out["required"] = [name for name in required if name in props]
            for name in undeclared:
                self.log.dropped_required.add(f"{doc_id}#{pointer}: {name}")

    @staticmethod
    def make_nullable(out: dict[str, Any]) -> dict[str, Any]:
        composite = any(k in out for k in ("$ref", "allOf", "oneOf", "anyOf"))
        if "type" in out and not composite:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            if "null" not in types:
                types = [*types, "null"]
            out["type"] = types
            return out
        annotations = {k: out.pop(k) for k in ANNOTATION_KEYWORDS if k in out}
        inner: dict[str, Any] = out
        if set(inner) == {"allOf"} and len(inner["allOf"]) == 1:
            inner = inner["allOf"][0]
        return {**annotations, "anyOf": [inner, {"type": "null"}]}

    def add_null_to_enum(self, out: dict[str, Any], doc_id: str, pointer: str) -> None:
        types = out.get("type")
        if isinstance(types, list) and "null" in types and "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
            self.log.nullable_enums.add(f"{doc_id}#{pointer}")


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    full_path: str  # e.g. /derivatives/api/v3/tickers/{symbol}
    canonical_path: str  # full_path under the prefix declared by the spec
    doc: str
    spec_path: str  # path key inside the source document
    op: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.method} {self.full_path}"

    @property
    def is_alias(self) -> bool:
        return self.full_path != self.canonical_path

    def response_pointer(self, status: str) -> str:
        escaped = self.spec_path.replace("~", "~0").replace("/", "~1")
        return f"/paths/{escaped}/{self.method.lower()}/responses/{status}"


def server_prefix(servers: Any) -> str:
    if not servers:
        raise SpecError("no servers entry")
    prefixes = {str(urlsplit(server["url"]).path).rstrip("/") for server in servers}
    if len(prefixes) != 1:
        raise SpecError(f"ambiguous server prefixes {sorted(prefixes)}")
    return prefixes.pop()


def collect_operations(loader: SpecLoader) -> list[Operation]:
    operations: list[Operation] = []
    for doc_id in (TRADING_DOC, HISTORY_DOC, CHARTS_DOC):
        document = loader.doc(doc_id)
        doc_prefix = server_prefix(document.get("servers"))
        for spec_path, item in document["paths"].items():
            for method in HTTP_METHODS:
                if method not in item:
                    continue
                op = item[method]
                prefix = server_prefix(op["servers"]) if "servers" in op else doc_prefix
                source_doc, source_op = doc_id, op
                if doc_id == TRADING_DOC and (method, spec_path) == CANCEL_ORDER_OP:
                    fragment = loader.doc(CANCEL_ORDER_DOC)
                    if server_prefix(fragment.get("servers")) != prefix:
                        raise SpecError("cancel-order.md fragment has a different server")
                    source_doc = CANCEL_ORDER_DOC
                    source_op = fragment["paths"][spec_path][method]
                canonical = prefix + spec_path
                for pfx in (prefix, *PREFIX_ALIASES.get(prefix, ())):
                    operations.append(
                        Operation(
                            method.upper(), pfx + spec_path, canonical, source_doc, spec_path, source_op
                        )
                    )
    return operations


def schema_file_name(method: str, full_path: str, status: str) -> str:
    slug = full_path.strip("/").replace("/", "_")
    if not re.fullmatch(r"[A-Za-z0-9_{}.-]+", slug):
        raise SpecError(f"path {full_path!r} cannot be turned into a file name")
    return f"{method}__{slug}__{status}.json"


def json_media_schema(loader: SpecLoader, response: Any, doc_id: str) -> tuple[str, Any, Any] | None:
    """Return (doc id, media type object, schema) for the JSON content of a response."""
    doc_id, response = loader.deref_object(response, doc_id)
    content = response.get("content") or {}
    media = content.get("application/json")
    if media is None or "schema" not in media:
        return None
    return doc_id, media, media["schema"]


@dataclass
class Example:
    name: str
    operation: str
    status: str
    value: Any


def collect_examples(
    loader: SpecLoader, media: Any, doc_id: str, media_pointer: str, op_key: str, status: str
) -> list[Example]:
    """Examples attached to one media type object, named by their JSON pointer in the spec."""
    found: list[Example] = []
    if "example" in media:
        found.append(Example(f"{doc_id}#{media_pointer}/example", op_key, status, media["example"]))
    for label, example in (media.get("examples") or {}).items():
        if isinstance(example, dict) and "$ref" in example:
            target_doc, pointer, resolved = loader.resolve(example["$ref"], doc_id)
            source = f"{target_doc}#{pointer}"
        else:
            resolved, source = example, f"{doc_id}#{media_pointer}/examples/{label}"
        if "value" not in resolved:
            raise SpecError(f"example {source} has no value (externalValue is unsupported)")
        found.append(Example(source, op_key, status, resolved["value"]))
    return found


@dataclass
class _Shape:
    """What a schema says about an instance, enough to decide oneOf exclusivity."""

    types: set[str] | None = None
    enum: list[Any] | None = None
    required: set[str] = field(default_factory=set)
    props: dict[str, Any] = field(default_factory=dict)
    closed: bool = False


def _local(root: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#/$defs/"):
        raise SpecError(f"unexpected $ref {ref!r} in generated schema")
    return root["$defs"][ref[len("#/$defs/") :]]


def _shape(root: dict[str, Any], schema: Any, depth: int = 0) -> _Shape:
    shape = _Shape()
    if not isinstance(schema, dict) or depth > 20:
        return shape
    parts: list[_Shape] = []
    if "$ref" in schema:
        parts.append(_shape(root, _local(root, schema["$ref"]), depth + 1))
    parts.extend(_shape(root, sub, depth + 1) for sub in schema.get("allOf", ()))
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:  # only the union of types is used
            branches = [_shape(root, sub, depth + 1) for sub in schema[keyword]]
            if all(b.types is not None for b in branches):
                parts.append(_Shape(types=set().union(*(b.types or set() for b in branches))))
    if "type" in schema:
        declared = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        parts.append(_Shape(types=set(declared)))
    own = _Shape(
        enum=list(schema["enum"]) if "enum" in schema else ([schema["const"]] if "const" in schema else None),
        required=set(schema.get("required", ())),
        props=dict(schema.get("properties", {})),
        closed=schema.get("additionalProperties") is False,
    )
    for part in [*parts, own]:
        if part.types is not None:
            part_types = part.types | ({"integer"} if "number" in part.types else set())
            shape.types = part_types if shape.types is None else shape.types & part_types
        if part.enum is not None:
            shape.enum = part.enum
        shape.required |= part.required
        for name, sub in part.props.items():
            shape.props.setdefault(name, sub)
        shape.closed = shape.closed or part.closed
    return shape


def _disjoint_values(a: _Shape, b: _Shape) -> bool:
    if a.types is not None and b.types is not None and not a.types & b.types:
        return True
    if a.enum is not None and b.enum is not None:
        return not {json.dumps(v) for v in a.enum} & {json.dumps(v) for v in b.enum}
    return False


def oneof_exclusivity(root: dict[str, Any], a_schema: Any, b_schema: Any) -> str | None:
    """How two oneOf branches exclude each other: "strict", "required-keys" or None (ambiguous)."""
    a, b = _shape(root, a_schema), _shape(root, b_schema)
    if _disjoint_values(a, b):
        return "strict"
    for name in a.required & b.required:
        if _disjoint_values(_shape(root, a.props.get(name, {})), _shape(root, b.props.get(name, {}))):
            return "strict"
    if (b.closed and a.required - set(b.props)) or (a.closed and b.required - set(a.props)):
        return "strict"
    if a.required - b.required and b.required - a.required:
        return "required-keys"  # only a document carrying both variants' keys matches both
    return None


def _branch_label(root: dict[str, Any], branch: Any, index: int) -> str:
    if isinstance(branch, dict):
        if isinstance(branch.get("$ref"), str):
            return str(branch["$ref"]).rsplit("/", 1)[-1]
        if branch.get("title"):
            return str(branch["title"])
        required = branch.get("required")
        if isinstance(required, list) and required:
            return "{" + ",".join(required) + "}"
    return f"#{index}"


def check_oneofs(root: dict[str, Any]) -> tuple[set[str], set[str]]:
    """Return (ambiguous, exclusive-by-required-keys-only) oneOf branch pairs of one schema file."""
    ambiguous: set[str] = set()
    weak: set[str] = set()

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            branches = node.get("oneOf")
            if isinstance(branches, list):
                for i in range(len(branches)):
                    for j in range(i + 1, len(branches)):
                        verdict = oneof_exclusivity(root, branches[i], branches[j])
                        label = (
                            f"{where}: {_branch_label(root, branches[i], i)}"
                            f" / {_branch_label(root, branches[j], j)}"
                        )
                        if verdict is None:
                            ambiguous.add(label)
                        elif verdict == "required-keys":
                            weak.add(label)
            for key, value in node.items():
                if key == "$defs":
                    for name, sub in value.items():
                        walk(sub, name)
                elif key not in ("properties", "patternProperties"):
                    walk(value, where)
                else:
                    for name, sub in value.items():
                        walk(sub, f"{where}.{name}")
        elif isinstance(node, list):
            for item in node:
                walk(item, where)

    walk(root, "(response)")
    return ambiguous, weak


NOTES_HEADER = [
    "Generated by tools/build_schemas.py from the Kraken Futures OpenAPI documents"
    " (futures-rest/trading/public.yml, history/api-public.yml, charts/api-public.yml and"
    " their _schemas.yml/_responses.yml) and rest/cancel-order.md; do not edit by hand.",
    "Keys: 'METHOD /full/path/template' -> {'<HTTP status>': '<schema file>'}; keys starting"
    " with '_' are metadata. File names: <METHOD>__<path without leading '/', '/' -> '_'>"
    "__<status>.json.",
    "POST /derivatives/api/v3/cancelorder uses the embedded OpenAPI fragment of"
    " rest/cancel-order.md (2026 docs page) instead of trading/public.yml.",
    "Conversion: nullable: true -> 'null' added to type (or anyOf [schema, {type: null}] for"
    " $ref/allOf/oneOf/anyOf schemas without own type); example/examples/discriminator/x-* keys"
    " dropped; format kept as annotation (schema_check enforces date-time only); referenced"
    " components are inlined under $defs.",
]


def build(spec_dir: Path, out_dir: Path) -> dict[str, Any]:
    rest_candidates = sorted((spec_dir / "rest").glob("openapi-krakenfx-api-specs-*/futures-rest"))
    if len(rest_candidates) != 1:
        raise SpecError(f"expected exactly one futures-rest directory, found {rest_candidates}")
    loader = SpecLoader(rest_candidates[0], spec_dir / "rest" / "cancel-order.md")
    log = BuildLog()

    index: dict[str, dict[str, str]] = {}
    files: dict[str, Any] = {}
    examples: list[Example] = []
    skipped: list[str] = []
    weak_oneofs: set[str] = set()
    for operation in collect_operations(loader):
        for status, response in operation.op.get("responses", {}).items():
            status = str(status)
            found = json_media_schema(loader, response, operation.doc)
            if found is None:
                if not operation.is_alias:
                    skipped.append(f"{operation.key} {status}")
                continue
            name = schema_file_name(operation.method, operation.canonical_path, status)
            index.setdefault(operation.key, {})[status] = name
            if operation.is_alias:
                continue  # same file as the canonical operation
            if name in files:
                raise SpecError(f"file name collision: {name}")
            media_doc, media, raw_schema = found
            builder = SchemaBuilder(loader, log)
            media_pointer = operation.response_pointer(status) + "/content/application~1json"
            if media_doc != operation.doc:  # response object reached through $ref
                media_pointer = f"(response of {operation.doc}#{operation.response_pointer(status)})"
            root = builder.convert(raw_schema, media_doc, media_pointer + "/schema")
            if not isinstance(root, dict):
                raise SpecError(f"{operation.key} {status}: boolean root schema")
            schema: dict[str, Any] = {
                "$schema": JSON_SCHEMA_DIALECT,
                "$comment": (
                    f"{operation.key} -> HTTP {status}. Generated by tools/build_schemas.py from"
                    f" {operation.doc} paths[{operation.spec_path}].{operation.method.lower()}"
                    f".responses[{status}]; do not edit by hand."
                ),
            }
            if "$defs" in root or "$schema" in root:
                raise SpecError(f"{operation.key}: root schema already has $defs/$schema")
            schema.update(root)
            if builder.defs:
                schema["$defs"] = builder.defs
            files[name] = schema
            ambiguous, weak = check_oneofs(schema)
            if ambiguous:
                raise SpecError(
                    f"{operation.key} {status}: oneOf branches not exclusive for valid data: "
                    f"{sorted(ambiguous)}; decide and list them in ONEOF_TO_ANYOF"
                )
            weak_oneofs |= weak
            examples.extend(collect_examples(loader, media, media_doc, media_pointer, operation.key, status))

    for alias, (target, _reason) in OPERATION_ALIASES.items():
        if target not in index:
            raise SpecError(f"alias target {target} missing")
        if alias in index:
            raise SpecError(f"alias {alias} already defined by the spec")
        index[alias] = dict(index[target])

    # The public.yml example for POST /cancelorder also documents the
    # cancel-order.md schema; collect it too (it must validate against it).
    trading = loader.doc(TRADING_DOC)
    cancel_media = trading["paths"]["/cancelorder"]["post"]["responses"]["200"]["content"]["application/json"]
    cancel_pointer = "/paths/~1cancelorder/post/responses/200/content/application~1json"
    examples.extend(
        collect_examples(
            loader, cancel_media, TRADING_DOC, cancel_pointer, "POST /derivatives/api/v3/cancelorder", "200"
        )
    )
    referenced = {ex.name for ex in examples}
    for name in trading.get("components", {}).get("examples", {}):
        if f"{TRADING_DOC}#/components/examples/{name}" not in referenced:
            raise SpecError(f"components/examples/{name} is not attached to any operation")

    notes = list(NOTES_HEADER)
    notes.append(
        "Prefix aliases (same schema files): "
        + "; ".join(f"{al}/... -> {canon}/..." for canon, als in PREFIX_ALIASES.items() for al in als)
        + " (history/api-public.yml declares only /api/history/v3; the Derivatives guide and"
        " clients still use /api/history/v2)."
    )
    for alias, (target, reason) in OPERATION_ALIASES.items():
        notes.append(f"Alias: {alias} -> same schemas as {target} ({reason}).")
    if set(ONEOF_TO_ANYOF) - log.anyof_conversions:
        raise SpecError(
            f"stale ONEOF_TO_ANYOF entries: {sorted(set(ONEOF_TO_ANYOF) - log.anyof_conversions)}"
        )
    for key in sorted(log.anyof_conversions):
        notes.append(f"oneOf converted to anyOf at {key}: {ONEOF_TO_ANYOF[key]}")
    notes.append(
        "oneOf: every oneOf kept as oneOf was checked by tools/build_schemas.py (check_oneofs) to"
        " be exclusive for valid data"
        + ("" if log.anyof_conversions else " (none needed converting to anyOf)")
        + ". Most branch pairs are strictly exclusive"
        " (different type; a required discriminator with disjoint enums, e.g. result success/error"
        " or event type; or additionalProperties: false as in IndexTicker vs MarketTicker). The"
        " pairs listed below are exclusive only because each branch requires a key the other"
        " lacks; a document carrying both sets of keys matches both and is rejected."
    )
    by_location: dict[str, list[str]] = {}
    for pair in sorted(weak_oneofs):
        location, _, branches = pair.partition(": ")
        by_location.setdefault(location, []).append(branches)
    for location, pairs in sorted(by_location.items()):
        notes.append(f"oneOf exclusive by required keys at {location}: " + ", ".join(pairs) + ".")
    for index_no in sorted(log.applied_relaxations):
        relaxation = RELAXATIONS[index_no]
        notes.append(f"Relaxed {relaxation.doc}#{relaxation.pointer}: {relaxation.reason}.")
    if len(log.applied_relaxations) != len(RELAXATIONS):
        raise SpecError("some RELAXATIONS were never applied")
    dropped: dict[str, list[str]] = {}
    for entry in sorted(log.dropped_required):
        where, _, name = entry.rpartition(": ")
        dropped.setdefault(where, []).append(name)
    for where, names in sorted(dropped.items()):
        notes.append(
            f"Dropped required names that are not declared in properties at {where}: {', '.join(names)}"
            " (spec defect: no such property is declared, the rendered reference docs omit them too)."
        )
    if log.nullable_enums:
        notes.append(
            "null added to enum where type allows null (OpenAPI intent; otherwise null could never"
            " validate): " + ", ".join(sorted(log.nullable_enums)) + "."
        )
    for entry in sorted(set(skipped)):
        notes.append(f"No JSON schema generated for {entry}: the spec declares no application/json body.")

    out_dir.mkdir(parents=True, exist_ok=True)
    written = set()
    for name, schema in files.items():
        write_json(out_dir / name, schema)
        written.add(name)
    index_doc: dict[str, Any] = {"_notes": notes}
    index_doc.update(index)
    write_json(out_dir / "index.json", index_doc)
    example_doc = [
        {"name": ex.name, "operation": ex.operation, "status": int(ex.status), "value": ex.value}
        for ex in sorted(examples, key=lambda e: (e.operation, e.status, e.name))
    ]
    write_json(out_dir / "examples.json", example_doc)
    written.update({"index.json", "examples.json"})
    stale = sorted(p.name for p in out_dir.glob("*__*__*.json") if p.name not in written)
    for name in stale:
        (out_dir / name).unlink()
    return index_doc


def write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "spec_dir",
        nargs="?",
        type=Path,
        default=None,
        help="spec directory (default: ../shared/spec relative to the repository root)",
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    args = parser.parse_args(argv)
    spec_dir: Path = args.spec_dir if args.spec_dir is not None else REPO_ROOT / DEFAULT_SPEC_DIR
    try:
        index = build(spec_dir.resolve(), args.out)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    operations = [key for key in index if not key.startswith("_")]
    print(f"wrote {len(operations)} operations to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
