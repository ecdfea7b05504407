"""Code shape: modules over 600 lines, functions over 80, import cycles (module-level and lazy).

Usage::

    .venv/bin/python scripts/code_shape.py .           # this checkout
    .venv/bin/python scripts/code_shape.py /path/to/an/older/checkout

Imports inside ``if TYPE_CHECKING:`` are skipped; imports inside functions are
"lazy" and counted separately from module-level ones.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import networkx as nx


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, root: Path) -> tuple[set[str], set[str]]:
    """Module-level and function-level ``deepmomentum`` imports of one module."""
    top: set[str] = set()
    lazy: set[str] = set()

    def add(name: str, in_func: bool) -> None:
        (lazy if in_func else top).add(name)

    def visit(node: ast.AST, in_func: bool) -> None:
        for ch in ast.iter_child_nodes(node):
            if isinstance(ch, ast.If) and _is_type_checking(ch):
                continue
            inside = in_func or isinstance(ch, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(ch, ast.Import):
                for a in ch.names:
                    if a.name.startswith("deepmomentum"):
                        add(a.name, inside)
            elif isinstance(ch, ast.ImportFrom) and ch.module and ch.module.startswith("deepmomentum"):
                add(ch.module, inside)
                for a in ch.names:  # from package import submodule
                    sub = f"{ch.module}.{a.name}"
                    if (root.parent / (sub.replace(".", "/") + ".py")).exists():
                        add(sub, inside)
            visit(ch, inside)

    visit(tree, False)
    return top, lazy


def _cycles(edges: dict[str, set[str]], modules: set[str]) -> list[list[str]]:
    g = nx.DiGraph()
    for a, deps in edges.items():
        g.add_edges_from((a, d) for d in deps if d in modules and d != a)
    return list(nx.simple_cycles(g, length_bound=6))


def main(checkout: Path) -> None:
    """Print the figures for ``checkout``."""
    root = checkout / "src" / "deepmomentum"
    lines: dict[str, int] = {}
    funcs: list[tuple[int, str]] = []
    top: dict[str, set[str]] = {}
    both: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        name = ".".join(path.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")
        src = path.read_text()
        lines[name] = len(src.splitlines())
        tree = ast.parse(src)
        for n in ast.walk(tree):
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef):
                funcs.append((int(n.end_lineno or n.lineno) - n.lineno + 1, f"{name}.{n.name}"))
        module_level, lazy = _imports(tree, root)
        top[name], both[name] = module_level, module_level | lazy
    big = sorted(((v, k) for k, v in lines.items() if v > 600), reverse=True)
    print(f"modules: {len(lines)}; over 600 lines: {big}; largest: {max((v, k) for k, v in lines.items())}")
    print("functions over 80 lines:", sorted((f for f in funcs if f[0] > 80), reverse=True))
    for label, edges in (("import-time", top), ("incl. function-level imports", both)):
        found = _cycles(edges, set(lines))
        print(f"cycles ({label}): {len(found)}")
        for c in found[:12]:
            print("   ", " -> ".join(c))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
