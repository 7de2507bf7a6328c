"""Load a `Problem` from what a user has on disk: a Python stub, a statement, a problem dir.

Formats (also documented in examples/README.md):

* **Python stub** (`PROBLEM.py`): the first top-level function whose body is `...`, `pass`,
  `raise NotImplementedError`, or only a docstring is the target. Tests come from
  `--tests PATH` (a `test_*.py` file or a directory of them), else from `test_STEM.py` /
  `STEM_test.py` next to the file or in `tests/`. Tests may import the module by its own
  name (`from STEM import f`); they are rewritten to import `solution`, the module the
  sandbox runs. Without test files, the docstring's `>>>` examples become asserts
  (weak verification).
* **Statement** (`.md`, `.txt`, anything not `.py`): a stdin/stdout task. Sample tests are
  the fenced code blocks labelled by the line just above them: `Input`, `Sample Input 1`,
  `Example 2 output`, ... (an input block pairs with the next output block). `--tests DIR`
  adds `NAME.in` + `NAME.out` (or `.ans`) pairs.
* **Directory**: `problem.md` (or `problem.txt`, `statement.md`) plus `tests/NAME.in` +
  `tests/NAME.out`, or `test_*.py` files (in the directory or in `tests/`) importing
  `solution`; a `solution.py` stub, when present, names the function.
* **Hidden tests** are executed but never shown to the model: anything under a `hidden/`
  sub-directory of the tests, `.in` files whose name starts with `hidden`, and `test_*.py`
  files containing the line `# pacore: hidden`. Everything else is public.
* **Front matter** (optional, at the top of a statement): `---` / `key: value` lines / `---`
  with `id`, `language` (python|cpp), `comparison` (exact|whitespace|float),
  `float_tolerance`.
"""

from __future__ import annotations

import ast
import doctest
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

from pacore_core.errors import ProblemError
from pacore_core.problem import Problem, io_examples_text
from pacore_core.statement import function_statement, io_statement
from pacore_core.stubs import is_stub_function
from sandbox.models import Comparison, IOSuite, IOTest, Language, PytestSuite

STATEMENT_NAMES = ("problem.md", "problem.txt", "statement.md", "statement.txt")
HIDDEN_MARKER = "# pacore: hidden"
_OUTPUT_SUFFIXES = (".out", ".ans")


class ProblemLoadError(ProblemError):
    """The problem is missing or malformed; the message says what to fix."""


# ---------------------------------------------------------------- entry point


def load_problem(
    path: Path, *, tests: Path | None = None, language: Language | None = None
) -> Problem:
    """Dispatch on what `path` is. Raises ProblemLoadError with an actionable message."""
    path = Path(path)
    if not path.exists():
        raise ProblemLoadError(f"problem {path} does not exist")
    if tests is not None and not Path(tests).exists():
        raise ProblemLoadError(f"tests {tests} do not exist")
    if path.is_dir():
        problem = _load_directory(path, tests, language)
    elif path.suffix == ".py":
        if language == "cpp":
            raise ProblemLoadError(f"{path} is a Python stub; --language cpp needs a statement")
        problem = load_python_stub(path, tests=tests)
    else:
        problem = load_statement_file(path, tests=tests, language=language)
    if not problem.has_tests:
        raise ProblemLoadError(_no_tests_message(path))
    return problem


def _no_tests_message(path: Path) -> str:
    return (
        f"no tests found for {path}: add sample blocks to the statement (a fenced block under "
        "'Sample Input' and one under 'Sample Output'), NAME.in/NAME.out files in a tests/ "
        "directory, or test_*.py files; or pass --tests PATH"
    )


# ---------------------------------------------------------------- Python stubs


@dataclass
class PythonTests:
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


def _parse_python(source: str, path: Path) -> ast.Module:
    try:
        return ast.parse(source, filename=str(path))
    except SyntaxError as e:
        raise ProblemLoadError(f"{path}:{e.lineno}: not valid Python: {e.msg}") from None


