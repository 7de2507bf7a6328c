"""Data mode on the host: tests that are calls with expected values become a `CallSuite`
(HumanEval `check` asserts, doctest-style pytest files), and the sandbox's plain-data answers
are compared here, where the candidate cannot reach.

Why reduce instead of asking callers to build call suites: every front end (the CLI, the
editor, the bench) keeps its suites, and whichever of their tests are plain calls are judged
out of the candidate's process. A suite with anything else in it (loops, fixtures, helper
code, non-literal arguments) runs in-process as before, under the guard.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
from functools import lru_cache
from typing import Any, cast

from sandbox.models import CallSuite, CallTest, CheckSuite, PytestSuite, TestResult, TestStatus, TestSuite
from sandbox.runners.answers import NotPlain, decode, encode, shown
from sandbox.runners.trim_text import trim

SHOWN = 1000
RECORDED_CHARS = 200_000  # `record`: the largest answer kept as an oracle's expected value
PROBE_SHOWN = 600  # characters of a probe's rendered answer kept in `actual`


_BINOPS: dict[type, Any] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
}  # fmt: skip
_BUILDERS: dict[str, Any] = {
    "tuple": tuple,
    "list": list,
    "set": set,
    "frozenset": frozenset,
    "sorted": sorted,
}
# what a test may apply to the candidate's result (in the sandbox, before it becomes data)
TRANSFORMS = ("tuple", "list", "set", "frozenset", "sorted")
_MAX_SIZE = 1_000_000


def _value(node: ast.expr) -> Any:
    """A literal, or constant arithmetic and containers of literals (`3 * 19`, `2.0/3.0`,
    `tuple([1, 2])`): what tests write for expected values. Anything else is not data."""
    if isinstance(node, ast.Constant | ast.UnaryOp) or (
        isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict) and not _has_ops(node)
    ):
        return ast.literal_eval(node)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        items = [_value(e) for e in node.elts]
        return {ast.Tuple: tuple, ast.List: list, ast.Set: set}[type(node)](items)
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_value(k): _value(v) for k, v in zip(node.keys, node.values, strict=True) if k is not None}
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Mult) and any(isinstance(v, str | list | tuple) for v in (left, right)):
            count = right if isinstance(right, int) else left
            if not isinstance(count, int) or count > _MAX_SIZE:
                raise ValueError("repetition too large to be test data")
        return _BINOPS[type(node.op)](left, right)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _BUILDERS
            and len(node.args) == 1 and not node.keywords):  # fmt: skip
        return _BUILDERS[node.func.id](_value(node.args[0]))
    raise ValueError(f"not test data: {ast.unparse(node)[:80]}")


def _has_ops(node: ast.expr) -> bool:
    return any(isinstance(n, ast.BinOp | ast.Call | ast.Name) for n in ast.walk(node))


def _literal(node: ast.expr) -> Any:
    value = _value(node)
    encode(value)  # a value plain data cannot carry keeps the suite in-process
    return value


def _text(value: Any) -> str:
    return json.dumps(encode(value))


def _call(node: ast.expr, callee: str) -> tuple[str, str | None, str | None] | None:
    """`callee(<data>)`, or `tuple(callee(<data>))` and the like -> (args, kwargs, transform)
    as plain-data JSON, else None."""
    transform = None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TRANSFORMS
            and len(node.args) == 1 and not node.keywords):  # fmt: skip
        transform, node = node.func.id, node.args[0]
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == callee):
        return None
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        return None
    args = [_literal(a) for a in node.args]
    kwargs = {k.arg: _literal(k.value) for k in node.keywords if k.arg is not None}
    return _text(args), (_text(kwargs) if kwargs else None), transform


def _assertion(test: ast.expr, callee: str) -> dict[str, Any] | None:  # noqa: C901  (one flat dispatch, a branch per shape of assertion)
    """The CallTest fields of one assertion about one call, or None if it is anything else."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        call = _call(test.operand, callee)
        return None if call is None else {"call": call, "compare": "falsy"}
    call = _call(test, callee)
    if call is not None:
        return {"call": call, "compare": "truthy"}
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if isinstance(op, ast.Eq):
            for a, b in ((left, right), (right, left)):
                call = _call(a, callee)
                if call is not None:
                    return {"call": call, "compare": "eq", "expected": _text(_literal(b))}
            return None
        if isinstance(op, ast.Is) and isinstance(right, ast.Constant) and right.value in (True, False, None):
            call = _call(left, callee)
            return None if call is None else {"call": call, "compare": "is", "expected": _text(right.value)}
        if isinstance(op, ast.Lt | ast.LtE):  # abs(candidate(x) - y) < tol
            inner = left.args[0] if isinstance(left, ast.Call) and len(left.args) == 1 else None
            if not (isinstance(left, ast.Call) and isinstance(left.func, ast.Name) and left.func.id == "abs"):
                return None
            if not (isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Sub)):
                return None
            call = _call(inner.left, callee)
            if call is None:
                return None
            tol = _literal(right)
            if not isinstance(tol, int | float):
                return None
            return {"call": call, "compare": "close", "expected": _text(_literal(inner.right)),
                    "tolerance": float(tol), "inclusive": isinstance(op, ast.LtE)}  # fmt: skip
    if isinstance(test, ast.Call) and ast.unparse(test.func) == "math.isclose" and len(test.args) == 2:
        call = _call(test.args[0], callee)
        keys = {k.arg: _literal(k.value) for k in test.keywords}
        if call is None or set(keys) - {"rel_tol", "abs_tol"}:
            return None
        return {"call": call, "compare": "isclose", "expected": _text(_literal(test.args[1])),
                "tolerance": float(keys.get("abs_tol", 0.0)),
                "rel_tol": float(keys.get("rel_tol", 1e-9))}  # fmt: skip
    return None


