"""The loaders package: its public API, and test discovery shared with the language server."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pacore_core.loaders import (
    HIDDEN_MARKER,
    STATEMENT_NAMES,
    ProblemLoadError,
    doctest_asserts,
    find_stub,
    has_doctests,
    load_io_tests,
    load_problem,
    load_python_stub,
    load_statement_file,
    parse_front_matter,
    parse_samples,
    rewrite_imports,
    signature_of,
)
from pacore_core.loaders.discovery import SKIP_DIRS, find_test_files
from pacore_core.project.workspace_tests import discover
from sandbox.models import PytestSuite

TEST_FIB = "from solution import fib\n\ndef test_one():\n    assert fib(1) == 1\n"
STALE = "from solution import fib\n\ndef test_old():\n    assert fib(1) == 0\n"


def test_public_api_works_from_the_package(tmp_path: Path) -> None:
    """Each name the package exports does its job when reached through the package."""
    src = 'def fib(n: int) -> int:\n    """The n-th."""\n    ...\n'
    fn = find_stub(ast.parse(src), src)
    assert fn is not None and fn.name == "fib" and signature_of(fn) == "def fib(n: int) -> int:"
    assert rewrite_imports("from fibs import fib\n", "fibs") == "from solution import fib\n"
    front = parse_front_matter("---\nid: x\nlanguage: cpp\n---\nPrint.\n")
    assert front.values == {"id": "x", "language": "cpp"} and front.body == "Print."
    sample = "Input\n\n```\n1 2\n```\n\nOutput\n\n```\n3\n```\n"
    assert [(t.name, t.input, t.expected) for t in parse_samples(sample)] == [("sample1", "1 2\n", "3\n")]
    (tmp_path / "fib.py").write_text(src)
    (tmp_path / "test_fib.py").write_text(TEST_FIB.replace("from solution", "from fib"))
    for loaded in (load_problem(tmp_path / "fib.py"), load_python_stub(tmp_path / "fib.py")):
        assert loaded.entry_point == "fib" and isinstance(loaded.public_tests, PytestSuite)
    (tmp_path / "sum.md").write_text("Add.\n\n" + sample)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "big.in").write_text("5 6\n")
    (tmp_path / "tests" / "big.out").write_text("11\n")
    public, hidden = load_io_tests(tmp_path / "tests")
    assert [t.name for t in public] == ["big"] and hidden == []
    io = load_statement_file(tmp_path / "sum.md")
    assert io.public_tests is not None and [t.name for t in io.public_tests.tests] == ["sample1"]
    assert issubclass(ProblemLoadError, ValueError)
    assert HIDDEN_MARKER == "# pacore: hidden" and STATEMENT_NAMES[0] == "problem.md"


def test_problem_directory_ignores_test_copies_in_skipped_directories(tmp_path: Path) -> None:
    # a notebook checkpoint and a build directory hold stale copies named like tests
    d = tmp_path / "fib"
    (d / "tests" / ".ipynb_checkpoints").mkdir(parents=True)
    (d / "tests" / "build").mkdir()
    (d / "problem.md").write_text("Compute Fibonacci numbers.\n")
    (d / "tests" / "test_fib.py").write_text(TEST_FIB)
    (d / "tests" / ".ipynb_checkpoints" / "test_fib-checkpoint.py").write_text(STALE)
    (d / "tests" / "build" / "test_fib.py").write_text(STALE)
    p = load_problem(d)
    assert isinstance(p.public_tests, PytestSuite)
    assert list(p.public_tests.files) == ["test_fib.py"]
    assert "fib(1) == 0" not in p.statement


def test_io_tests_in_skipped_directories_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "tests" / "__pycache__").mkdir(parents=True)
    (tmp_path / "tests" / "a.in").write_text("1\n")
    (tmp_path / "tests" / "a.out").write_text("1\n")
    (tmp_path / "tests" / ".old").mkdir()
    (tmp_path / "tests" / ".old" / "b.in").write_text("2\n")  # no .out: would be an error
    public, hidden = load_io_tests(tmp_path / "tests")
    assert [t.name for t in public] == ["a"] and hidden == []


def test_cli_and_language_server_find_the_same_test_files(tmp_path: Path) -> None:
    (tmp_path / "mathx.py").write_text("def fib(n):\n    ...\n")
    for rel in ["tests/test_mathx.py", "tests/mathx_test.py", "tests/hidden/test_more.py",
                "tests/.ipynb_checkpoints/test_mathx-checkpoint.py", "venv/lib/test_mathx.py",
                "node_modules/x/test_mathx.py", "build/test_mathx.py", "tests/helper.py"]:
        f = tmp_path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("from mathx import fib\n\ndef test_fib():\n    assert fib(1) == 1\n")
    cli = [p.relative_to(tmp_path).as_posix() for p in find_test_files(tmp_path)]
    assert cli == ["tests/hidden/test_more.py", "tests/mathx_test.py", "tests/test_mathx.py"]
    found = discover(tmp_path, "mathx.py", "fib")
    assert sorted(n.split("::")[0] for n in found.node_ids) == cli
    assert {"venv", "node_modules", "build", "__pycache__"} <= SKIP_DIRS


MALFORMED = 'Add numbers.\n\n    >>> add(1, 2)\n  3\n'  # the output is less indented than >>>


def test_malformed_docstring_examples_are_not_doctests_anywhere(tmp_path: Path) -> None:
    # doctest itself refuses this docstring, so running it could never pass
    assert not has_doctests(MALFORMED)
    assert doctest_asserts(MALFORMED, "add") is None
    (tmp_path / "m.py").write_text("def add(a, b):\n    ...\n")
    assert discover(tmp_path, "m.py", "add", docstring=MALFORMED).doctest is None
    good = "Add.\n\n>>> add(1, 2)\n3\n"
    assert has_doctests(good) and discover(tmp_path, "m.py", "add", docstring=good).doctest == good


def test_informal_examples_survive_a_malformed_doctest() -> None:
    doc = MALFORMED + "add(2, 2) ==> 4\n"
    code = doctest_asserts(doc, "add")
    assert code is not None and "assert (add(2, 2)) == 4" in code


def test_a_stub_file_without_a_stub_names_the_definition(tmp_path: Path) -> None:
    (tmp_path / "done.py").write_text("def f(x):\n    # TODO: faster\n    return x\n")
    with pytest.raises(ProblemLoadError, match=r"no function stub found .*only a docstring"):
        load_problem(tmp_path / "done.py")
