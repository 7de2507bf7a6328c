"""Execution agreement on a METHOD stub: the inputs are the method's arguments (no `self`),
each call is made on a fresh `Class()` in the sandbox, and a class whose constructor needs
arguments skips agreement with a note instead of running inputs that all crash.
Scripted model server, real Docker sandbox."""

from __future__ import annotations

import pytest

from pacore_core.agreement.regression import regression_tests
from pacore_core.agreement.session import candidate_key
from pacore_core.config import RunConfig
from pacore_core.problem import Problem
from pacore_core.statement import function_statement
from sandbox.models import Candidate, ProbeCall, ProbeSuite, PytestSuite
from tests.core.test_agreement import INPUTS_MARKER, program, solve, with_inputs
from tests.support import ScriptedServer, by_round
from tests.support.scripted_server import last_user_text

pytestmark = pytest.mark.docker

CLASS_STUB = '''class Ranking:
    def sort_desc(self, xs: list[int]) -> list[int]:
        """Return the items of xs from largest to smallest, keeping duplicates.

        >>> Ranking().sort_desc([3, 1, 2])
        [3, 2, 1]
        """
        ...
'''
EXAMPLE_TEST = (
    "from solution import Ranking\n\n\ndef test_example():\n"
    "    assert Ranking().sort_desc([3, 1, 2]) == [3, 2, 1]\n"
)


def method_problem(stub: str, entry_point: str, method_of: str, tests: str) -> Problem:
    return Problem(
        id=f"{method_of}.{entry_point}",
        statement=function_statement(stub, f"{method_of}.{entry_point}", tests=tests),
        entry_point=entry_point,
        method_of=method_of,
        starter_code=stub,
        public_tests=PytestSuite(files={"test_examples.py": tests}),
        public_tests_text=tests,
        weak_verification=True,
    )


def klass(body: str, head: str = "class Ranking:") -> str:
    return program(head + "\n" + "\n".join("    " + ln if ln else ln for ln in body.strip().split("\n")))


CORRECT = [
    klass("def sort_desc(self, xs):\n    return sorted(xs, reverse=True)"),
    klass("def __init__(self, reverse=True):\n    self.reverse = reverse\n\n"
          "def sort_desc(self, xs):\n    return sorted(xs)[::-1] if self.reverse else sorted(xs)"),
    klass("@staticmethod\ndef sort_desc(xs):\n    ys = list(xs)\n    ys.sort(reverse=True)\n    return ys"),
    klass("@classmethod\ndef sort_desc(cls, xs):\n    return list(reversed(sorted(xs)))"),
    klass("def __init__(self):\n    self.out = []\n\ndef sort_desc(self, xs):\n    for x in xs:\n"
          "        i = 0\n        while i < len(self.out) and self.out[i] >= x:\n            i += 1\n"
          "        self.out.insert(i, x)\n    return self.out"),
]  # fmt: skip
# each passes the docstring example and is wrong elsewhere
NO_DUPLICATES = klass("def sort_desc(self, xs):\n    return sorted(set(xs), reverse=True)")
BY_MAGNITUDE = klass("def sort_desc(self, xs):\n    return sorted(xs, key=abs, reverse=True)")
FIRST_KEPT = klass("def sort_desc(self, xs):\n    return xs[:1] + sorted(xs[1:], reverse=True)")
ROUND_ONE = [CORRECT[0], NO_DUPLICATES, CORRECT[1], CORRECT[2], BY_MAGNITUDE, CORRECT[3], FIRST_KEPT,
             CORRECT[4]]  # fmt: skip
METHOD_INPUTS = program(
    "sort_desc([2, 2, 1])\nRanking().sort_desc([-5, 3, 1])\nsort_desc([1, 3, 2])\n"
    "sort_desc(Ranking(), [1])\n"  # `self` written out: does not fit the method, rejected
)


def code_of(reply: str) -> str:
    return reply.split("\n", 1)[1].rsplit("```", 1)[0]


