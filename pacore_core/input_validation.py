"""A package's input validators run on its test data before any candidate is judged.

Why: a test whose input breaks the problem's own constraints makes every verdict on it
meaningless (a correct program "fails" it, and that false verdict steers the next rounds),
so invalid data is the problem's error, named by file, never a candidate's fault.

How: in the sandbox, like a checker: each validator is built once and run on every test
input (`prog [args] < NAME.in`, the `kattis_input` convention of
sandbox/runners/judge_programs.py) after a program that prints nothing; exit 42 is valid,
43 invalid, anything else is the validator's own failure.
"""

from __future__ import annotations

from pacore_core.errors import ProblemError
from pacore_core.problem import InputValidators, Problem
from sandbox.base import Sandbox
from sandbox.models import Candidate, IOSuite, IOTest, Limits

NOTHING = Candidate(language="python", code="")  # the "program" whose output nobody reads
FIX = ("fix the test data (or the validator), or pass --no-validate-input to judge "
       "against it anyway")  # fmt: skip


class InvalidTestData(ProblemError):
    """A test input the problem's own input validator rejects, or a validator that fails."""


def _tests(problem: Problem) -> list[IOTest]:
    tests: list[IOTest] = []
    for suite in (problem.public_tests, problem.hidden_tests):
        if isinstance(suite, IOSuite):
            tests.extend(suite.tests)
    return tests


async def validate_inputs(sandbox: Sandbox, problem: Problem, limits: Limits | None = None) -> int:
    """Run every input validator on every test input; the number of checks passed. Raises
    InvalidTestData naming the first file a validator rejects or fails on."""
    spec = problem.input_validators
    tests = _tests(problem)
    if spec is None or not tests:
        return 0
    limits = limits or Limits()
    checked = 0
    for name, program in spec.programs.items():
        suite = IOSuite(tests=[_test(spec, name, t) for t in tests], checker=program)
        verdict = await sandbox.run(NOTHING, suite, limits)
        for result in verdict.tests:
            if result.status == "passed":
                checked += 1
                continue
            where = spec.files.get(result.name, result.name)
            said = _said(result.message or "")
            if result.status == "failed":
                raise InvalidTestData(f"{where}: invalid test data: the input validator {name!r} "
                                      f"rejects it{said}", fix=FIX)  # fmt: skip
            raise InvalidTestData(f"the input validator {name!r} failed on {where} "
                                  f"({result.judge}){said}", fix=FIX)  # fmt: skip
        if len(verdict.tests) < len(tests):
            raise InvalidTestData(f"the input validator {name!r} was not run on every test "
                                  f"({len(verdict.tests)} of {len(tests)}): {verdict.verdict}", fix=FIX)
    return checked


def _test(spec: InputValidators, name: str, test: IOTest) -> IOTest:
    args = spec.args.get(test.name, {}).get(name, [])
    return IOTest(name=test.name, input=test.input, expected="", checker_args=args)


def _said(message: str) -> str:
    """The validator's own words from a checker message ("checker: wrong answer: ...")."""
    for prefix in ("checker: wrong answer", "checker: accepted"):
        if message.startswith(prefix):
            message = message[len(prefix) :].lstrip(": ")
    message = message.strip()
    return f": {message}" if message else ""
