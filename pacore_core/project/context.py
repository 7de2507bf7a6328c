"""Turn a stub and its tests into a `Problem`: what the model sees, and what judges it."""

from __future__ import annotations

import re
from pathlib import Path

from tree_sitter import Node

from pacore_core.agreement.signatures import constructor_needs
from pacore_core.problem import Problem
from pacore_core.project.targeting import ParsedDocument, StubTarget, find_function
from pacore_core.project.workspace_tests import DiscoveredTests, module_name
from pacore_core.prompting import Templates
from pacore_core.statement import workspace_function_statement
from sandbox.models import ProjectSuite

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IMPORTS = ("import_statement", "import_from_statement", "future_import_statement")


def _def_name(node: Node) -> str | None:
    d = node.child_by_field_name("definition") if node.type == "decorated_definition" else node
    if d is None:
        return None
    name = d.child_by_field_name("name")
    if name is not None:
        return (name.text or b"").decode()
    if d.type == "expression_statement" and d.named_children:
        a = d.named_children[0]
        left = a.child_by_field_name("left") if a.type == "assignment" else None
        if left is not None and left.type == "identifier":
            return (left.text or b"").decode()
    return None


def _dedent_block(text: str, indent: str) -> str:
    lines = text.split("\n")
    return "\n".join(line[len(indent):] if line.startswith(indent) else line for line in lines)


def module_context(doc: ParsedDocument, target: StubTarget, used_text: str, budget: int) -> str:  # noqa: C901  (grandfathered: the context's parts in the order the prompt shows them)
    """The module's imports, the enclosing class (for methods) and the top-level definitions
    the function or its tests name, nearest first, within `budget` characters."""
    root = doc.tree.root_node
    parts: list[str] = []
    imports = [doc.slice(n.start_byte, n.end_byte) for n in root.children if n.type in _IMPORTS]
    if imports:
        parts.append("\n".join(imports))
    remaining = budget - sum(len(p) for p in parts)
    names = set(_IDENT.findall(used_text)) - {target.name}
    if target.class_name is not None:
        # The class around the method, with the stub itself elided.
        for n in root.children:
            if n.start_byte <= target.outer_start < n.end_byte:
                before = doc.slice(n.start_byte, target.outer_start)
                after = doc.slice(target.end, n.end_byte)
                text = (before + target.def_indent + "# <the method to implement goes here>"
                        + after).rstrip()
                if len(text) > remaining:
                    text = text[:remaining] + "\n# ... (class truncated)"
                parts.append(text)
                remaining -= len(text)
                names.update(_IDENT.findall(text))
    candidates: list[tuple[int, str]] = []
    for n in root.named_children:
        if n.type in _IMPORTS or n.start_byte <= target.outer_start < n.end_byte:
            continue
        name = _def_name(n)
        if name is None or name not in names:
            continue
        distance = abs(n.start_byte - target.outer_start)
        candidates.append((distance, doc.slice(n.start_byte, n.end_byte)))
    for _, text in sorted(candidates):
        if remaining <= 0:
            break
        if len(text) > remaining:
            first = text.split("\n", 1)[0]
            text = first + "\n    ...  # (body omitted)" if len(first) < remaining else ""
        if text:
            parts.append(text)
            remaining -= len(text)
    return "\n\n\n".join(parts)


def method_owner(doc: ParsedDocument, target: StubTarget) -> tuple[str, str] | None:
    """(the class path the module names, e.g. `Outer.Inner`; the top-level statement holding
    it) for a method whose class is reachable from the module, else None (a function, or a
    class inside a function). Why: probes call `Class.method` on a fresh `Class()`."""
    fn = find_function(doc, target.qualname) if target.class_name is not None else None
    if fn is None:
        return None
    node: Node | None = fn.parent
    top = fn
    while node is not None and node.type != "module":
        if node.type == "function_definition":
            return None
        top, node = node, node.parent
    return target.qualname.rsplit(".", 1)[0], doc.slice(top.start_byte, top.end_byte)


def agreement_obstacle(doc: ParsedDocument, target: StubTarget) -> str | None:
    """Why execution agreement cannot call this stub, or None."""
    if target.class_name is None:
        return None
    owner = method_owner(doc, target)
    if owner is None:
        return f"`{target.qualname}` is a method of a class defined inside a function"
    needs = constructor_needs(owner[1], owner[0])
    if needs:
        return (f"`{owner[0]}()` needs arguments ({', '.join(needs)}), and each generated input "
                f"calls `{target.name}` on a fresh instance made without any")
    return None


def problem_statement(
    target: StubTarget,
    relpath: str,
    context: str,
    tests: DiscoveredTests,
    templates: Templates | None = None,
) -> str:
    """The statement x, rendered from the `workspace_function.j2` template."""
    return workspace_function_statement(
        qualname=target.qualname,
        name=target.name,
        class_name=target.class_name,
        module=module_name(relpath),
        relpath=relpath,
        function=_dedent_block(target.def_indent + target.function_text, target.def_indent),
        context=context,
        tests=tests.sources,
        doctests=bool(tests.doctest),
        templates=templates,
    )


def build_problem(
    doc: ParsedDocument,
    target: StubTarget,
    *,
    root: Path,
    relpath: str,
    tests: DiscoveredTests,
    node_ids: list[str],
    context_budget: int = 6000,
    weak: bool = False,
    templates: Templates | None = None,
    include: list[str] | None = None,
) -> Problem:
    """The Problem for a stub: its public tests are the workspace tests as a `ProjectSuite`
    whose overlay the splicing sandbox fills in per candidate."""
    used = target.function_text + "\n" + "\n".join(tests.sources.values())
    context = module_context(doc, target, used, context_budget)
    statement = problem_statement(target, relpath, context, tests, templates)
    tests_text = "\n\n".join(tests.sources.values()) or tests.doctest
    owner = method_owner(doc, target)
    return Problem(
        id=f"{module_name(relpath)}.{target.qualname}",
        statement=statement,
        language="python",
        mode="function",
        # A method (`method_of`) may come back inside its class, which the splice accepts: the
        # engine checks it has no top-level `def`; agreement calls it on a fresh instance.
        entry_point=target.name if target.class_name is None or owner is not None else None,
        method_of=owner[0] if owner is not None else None,
        signature=target.signature.strip(),
        starter_code=owner[1] if owner is not None else target.function_text,
        public_tests=ProjectSuite(root=root, overlay={}, node_ids=node_ids, include=include or []),
        public_tests_text=tests_text,
        weak_verification=weak,
    )
