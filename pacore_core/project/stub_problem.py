"""One Python stub as `pacore solve` runs it: in a copy of its project, like the editor, or
as a lone file.

Project mode is chosen when the file lies in a project (`selection.project_root`): tests
are found across the workspace by what they import (or given with `--tests`), else its
doctests run in its module. Only a stub whose own tests sit beside it (`test_roman.py`, or
`--tests`) and import it by its file name (`from roman import ...`), the contest layout,
keeps the lone-file mode, as does every stub outside a project: the program runs as module
`solution`. A method stub (`Rect.area`) is spliced into its module in either mode.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pacore_core.loaders import find_stub, load_problem, load_python_stub
from pacore_core.loaders.advice import TESTS_PLACEHOLDER
from pacore_core.loaders.common import ProblemLoadError, parse_python, read_text
from pacore_core.loaders.discovery import find_test_files
from pacore_core.loaders.doctests import doctest_asserts, doctest_runner_source
from pacore_core.loaders.python_stub import collect_python_tests, lone_test_files
from pacore_core.problem import Problem
from pacore_core.project.context import build_problem
from pacore_core.project.selection import project_root, select_stub
from pacore_core.project.splicing import SplicingSandbox
from pacore_core.project.targeting import ParsedDocument, StubTarget
from pacore_core.project.workspace_tests import DiscoveredTests, discover, module_name
from pacore_core.prompting import Templates
from sandbox.base import Sandbox
from sandbox.models import LONE_MODULE

DOCTEST_FILE = "test_pacore_doctests.py"


@dataclass
class PreparedStub:
    """The problem, and how to view the sandbox so that a candidate runs in its module."""

    problem: Problem
    mode: Literal["project", "file"]
    target: StubTarget
    wrap: Callable[[Sandbox], Sandbox] | None = None
    root: Path | None = None
    notes: list[str] = field(default_factory=list)


def no_tests_error(path: Path, target: StubTarget, looked: str) -> ProblemLoadError:
    """A stub with nothing to judge it: where tests were looked for, then the tests' path
    (`{tests}`, the CLI's `--tests PATH`) and agreement, as `loaders.advice` words it."""
    return ProblemLoadError(
        f"no tests found for `{target.qualname}` in {path.name}: looked {looked}, and for >>> "
        "examples in its docstring;", setting="agreement",
        fix=f"give a test file or a directory of test_*.py files with {{{TESTS_PLACEHOLDER}}}, "
            "or turn on {agreement} to choose among the candidates by their agreement on "
            "generated inputs (no tests at all)")


def doctest_suite(relpath: str, target: StubTarget) -> tuple[str, dict[str, str]] | None:
    """(node id, files) running the stub's docstring examples in its module, if it has any
    and the module can name it (not a function nested in a function)."""
    if not target.docstring or ">>>" not in target.docstring:
        return None
    if "." in target.qualname and target.class_name is None:
        return None
    return (f"{DOCTEST_FILE}::test_doctests",
            {DOCTEST_FILE: doctest_runner_source(module_name(relpath), target.qualname)})


def _imports_bare(test: Path, names: set[str]) -> bool:
    """Whether `test` imports one of `names` as a top-level module: the contest layout (the
    stub's file name, or `solution`, the name a lone file runs under)."""
    try:
        tree = ast.parse(test.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in names and not node.level:
            return True
        if isinstance(node, ast.Import) and any(a.name in names for a in node.names):
            return True
    return False


def test_node_ids(root: Path, rel: str) -> list[str]:
    """Every test of a file as pytest node ids (`FILE::test_x`, `FILE::TestC::test_y`)."""
    tree = parse_python(read_text(root / rel), root / rel)
    out: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            out.append(f"{rel}::{node.name}")
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            out += [f"{rel}::{node.name}::{m.name}" for m in node.body
                    if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
                    and m.name.startswith("test")]
    return out


def prepare_stub(path: Path, selector: str | None, *, tests: Path | None,
                 templates: Templates | None, require_tests: bool, keep_docstring: bool = True,
                 include: list[str] | None = None, context_budget: int = 6000) -> PreparedStub:
    """Find the stub, decide the mode and build its problem. Raises ProblemLoadError."""
    source = read_text(path)
    parse_python(source, path)
    doc = ParsedDocument.parse(source, encoding="utf-8")
    target = select_stub(doc, path, selector)
    root = project_root(path)
    lone = lone_test_files(path, tests)
    if root is not None and not (lone and all(_imports_bare(t, {path.stem, LONE_MODULE}) for t in lone)):
        prepared = _project_mode(path, doc, target, root, tests, templates, require_tests,
                                 keep_docstring, include or [], context_budget)
        if prepared is not None:
            return prepared
    return _file_mode(path, doc, target, tests, templates, require_tests, keep_docstring)


def _project_mode(path: Path, doc: ParsedDocument, target: StubTarget, root: Path,
                  tests: Path | None, templates: Templates | None, require_tests: bool,
                  keep_docstring: bool, include: list[str], context_budget: int
                  ) -> PreparedStub | None:
    """The stub in a copy of its project; None when the tests given lie outside it."""
    relpath = path.resolve().relative_to(root).as_posix()
    paths: list[str] = []
    if tests is not None:
        files = find_test_files(tests) if tests.is_dir() else [tests]
        for f in files:
            try:
                rel = f.resolve().relative_to(root).as_posix()
            except ValueError:
                return None  # tests outside the project: they import the file on its own
            paths += test_node_ids(root, rel)
    found = discover(root, relpath, target.name, docstring=target.docstring, test_paths=paths)
    node_ids, extra, weak = list(found.node_ids), {}, False
    label = f"{len(node_ids)} test(s) from {', '.join(sorted(found.sources)) or 'the project'}"
    if not node_ids:
        doctests = doctest_suite(relpath, target)
        if doctests is not None:  # its docstring's examples, run in its module
            node_ids, extra, weak = [doctests[0]], doctests[1], True
            label = "its doctests only (weaker verification)"
        elif require_tests:
            raise no_tests_error(path, target, f"across {root} for test files importing "
                                 f"{module_name(relpath)}")
        else:
            label = "no tests (agreement only)"
    problem = build_problem(doc, target, root=root, relpath=relpath, tests=found,
                            node_ids=node_ids, context_budget=context_budget, weak=weak,
                            templates=templates, include=include)
    if not node_ids:  # nothing to run: an empty project suite would run every test
        problem = problem.model_copy(update={"public_tests": None})

    def wrap(inner: Sandbox) -> Sandbox:
        return SplicingSandbox(inner, doc=doc, target=target, module_relpath=relpath,
                               keep_docstring=keep_docstring, extra_files=extra)

    note = f"project mode: `{target.qualname}` runs in a copy of {root} with {label}"
    return PreparedStub(problem=problem, mode="project", target=target, wrap=wrap, root=root,
                        notes=[note])


def _file_mode(path: Path, doc: ParsedDocument, target: StubTarget, tests: Path | None,
               templates: Templates | None, require_tests: bool,
               keep_docstring: bool) -> PreparedStub:
    """A lone file: a top-level function as `load_python_stub` reads it; a method spliced into
    the whole module, which runs as `solution`."""
    if target.class_name is None and "." not in target.qualname:
        first = find_stub(parse_python(doc.text, path), doc.text)
        if first is not None and first.name == target.name:  # what the loaders pick anyway
            problem = load_problem(path, tests=tests, templates=templates,
                                   require_tests=require_tests)
            return PreparedStub(problem=problem, mode="file", target=target)
        problem = load_python_stub(path, tests=tests, templates=templates,
                                   function=target.name)
        if require_tests and not problem.has_tests:
            raise no_tests_error(path, target, _where_looked(path, tests))
        return PreparedStub(problem=problem, mode="file", target=target)
    if target.class_name is None:
        raise ProblemLoadError(
            f"{path}: `{target.qualname}` is defined inside a function, which no test can "
            "call on its own; solve it from the editor, or move it to the module's top level")
    found = collect_python_tests(lone_test_files(path, tests),
                                 tests if tests is not None and tests.is_dir() else None,
                                 module_name=path.stem)
    weak = False
    if not found.public and not found.hidden:
        asserts = doctest_asserts(target.docstring or "", target.qualname.split(".")[0])
        if asserts:
            found.public["test_docstring_examples.py"] = asserts
            weak = True
    if require_tests and not found.public and not found.hidden:
        raise no_tests_error(path, target, _where_looked(path, tests))
    shown = DiscoveredTests(sources=dict(found.public))
    problem = build_problem(doc, target, root=path.parent, relpath=path.name, tests=shown,
                            node_ids=[], weak=weak, templates=templates)
    public, hidden = found.suites()
    problem = problem.model_copy(update={"id": f"{path.stem}.{target.qualname}",
                                         "public_tests": public, "hidden_tests": hidden,
                                         "starter_code": doc.text})

    def wrap(inner: Sandbox) -> Sandbox:
        return SplicingSandbox(inner, doc=doc, target=target, module_relpath="solution.py",
                               keep_docstring=keep_docstring, module_as_solution=True)

    return PreparedStub(problem=problem, mode="file", target=target, wrap=wrap)


def _where_looked(path: Path, tests: Path | None) -> str:
    if tests is not None:
        return f"in {tests}"
    d = path.parent
    return (f"for test_{path.stem}.py or {path.stem}_test.py in {d} and {d / 'tests'}"
            + (", and across the project for tests importing it" if project_root(path) else ""))
