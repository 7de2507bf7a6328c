"""Run inside the cluster's namespace: the hostile corpus through the `ray` sandbox backend
and through a plain Docker sandbox, then a sandbox service killed and used again.

Prints one JSON object: per case both verdicts, the nodes that ran candidates, and the
services' process ids before and after the kill. The test asserts on it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from typing import Any

from sandbox import Candidate, CheckSuite, Limits, make_sandbox
from sandbox.models import Verdict
from tests.sandbox.corpus import CASES, CHECK, GOOD, Case
from tests.sandbox.test_hostile import LIMITS, _suite

APPLICABLE = [c for c in CASES if "docker" in c.expect and not c.host_path]


def _candidate(case: Case) -> Candidate:
    return Candidate(language=case.language, code=case.code.replace("{HOST}", "/nonexistent/x"))


def _limits(case: Case) -> Limits:
    # the corpus's limits with more time: both backends share two busy cores here, and a
    # memory bomb must reach its limit before the clock runs out on either
    limits = Limits(**{**LIMITS, "timeout_s": 6.0})  # type: ignore[arg-type]
    if case.output_kb:
        limits.output_kb = case.output_kb
    return limits


def _summary(v: Verdict) -> dict[str, Any]:
    return {"verdict": v.verdict, "tests": sorted((t.name, t.status) for t in v.tests)}


async def main(address: str) -> dict[str, Any]:
    ray_sb: Any = make_sandbox("ray", address=address)
    docker_sb = make_sandbox("docker", parallelism=2)
    try:
        on_ray = await asyncio.gather(*(ray_sb.run(_candidate(c), _suite(c), _limits(c))
                                        for c in APPLICABLE))
        on_docker = await asyncio.gather(*(docker_sb.run(_candidate(c), _suite(c), _limits(c))
                                           for c in APPLICABLE))
        nodes = dict(ray_sb.runs)
        before = await ray_sb.load()
        victim = sorted(before)[0]
        os.kill(before[victim]["pid"], signal.SIGKILL)
        good = CheckSuite(test_code=CHECK, entry_point="f")
        after_kill = await asyncio.gather(*(ray_sb.run(Candidate(code=GOOD), good) for _ in range(6)))
        deadline = time.monotonic() + 60
        after = await ray_sb.load()
        while after[victim]["pid"] in (0, before[victim]["pid"]) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            after = await ray_sb.load()
        return {
            "cases": {c.name: {"expect": sorted(c.expect["docker"]), "ray": _summary(r),
                               "docker": _summary(d)}
                      for c, r, d in zip(APPLICABLE, on_ray, on_docker, strict=True)},
            "nodes": nodes,
            "victim": victim, "pid_before": before[victim]["pid"], "pid_after": after[victim]["pid"],
            "after_kill": [v.verdict for v in after_kill],
        }
    finally:
        await ray_sb.close()
        await docker_sb.close()


if __name__ == "__main__":
    print("@@RESULT " + json.dumps(asyncio.run(main(sys.argv[1]))), flush=True)
