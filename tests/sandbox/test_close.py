"""Nothing outlives `close()`: a run that arrives after it (a Ray call that was on its way
when the bench driver stopped the services) creates no container, and a sandbox service's
close returns only once its runs are over, because its process is killed right after."""

from __future__ import annotations

import asyncio

import pytest

from sandbox import Candidate, CheckSuite, Limits, make_sandbox
from sandbox.ray_service import SandboxService
from tests.conftest import require_docker
from tests.sandbox.test_behaviour import CHECK, SPIN, _pool_containers

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.docker]
GOOD = Candidate(code="def f(x):\n    return x + 1\n")
SUITE = CheckSuite(test_code=CHECK, entry_point="f")


async def test_runs_after_close_are_refused_and_create_nothing() -> None:
    require_docker()
    limits = Limits(memory_mb=302, timeout_s=5)  # a pool spec of this test's own
    sandbox = make_sandbox("docker", parallelism=2, warm=2)
    assert (await sandbox.run(GOOD, SUITE, limits)).verdict == "passed"
    await sandbox.close()
    assert _pool_containers(302) == []
    late = await sandbox.run(GOOD, SUITE, limits)
    assert late.verdict == "sandbox_error"
    assert "closed" in (late.tests[0].message or ""), late
    await sandbox.prepare(limits)  # warming a closed sandbox is a no-op, not a new pool
    await asyncio.sleep(2)  # a creation started by either would have landed by now
    assert _pool_containers(302) == []


async def test_service_close_ends_its_runs_and_refuses_late_ones() -> None:
    require_docker()
    limits = Limits(memory_mb=303, timeout_s=60)
    service = SandboxService("docker", 2, {"warm": 1})
    running = asyncio.create_task(service.run(Candidate(code=SPIN), SUITE, limits))
    for _ in range(150):  # until the candidate holds its container
        await asyncio.sleep(0.1)
        if service.load()["running"] and _pool_containers(303):
            break
    closing = asyncio.create_task(service.close())
    await asyncio.sleep(0)  # close has begun
    late = await service.run(Candidate(code=SPIN), SUITE, limits)
    where = await closing
    # what close() leaves is what a killed actor would leak: nothing
    assert _pool_containers(303) == []
    assert late.verdict == "sandbox_error" and "stopped" in (late.tests[0].message or ""), late
    assert running.cancelled()
    assert where[0] and where[1] > 0  # where the caller waits for the killed process to end
