"""No import loops inside the product packages (issue 19: `lsp_server.edits` and `solve`
imported each other). Every import counts, also those under `TYPE_CHECKING` and inside
functions: a loop hidden there is still two modules that cannot be read one without the
other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACYCLIC = ["lsp_server", "pacore_core", "pacore_cli", "pacore_view", "pacore_bench"]


def module_graph(package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (from the sources, by AST)."""
    files = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        files[name.removesuffix(".__init__")] = path
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                named = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                named = [a.name for a in node.names]
            else:
                continue
            deps.update(n for n in named if n in files and n != name)
        graph[name] = deps
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop (its modules in order, the first repeated at the end), or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node):], node]
        if node in done:
            return None
        path.append(node)
        for dep in sorted(graph[node]):
            if (cycle := visit(dep)) is not None:
                return cycle
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if (cycle := visit(start)) is not None:
            return cycle
    return None


def test_the_cycle_finder_sees_a_loop() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_holds_type_checking_imports() -> None:
    # brute_oracle names SolveContext only for the type checker: the edge must still be seen
    assert "lsp_server.solve_context" in module_graph("lsp_server")["lsp_server.brute_oracle"]


@pytest.mark.parametrize("package", ACYCLIC)
def test_no_import_loop(package: str) -> None:
    cycle = find_cycle(module_graph(package))
    assert cycle is None, f"import loop in {package}: {' -> '.join(cycle or [])}"
