"""A problem directory: a statement plus `.in`/`.out` tests, or pytest files (and a stub)."""

from __future__ import annotations

import re
from pathlib import Path

from pacore_core.loaders.common import STATEMENT_NAMES, ProblemLoadError, read_text
from pacore_core.loaders.discovery import find_test_files, is_test_file
from pacore_core.loaders.judge_files import find_named, read_program
from pacore_core.loaders.kattis import INTERACTIVE_NOTE, is_package, load_package
from pacore_core.loaders.python_stub import collect_python_tests, load_python_stub
from pacore_core.loaders.statement_file import (
    has_io_tests,
    load_statement_file,
    parse_front_matter,
)
from pacore_core.problem import Problem
from pacore_core.prompting import Templates
from pacore_core.statement import function_from_tests_statement, function_statement
from sandbox import languages
from sandbox.models import IOSuite, Language


def load_directory(
    d: Path, tests: Path | None, language: Language | None, templates: Templates | None = None
) -> Problem:
    """Dispatch on what the directory holds (see `pacore_core.loaders`)."""
    if is_package(d):
        return load_package(d, language, templates)
    statement = next((d / n for n in STATEMENT_NAMES if (d / n).is_file()), None)
    tests_dir = tests if tests is not None else (d / "tests" if (d / "tests").is_dir() else None)
    has_dir = tests_dir is not None and tests_dir.is_dir()
    py_tests = find_test_files(tests_dir) if tests_dir is not None and has_dir else []
    py_tests += sorted(p for p in d.iterdir() if p.name.startswith("test_") and p.is_file()
                       and is_test_file(p)
                       and p not in py_tests)
    stub = d / "solution.py"
    has_io = tests_dir is not None and has_dir and has_io_tests(tests_dir)
    if statement is None and not stub.is_file():
        raise ProblemLoadError(
            f"{d}: no problem statement; expected one of {', '.join(STATEMENT_NAMES)}"
        )
    if has_io or not (py_tests or stub.is_file()):
        if statement is None:
            raise ProblemLoadError(f"{d}: io tests need a statement ({STATEMENT_NAMES[0]})")
        interactive = find_named(d, "interactor") is not None
        problem = load_statement_file(statement, tests=tests_dir, language=language,
                                      problem_id=d.name, templates=templates,
                                      note=INTERACTIVE_NOTE if interactive else None)
        return with_judge_programs(d, problem)
    if language is not None and not languages.get(language).function_probes:
        raise ProblemLoadError(f"{d}: pytest tests judge Python programs; the language must be python")
    description = parse_front_matter(read_text(statement)).body if statement is not None else None
    if stub.is_file():
        problem = _stub_with_tests(stub, py_tests, description, templates)
    else:
        problem = _function_from_tests(d, py_tests, description or "", templates)
    return problem.model_copy(update={"id": d.name})


def with_judge_programs(d: Path, problem: Problem) -> Problem:
    """`checker.<ext>` / `interactor.<ext>` beside the statement (testlib convention) judge
    the stdin/stdout tests instead of comparing them with the expected output."""
    checker, interactor = find_named(d, "checker"), find_named(d, "interactor")
    if checker is None and interactor is None:
        return problem
    update: dict[str, object] = {}
    if checker is not None:
        update["checker"] = read_program(checker, "testlib")
    if interactor is not None:
        update["interactor"] = read_program(interactor, "testlib")
    pairs = (("public_tests", problem.public_tests), ("hidden_tests", problem.hidden_tests))
    suites = {key: suite.model_copy(update=update) if isinstance(suite, IOSuite) else suite
              for key, suite in pairs}  # fmt: skip
    return problem.model_copy(update={**suites, "interactive": interactor is not None})


def _stub_with_tests(
    stub: Path, files: list[Path], description: str | None, templates: Templates | None
) -> Problem:
    base = load_python_stub(stub, tests=None, description=description, templates=templates)
    if not files:
        return base
    found = collect_python_tests(files, stub.parent, "solution")
    public, hidden = found.suites()
    text = "\n\n".join(found.public.values()) or None
    statement = function_statement(read_text(stub).strip(), base.entry_point or "", tests=text,
                                   description=description, templates=templates)
    return base.model_copy(update={
        "statement": statement, "public_tests": public, "hidden_tests": hidden,
        "public_tests_text": text, "weak_verification": False,
    })


_IMPORT_NAME = re.compile(r"^\s*from\s+solution\s+import\s+\(?([A-Za-z_][\w, \t]*)", re.MULTILINE)


def _function_from_tests(
    d: Path, files: list[Path], description: str, templates: Templates | None
) -> Problem:
    found = collect_python_tests(files, d, "solution")
    names: list[str] = []
    for text in [*found.public.values(), *found.hidden.values()]:
        for m in _IMPORT_NAME.finditer(text):
            names += [n.strip() for n in m.group(1).split(",") if n.strip() and n.strip() != "*"]
    if not names:
        raise ProblemLoadError(
            f"{d}: cannot tell which function to write: add a solution.py stub or "
            "'from solution import NAME' in the tests"
        )
    entry = names[0]
    public, hidden = found.suites()
    shown = "\n\n".join(found.public.values()) or None
    statement = function_from_tests_statement(entry, tests=shown, description=description,
                                              templates=templates)
    return Problem(
        id=d.name, statement=statement, language="python", mode="function",
        entry_point=entry, public_tests=public, hidden_tests=hidden, public_tests_text=shown,
    )
