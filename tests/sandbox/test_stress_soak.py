"""Stress testing is the heaviest sandbox user: 10,000 inputs (30,000 program runs) in one
session leave containers, open files and memory where they started."""

from __future__ import annotations

import asyncio
import os
import resource
from pathlib import Path

import pytest

from pacore_core.stress import StressConfig, StressRun
from sandbox import make_sandbox
from sandbox.models import Candidate
from tests.conftest import require_docker
from tests.sandbox.conftest import our_containers

GEN = r"""#include <cstdio>
#include <cstdlib>
int main(int argc, char** argv) { unsigned s = std::atoi(argv[1]) * 2654435761u;
  int n = 1 + s % 5; std::printf("%d\n", n);
  for (int i = 0; i < n; i++) { s = s * 1103515245u + 12345u; std::printf("%d ", (int)(s >> 16) % 11 - 5); }
  std::printf("\n"); }
"""
BRUTE = r"""#include <cstdio>
int main() { int n; std::scanf("%d", &n); int a[8]; for (int i = 0; i < n; i++) std::scanf("%d", &a[i]);
  long best = a[0]; for (int i = 0; i < n; i++) { long s = 0; for (int j = i; j < n; j++) { s += a[j];
  if (s > best) best = s; } } std::printf("%ld\n", best); }
"""
SOLUTION = r"""#include <cstdio>
int main() { int n; std::scanf("%d", &n); long best = -1000, cur = 0;
  for (int i = 0; i < n; i++) { long x; std::scanf("%ld", &x); cur = cur + x > x ? cur + x : x;
  if (cur > best) best = cur; } std::printf("%ld\n", best); }
"""


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def _session(count: int) -> int:
    sandbox = make_sandbox("docker", parallelism=2)
    try:
        solution, brute, gen = (Candidate(language="cpp", code=c) for c in (SOLUTION, BRUTE, GEN))
        run = StressRun(sandbox, solution, brute, gen, StressConfig(count=count))
        result = await run.run()
        assert result.status == "passed", result.counterexample
        return result.inputs_run
    finally:
        await sandbox.close()


@pytest.mark.timeout(1800)  # ~30,000 program runs: minutes on a busy machine
def test_ten_thousand_inputs_leave_nothing_behind() -> None:
    require_docker()
    assert asyncio.run(_session(50)) == 50  # warm-up: imports, image, docker client caches
    containers, files, rss = set(our_containers()), _open_files(), _rss_mb()
    assert asyncio.run(_session(10_000)) == 10_000
    assert set(our_containers()) == containers == set()
    assert _open_files() <= files  # none of its own left open (earlier tests' may close meanwhile)
    grown = _rss_mb() - rss
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    assert grown < 64, f"memory grew by {grown:.1f} MB over 10,000 inputs (peak RSS {peak} MB)"
