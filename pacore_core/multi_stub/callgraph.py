"""Which stub calls which, and the order that follows: callees first, cycles together.

A stub has no body yet, so what it will call is read from what it says: a stub depends on
another when its signature, docstring or comments name it, as the module would reach it: a
function of the same module (`words`), a method of the same class (`self.area`, `area`), a
class's method (`Rect.area`), or a name imported from another module of the project
(`from textstats.core import words`, `import textstats.core as core` + `core.words`,
relative imports too). Strongly connected components (Tarjan) are the cycles, solved as one
problem; `order` is each group's depth: 1 for stubs calling no other stub.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from pacore_core.multi_stub.inventory import Inventory, StubRef
from pacore_core.project.workspace_tests import module_name

_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*")
_CALL_SELF = ("self", "cls")


def _imports(text: str, module: str, is_package: bool) -> dict[str, tuple[str, str | None]]:
    """Local name -> (module, attribute or None for a module alias)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    out: dict[str, tuple[str, str | None]] = {}
    package = module if is_package else module.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([*parts, *([base] if base else [])])
            for a in node.names:
                out[a.asname or a.name] = (base, a.name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    out[a.asname] = (a.name, None)
                else:
                    out[a.name.split(".")[0]] = (a.name.split(".")[0], None)
    return out


@dataclass
class CallGraph:
    """Edges caller -> callees, the groups (cycles are one group) in a callees-first order,
    and each group's depth."""

    callees: dict[StubRef, set[StubRef]] = field(default_factory=dict)
    groups: list[list[StubRef]] = field(default_factory=list)
    group_of: dict[StubRef, int] = field(default_factory=dict)
    depends: dict[int, set[int]] = field(default_factory=dict)  # group -> groups it waits on
    order: dict[int, int] = field(default_factory=dict)

    def cycle(self, ref: StubRef) -> list[StubRef]:
        group = self.groups[self.group_of[ref]]
        return group if len(group) > 1 else []


def _words(text: str) -> set[tuple[str, ...]]:
    return {tuple(p.strip() for p in m.group(0).split(".")) for m in _DOTTED.finditer(text)}


def build(inv: Inventory) -> CallGraph:
    by_module: dict[tuple[str, str], StubRef] = {(r.module, r.qualname): r for r in inv.stubs}
    modules = {r.module for r in inv.stubs}
    imports = {rel: _imports(doc.text, _module_of(rel), rel.endswith("__init__.py"))
               for rel, doc in inv.docs.items()}
    graph = CallGraph()
    for ref, target in inv.stubs.items():
        own = target.function_text
        header = f"def {target.name}"
        text = own.replace(header, "", 1)  # its own name is no call
        found: set[StubRef] = set()
        for parts in _words(text):
            found.update(_resolve(parts, ref, by_module, modules, imports.get(ref.relpath, {})))
        found.discard(ref)
        graph.callees[ref] = found
    _condense(graph, list(inv.stubs))
    return graph


def _module_of(rel: str) -> str:
    return module_name(rel)


def _resolve(parts: tuple[str, ...], ref: StubRef, by_module: dict[tuple[str, str], StubRef],
             modules: set[str], imports: dict[str, tuple[str, str | None]]) -> set[StubRef]:
    out: set[StubRef] = set()
    mod = ref.module

    def hit(module: str, qual: str) -> None:
        if (module, qual) in by_module:
            out.add(by_module[(module, qual)])

    head = parts[0]
    if ref.class_name is not None:
        if head in _CALL_SELF and len(parts) > 1:
            hit(mod, f"{ref.class_name}.{parts[1]}")
        for p in parts:
            hit(mod, f"{ref.class_name}.{p}")
    hit(mod, ".".join(parts[:2]) if len(parts) > 1 else head)
    hit(mod, head)
    if head in imports:
        target_mod, attr = imports[head]
        rest = list(parts[1:])
        if attr is None:  # `import a.b as c` (c.f) or `import a.b` (a.b.f)
            full = [*target_mod.split("."), *rest] if target_mod != head else [head, *rest]
            for i in range(1, len(full)):
                module = ".".join(full[:i])
                if module in modules:
                    hit(module, ".".join(full[i:i + 2]))
                    hit(module, full[i])
        else:
            hit(target_mod, ".".join([attr, *rest[:1]]))
            hit(target_mod, attr)
            sub = f"{target_mod}.{attr}" if target_mod else attr
            if sub in modules and rest:
                hit(sub, ".".join(rest[:2]))
                hit(sub, rest[0])
    return out


def _condense(graph: CallGraph, refs: list[StubRef]) -> None:
    """Tarjan's SCCs (emitted callees first), then each group's depth."""
    index: dict[StubRef, int] = {}
    low: dict[StubRef, int] = {}
    stack: list[StubRef] = []
    on_stack: set[StubRef] = set()
    counter = 0

    def visit(v: StubRef) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.callees[v], key=refs.index):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group: list[StubRef] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            group.sort(key=refs.index)
            for m in group:
                graph.group_of[m] = len(graph.groups)
            graph.groups.append(group)

    for r in refs:
        if r not in index:
            visit(r)
    for gi, group in enumerate(graph.groups):  # callees' groups come earlier
        deps = {graph.group_of[c] for m in group for c in graph.callees[m]} - {gi}
        graph.depends[gi] = deps
        graph.order[gi] = 1 + max((graph.order[d] for d in deps), default=0)