def _call_test(name: str, node: ast.Assert, callee: str, source: str) -> CallTest | None:
    """One assertion as a call test. Its message (`assert ..., "text" + str(...)`) is only
    shown on failure; the data judge has its own, so the message is not evaluated."""
    fields = _assertion(node.test, callee)
    if fields is None:
        return None
    args, kwargs, transform = fields.pop("call")
    text = ast.get_source_segment(source, node.test)
    return CallTest(name=name, args=args, kwargs=kwargs, transform=transform,
                    source=f"assert {text}" if text else None, **fields)  # fmt: skip


def _harmless(node: ast.stmt) -> bool:
    """Statements of a test file that decide nothing: docstrings, `pass`, constant data."""
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        try:
            ast.literal_eval(node.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return False
        return True
    return False


def _always_true(node: ast.stmt) -> bool:
    return isinstance(node, ast.Assert) and isinstance(node.test, ast.Constant) and bool(node.test.value)


@lru_cache(maxsize=512)
def from_check(test_code: str, entry_point: str) -> CallSuite | None:
    """A HumanEval `check` made only of assertions about single calls with literal arguments
    (`candidate(...) == literal`, `is True`, `abs(candidate(...) - x) < tol`, bare truth) as
    one grouped call suite; None for anything else."""
    try:
        tree = ast.parse(test_code)
        checks = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
        if len(checks) != 1 or "." in entry_point:
            return None
        check = checks[0]
        rest = [n for n in tree.body if n is not check]
        if not all(_harmless(n) or isinstance(n, ast.Import | ast.ImportFrom) for n in rest):
            return None
        if check.decorator_list or len(check.args.args) != 1 or check.args.vararg or check.args.kwarg:
            return None
        callee = check.args.args[0].arg
        calls: list[CallTest] = []
        for node in check.body:
            if (_harmless(node) and not isinstance(node, ast.Assign)) or _always_true(node):
                continue
            if not isinstance(node, ast.Assert):
                return None
            test = _call_test(f"{entry_point}#{len(calls) + 1}", node, callee, test_code)
            if test is None:
                return None
            calls.append(test)
    except (SyntaxError, ValueError, TypeError, NotPlain, MemoryError, RecursionError):
        return None
    return CallSuite(entry_point=entry_point, calls=calls, group=entry_point) if calls else None


@lru_cache(maxsize=512)
def _from_pytest(files: tuple[tuple[str, str], ...]) -> CallSuite | None:  # noqa: C901  (grandfathered: reads a test file's shape in one pass)
    """Test files whose tests each assert one thing about one call of one function imported
    from `solution` (what `doctest_asserts` writes); None for anything else."""
    calls: list[CallTest] = []
    entry: str | None = None
    try:
        for filename, source in files:
            if not filename.endswith(".py") or filename == "conftest.py":
                return None
            tree = ast.parse(source)
            names: set[str] = set()
            for node in tree.body:
                if isinstance(node, ast.ImportFrom) and node.module == "solution" and node.level == 0:
                    names |= {a.asname or a.name for a in node.names if a.name != "*"}
                elif isinstance(node, ast.Import) and all(
                    a.name == "math" and a.asname is None for a in node.names
                ):
                    continue
                elif isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                    if node.decorator_list or node.args.args or node.args.vararg or node.args.kwarg:
                        return None
                    body = [
                        n
                        for n in node.body
                        if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
                    ]
                    if len(body) != 1 or not isinstance(body[0], ast.Assert):
                        return None
                    callee = _callee(body[0].test)
                    if callee is None or callee not in names or entry not in (None, callee):
                        return None
                    entry = callee
                    test = _call_test(f"{filename}::{node.name}", body[0], callee, source)
                    if test is None:
                        return None
                    calls.append(test)
                elif not (isinstance(node, ast.ImportFrom) and node.module == "solution") and not _harmless(
                    node
                ):
                    return None
    except (SyntaxError, ValueError, TypeError, NotPlain, MemoryError, RecursionError):
        return None
    if entry is None or not calls:
        return None
    return CallSuite(entry_point=entry, calls=calls)


def _callee(test: ast.expr) -> str | None:
    """The one function a supported assertion calls."""
    skip = {"abs", *TRANSFORMS, *_BUILDERS}
    for node in ast.walk(test):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id not in skip:
            return node.func.id
    return None


def data_suite(suite: TestSuite) -> CallSuite | None:
    """The call suite `suite` is judged as (itself for a CallSuite), or None: run in-process."""
    if isinstance(suite, CallSuite):
        return suite
    if isinstance(suite, CheckSuite):
        reduced = from_check(suite.test_code, suite.entry_point)
    elif isinstance(suite, PytestSuite):
        reduced = _from_pytest(tuple(sorted(suite.files.items())))
        if reduced is not None and suite.node_ids:
            wanted = set(suite.node_ids)
            if not wanted <= {c.name for c in reduced.calls}:
                return None  # an unknown node id: pytest reports it as it always did
            reduced = reduced.model_copy(update={"calls": [c for c in reduced.calls if c.name in wanted]})
    else:
        return None
    return reduced if reduced is None else reduced.model_copy(update={"probes": suite.probes})


def sandbox_suite(suite: CallSuite) -> dict[str, Any]:
    """What enters the sandbox: the calls' arguments, never their expected values."""
    return {
        "kind": "calls", "entry_point": suite.entry_point, "module": suite.module,
        "group": suite.group, "owner": suite.owner, "typing_names": suite.typing_names,
        "calls": [{"name": c.name, "args": c.args, "kwargs": c.kwargs, "transform": c.transform}
                  for c in suite.calls],
    }  # fmt: skip


def _compare(test: CallTest, actual: Any) -> bool:
    expected = decode(json.loads(test.expected))
    if test.compare == "eq":
        return bool(actual == expected)
    if test.compare == "is":
        return actual is expected
    if test.compare == "truthy":
        return bool(actual)
    if test.compare == "falsy":
        return not actual
    if test.compare == "close":
        gap = abs(actual - expected)
        return bool(gap <= test.tolerance if test.inclusive else gap < test.tolerance)
    if test.compare == "isclose":
        return math.isclose(actual, expected, rel_tol=test.rel_tol, abs_tol=test.tolerance)
    return bool(json.loads(json.dumps(actual)) == expected)  # json: LiveCodeBench's comparison


def _described(test: CallTest) -> str:
    return test.source or f"{test.name}: expected {trim(test.expected, 200)}"


def judge_call(test: CallTest, raw: dict[str, Any] | None) -> TestResult:
    """One call's verdict from what the sandbox reported (None: it produced nothing)."""
    got = raw or {}
    base: dict[str, Any] = {"name": test.name, "duration_s": float(got.get("duration_s") or 0.0),
                            "stdout": trim(got.get("stdout"), 2000),
                            "stderr": trim(got.get("stderr"), 2000)}  # fmt: skip
    if raw is None:
        return TestResult(**base, status="error", message="no result reported for this call")
    status = raw.get("status")
    if status != "ran":
        allowed = TestResult.model_fields["status"].annotation.__args__  # type: ignore[union-attr]
        kept = status if status in allowed and status != "passed" else "error"  # a pass is ours to say
        fields: dict[str, Any] = {k: raw.get(k) for k in ("error_type", "message", "traceback")}
        return TestResult(**base, **fields, status=cast(TestStatus, kept))
    expected_text = trim(repr(decode(json.loads(test.expected))), SHOWN)
    if "not_plain" in raw:
        kind = str(raw["not_plain"])
        message = (f"{_described(test)}: the call returned {kind}, which is not plain data (numbers, "
                   "strings, lists, tuples, dicts, sets, None); answers are compared as data, so it "
                   "is a wrong answer")  # fmt: skip
        return TestResult(**base, status="failed", expected=expected_text, actual=f"<{kind}>",
                          error_type="NotPlainData", message=message)  # fmt: skip
    try:
        actual = decode(raw.get("value"))
    except (ValueError, TypeError, KeyError) as exc:
        return TestResult(**base, status="error", message=f"the sandbox's answer is not plain data: {exc}")
    if test.compare == "record":  # an oracle's brute force: what it returned is the result
        text = json.dumps(raw.get("value"))
        if len(text) > RECORDED_CHARS:
            return TestResult(**base, status="error", error_type="AnswerTooLarge",
                              message=f"the answer has {len(text)} characters as data (at most "
                              f"{RECORDED_CHARS} are kept)")  # fmt: skip
        return TestResult(**base, status="passed", actual=text)
    try:
        ok = _compare(test, actual)
    except Exception as exc:  # as `check` would have raised it
        name = type(exc).__name__
        return TestResult(**base, status="error", error_type=name, actual=trim(repr(actual), SHOWN),
                          message=f"{_described(test)}: {name}: {exc}")  # fmt: skip
    if ok:
        return TestResult(**base, status="passed")
    actual_text = trim(repr(actual), SHOWN)
    message = f"assertion failed: {_described(test)}"
    if test.compare == "eq":  # as pytest shows it
        message += f" (assert {trim(actual_text, 300)} == {trim(expected_text, 300)})"
    return TestResult(**base, status="failed", expected=expected_text, actual=actual_text,
                      error_type="AssertionError", message=message)  # fmt: skip


def judge(suite: CallSuite, raw_results: list[dict[str, Any]]) -> list[TestResult]:
    """Every call judged in order; a grouped suite is one test: its first non-pass, or a pass."""
    by_name = {str(r.get("name")): r for r in raw_results}
    if not suite.group:
        return [judge_call(c, by_name.get(c.name)) for c in suite.calls]
    total = 0.0
    stdout = ""
    for call in suite.calls:
        result = judge_call(call, by_name.get(call.name))
        total += result.duration_s
        stdout += result.stdout
        if result.status != "passed":
            return [
                result.model_copy(
                    update={"name": suite.group, "duration_s": total, "stdout": trim(stdout, 2000)}
                )
            ]
    return [TestResult(name=suite.group, status="passed", duration_s=total, stdout=trim(stdout, 2000))]


def probe_answer(raw: dict[str, Any]) -> dict[str, Any]:
    """A probe result as execution agreement reads it (`actual`: the canonical text, trimmed;
    `message`: a digest of all of it), rendered here from the plain data the sandbox returned:
    the candidate's process never renders or compares a plain answer."""
    if raw.get("status") != "passed" or "answer" not in raw:
        return raw
    try:
        text = shown(raw["answer"])
        if "after" in raw:  # an in-place function: what it did to its arguments (and instance)
            text = f"None; arguments after the call: {shown(raw['after'])}"
            if "instance" in raw:
                text += f"; the instance after the call: {shown(raw['instance'])}"
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        return {**raw, "status": "sandbox_error", "message": f"the probe's answer is not plain data: {exc}"}
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
    return {**raw, "actual": trim(text, PROBE_SHOWN), "message": digest}


def call_suite(
    entry_point: str,
    cases: list[tuple[str, tuple[Any, ...], Any]],
    *,
    compare: str = "eq",
    group: str | None = None,
    tolerance: float = 0.0,
) -> CallSuite:
    """Calls with expected values known as Python values (an oracle's answers, generated
    cases: `(name, args, expected)`) as a data-mode suite: the arguments enter the sandbox,
    the expected values stay on the host. Raises `NotPlain` for a value plain data cannot
    carry (such a case cannot be judged outside the candidate's process)."""
    calls = [CallTest(name=name, args=_text(list(args)), expected=_text(expected),
                      compare=cast(Any, compare), tolerance=tolerance)
             for name, args, expected in cases]  # fmt: skip
    return CallSuite(entry_point=entry_point, calls=calls, group=group)
