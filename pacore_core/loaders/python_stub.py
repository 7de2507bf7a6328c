"""A Python module with a function stub, plus its pytest tests (or its docstring examples)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from pacore_core.loaders.common import HIDDEN_MARKER, ProblemLoadError, parse_python, read_text
from pacore_core.loaders.discovery import find_test_files
from pacore_core.loaders.doctests import doctest_asserts
from pacore_core.problem import Problem
from pacore_core.prompting import Templates
from pacore_core.statement import function_statement
from pacore_core.stubs import STUB_DEFINITION, is_stub_function
from sandbox.models import PytestSuite


@dataclass
class PythonTests:
    """Test files by name, split into what the model may see and what it may not."""

    public: dict[str, str] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)

    def suites(self) -> tuple[PytestSuite | None, PytestSuite | None]:
        pub = PytestSuite(files=self.public) if self.public else None
        hid = PytestSuite(files=self.hidden) if self.hidden else None
        return pub, hid


def signature_of(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    prefix = "async def" if isinstance(fn, ast.AsyncFunctionDef) else "def"
    ret = f" -> {ast.unparse(fn.returns)}" if fn.returns is not None else ""
    return f"{prefix} {fn.name}({ast.unparse(fn.args)}){ret}:"


def find_stub(module: ast.Module, source: str, name: str | None = None
              ) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The first top-level function (named `name`, if given) whose body is a stub
    (`pacore_core.stubs`)."""
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
            name is None or node.name == name
        ) and is_stub_function(ast.get_source_segment(source, node) or ""):
            return node
    return None


def load_python_stub(
    path: Path,
    *,
    tests: Path | None = None,
    description: str | None = None,
    templates: Templates | None = None,
    function: str | None = None,
) -> Problem:
    """A module with a function stub (the first, or the top-level one named `function`),
    plus its pytest tests (or docstring examples)."""
    source = read_text(path)
    module = parse_python(source, path)
    fn = find_stub(module, source, function)
    if fn is None:
        raise ProblemLoadError(
            f"{path}: no function stub found (a top-level function whose body is "
            f"{STUB_DEFINITION})"
        )
    lines = source.splitlines()
    first = min([fn.lineno, *(d.lineno for d in fn.decorator_list)]) - 1
    last = fn.end_lineno or fn.lineno
    stub = "\n".join(lines[first:last])
    context = "\n".join(lines[:first] + lines[last:]).strip() or None
    found = python_tests_for(path, tests, module_name=path.stem)
    weak = False
    if not found.public and not found.hidden:
        asserts = doctest_asserts(ast.get_docstring(fn) or "", fn.name)
        if asserts:
            found.public["test_docstring_examples.py"] = asserts
            weak = True
    public, hidden = found.suites()
    tests_text = "\n\n".join(found.public.values()) or None
    statement = function_statement(stub, fn.name, context=context, tests=tests_text,
                                   description=description, templates=templates)
    return Problem(
        id=path.stem,
        statement=statement,
        language="python",
        mode="function",
        entry_point=fn.name,
        signature=signature_of(fn),
        starter_code=source,
        public_tests=public,
        hidden_tests=hidden,
        public_tests_text=tests_text,
        weak_verification=weak,
    )


def python_tests_for(stub: Path, tests: Path | None, module_name: str) -> PythonTests:
    """`tests` (a file or a directory of test files), else `test_STEM.py` / `STEM_test.py`
    next to the stub, in `tests/`, or in `tests/hidden/`."""
    files = lone_test_files(stub, tests)
    root = tests if tests is not None and tests.is_dir() else None
    return collect_python_tests(files, root, module_name)


def lone_test_files(stub: Path, tests: Path | None) -> list[Path]:
    """The test files of a stub read as a lone file: `tests`, or its name's test files."""
    if tests is not None:
        files = find_test_files(tests) if tests.is_dir() else [tests]
        if not files:
            raise ProblemLoadError(f"{tests}: no test_*.py files")
        return files
    d = stub.parent
    names = [f"test_{stub.stem}.py", f"{stub.stem}_test.py"]
    files = [p for n in names for p in (d / n, d / "tests" / n) if p.is_file()]
    return files + [p for n in names if (p := d / "tests" / "hidden" / n).is_file()]


def collect_python_tests(files: list[Path], root: Path | None, module_name: str) -> PythonTests:
    """Read, rewrite and sort test files into public and hidden (see `pacore_core.loaders`)."""
    out = PythonTests()
    for f in files:
        text = rewrite_imports(read_text(f), module_name)
        parse_python(text, f)
        hidden = HIDDEN_MARKER in text or "hidden" in _rel_parts(f, root)
        target = out.hidden if hidden else out.public
        name = f.name
        while name in out.public or name in out.hidden:
            name = f"{f.parent.name}_{name}"
        target[name] = text
    return out


def _rel_parts(f: Path, root: Path | None) -> tuple[str, ...]:
    if root is not None:
        try:
            return f.relative_to(root).parts[:-1]
        except ValueError:
            pass
    return (f.parent.name,)


def rewrite_imports(test_source: str, module_name: str) -> str:
    """Tests written against `module_name` import `solution` instead (what the sandbox runs)."""
    if module_name == "solution":
        return test_source
    mod = re.escape(module_name)
    text = re.sub(rf"^(\s*)from\s+{mod}\s+import\b", r"\1from solution import", test_source,
                  flags=re.MULTILINE)
    return re.sub(rf"^(\s*)import\s+{mod}\s*$", rf"\1import solution as {module_name}", text,
                  flags=re.MULTILINE)
