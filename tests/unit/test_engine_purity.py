"""The engine-purity check (tools/check_engine_purity.py) finds what it must and passes the engine."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from check_engine_purity import check_source, check_tree  # noqa: E402

IMPURE = '''
from __future__ import annotations
import time
from ..runtime import core
TYPES = frozenset(("a", "b"))
class Room:
    def __init__(self) -> None:
        self.seen: set[str] = set()
    def step(self, given: set[int]) -> list[object]:
        for x in self.seen:
            pass
        names = [k for k in TYPES]
        ordered = list(given)
        bucket = hash("abc")
        fine = sorted(self.seen) + [len(TYPES), "a" in TYPES, min(given)]
        print(fine)
        return [*self.seen, time.time()]
'''


def test_every_kind_of_offence_is_found_and_nothing_else() -> None:
    found = sorted(p.split(": ", 1)[1] for p in check_source(IMPURE, "room.py"))
    assert found == sorted([
        "import time", "from ..runtime import …", "iterates over a set", "iterates over a set",
        "list() over a set", "call hash()", "call print()", "unpacks a set", "call time.time()",
    ])


def test_the_engine_is_pure() -> None:
    assert check_tree(ROOT / "src" / "krakensim" / "engine") == []
