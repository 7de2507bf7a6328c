"""Generated inputs (probes) cost bounded time: after a program has timed out on
`max_timeouts` inputs its other inputs are not run and count as timeouts, so a problem
whose inputs are too big for every candidate costs a few per-call limits per candidate,
not one per input (HumanEval/39 took 40 s per candidate before)."""

from __future__ import annotations

import pytest

from sandbox import Candidate, Limits, Verdict
from sandbox.models import ProbeCall, ProbeSuite
from tests.sandbox.conftest import with_sandbox

pytestmark = pytest.mark.asyncio(loop_scope="module")
SLOW_ABOVE_2 = "def f(x):\n    while x > 2:\n        pass\n    return x * 10\n"
SLOW_ABOVE_2_STDIN = "x = int(input())\nwhile x > 2:\n    pass\nprint(x * 10)\n"
ARGS = [0, 5, 1, 6, 7, 2]


async def _run(backend: str, suite: ProbeSuite, code: str) -> Verdict:
    limits = Limits(timeout_s=suite.per_call_s)
    return await with_sandbox(backend, lambda sb: sb.run(Candidate(code=code), suite, limits))


def _calls(stdin: bool) -> list[ProbeCall]:
    return [ProbeCall(name=f"in{i}", args=None if stdin else f"({a},)", input=f"{a}\n" if stdin else None)
            for i, a in enumerate(ARGS)]  # fmt: skip


@pytest.mark.parametrize("mode", ["function", "io"])
async def test_a_program_too_slow_twice_skips_its_other_inputs(backend: str, mode: str) -> None:
    stdin = mode == "io"
    suite = ProbeSuite(mode=mode, entry_point=None if stdin else "f", inputs=_calls(stdin),
                       per_call_s=0.5, max_timeouts=2)  # fmt: skip
    verdict = await _run(backend, suite, SLOW_ABOVE_2_STDIN if stdin else SLOW_ABOVE_2)
    by_name = {t.name: t for t in verdict.tests}
    assert [by_name[f"in{i}"].status for i in range(6)] == [
        "passed", "timeout", "passed", "timeout", "timeout", "timeout"
    ], verdict.tests  # fmt: skip
    assert by_name["in0"].actual == "0" and by_name["in2"].actual == "10"
    # the first two timeouts were run (and killed); the rest, fast or not, were skipped
    for name in ("in1", "in3"):
        assert "not run" not in (by_name[name].message or "")
    for name in ("in4", "in5"):
        assert by_name[name].message == "not run: 2 calls of this program timed out already"


async def test_a_fast_program_runs_every_input(backend: str) -> None:
    suite = ProbeSuite(mode="function", entry_point="f", inputs=_calls(False), per_call_s=0.5)
    verdict = await _run(backend, suite, "def f(x):\n    return x * 10\n")
    assert [t.actual for t in verdict.tests] == [str(a * 10) for a in ARGS]
