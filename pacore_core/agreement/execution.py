"""A candidate's behaviour on the generated inputs, read from the run of its tests.

Why in the same run: the inputs ride along with the candidate's tests (`probes` on its
suite), so the supervisor imports (or builds) the candidate once and the cost per candidate
stays one container round trip, whatever the number of inputs. Without tests the inputs
are the whole run.
"""

from __future__ import annotations

from pacore_core.agreement.models import Behaviour, Outcome, ProbeInput
from pacore_core.problem import Problem
from sandbox.models import Limits, ProbeCall, ProbeSuite, TestResult, VerdictKind


def probe_suite(
    problem: Problem, inputs: list[ProbeInput], per_call_s: float, max_timeouts: int = 2
) -> ProbeSuite:
    calls = [ProbeCall(name=p.name, args=p.args, input=p.stdin) for p in inputs]
    suite = ProbeSuite(mode="io", inputs=calls, per_call_s=per_call_s, max_timeouts=max_timeouts)
    if problem.mode == "io":
        return suite
    # `Class.method`: called on a fresh `Class()` per input
    return suite.model_copy(update={"mode": "function", "entry_point": problem.probe_entry_point})


def probe_limits(limits: Limits, suite: ProbeSuite) -> Limits:
    """Limits of a run made of probes alone: each call gets `per_call_s` at most."""
    return limits.model_copy(update={"timeout_s": min(limits.timeout_s, suite.per_call_s)})


def behaviour(results: list[TestResult], inputs: list[ProbeInput], *,
              verdict: VerdictKind) -> Behaviour | None:
    """The candidate's behaviour, or None when the run gave no evidence either way (the
    sandbox failed, or the run was cut short before the probes)."""
    if verdict == "compile_error":
        return Behaviour(outcomes={p.name: Outcome(kind="crash", text="compile error") for p in inputs})
    if not results or all(t.status == "sandbox_error" for t in results):
        return None
    return Behaviour(
        outcomes={t.name: outcome(t) for t in results},
        duration_s=sum(t.duration_s for t in results),
    )


def outcome(t: TestResult) -> Outcome:
    if t.status == "passed":  # the call returned (or the program exited 0): `actual` is its output
        return Outcome(kind="value", text=t.actual or "", digest=t.message or "")
    if t.status == "timeout":
        return Outcome(kind="timeout")
    if t.status == "error" and t.error_type:
        return Outcome(kind="error", text=t.error_type)
    return Outcome(kind="crash", text=t.status if t.status != "error" else (t.message or "error")[:80])
