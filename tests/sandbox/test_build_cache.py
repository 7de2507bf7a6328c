"""A compiled program is compiled once per sandbox, not once per job (issue 21): stress
testing sends the same C++ solution in batch after batch. Counted from the supervisors'
own reports of running the compiler (`BuildCache.compiles`), on both backends."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from pacore_core.stress import StressConfig, StressRun
from sandbox import make_sandbox
from sandbox.models import Candidate, IOSuite, IOTest
from tests.cli.test_stress import BRUTE, GEN, WRONG_CPP
from tests.conftest import require_docker

RIGHT_CPP = """\
#include <cstdio>
int main() { int n; std::scanf("%d", &n); long best = -1000000, cur = 0;
  for (int i = 0; i < n; i++) { long x; std::scanf("%ld", &x);
    cur = cur + x > x ? cur + x : x; if (cur > best) best = cur; }
  std::printf("%ld\\n", best); }
"""


def _sandbox(kind: str):  # type: ignore[no-untyped-def]
    if kind == "docker":
        require_docker()
        return make_sandbox("docker", parallelism=2)
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed on this host (the local backend compiles with it)")
    return make_sandbox("local", parallelism=2)


@pytest.mark.parametrize("kind", ["docker", "local"])
def test_stress_compiles_the_solution_once_over_every_batch(kind: str) -> None:
    async def go() -> tuple[int, int, int]:
        sandbox = _sandbox(kind)
        try:
            run = StressRun(sandbox, Candidate(language="cpp", code=RIGHT_CPP), Candidate(code=BRUTE),
                            Candidate(code=GEN), StressConfig(count=450))  # fmt: skip
            result = await run.run()
            assert result.status == "passed" and result.inputs_run == 450
            return result.batches, sandbox.builds.compiles, len(sandbox.builds._built)  # type: ignore[attr-defined]
        finally:
            await sandbox.close()

    batches, compiles, kept = asyncio.run(go())
    assert batches == 5  # 25 + 50 + 100 + 200 + 75 inputs: five runs of the solution
    assert compiles == 1 and kept == 1


def test_a_cached_build_still_judges_and_a_compile_error_is_reported_each_time() -> None:
    async def go() -> None:
        sandbox = _sandbox("docker")
        try:
            suite = IOSuite(tests=[IOTest(name="neg", input="2\n-5 -3\n", expected="-3\n")])
            wrong = Candidate(language="cpp", code=WRONG_CPP)
            first, second = [await sandbox.run(wrong, suite) for _ in range(2)]
            assert first.verdict == second.verdict == "failed"  # the prebuilt binary is the same program
            assert second.tests[0].stdout.strip() == "0" or second.tests[0].actual.strip() == "0"  # type: ignore[union-attr]
            broken = Candidate(language="cpp", code="int main() { return x; }\n")
            verdicts = await asyncio.gather(*(sandbox.run(broken, suite) for _ in range(2)))
            assert [v.verdict for v in verdicts] == ["compile_error", "compile_error"]
            assert all("x" in (v.compile_output or "") for v in verdicts)
            assert sandbox.builds.compiles == 3  # type: ignore[attr-defined]  # wrong once, broken twice
        finally:
            await sandbox.close()

    asyncio.run(go())