async def test_method_stub_five_of_eight_chooses_the_agreeing_majority(docker_sandbox) -> None:
    problem = method_problem(CLASS_STUB, "sort_desc", "Ranking", EXAMPLE_TEST)
    responder = with_inputs(METHOD_INPUTS, by_round(ROUND_ONE, NO_DUPLICATES, NO_DUPLICATES))
    with ScriptedServer(responder) as srv:
        result = await solve(srv, docker_sandbox, problem, RunConfig(rounds=[8], seed=3))
        prompts = [last_user_text(r) for r in srv.chat_requests]
    assert prompts[0].startswith(INPUTS_MARKER)
    assert "`sort_desc` is a method of `Ranking`" in prompts[0]
    firsts = result.rounds[0].trajectories
    assert all(t.verification is not None and t.verification.ok for t in firsts)  # the class answers
    rec = result.agreement
    assert rec is not None
    # inputs are the method's arguments: one list each, from the hints and from the model
    assert rec.inputs and all(p.args is not None and p.args.endswith(",)") for p in rec.inputs)
    assert {"([2, 2, 1],)", "([-5, 3, 1],)"} <= {p.args for p in rec.inputs}
    assert any("sort_desc(Ranking(), [1])" in n and "rejected" in n for n in rec.notes)
    assert not rec.dropped  # no input crashed everywhere: the fresh instances were made
    assert result.selected.source == "candidate"
    assert firsts[result.selected.index or 0].content in CORRECT
    assert rec.decided_by == "agreement"
    biggest = rec.clusters[rec.chosen_cluster or 0]
    assert sorted(biggest.members) == sorted(
        candidate_key(1, i) for i, c in enumerate(ROUND_ONE) if c in CORRECT
    )
    assert result.status == "solved"
    # the evidence names the call as it is made
    dup = next(m for m in result.rounds[0].messages if "set(xs)" in m)
    assert "on input Ranking().sort_desc(" in dup
    # the agreed pairs as pytest: `Class().method(...)`, passing on the chosen code only
    text = regression_tests(rec, module="solution", entry_point="sort_desc", method_of="Ranking")
    assert text is not None and "from solution import Ranking" in text
    assert "Ranking().sort_desc(*args)" in text
    suite = PytestSuite(files={"test_agreed.py": text})
    assert result.code is not None
    verdict = await docker_sandbox.run(Candidate(code=result.code), suite)
    assert verdict.ok and verdict.total >= 10, verdict.tests
    assert not (await docker_sandbox.run(Candidate(code=code_of(NO_DUPLICATES)), suite)).ok


SCALER_STUB = '''class Scaler:
    def __init__(self, factor: int) -> None:
        self.factor = factor

    def scale_all(self, xs: list[int]) -> list[int]:
        """Each item times the factor.

        >>> Scaler(2).scale_all([1, 2])
        [2, 4]
        """
        ...
'''
SCALER_TESTS = (
    "from solution import Scaler\n\n\ndef test_scale():\n    assert Scaler(2).scale_all([1, 2]) == [2, 4]\n"
    "    assert Scaler(3).scale_all([]) == []\n    assert Scaler(-1).scale_all([5]) == [-5]\n"
)
SCALER_HEAD = "class Scaler:\n    def __init__(self, factor):\n        self.factor = factor\n"
SCALER_RIGHT = program(
    SCALER_HEAD + "\n    def scale_all(self, xs):\n        return [x * self.factor for x in xs]"
)
SCALER_WRONG = program(SCALER_HEAD + "\n    def scale_all(self, xs):\n        return [x * 2 for x in xs]")


async def test_a_class_whose_constructor_needs_arguments_skips_agreement_with_a_note(
    docker_sandbox,
) -> None:
    problem = method_problem(SCALER_STUB, "scale_all", "Scaler", SCALER_TESTS)
    problem = problem.model_copy(update={"weak_verification": False})
    responder = with_inputs(program("scale_all([1])"), by_round([SCALER_WRONG, SCALER_RIGHT], SCALER_RIGHT))
    with ScriptedServer(responder) as srv:
        result = await solve(srv, docker_sandbox, problem, RunConfig(rounds=[2], seed=1))
        prompts = [last_user_text(r) for r in srv.chat_requests]
    rec = result.agreement
    assert rec is not None
    assert any("agreement skipped: `Scaler()` needs arguments (factor)" in n for n in rec.notes), rec.notes
    assert rec.inputs == [] and rec.candidates == 0
    assert not any(p.startswith(INPUTS_MARKER) for p in prompts)  # no tokens spent on inputs
    # the tests still decide
    assert result.status == "solved"
    assert result.code is not None and "self.factor for x" in result.code
    assert result.verification.ok


async def test_a_constructor_the_host_cannot_read_fails_every_call_alike(docker_sandbox) -> None:
    """An `__init__` inherited from a base the stub does not show: the probe runner finds
    out in the sandbox and reports each call, so the host drops the inputs."""
    code = (
        "class Base:\n    def __init__(self, size):\n        self.size = size\n\n\n"
        "class Child(Base):\n    def twice(self, x):\n        return 2 * x\n\n"
        "    @staticmethod\n    def half(x):\n        return x // 2\n"
    )
    calls = [ProbeCall(name="a", args="(3,)"), ProbeCall(name="b", args="(4,)")]
    plain = await docker_sandbox.run(
        Candidate(code=code), ProbeSuite(entry_point="Child.twice", inputs=calls)
    )
    assert [(t.status, t.error_type) for t in plain.tests] == [("error", "ConstructorNeedsArguments")] * 2
    assert "Child() needs arguments" in (plain.tests[0].message or "")
    static = await docker_sandbox.run(
        Candidate(code=code), ProbeSuite(entry_point="Child.half", inputs=calls)
    )
    assert [(t.status, t.actual) for t in static.tests] == [("passed", "1"), ("passed", "2")]
