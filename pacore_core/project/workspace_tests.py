"""Find the tests that judge a function: doctests, workspace pytest tests, configured paths.

Which files are tests and which directories are skipped is `pacore_core.loaders.discovery`,
and doctests are `pacore_core.loaders.doctests`: the rules `pacore solve` uses too. This
module adds what only a workspace needs: which tests use the function's module.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from pacore_core.loaders.discovery import is_test_file, walk_files
from pacore_core.loaders.doctests import doctest_runner_source, has_doctests

__all__ = ["DiscoveredTests", "discover", "doctest_runner_source", "doctest_text", "module_name"]

_MAX_FILES = 2000
_MAX_FILE_BYTES = 1_000_000


@dataclass
class DiscoveredTests:
    node_ids: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # relpath -> excerpt shown to the model
    doctest: str | None = None  # the docstring, when doctest finds examples in it
    missing: list[str] = field(default_factory=list)  # configured paths that do not exist

    @property
    def has_workspace_tests(self) -> bool:
        return bool(self.node_ids)


def module_name(relpath: str) -> str:
    """`src/pkg/mod.py` -> `pkg.mod` (a leading `src/` is the usual src layout)."""
    parts = Path(relpath).with_suffix("").parts
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def doctest_text(docstring: str | None) -> str | None:
    """The docstring, when it has examples the doctest runner will run."""
    return docstring if has_doctests(docstring) else None


def _references(node: ast.AST, name: str) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id == name:
            return True
        if isinstance(sub, ast.Attribute) and sub.attr == name:
            return True
    return False


def _mentions_module(tree: ast.Module, mod: str) -> bool:
    last = mod.rsplit(".", 1)[-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and (
            node.module == mod or node.module.endswith("." + last) or node.module == last
            or any(a.name == last for a in node.names)
        ):
            return True
        if isinstance(node, ast.Import) and any(
            a.name == mod or a.name.endswith("." + last) or a.name == last for a in node.names
        ):
            return True
    return False


def _tests_in(tree: ast.Module, name: str) -> list[tuple[str, ast.AST]]:
    """(node id suffix, node) of test functions (and methods of Test classes) using `name`."""
    out: list[tuple[str, ast.AST]] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test") and _references(node, name):
            out.append((node.name, node))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for m in node.body:
                if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef) and m.name.startswith(
                        "test") and _references(m, name):
                    out.append((f"{node.name}::{m.name}", m))
    return out


def discover(  # noqa: C901  (grandfathered: the test-discovery rules in their order of precedence)
    root: Path,
    module_relpath: str,
    function_name: str,
    *,
    docstring: str | None = None,
    test_paths: list[str] | None = None,
    excerpt_chars: int = 4000,
) -> DiscoveredTests:
    """Tests referencing `function_name` in files that import the function's module."""
    found = DiscoveredTests(doctest=doctest_text(docstring))
    mod = module_name(module_relpath)
    budget = excerpt_chars
    for path in walk_files(root, is_test_file, limit=_MAX_FILES):
        rel = path.relative_to(root).as_posix()
        if rel == module_relpath:
            continue
        try:
            if path.stat().st_size > _MAX_FILE_BYTES:
                continue
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if function_name not in source:
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        if not _mentions_module(tree, mod):
            continue
        hits = _tests_in(tree, function_name)
        excerpts = []
        for suffix, node in hits:
            found.node_ids.append(f"{rel}::{suffix}")
            seg = ast.get_source_segment(source, node) or ""
            if budget > 0 and seg:
                excerpts.append(seg[:budget])
                budget -= len(seg)
        if excerpts:
            found.sources[rel] = "\n\n".join(excerpts)
    for item in test_paths or []:
        file_part = item.split("::", 1)[0]
        if not (root / file_part).exists():
            found.missing.append(item)
            continue
        if item not in found.node_ids:
            found.node_ids.append(item)
            if file_part not in found.sources and budget > 0:
                try:
                    text = (root / file_part).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    text = ""
                if text and (root / file_part).is_file():
                    found.sources[file_part] = text[:budget]
                    budget -= len(text)
    return found
