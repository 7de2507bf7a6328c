"""A program's own forks still repair threading's state: the supervisor leaves threading's and
logging's at-fork handlers to each test process (runners/fork_handlers.py), which registers
them before the program runs. Without that, a process forked while another thread runs would
still count that thread as alive (and a normal exit would wait for it forever)."""

from __future__ import annotations

import pytest

from sandbox import Candidate, CheckSuite, Limits, Sandbox

ASYNC = pytest.mark.asyncio(loop_scope="module")
LIMITS = Limits(timeout_s=10.0, memory_mb=512)
FORKS_BESIDE_A_THREAD = """import os
import threading


def f(x):
    stop = threading.Event()
    waiter = threading.Thread(target=stop.wait)
    waiter.start()  # running while the program forks
    pid = os.fork()
    if pid == 0:  # only the forking thread exists here, if threading was told of the fork
        os._exit(0 if threading.active_count() == 1 else 3)
    _, status = os.waitpid(pid, 0)
    stop.set()
    waiter.join()
    return x + 1 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else -1
"""
CHECK = "def check(candidate):\n    assert candidate(1) == 2\n"


@ASYNC
@pytest.mark.parametrize("kind", ["local", "docker"])
@pytest.mark.parametrize("inert", ["", "\ncheck = check\n"], ids=["data", "in_process"])
async def test_a_programs_fork_repairs_threading(
    kind: str, inert: str, local_sandbox: Sandbox, docker_sandbox: Sandbox
) -> None:
    sandbox = local_sandbox if kind == "local" else docker_sandbox
    suite = CheckSuite(test_code=CHECK + inert, entry_point="f")
    verdict = await sandbox.run(Candidate(code=FORKS_BESIDE_A_THREAD), suite, LIMITS)
    assert verdict.verdict == "passed", verdict.model_dump_json(indent=1)
