"""Run a candidate's code against a problem's public and hidden suites in the sandbox."""

from __future__ import annotations

import asyncio
import json

from pacore_core.agreement.execution import probe_limits
from pacore_core.problem import Problem
from pacore_core.record import SuiteScore, Verification
from sandbox.base import Sandbox
from sandbox.models import (
    TAMPERED,
    CallSuite,
    Candidate,
    Limits,
    ProbeSuite,
    TestResult,
    TestStatus,
    TestSuite,
    Verdict,
    overall_status,
)
from sandbox.runners.answers import decode


async def verify_code(
    sandbox: Sandbox, problem: Problem, code: str, limits: Limits, probes: ProbeSuite | None = None
) -> Verification:
    """Public and hidden suites run concurrently; hidden test names are prefixed `hidden:`.
    `probes` (generated inputs) ride along with the first suite, or run alone when the
    problem has no tests; their results land in `Verification.probes`."""
    suites = problem.suites()
    candidate = Candidate(language=problem.language, code=code)
    if problem.limits is not None:  # the problem's own limits (a Kattis package) replace the configured ones
        limits = problem.limits.apply(limits)
    if not suites:
        out = Verification(verdict="no_tests")
        if probes is not None:
            run = await _run_suite(sandbox, candidate, probes, probe_limits(limits, probes))
            out.probes, out.duration_s = run.tests, run.duration_s  # a build failure: every input
            if any(t.status == TAMPERED for t in out.probes):  # caught on the generated inputs
                out.verdict = TAMPERED
        return out
    if probes is not None:
        suites[0] = (suites[0][0], suites[0][1].model_copy(update={"probes": probes}))
    verdicts = await asyncio.gather(*(_run_suite(sandbox, candidate, suite, limits) for _, suite in suites))
    # the runs' own time (they run side by side), not the wait for a sandbox slot: under load
    # the wait is most of the latency and says nothing about what verifying costs
    out = Verification(duration_s=max(v.duration_s for v in verdicts), probes=verdicts[0].probes)
    results: list[TestResult] = []
    for (visibility, _), v in zip(suites, verdicts, strict=True):
        score = SuiteScore(passed=v.passed, total=v.total)
        if visibility == "public":
            out.public = score
            results.extend(v.tests)
        elif visibility == "oracle":
            out.oracle = score
            results.extend(_oracle_result(t, problem) for t in v.tests)
        else:
            out.hidden = score
            results.extend(t.model_copy(update={"name": f"hidden:{t.name}"}) for t in v.tests)
        out.passed += v.passed
        out.total += v.total
        out.compile_output = out.compile_output or v.compile_output
    out.tests = results
    out.verdict = _combined_verdict(verdicts, results)
    if any(t.status == TAMPERED for t in out.probes):
        out.verdict = TAMPERED
    return out


def _oracle_result(t: TestResult, problem: Problem) -> TestResult:
    """`oracle:` names; a disagreement carries its input (the message shows all three)."""
    update: dict[str, object] = {"name": f"oracle:{t.name}"}
    suite = problem.oracle_tests
    if isinstance(suite, CallSuite):  # a stub's: the call; judging set expected and actual
        call = next((c for c in suite.calls if c.name == t.name), None)
        if t.status != "passed" and call is not None:
            update["input"] = shown_call(suite.entry_point, call.args)
        return t.model_copy(update=update)
    test = next((x for x in suite.tests if x.name == t.name), None) if suite else None
    if t.status != "passed" and test is not None:
        update["input"] = test.input
        if t.status == "failed":
            update["expected"] = test.expected
    return t.model_copy(update=update)


def shown_call(entry_point: str, args_json: str) -> str:
    """An oracle call as the messages show it: `f(1, [2, 3])`."""
    args = decode(json.loads(args_json))
    return f"{entry_point}({', '.join(repr(a) for a in args)})"


async def _run_suite(sandbox: Sandbox, candidate: Candidate, suite: TestSuite, limits: Limits) -> Verdict:
    try:
        return await sandbox.run(candidate, suite, limits)
    except asyncio.CancelledError:
        raise
    except Exception as e:  # the infrastructure failed, not the candidate
        return Verdict(
            verdict="sandbox_error",
            passed=0,
            total=0,
            backend=getattr(sandbox, "name", ""),
            tests=[TestResult(name="sandbox", status="sandbox_error", message=f"{type(e).__name__}: {e}")],
        )


def _combined_verdict(verdicts: list[Verdict], results: list[TestResult]) -> TestStatus:
    """`tampered` in any suite condemns the candidate; else the first suite's failure."""
    if any(v.verdict == TAMPERED for v in verdicts):
        return TAMPERED
    for v in verdicts:
        if v.verdict != "passed":
            return v.verdict
    return overall_status(results)
