"""Layers point one way and nothing imports in a circle, not even for type hints.

engine → nothing of ours; store → nothing; runtime → engine, store; market → engine;
api → runtime, engine; admin → api, runtime, engine; serve (the composition root) → any of
those; simulator → serve; testing → simulator. (docs/architecture.md draws it.)
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "krakensim"
ALLOWED = {
    "engine": set(),
    "store": set(),
    "runtime": {"engine", "store"},
    "market": {"engine"},
    "api": {"runtime", "engine"},
    "ws": {"api", "runtime", "engine"},
    "admin": {"api", "runtime", "engine", "version"},
    "serve": {"admin", "api", "ws", "runtime", "engine", "store", "market", "dashboard"},
    "dashboard": set(),
    "simulator": {"serve"},
    "testing": {"simulator", "serve"},
    "cli": {"serve", "runtime", "api", "market", "engine", "cli_control", "version"},
    "version": set(),
    "cli_control": set(),  # the client commands: the standard library and click only
    "__init__": {"simulator", "serve", "version"},
    "__main__": {"cli"},
}


def _layer(module: str) -> str:
    """``krakensim.api.render.orders`` → ``api``."""
    return module.split(".")[1] if module.count(".") else "__init__"


def _imports() -> dict[str, set[str]]:
    """Module → the krakensim modules it imports (anywhere in the file, type-checking imports too)."""
    out: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                targets = [target]
            else:
                continue
            out[module] |= {t for t in targets if t == "krakensim" or t.startswith("krakensim.")}
    return out


def test_every_import_points_down_the_layers() -> None:
    wrong = []
    for module, targets in _imports().items():
        layer = _layer(module)
        for target in targets:
            other = _layer(target)
            if other != layer and other not in ALLOWED[layer]:
                wrong.append(f"{module} imports {target} ({layer} → {other})")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_package_imports_in_a_circle() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, targets in _imports().items():
        for target in targets:
            if _layer(target) != _layer(module):
                graph[_layer(module)].add(_layer(target))
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            assert state.get(nxt) != 1, f"import cycle: {' → '.join([*path, node, nxt])}"
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_the_checker_sees_imports() -> None:
    imports = _imports()
    assert "krakensim.engine.commands" in imports["krakensim.runtime.keys"]
    assert "krakensim.engine.book" in imports["krakensim.engine.matching"]
    assert not any(_layer(t) != "engine" for m, ts in imports.items() if _layer(m) == "engine" for t in ts)
