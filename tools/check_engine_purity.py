"""Fail when the engine reaches for the wall clock, randomness, I/O or an outer layer.

The engine (src/krakensim/engine) must be pure: time and ids are injected, nothing is read
or written. This walks the AST of every engine module and lists each offending import or
call. Exit status 1 when anything is found.
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
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval", "__import__"}
FORBIDDEN_ATTRS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("uuid", "uuid4"),
                   ("uuid", "uuid1"), ("time", "time"), ("time", "monotonic"), ("time", "perf_counter")}


def check_source(source: str, name: str) -> list[str]:
    problems: list[str] = []
    tree = ast.parse(source, name)
    for node in ast.walk(tree):
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
