"""HumanEval in Docker, under runc and gVisor (runsc): all 164 canonical solutions pass;
behaviour-changing mutants fail."""

from __future__ import annotations

import asyncio

import pytest

from sandbox import Limits, Sandbox, Verdict
from tests.sandbox.humaneval_data import (
    canonical,
    problems,
    swapped_comparison_mutant,
    wrong_result_mutant,
)

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.docker]
LIMITS = Limits(timeout_s=10.0)


async def _run_all(sandbox: Sandbox, jobs: list) -> list[Verdict]:
    return list(await asyncio.gather(*(sandbox.run(c, s, LIMITS) for c, s in jobs)))


async def test_all_canonical_solutions_pass(runtime_sandbox: Sandbox) -> None:
    probs = problems()
    assert len(probs) == 164
    verdicts = await _run_all(runtime_sandbox, [canonical(p) for p in probs])
    failing = {
        p["task_id"]: (v.verdict, v.tests[0].message if v.tests else None)
        for p, v in zip(probs, verdicts, strict=True)
        if v.verdict != "passed"
    }
    assert failing == {}
    assert all(v.passed == v.total == 1 for v in verdicts)


async def test_wrong_result_mutants_fail(runtime_sandbox: Sandbox) -> None:
    probs = problems()
    verdicts = await _run_all(runtime_sandbox, [wrong_result_mutant(p) for p in probs])
    passing = [p["task_id"] for p, v in zip(probs, verdicts, strict=True) if v.ok]
    assert passing == []
    assert all(v.verdict in ("failed", "error", "timeout") for v in verdicts)
    # an assertion failure names the assertion; `assert f(x) == y` also gets expected/actual
    failed = [v.tests[0] for v in verdicts if v.verdict == "failed"]
    assert len(failed) > 100
    assert all(t.message and t.message.startswith("assertion failed") for t in failed)
    assert sum(t.expected is not None and t.actual is not None for t in failed) > 50


async def test_swapped_comparison_mutants_fail(runtime_sandbox: Sandbox) -> None:
    jobs = [m for p in problems() if (m := swapped_comparison_mutant(p)) is not None]
    assert len(jobs) > 80
    verdicts = await _run_all(runtime_sandbox, jobs)
    assert not any(v.verdict == "sandbox_error" for v in verdicts)
    killed = sum(not v.ok for v in verdicts)
    # a negated comparison can be behaviour-preserving on the tested inputs; nearly all are not
    assert killed >= 0.9 * len(jobs), f"only {killed}/{len(jobs)} mutants failed"
