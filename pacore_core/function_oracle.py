"""Oracle tests for a function stub: a brute force with the stub's signature, called on the
inputs execution agreement draws from the signature, its answers kept as plain data.

Why data mode: the brute force's answers become expected values that never enter a
candidate's sandbox; each candidate only returns what it computed, as plain data, and the
host compares (`sandbox.call_suites`). A candidate cannot forge a match. The brute force
is trusted only after it passes the stub's own tests (when there are any); inputs it
raises on or times out on are outside its domain and dropped, with a note.
"""

from __future__ import annotations

import ast
import io
import json
import tokenize
from dataclasses import dataclass, field

from pacore_core.agreement.inputs import AgreementSettings, InputGenerator
from pacore_core.agreement.models import ProbeInput
from pacore_core.errors import PacoreError
from pacore_core.problem import Problem
from pacore_core.record import OracleRecord
from pacore_core.verification import verify_code
from sandbox.base import Sandbox
from sandbox.models import CallSuite, CallTest, Candidate, Limits, TestResult
from sandbox.runners.answers import NotPlain, decode, encode

MAX_INPUTS = 200  # what the typed-input generator draws at most
FLOAT_TOLERANCE = 1e-9  # a float answer matches within this (relative and absolute)


class OracleError(PacoreError):
    """The brute force cannot be used (wrong file, fails a test, raises everywhere)."""


@dataclass
class FunctionOracle:
    """The oracle tests and what was dropped on the way (said in the run's notes)."""

    suite: CallSuite
    record: OracleRecord
    notes: list[str] = field(default_factory=list)


def brute_function(source: str, entry_point: str, where: str = "the brute force") -> str:
    """The brute force's function: one named like the stub, else the file's only function."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise OracleError(f"{where} is not valid Python: line {e.lineno}: {e.msg}") from None
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if entry_point in names:
        return entry_point
    if len(names) == 1:
        return names[0]
    found = ", ".join(names) if names else "no function"
    raise OracleError(f"{where} must define `{entry_point}` (the stub's name) or a single "
                      f"function; it defines {found}")  # fmt: skip


BRUTE_SUFFIX = "_brute"


def module_brute(source: str, entry_point: str) -> str | None:
    """The brute force written beside the stub: a top-level `def <stub>_brute(...)` of the
    same module (its source, decorators included), or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    wanted = entry_point + BRUTE_SUFFIX
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == wanted:
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            lines = source.splitlines(keepends=True)[first - 1:node.end_lineno]
            return "".join(lines)
    return None


def as_stub(source: str, brute: str, entry_point: str) -> str:
    """The brute force under the stub's name, so that it runs where a candidate would (the
    stub's tests, its module): every use of its own name is renamed (it may call itself)."""
    if brute == entry_point:
        return source
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as e:
        raise OracleError(f"the brute force cannot be read: {e}") from None
    renamed = [t._replace(string=entry_point) if t.type == tokenize.NAME and t.string == brute else t
               for t in tokens]  # fmt: skip
    return tokenize.untokenize(renamed)


def _call_args(literal: str) -> str:
    """An input's argument tuple (a Python literal) as the call suite's plain-data JSON."""
    return json.dumps(encode(list(ast.literal_eval(literal))))


def _oracle_test(name: str, args: str, answer: str) -> CallTest:
    value = json.loads(answer)
    if isinstance(value, float) or (isinstance(value, dict) and set(value) == {"float"}):
        return CallTest(name=name, args=args, expected=answer, compare="isclose",
                        rel_tol=FLOAT_TOLERANCE, tolerance=FLOAT_TOLERANCE)  # fmt: skip
    return CallTest(name=name, args=args, expected=answer)


