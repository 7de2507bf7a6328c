"""What to say when a problem has no tests: advice that fits what the user gave.

Why one function per kind: a stub, a statement and a problem directory get their tests in
different ways, and advice about sample blocks means nothing to someone holding a `.py`
stub. Each message says where tests were looked for, then names the two ways on: the
tests' path (`{tests}`, which the CLI renders as `--tests PATH`) and `{agreement}`.
"""

from __future__ import annotations

from pathlib import Path

from pacore_core.loaders.common import ProblemLoadError

TESTS_PLACEHOLDER = "tests"
"""Not a configuration key: the command line's name for the tests' path (`--tests PATH`)."""

_AGREEMENT = ("turn on {agreement} to choose among the candidates by their agreement on "
              "generated inputs (no tests at all)")


def _stub_places(stub: Path) -> str:
    """Where `python_stub.python_tests_for` looks for a stub's tests, in words."""
    d = stub.resolve().parent
    names = f"test_{stub.stem}.py or {stub.stem}_test.py"
    return f"{names} in {d}, {d / 'tests'} or {d / 'tests' / 'hidden'}"


def no_tests_error(path: Path, entry_point: str | None = None) -> ProblemLoadError:
    """The error for a problem without tests, worded for a stub, a statement or a directory."""
    path = Path(path)
    if path.is_dir():
        message = (f"no tests found for {path}: looked for NAME.in/NAME.out files and test_*.py "
                   f"files in {path / 'tests'}, test_*.py files in {path}, and sample blocks in "
                   "its statement;")
        fix = (f"add some there, give a directory of tests with {{{TESTS_PLACEHOLDER}}}, or "
               f"{_AGREEMENT}")
    elif path.suffix == ".py":
        what = f"`{entry_point}` in {path.name}" if entry_point else str(path)
        message = (f"no tests found for {what}: looked for {_stub_places(path)}, and for >>> "
                   "examples in its docstring;")
        fix = (f"give a test file or a directory of test_*.py files with "
               f"{{{TESTS_PLACEHOLDER}}}, or {_AGREEMENT}")
    else:
        message = (f"no tests found for {path}: its statement has no sample blocks (a fenced "
                   "block under 'Sample Input' and one under 'Sample Output');")
        fix = (f"add them, give a directory of NAME.in/NAME.out files with "
               f"{{{TESTS_PLACEHOLDER}}}, or {_AGREEMENT}")
    return ProblemLoadError(message, setting="agreement", fix=fix)
