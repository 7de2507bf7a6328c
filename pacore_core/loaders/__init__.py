"""Load a `Problem` from what a user has on disk: a Python stub, a statement, a problem dir.

Formats (also documented in examples/README.md):

* **Python stub** (`PROBLEM.py`, `python_stub`): the first top-level function whose body is
  a stub (`pacore_core.stubs`) is the target. Tests come from `tests` (a `test_*.py` file
  or a directory of them), else from `test_STEM.py` / `STEM_test.py` next to the file or in
  `tests/`. Tests may import the module by its own name (`from STEM import f`); they are
  rewritten to import `solution`, the module the sandbox runs. Without test files, the
  docstring's `>>>` examples become asserts (`doctests`; weak verification).
* **Statement** (`.md`, `.txt`, anything not `.py`; `statement_file`): a stdin/stdout task.
  Sample tests are the fenced code blocks labelled by the line just above them: `Input`,
  `Sample Input 1`, `Example 2 output`, ... (an input block pairs with the next output
  block). A `tests` directory adds `NAME.in` + `NAME.out` (or `.ans`) pairs.
* **Directory** (`directory`): `problem.md` (or `problem.txt`, `statement.md`) plus
  `tests/NAME.in` + `tests/NAME.out`, or `test_*.py` files (in the directory or in `tests/`)
  importing `solution`; a `solution.py` stub, when present, names the function.
* **Hidden tests** are executed but never shown to the model: anything under a `hidden/`
  sub-directory of the tests, `.in` files whose name starts with `hidden`, and `test_*.py`
  files containing the line `# pacore: hidden`. Everything else is public.
* **Front matter** (optional, at the top of a statement): `---` / `key: value` lines / `---`
  with `id`, `language` (a registered language, `sandbox.languages`), `comparison`
  (exact|whitespace|float), `float_tolerance`.

Test files are found by the rules of `discovery`, which the language server shares; the
statement shown to the model is rendered from a template (`pacore_core.statement`).
"""

from __future__ import annotations

from pathlib import Path

from pacore_core.loaders.advice import no_tests_error
from pacore_core.loaders.common import (
    HIDDEN_MARKER,
    STATEMENT_NAMES,
    ProblemLoadError,
)
from pacore_core.loaders.directory import load_directory
from pacore_core.loaders.doctests import doctest_asserts, has_doctests
from pacore_core.loaders.python_stub import (
    find_stub,
    load_python_stub,
    rewrite_imports,
    signature_of,
)
from pacore_core.loaders.statement_file import (
    load_io_tests,
    load_statement_file,
    parse_front_matter,
    parse_samples,
)
from pacore_core.problem import Problem
from pacore_core.prompting import Templates
from sandbox import languages
from sandbox.models import Language

__all__ = [
    "HIDDEN_MARKER",
    "STATEMENT_NAMES",
    "ProblemLoadError",
    "doctest_asserts",
    "find_stub",
    "has_doctests",
    "load_io_tests",
    "load_problem",
    "load_python_stub",
    "load_statement_file",
    "parse_front_matter",
    "parse_samples",
    "rewrite_imports",
    "signature_of",
]


def load_problem(
    path: Path,
    *,
    tests: Path | None = None,
    language: Language | None = None,
    templates: Templates | None = None,
    require_tests: bool = True,
) -> Problem:
    """Dispatch on what `path` is. Raises ProblemLoadError with an actionable message.

    `templates` phrase the statement (a user's `template_dir`); default: the bundled ones.
    `require_tests=False` accepts a problem without tests (agreement chooses the answer).
    """
    path = Path(path)
    if not path.exists():
        raise ProblemLoadError(f"problem {path} does not exist")
    if tests is not None and not Path(tests).exists():
        raise ProblemLoadError(f"tests {tests} do not exist")
    if path.is_dir():
        problem = load_directory(path, tests, language, templates)
    elif path.suffix == ".py":
        if language is not None and not languages.get(language).function_probes:
            raise ProblemLoadError(
                f"{path} is a Python stub; language {language} needs a statement "
                "(a .md or .txt task)"
            )
        problem = load_python_stub(path, tests=tests, templates=templates)
    else:
        problem = load_statement_file(path, tests=tests, language=language, templates=templates)
    if require_tests and not problem.has_tests:
        raise no_tests_error(path, problem.entry_point)
    return problem
