"""Run one candidate on every generated input in one sandbox run and read its behaviour.

Why one run: the probe runner imports the candidate once and calls it on each input (or
starts it once per stdin input inside the same container), so the cost per candidate is
one container round trip, made concurrently with the candidate's test suites.
"""

from __future__ import annotations

import asyncio

from pacore_core.agreement.models import Behaviour, Outcome, ProbeInput
from pacore_core.problem import Problem
from sandbox.base import Sandbox
from sandbox.models import Candidate, Limits, ProbeCall, ProbeSuite, TestResult


def probe_suite(problem: Problem, inputs: list[ProbeInput], per_call_s: float) -> ProbeSuite:
    calls = [ProbeCall(name=p.name, args=p.args, input=p.stdin) for p in inputs]
    if problem.mode == "io":
        return ProbeSuite(mode="io", inputs=calls, per_call_s=per_call_s)
    return ProbeSuite(mode="function", entry_point=problem.entry_point, inputs=calls, per_call_s=per_call_s)


async def run_probes(
    sandbox: Sandbox, problem: Problem, code: str, inputs: list[ProbeInput], limits: Limits, per_call_s: float
) -> Behaviour | None:
    """The candidate's behaviour, or None if the sandbox itself failed (not the candidate)."""
    if not inputs:
        return Behaviour()
    suite = probe_suite(problem, inputs, per_call_s)
    probe_limits = limits.model_copy(update={"timeout_s": min(limits.timeout_s, per_call_s)})
    try:
        verdict = await sandbox.run(Candidate(language=problem.language, code=code), suite, probe_limits)
    except asyncio.CancelledError:
        raise
    except Exception:  # the infrastructure failed: no evidence either way
        return None
    if verdict.verdict == "sandbox_error" and all(t.status == "sandbox_error" for t in verdict.tests):
        return None
    if verdict.verdict == "compile_error":
        return Behaviour(
            outcomes={p.name: Outcome(kind="crash", text="compile error") for p in inputs},
            duration_s=verdict.duration_s,
        )
    return Behaviour(outcomes={t.name: outcome(t) for t in verdict.tests}, duration_s=verdict.duration_s)


def outcome(t: TestResult) -> Outcome:
    if t.status == "passed":  # the call returned (or the program exited 0): `actual` is its output
        return Outcome(kind="value", text=t.actual or "", digest=t.message or "")
    if t.status == "timeout":
        return Outcome(kind="timeout")
    if t.status == "error" and t.error_type:
        return Outcome(kind="error", text=t.error_type)
    return Outcome(kind="crash", text=t.status if t.status != "error" else (t.message or "error")[:80])