async def function_oracle(  # noqa: C901  (grandfathered: check the brute force, then answer the inputs)
    problem: Problem,
    sandbox: Sandbox,
    brute_source: str,
    *,
    count: int = 50,
    seed: int = 0,
    limits: Limits | None = None,
    inputs: list[ProbeInput] | None = None,
) -> FunctionOracle:
    """The oracle tests for `problem`'s stub. The brute force runs where a candidate would:
    `sandbox` is the stub's view (spliced into its module, in its project), first on the stub's
    tests, then called on `inputs` (default: `count` drawn with `seed`, `draw_inputs`). Raises
    OracleError naming what is wrong."""
    entry = problem.entry_point
    if problem.mode != "function" or entry is None:
        raise OracleError("a Python brute force needs a function stub")
    if problem.method_of is not None:
        raise OracleError(f"`{problem.method_of}.{entry}` is a method: a brute force is supported "
                          "for module-level functions only")  # fmt: skip
    brute = brute_function(brute_source, entry)
    limits = limits or Limits(timeout_s=10.0)
    code = as_stub(brute_source, brute, entry)
    checked = 0
    if problem.has_tests:
        plain = problem.model_copy(update={"oracle_tests": None})
        verdict = await verify_code(sandbox, plain, code, limits)
        if not verdict.ok:
            bad = next((t for t in verdict.tests if t.status != "passed"), None)
            what = verdict.judge
            if bad is not None:
                what = f"{bad.name}: {bad.judge}" + (f" ({bad.message})" if bad.message else "")
            raise OracleError(f"the brute force fails the stub's test {what}; it must pass every "
                              "test of the stub before it is trusted as the oracle")  # fmt: skip
        checked = verdict.total
    if inputs is None:
        inputs, notes = await draw_inputs(problem, count=count, seed=seed)
    else:
        notes = []
    try:
        calls = [CallTest(name=f"input {i}", args=_call_args(p.args or "()"), compare="record")
                 for i, p in enumerate(inputs, start=1)]  # fmt: skip
    except (ValueError, SyntaxError, NotPlain) as e:  # the generator writes literals: a bug of ours
        raise OracleError(f"a generated input is not plain data: {e}") from None
    suite = CallSuite(entry_point=entry, calls=calls)
    run = await sandbox.run(Candidate(language="python", code=code), suite, limits)
    if run.verdict == "tampered":
        raise OracleError("the brute force tampered with the test harness: " + (run.tests[0].message or ""))
    results = {t.name: t for t in run.tests}
    tests: list[CallTest] = []
    dropped: list[str] = []
    for call, given in zip(calls, inputs, strict=True):
        got = results.get(call.name)
        if got is not None and got.status == "passed" and got.actual is not None:
            tests.append(_oracle_test(call.name, call.args, got.actual))
        else:
            dropped.append(f"{given.shown(entry)}: {_why(got)}")
    if not tests:
        first = dropped[0] if dropped else "no result"
        raise OracleError(f"the brute force returned no answer on any of the {len(calls)} generated "
                          f"inputs (first: {first}); fix it, or give `{entry}` type hints that "
                          "describe its valid inputs")  # fmt: skip
    if dropped:
        notes.append(f"oracle: {len(dropped)} of {len(calls)} generated inputs dropped (the brute "
                     f"force gave no answer; first: {dropped[0]})")  # fmt: skip
    record = OracleRecord(brute=brute_source, brute_language="python", brute_function=brute,
                          inputs=len(tests), first_seed=seed, checked_on_samples=checked,
                          notes=notes)  # fmt: skip
    return FunctionOracle(suite=CallSuite(entry_point=entry, calls=tests), record=record, notes=notes)


async def draw_inputs(problem: Problem, *, count: int, seed: int) -> tuple[list[ProbeInput], list[str]]:
    """The inputs an oracle is called on, drawn from the stub's signature (seeded, but drawing
    has a time budget: draw once and share them where answers are compared), and notes."""
    entry = problem.entry_point
    wanted = min(count, MAX_INPUTS)
    notes = [] if wanted == count else [f"{count} oracle inputs asked, {MAX_INPUTS} drawn at most"]
    generator = InputGenerator(AgreementSettings(typed_inputs=wanted, model_inputs=0))
    drawn = await generator.inputs(problem, seed=seed)
    inputs = [p for p in drawn.inputs if p.args is not None]
    if not inputs:
        why = "; ".join(drawn.notes) or "nothing could be drawn"
        raise OracleError(f"no inputs could be generated for `{entry}` ({why}): give its parameters "
                          "type hints (or docstring examples) so that inputs can be drawn")  # fmt: skip
    return inputs, notes


def recorded_inputs(suite: CallSuite) -> list[ProbeInput]:
    """The inputs of recorded oracle tests, so that a replay calls the brute force on exactly
    those (drawing again could give fewer under load)."""
    return [ProbeInput(name=call.name, source="hypothesis", args=repr(tuple(decode(json.loads(call.args)))))
            for call in suite.calls]  # fmt: skip


def _why(result: TestResult | None) -> str:
    if result is None:
        return "no result"
    if result.error_type:
        return f"raised {result.error_type}"
    return result.judge