def find_stub(module: ast.Module, source: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The first top-level function whose body is a stub (`pacore_core.stubs`)."""
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and is_stub_function(
            ast.get_source_segment(source, node) or ""
        ):
            return node
    return None


def load_python_stub(
    path: Path, *, tests: Path | None = None, description: str | None = None
) -> Problem:
    """A module with a function stub, plus its pytest tests (or docstring examples)."""
    source = _read(path)
    module = _parse_python(source, path)
    fn = find_stub(module, source)
    if fn is None:
        raise ProblemLoadError(
            f"{path}: no function stub found (a top-level function whose body is '...', "
            "'pass', 'raise NotImplementedError' or only a docstring)"
        )
    lines = source.splitlines()
    first = min([fn.lineno, *(d.lineno for d in fn.decorator_list)]) - 1
    last = fn.end_lineno or fn.lineno
    stub = "\n".join(lines[first:last])
    context = "\n".join(lines[:first] + lines[last:]).strip() or None
    found = _python_tests_for(path, tests, module_name=path.stem)
    weak = False
    if not found.public and not found.hidden:
        doc = ast.get_docstring(fn) or ""
        asserts = doctest_asserts(doc, fn.name)
        if asserts:
            found.public["test_docstring_examples.py"] = asserts
            weak = True
    public, hidden = found.suites()
    tests_text = "\n\n".join(found.public.values()) or None
    statement = function_statement(stub, fn.name, context=context, tests=tests_text)
    if description:
        statement = f"{description.strip()}\n\n{statement}"
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


def _python_tests_for(stub: Path, tests: Path | None, module_name: str) -> PythonTests:
    if tests is not None:
        files = _test_files_in(tests) if tests.is_dir() else [tests]
        if not files:
            raise ProblemLoadError(f"{tests}: no test_*.py files")
    else:
        d = stub.parent
        names = [f"test_{stub.stem}.py", f"{stub.stem}_test.py"]
        files = [p for n in names for p in (d / n, d / "tests" / n) if p.is_file()]
        files += [p for n in names if (p := d / "tests" / "hidden" / n).is_file()]
    return _collect_python_tests(files, tests if tests is not None and tests.is_dir() else None,
                                 module_name)


def _test_files_in(d: Path) -> list[Path]:
    return sorted(p for p in d.rglob("*.py") if p.name.startswith("test_") or
                  p.name.endswith("_test.py"))


def _collect_python_tests(files: list[Path], root: Path | None, module_name: str) -> PythonTests:
    out = PythonTests()
    for f in files:
        text = rewrite_imports(_read(f), module_name)
        _parse_python(text, f)
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


def doctest_asserts(docstring: str, entry_point: str) -> str | None:
    """Turn `>>> call` / expected-output pairs into a pytest file; None when none parse.

    Only examples that call `entry_point` and whose expected output is a Python literal
    are kept; floats compare with a relative tolerance.
    """
    try:
        examples = doctest.DocTestParser().get_examples(docstring)
    except ValueError:
        return None
    # a want runs to the next blank line or prompt: prose after it keeps only its first line
    pairs = [(ex.source.strip(), ex.want.strip()) for ex in examples]
    pairs += [(src, want.splitlines()[0]) for src, want in pairs if "\n" in want]
    arrow = re.compile(rf"^\s*({re.escape(entry_point)}\(.*\))\s*"
                       r"(?:==>|=>|==|➞|->|should return|returns?)\s*(.+?)\.?\s*$")
    pairs += [(m.group(1), m.group(2)) for line in docstring.splitlines()
              if (m := arrow.match(line))]
    tests: list[str] = []
    seen: set[str] = set()
    for src, want in pairs:
        if not want or entry_point not in src or "\n" in src or src in seen:
            continue
        try:
            call = ast.parse(src, mode="eval").body
            if not isinstance(call, ast.Call):
                continue
            for arg in [*call.args, *(k.value for k in call.keywords)]:
                ast.literal_eval(arg)
            expected = ast.literal_eval(want)
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
            continue
        seen.add(src)
        i = len(tests) + 1
        if isinstance(expected, float):
            check = f"    assert math.isclose({src}, {want}, rel_tol=1e-6, abs_tol=1e-9)"
        else:
            check = f"    assert ({src}) == {want}"
        tests.append(f"def test_example_{i}():\n{check}\n")
    if not tests:
        return None
    header = f"import math\n\nfrom solution import *  # noqa: F403\nfrom solution import {entry_point}\n"
    return header + "\n\n" + "\n\n".join(tests)


# ---------------------------------------------------------------- statements (stdin/stdout)


@dataclass
class FrontMatter:
    values: dict[str, str]
    body: str


def parse_front_matter(text: str) -> FrontMatter:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return FrontMatter({}, text)
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            values: dict[str, str] = {}
            for line in lines[1:end]:
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                key, sep, value = line.partition(":")
                if not sep:
                    raise ProblemLoadError(f"front matter line {line!r} is not 'key: value'")
                values[key.strip().lower()] = value.strip().strip("'\"")
            return FrontMatter(values, "\n".join(lines[end + 1:]).lstrip("\n"))
    raise ProblemLoadError("front matter starts with '---' but has no closing '---'")


_FENCE_OPEN = re.compile(r"^\s*(```+|~~~+)")
_LABEL = re.compile(
    r"(?:(?:sample|example)s?\s*(?:test\s*)?(?:case\s*)?#?\d*\s*)?(input|output)\s*#?\d*"
)


def _label_kind(line: str) -> str | None:
    norm = re.sub(r"[#*_`>:\-.()\[\]]", " ", line).strip().lower()
    norm = re.sub(r"\s+", " ", norm)
    m = _LABEL.fullmatch(norm)
    return m.group(1) if m else None


def parse_samples(markdown: str) -> list[IOTest]:
    """Fenced blocks labelled Input/Output by the nearest non-blank line above them."""
    lines = markdown.splitlines()
    blocks: list[tuple[str | None, str]] = []
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m.group(1)
        label = None
        for j in range(i - 1, max(-1, i - 4), -1):
            if lines[j].strip():
                label = _label_kind(lines[j])
                break
        content: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            content.append(lines[i])
            i += 1
        i += 1
        blocks.append((label, "\n".join(content) + "\n"))
    samples: list[IOTest] = []
    pending: str | None = None
    for label, text in blocks:
        if label == "input":
            pending = text
        elif label == "output" and pending is not None:
            samples.append(IOTest(name=f"sample{len(samples) + 1}", input=pending, expected=text))
            pending = None
    return samples


def _language(value: str | None, override: Language | None, where: Path) -> Language:
    if override is not None:
        return override
    if value is None:
        return "python"
    value = {"c++": "cpp", "cxx": "cpp", "py": "python", "python3": "python"}.get(value, value)
    if value not in get_args(Language):
        raise ProblemLoadError(f"{where}: unknown language {value!r}; use python or cpp")
    return value  # type: ignore[return-value]


def _comparison(fm: dict[str, str], where: Path) -> tuple[Comparison, float]:
    comp = fm.get("comparison", "whitespace")
    if comp not in get_args(Comparison):
        raise ProblemLoadError(f"{where}: comparison must be exact, whitespace or float")
    try:
        tol = float(fm.get("float_tolerance", "1e-6"))
    except ValueError:
        raise ProblemLoadError(f"{where}: float_tolerance must be a number") from None
    return comp, tol  # type: ignore[return-value]


def load_io_tests(d: Path) -> tuple[list[IOTest], list[IOTest]]:
    """(public, hidden) NAME.in + NAME.out/.ans pairs under `d`, recursively."""
    public: list[IOTest] = []
    hidden: list[IOTest] = []
    for inp in sorted(d.rglob("*.in")):
        out = next((o for s in _OUTPUT_SUFFIXES if (o := inp.with_suffix(s)).is_file()), None)
        if out is None:
            raise ProblemLoadError(f"{inp} has no matching {inp.stem}.out (or .ans) file")
        rel = inp.relative_to(d)
        name = "/".join(rel.with_suffix("").parts)
        test = IOTest(name=name, input=_read(inp), expected=_read(out))
        is_hidden = "hidden" in rel.parts[:-1] or inp.stem.lower().startswith("hidden")
        (hidden if is_hidden else public).append(test)
    return public, hidden


def load_statement_file(
    path: Path,
    *,
    tests: Path | None = None,
    language: Language | None = None,
    problem_id: str | None = None,
) -> Problem:
    """A stdin/stdout task: statement with sample blocks, plus optional test files."""
    fm = parse_front_matter(_read(path))
    if not fm.body.strip():
        raise ProblemLoadError(f"{path}: the statement is empty")
    lang = _language(fm.values.get("language"), language, path)
    comparison, tol = _comparison(fm.values, path)
    samples = parse_samples(fm.body)
    extra_public: list[IOTest] = []
    hidden: list[IOTest] = []
    if tests is not None:
        if not tests.is_dir():
            raise ProblemLoadError(f"{tests}: io tests must be a directory of NAME.in/NAME.out")
        extra_public, hidden = load_io_tests(tests)
    public = samples + extra_public
    extra_text = io_examples_text(IOSuite(tests=extra_public)) if extra_public else None
    statement = io_statement(fm.body, extra_text, language=lang)
    shown = IOSuite(tests=public) if public else None
    return Problem(
        id=fm.values.get("id") or problem_id or path.stem,
        statement=statement,
        language=lang,
        mode="io",
        public_tests=IOSuite(tests=public, comparison=comparison, float_tolerance=tol)
        if public else None,
        hidden_tests=IOSuite(tests=hidden, comparison=comparison, float_tolerance=tol)
        if hidden else None,
        public_tests_text=io_examples_text(shown, limit=len(public)) if shown else None,
    )


# ---------------------------------------------------------------- directories


def _load_directory(d: Path, tests: Path | None, language: Language | None) -> Problem:
    statement = next((d / n for n in STATEMENT_NAMES if (d / n).is_file()), None)
    tests_dir = tests if tests is not None else (d / "tests" if (d / "tests").is_dir() else None)
    py_tests = _test_files_in(tests_dir) if tests_dir is not None and tests_dir.is_dir() else []
    py_tests += sorted(p for p in d.glob("test_*.py") if p not in py_tests)
    stub = d / "solution.py"
    has_io = tests_dir is not None and tests_dir.is_dir() and any(tests_dir.rglob("*.in"))
    if statement is None and not stub.is_file():
        raise ProblemLoadError(
            f"{d}: no problem statement; expected one of {', '.join(STATEMENT_NAMES)}"
        )
    if has_io or not (py_tests or stub.is_file()):
        if statement is None:
            raise ProblemLoadError(f"{d}: io tests need a statement ({STATEMENT_NAMES[0]})")
        return load_statement_file(statement, tests=tests_dir, language=language,
                                   problem_id=d.name)
    if language == "cpp":
        raise ProblemLoadError(f"{d}: pytest tests need --language python")
    description = parse_front_matter(_read(statement)).body if statement is not None else None
    if stub.is_file():
        problem = _stub_with_tests(stub, py_tests, description)
    else:
        problem = _function_from_tests(d, py_tests, description or "")
    return problem.model_copy(update={"id": d.name})


def _stub_with_tests(stub: Path, files: list[Path], description: str | None) -> Problem:
    base = load_python_stub(stub, tests=None, description=description)
    if not files:
        return base
    found = _collect_python_tests(files, stub.parent, "solution")
    public, hidden = found.suites()
    text = "\n\n".join(found.public.values()) or None
    fn_stub = _stub_source(stub)
    statement = function_statement(fn_stub, base.entry_point or "", tests=text)
    if description:
        statement = f"{description.strip()}\n\n{statement}"
    return base.model_copy(update={
        "statement": statement, "public_tests": public, "hidden_tests": hidden,
        "public_tests_text": text, "weak_verification": False,
    })


def _stub_source(path: Path) -> str:
    return _read(path).strip()


_IMPORT_NAME = re.compile(r"^\s*from\s+solution\s+import\s+\(?([A-Za-z_][\w, \t]*)", re.MULTILINE)


def _function_from_tests(d: Path, files: list[Path], description: str) -> Problem:
    found = _collect_python_tests(files, d, "solution")
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
    parts = [description.strip()] if description.strip() else []
    parts.append(f"Write a Python module defining `{entry}`.")
    if shown:
        parts.append(f"Tests it must pass (`solution` is the module holding your code):\n"
                     f"```python\n{shown.strip()}\n```")
    parts.append(f"Answer with one complete ```python code block containing `{entry}` and any "
                 "imports or helpers it needs.")
    return Problem(
        id=d.name, statement="\n\n".join(parts), language="python", mode="function",
        entry_point=entry, public_tests=public, hidden_tests=hidden, public_tests_text=shown,
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProblemLoadError(f"{path} is not UTF-8 text") from None
    except OSError as e:
        raise ProblemLoadError(f"cannot read {path}: {e.strerror}") from None
