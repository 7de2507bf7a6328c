"""A function stub's oracle with the real Docker sandbox: the brute force's answers kept as
data, inputs outside its domain dropped, and candidates judged on the host, so that one
answering an object that claims to equal anything matches nothing."""

from __future__ import annotations

import json

from pacore_core.function_oracle import as_stub, function_oracle, module_brute
from pacore_core.problem import Problem
from pacore_core.verification import verify_code
from sandbox.base import Sandbox
from sandbox.call_suites import judge
from sandbox.models import CallSuite, CallTest, Limits
from sandbox.runners.answers import decode

STATEMENT = "def max_subarray(nums: list[int]) -> int:\n    '''Largest sum of a non-empty run.'''\n"
BRUTE = '''def slow(nums: list[int]) -> int:
    if not nums:
        raise ValueError("empty")
    return max(sum(nums[i:j]) for i in range(len(nums)) for j in range(i + 1, len(nums) + 1))
'''
RIGHT = '''def max_subarray(nums):
    best = cur = nums[0]
    for x in nums[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return best
'''
FORGER = '''class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False


def max_subarray(nums):
    return Anything()
'''


def _problem() -> Problem:
    return Problem(id="maxsub", statement=STATEMENT, entry_point="max_subarray",
                   starter_code=STATEMENT + "    ...\n")  # fmt: skip


async def test_brute_answers_become_data_and_candidates_cannot_forge_them(docker_sandbox: Sandbox) -> None:
    problem = _problem()
    oracle = await function_oracle(problem, docker_sandbox, BRUTE, count=30, seed=3)
    suite = oracle.suite
    assert oracle.record.brute_function == "slow" and oracle.record.checked_on_samples == 0
    # every kept input has the brute force's answer as data; the empty list was dropped
    assert len(suite.calls) == oracle.record.inputs >= 10
    for call in suite.calls:
        (nums,) = decode(json.loads(call.args))
        assert nums and decode(json.loads(call.expected)) == max(
            sum(nums[i:j]) for i in range(len(nums)) for j in range(i + 1, len(nums) + 1))
    assert any("max_subarray([]): raised ValueError" in n for n in oracle.notes)
    judged = problem.model_copy(update={"oracle_tests": suite})
    limits = Limits(timeout_s=10)
    right = await verify_code(docker_sandbox, judged, RIGHT, limits)
    assert right.oracle is not None and right.oracle.passed == right.oracle.total == len(suite.calls)
    forged = await verify_code(docker_sandbox, judged, FORGER, limits)
    assert forged.oracle is not None and forged.oracle.passed == 0 and not forged.ok
    shown = next(t for t in forged.tests if t.name.startswith("oracle:"))
    assert shown.status == "failed" and (shown.input or "").startswith("max_subarray([")


def test_record_comparison_keeps_the_answer_and_helpers() -> None:
    suite = CallSuite(entry_point="f", calls=[CallTest(name="a", args="[1]", compare="record")])
    (result,) = judge(suite, [{"name": "a", "status": "ran", "value": {"tuple": [1, 2.5]}}])
    assert result.status == "passed" and json.loads(result.actual or "") == {"tuple": [1, 2.5]}
    (raised,) = judge(suite, [{"name": "a", "status": "error", "error_type": "ValueError"}])
    assert raised.status == "error"
    # a brute force named otherwise runs under the stub's name, recursion included
    renamed = as_stub("def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)\n", "fact", "f")
    assert "def f(n)" in renamed and "n * f(n - 1)" in renamed and "fact" not in renamed
    module = "def f(x):\n    ...\n\n\n@staticmethod\ndef f_brute(x):\n    return x\n\n\ndef g():\n    pass\n"
    assert module_brute(module, "f") == "@staticmethod\ndef f_brute(x):\n    return x\n"
    assert module_brute(module, "g") is None
