"""Fail when the engine reaches for the wall clock, randomness, I/O or an outer layer, or
depends on an order Python does not fix.

The engine (src/krakensim/engine) must be pure: time and ids are injected, nothing is read
or written, and the same commands give the same state in every process. So, besides the
imports and calls below, it may not iterate over a set (string hashes, and so set order,
change from one process to the next with PYTHONHASHSEED) nor call ``hash()``. A set may be
tested for membership, measured, or sorted. This walks the AST of every engine module and
lists each offence. Exit status 1 when anything is found.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

FORBIDDEN_MODULES = {
    "time", "random", "secrets", "uuid", "datetime", "os", "io", "pathlib", "socket", "sqlite3",
    "asyncio", "threading", "multiprocessing", "subprocess", "shutil", "tempfile", "logging",
    "urllib", "http", "requests", "select", "signal",
}
FORBIDDEN_PACKAGES = ("krakensim.api", "krakensim.store", "krakensim.runtime", "krakensim.admin", "krakensim.ws")
RELATIVE_FORBIDDEN = ("api", "store", "runtime", "admin", "ws")
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval", "__import__", "hash"}
# calls whose result depends on the order of the iterable they are given
ORDER_DEPENDENT = {"list", "tuple", "iter", "next", "enumerate", "zip", "reversed", "dict", "join"}
SET_TYPES = {"set", "frozenset", "Set", "FrozenSet", "AbstractSet", "MutableSet"}
FORBIDDEN_ATTRS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("uuid", "uuid4"),
                   ("uuid", "uuid1"), ("time", "time"), ("time", "monotonic"), ("time", "perf_counter")}


def _is_set_annotation(node: ast.expr | None) -> bool:
    if node is None:
        return False
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr in SET_TYPES
    return isinstance(node, ast.Name) and node.id in SET_TYPES


def _set_names(tree: ast.AST) -> set[str]:
    """Names and attributes (``x``, ``self.x``) the module declares or builds as sets."""
    names: set[str] = set()

    def target(t: ast.expr) -> str | None:
        if isinstance(t, ast.Name):
            return t.id
        if isinstance(t, ast.Attribute):
            return t.attr
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and _is_set_annotation(node.annotation):
            n = target(node.target)
            if n:
                names.add(n)
        elif isinstance(node, ast.arg) and _is_set_annotation(node.annotation):
            names.add(node.arg)
        elif isinstance(node, ast.Assign) and _builds_set(node.value):
            for t in node.targets:
                n = target(t)
                if n:
                    names.add(n)
    return names


def _builds_set(node: ast.expr) -> bool:
    if isinstance(node, ast.Set | ast.SetComp):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("set", "frozenset")


def _is_set(node: ast.expr, set_names: set[str]) -> bool:
    if _builds_set(node):
        return True
    if isinstance(node, ast.Name):
        return node.id in set_names
    if isinstance(node, ast.Attribute):
        return node.attr in set_names
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr | ast.BitAnd | ast.Sub | ast.BitXor):
        return _is_set(node.left, set_names) or _is_set(node.right, set_names)
    return False


def check_source(source: str, name: str) -> list[str]:
    problems: list[str] = []
    tree = ast.parse(source, name)
    set_names = _set_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension) and _is_set(node.iter, set_names):
            problems.append(f"{name}:{getattr(node, 'lineno', node.iter.lineno)}: iterates over a set")
        if isinstance(node, ast.Call) and node.args and _is_set(node.args[0], set_names):
            f = node.func
            called = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if called in ORDER_DEPENDENT:
                problems.append(f"{name}:{node.lineno}: {called}() over a set")
        if isinstance(node, ast.Starred) and _is_set(node.value, set_names):
            problems.append(f"{name}:{node.lineno}: unpacks a set")
        if isinstance(node, ast.Import):
            for a in node.names:
                root = a.name.split(".")[0]
                if root in FORBIDDEN_MODULES or a.name.startswith(FORBIDDEN_PACKAGES):
                    problems.append(f"{name}:{node.lineno}: import {a.name}")
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 0:
                if mod.split(".")[0] in FORBIDDEN_MODULES or mod.startswith(FORBIDDEN_PACKAGES):
                    problems.append(f"{name}:{node.lineno}: from {mod} import …")
            elif node.level >= 2 and mod.split(".")[0] in RELATIVE_FORBIDDEN:
                problems.append(f"{name}:{node.lineno}: from {'.' * node.level}{mod} import …")
        elif isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in FORBIDDEN_CALLS:
                problems.append(f"{name}:{node.lineno}: call {f.id}()")
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                if (f.value.id, f.attr) in FORBIDDEN_ATTRS:
                    problems.append(f"{name}:{node.lineno}: call {f.value.id}.{f.attr}()")
    return problems


def check_tree(root: Path) -> list[str]:
    problems: list[str] = []
    for path in sorted(root.rglob("*.py")):
        problems += check_source(path.read_text(), str(path.relative_to(root.parent.parent.parent)))
    return problems


def main() -> int:
    root = Path(__file__).resolve().parent.parent / "src" / "krakensim" / "engine"
    problems = check_tree(root)
    for p in problems:
        print(p)
    if problems:
        print(f"engine purity: {len(problems)} problem(s)")
        return 1
    print(f"engine purity: ok ({len(list(root.rglob('*.py')))} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
