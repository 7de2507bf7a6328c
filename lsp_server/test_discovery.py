"""Find the tests that judge a function: doctests, workspace pytest tests, configured paths."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".pacore", ".tox",
              ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist", "site-packages"}
_MAX_FILES = 2000
_MAX_FILE_BYTES = 1_000_000


@dataclass
class DiscoveredTests:
    node_ids: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # relpath -> excerpt shown to the model
    doctest: str | None = None  # the doctest examples in the docstring, if any
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


_DOCTEST = re.compile(r"^\s*>>> ", re.M)


def doctest_text(docstring: str | None) -> str | None:
    if docstring and _DOCTEST.search(docstring):
        return docstring
    return None


def _test_files(root: Path) -> Iterator[Path]:
    count = 0
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            entries = sorted(d.iterdir())
        except OSError:
            continue
        for p in entries:
            if p.is_dir():
                if p.name not in _SKIP_DIRS and not p.name.startswith("."):
                    stack.append(p)
            elif p.suffix == ".py" and (p.name.startswith("test_") or p.stem.endswith("_test")):
                count += 1
                if count > _MAX_FILES:
                    return
                yield p


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


def discover(
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
    for path in _test_files(root):
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


def doctest_runner_source(module: str, qualname: str) -> str:
    """A pytest file that runs the doctests of one function from the (overlaid) module."""
    return f'''"""Generated by PaCoRe: runs the doctests of {qualname}."""
import doctest
import importlib
import os
import sys

_ROOT = os.path.dirname(os.path.abspath(__file__))
for _p in (_ROOT, os.path.join(_ROOT, "src")):
    if _p not in sys.path:
        sys.path.insert(0, _p)


def test_doctests():
    obj = importlib.import_module({module!r})
    for part in {qualname!r}.split("."):
        obj = getattr(obj, part)
    tests = doctest.DocTestFinder(recurse=False).find(obj, {qualname!r})
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for t in tests:
        runner.run(t)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0, "no doctest examples were run"
    assert result.failed == 0, f"{{result.failed}} of {{result.attempted}} doctest examples failed"
'''
