"""Doctest restores the tracer it found around each docstring: that is not tampering (a stub's
doctests are how many users test), while a tracer a candidate installs through the debugger
still is."""

from __future__ import annotations

import pytest

from sandbox import Candidate, Limits, PytestSuite, Sandbox

ASYNC = pytest.mark.asyncio(loop_scope="module")
LIMITS = Limits(timeout_s=10.0, memory_mb=512)
SOLUTION = '''def add(a, b):
    """
    >>> add(1, 2)
    3
    """
    return a + b
'''
DOCTESTS = """import doctest
import solution


def test_docstrings():
    failures, tried = doctest.testmod(solution)
    assert (failures, tried) == (0, 1)
"""
DEBUGGER = """import bdb
import sys


def add(a, b):
    class Spy(bdb.Bdb):
        def user_line(self, frame):
            pass

    Spy().set_trace()  # bdb installs a tracer: it would see the harness's frames
    return a + b
"""
CALLS = "from solution import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"


@ASYNC
@pytest.mark.parametrize("kind", ["local", "docker"])
async def test_doctest_runs_are_not_tampering(
    kind: str, local_sandbox: Sandbox, docker_sandbox: Sandbox
) -> None:
    sandbox = local_sandbox if kind == "local" else docker_sandbox
    suite = PytestSuite(files={"test_dt.py": DOCTESTS})
    verdict = await sandbox.run(Candidate(code=SOLUTION), suite, LIMITS)
    assert verdict.verdict == "passed", verdict.model_dump_json(indent=1)
    wrong = SOLUTION.replace("return a + b", "return a - b")
    verdict = await sandbox.run(Candidate(code=wrong), suite, LIMITS)
    assert verdict.verdict == "failed", verdict.model_dump_json(indent=1)


@ASYNC
async def test_a_debugger_tracer_is_still_tampering(local_sandbox: Sandbox) -> None:
    suite = PytestSuite(files={"test_add.py": CALLS})
    verdict = await local_sandbox.run(Candidate(code=DEBUGGER), suite, LIMITS)
    assert verdict.verdict == "tampered", verdict.model_dump_json(indent=1)
    assert "bdb.py" in (verdict.tests[0].message or "")  # refused where the debugger reaches for frames
