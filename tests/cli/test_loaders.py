"""Problem loading: statements, stubs, directories, hidden tests, HumanEval public tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pacore_bench.datasets import humaneval_problems, select
from pacore_core.loaders import ProblemLoadError, load_problem, parse_samples, rewrite_imports
from sandbox.models import CheckSuite, IOSuite, PytestSuite

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_sample_blocks_are_paired_by_their_labels() -> None:
    md = (
        "## Input format\n\nThe first line of input holds n.\n\n```\nnot a sample\n```\n\n"
        "**Sample Input 1**\n```\n1 2\n```\n**Sample Output 1**\n```\n3\n```\n\n"
        "Example 2 input:\n~~~\n5 5\n~~~\nExample 2 output:\n~~~\n10\n~~~\n"
    )
    samples = parse_samples(md)
    assert [(s.input, s.expected) for s in samples] == [("1 2\n", "3\n"), ("5 5\n", "10\n")]


def test_bundled_examples_load() -> None:
    stub = load_problem(EXAMPLES / "stub" / "roman.py")
    assert stub.mode == "function" and stub.entry_point == "to_roman"
    assert isinstance(stub.public_tests, PytestSuite)
    assert "from solution import to_roman" in next(iter(stub.public_tests.files.values()))
    io = load_problem(EXAMPLES / "io_sum")
    assert io.mode == "io" and isinstance(io.public_tests, IOSuite)
    assert isinstance(io.hidden_tests, IOSuite)
    assert [t.name for t in io.public_tests.tests] == ["sample1", "negatives"]
    assert [t.name for t in io.hidden_tests.tests] == ["hidden/big"]
    assert "200000" not in (io.public_tests_text or "")
    cpp = load_problem(EXAMPLES / "cpp" / "max_subarray.md")
    assert (cpp.id, cpp.language, cpp.hidden_tests) == ("max-subarray", "cpp", None)
    assert len(cpp.public_tests.tests) == 2  # type: ignore[union-attr]


def test_hidden_markers_and_function_directories(tmp_path: Path) -> None:
    d = tmp_path / "fib"
    d.mkdir()
    (d / "problem.md").write_text("Compute Fibonacci numbers.\n")
    (d / "test_fib.py").write_text("from solution import fib\n\ndef test_one():\n    assert fib(1) == 1\n")
    (d / "test_more.py").write_text("# pacore: hidden\nfrom solution import fib\n\n"
                                    "def test_ten():\n    assert fib(10) == 55\n")
    p = load_problem(d)
    assert (p.mode, p.entry_point, p.id) == ("function", "fib", "fib")
    assert isinstance(p.public_tests, PytestSuite) and list(p.public_tests.files) == ["test_fib.py"]
    assert isinstance(p.hidden_tests, PytestSuite) and list(p.hidden_tests.files) == ["test_more.py"]
    assert "fib(10)" not in p.statement and "fib(1) == 1" in p.statement
    io = tmp_path / "io"
    (io / "tests").mkdir(parents=True)
    (io / "problem.md").write_text("Echo.\n")
    (io / "tests" / "a.in").write_text("x\n")
    (io / "tests" / "a.ans").write_text("x\n")
    (io / "tests" / "hidden_b.in").write_text("y\n")
    (io / "tests" / "hidden_b.out").write_text("y\n")
    q = load_problem(io, language="cpp")
    assert q.language == "cpp"
    assert [t.name for t in q.public_tests.tests] == ["a"]  # type: ignore[union-attr]
    assert [t.name for t in q.hidden_tests.tests] == ["hidden_b"]  # type: ignore[union-attr]


def test_stub_without_test_files_uses_docstring_examples(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        'def add(a: int, b: int) -> int:\n    """Add.\n\n    >>> add(1, 2)\n    3\n'
        '    add(2, 2) ==> 4\n    """\n    pass\n'
    )
    p = load_problem(tmp_path / "m.py")
    assert p.weak_verification and isinstance(p.public_tests, PytestSuite)
    code = next(iter(p.public_tests.files.values()))
    assert "assert (add(1, 2)) == 3" in code and "assert (add(2, 2)) == 4" in code
    with pytest.raises(ProblemLoadError, match="cpp needs a statement"):
        load_problem(tmp_path / "m.py", language="cpp")


def test_rewrite_imports_targets_the_solution_module() -> None:
    src = "import roman\nfrom roman import to_roman\nimport romanesque\n"
    assert rewrite_imports(src, "roman") == (
        "import solution as roman\nfrom solution import to_roman\nimport romanesque\n")


def test_front_matter_errors(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\nlanguage: cobol\n---\nx\n```\n1\n```\n")
    with pytest.raises(ProblemLoadError, match="unknown language 'cobol'; use one of python, "):
        load_problem(tmp_path / "a.md")
    (tmp_path / "b.md").write_text("---\nlanguage: cpp\n")
    with pytest.raises(ProblemLoadError, match="no closing"):
        load_problem(tmp_path / "b.md")


def test_humaneval_hidden_check_and_public_examples() -> None:
    problems = humaneval_problems()
    assert len(problems) == 164
    assert all(isinstance(p.hidden_tests, CheckSuite) for p in problems)
    with_examples = [p for p in problems if p.public_tests is not None]
    assert len(with_examples) >= 100
    first = select(problems, ids=["HumanEval/0"])[0]
    assert first.public_tests is not None and "has_close_elements" in first.statement
    assert select(problems, limit=3)[-1].id == "HumanEval/2"


def test_a_file_of_nul_bytes_is_named_without_a_line(tmp_path: Path) -> None:
    path = tmp_path / "zeros.py"
    path.write_bytes(b"\x00" * 64)
    with pytest.raises(ProblemLoadError) as err:
        load_problem(path)
    assert str(err.value).startswith(f"{path}: not valid Python"), err.value
    assert "None" not in str(err.value)


def test_long_test_files_are_shortened_in_the_statement(tmp_path: Path) -> None:
    """A test file with a huge literal is shown as its head plus a note; it still runs whole."""
    (tmp_path / "solution.py").write_text("def total(xs: list[int]) -> int:\n    ...\n")
    cases = ",\n".join(f"    ({list(range(i % 50))}, {sum(range(i % 50))})" for i in range(3000))
    text = (f"from solution import total\n\nCASES = [\n{cases},\n]\n\n\n"
            "def test_all():\n    for xs, want in CASES:\n        assert total(xs) == want\n")
    (tmp_path / "test_total.py").write_text(text)
    p = load_problem(tmp_path)
    assert len(text) > 200_000 and len(p.statement) < 12_000, len(p.statement)
    assert re.search(r"\[\.\.\. tests of \d+\.\d KB, first \d+ of 3\d+ lines shown\]", p.statement)
    assert isinstance(p.public_tests, PytestSuite)
    assert p.public_tests.files["test_total.py"] == text
