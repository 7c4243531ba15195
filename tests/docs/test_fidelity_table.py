"""docs/fidelity.md's status table names every enum value of the spec, and only tests that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "tests" / "schemas"


def enum_values() -> set[str]:
    def enum_of(file: str, *path: str) -> list[str]:
        node = json.loads((SCHEMAS / file).read_text())
        for p in path:
            node = node[p]
        return list(node["enum"])

    send = "POST__derivatives_api_v3_sendorder__200.json"
    values = set(enum_of(send, "$defs", "SendOrderJson", "properties", "status"))
    values |= set(enum_of(send, "$defs", "OrderError"))
    values |= set(enum_of("POST__derivatives_api_v3_editorder__200.json", "$defs", "EditOrderStatus", "properties",
                          "status"))
    values |= set(enum_of("POST__derivatives_api_v3_batchorder__200.json", "$defs", "BatchInstructionResult",
                          "properties", "status"))
    values |= set(enum_of("POST__derivatives_api_v3_cancelorder__200.json", "$defs", "CancelOrderStatusJson",
                          "properties", "status"))
    values |= set(enum_of("POST__derivatives_api_v3_cancelallorders__200.json", "$defs", "CancelAllOrdersStatusJson",
                          "properties", "status"))
    return values


def table() -> dict[str, str]:
    text = (ROOT / "docs" / "fidelity.md").read_text()
    section = text.split("## Every status and reason of the spec", 1)[1]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\| `([A-Za-z_]+)` \| [^|]+ \| (.+) \|$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def test_every_enum_value_is_in_the_table() -> None:
    values, rows = enum_values(), table()
    assert len(values) == 77  # 31 send + 42 OrderError + batch-, cancel- and cancel-all-only values
    assert not values - rows.keys(), sorted(values - rows.keys())
    assert not rows.keys() - values, sorted(rows.keys() - values)


def test_every_named_test_exists_and_every_row_says_something() -> None:
    defined = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        defined |= set(re.findall(r"^(?:def |async def )?(test_\w+)(?: = |\()", path.read_text(), re.M))
    for value, cell in table().items():
        named = re.findall(r"`(test_\w+)`", cell)
        assert named or cell.startswith(("cannot arise", "likewise", "answered as")), (value, cell)
        for name in named:
            assert name in defined, f"{value}: {name} does not exist"
