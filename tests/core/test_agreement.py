"""Execution agreement end to end: scripted model server, real Docker sandbox.

The scripted server answers the input-generation request (recognised by its first line)
with inputs only, and the rounds with fixed candidate programs, so each test knows which
programs are right and asserts what the engine chose, what the synthesis prompt carried
and what the report says.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pacore_core.agreement.inputs import AgreementSettings
from pacore_core.agreement.regression import regression_tests
from pacore_core.agreement.session import candidate_key
from pacore_core.backends.openai_backend import OpenAIBackend
from pacore_core.backends.replay import ReplayBackend
from pacore_core.config import RunConfig
from pacore_core.engine import Engine
from pacore_core.loaders import load_python_stub
from pacore_core.problem import Problem
from pacore_core.record import RunRecord, RunResult
from pacore_core.statement import io_statement
from sandbox.models import IOSuite, IOTest, PytestSuite
from tests.support import Reply, ScriptedServer, by_round
from tests.support.scripted_server import Outcome, last_user_text

pytestmark = pytest.mark.docker

INPUTS_MARKER = "Write test inputs for the problem below."

STUB = '''def sort_desc(xs: list[int]) -> list[int]:
    """Return the items of xs from largest to smallest, keeping duplicates.

    >>> sort_desc([3, 1, 2])
    [3, 2, 1]
    """
    ...
'''


def program(body: str) -> str:
    return f"```python\n{body.strip()}\n```"


CORRECT = [
    program("def sort_desc(xs):\n    return sorted(xs, reverse=True)"),
    program("def sort_desc(xs):\n    return sorted(xs)[::-1]"),
    program("def sort_desc(xs):\n    ys = list(xs)\n    ys.sort(reverse=True)\n    return ys"),
    program("def sort_desc(xs):\n    return list(reversed(sorted(xs)))"),
    program(
        "def sort_desc(xs):\n    out = []\n    for x in xs:\n        i = 0\n"
        "        while i < len(out) and out[i] >= x:\n            i += 1\n        out.insert(i, x)\n"
        "    return out"
    ),
]
# each passes the docstring example and is wrong elsewhere
NO_DUPLICATES = program("def sort_desc(xs):\n    return sorted(set(xs), reverse=True)")
BY_MAGNITUDE = program("def sort_desc(xs):\n    return sorted(xs, key=abs, reverse=True)")
FIRST_KEPT = program("def sort_desc(xs):\n    return xs[:1] + sorted(xs[1:], reverse=True)")
WRONG = [NO_DUPLICATES, BY_MAGNITUDE, FIRST_KEPT]
# correct and wrong interleaved, as a model would produce them
ROUND_ONE = [
    CORRECT[0],
    NO_DUPLICATES,
    CORRECT[1],
    CORRECT[2],
    BY_MAGNITUDE,
    CORRECT[3],
    FIRST_KEPT,
    CORRECT[4],
]
FUNCTION_INPUTS = program(
    "sort_desc([2, 2, 1])\nsort_desc([-5, 3, 1])\nsort_desc([1, 3, 2])\n"
    "sort_desc(1, 2, 3)\n"  # does not fit the signature: rejected with a note
    "sort_desc(None)\n"  # raises in every candidate: dropped with a note
)


def with_inputs(inputs: str, responder: Any) -> Any:
    """Answer the input-generation request with `inputs`, everything else with `responder`."""

    def respond(req: dict[str, Any], choice: int, call: int) -> Outcome:
        if last_user_text(req).startswith(INPUTS_MARKER):
            return Reply(inputs)
        return responder(req, choice, call)

    return respond


def stub_problem(tmp_path: Path) -> Problem:
    path = tmp_path / "ranking.py"
    path.write_text(STUB)
    return load_python_stub(path)


async def solve(srv: ScriptedServer, sandbox: Any, problem: Problem, config: RunConfig) -> RunResult:
    backend = OpenAIBackend(srv.base_url, srv.model, max_retries=1)
    try:
        return await Engine(backend, sandbox, config, agreement=AgreementSettings()).solve(problem)
    finally:
        await backend.close()


def reference_blocks(prompt: str) -> list[str]:
    return re.split(r"^Reference \d+:\n", prompt, flags=re.M)[1:]


async def test_five_of_eight_stub_chooses_the_agreeing_majority(docker_sandbox, tmp_path) -> None:
    problem = stub_problem(tmp_path)
    assert problem.weak_verification  # the only test is the docstring example
    responder = with_inputs(FUNCTION_INPUTS, by_round(ROUND_ONE, NO_DUPLICATES, NO_DUPLICATES))
    with ScriptedServer(responder) as srv:
        result = await solve(srv, docker_sandbox, problem, RunConfig(rounds=[8], seed=3))
        prompts = [last_user_text(r) for r in srv.chat_requests]
    assert prompts[0].startswith(INPUTS_MARKER)
    assert "Do NOT solve the problem" in prompts[0]
    # every candidate passes the example: tests cannot tell them apart
    firsts = result.rounds[0].trajectories
    assert all(t.verification is not None and t.verification.ok for t in firsts)
    # the answer is a correct program from the cluster of five, not the final synthesis
    assert result.selected.source == "candidate"
    chosen = firsts[result.selected.index or 0]
    assert chosen.content in CORRECT
    assert result.agreement is not None
    assert result.agreement.decided_by == "agreement"
    biggest = result.agreement.clusters[result.agreement.chosen_cluster or 0]
    assert sorted(biggest.members) == sorted(
        candidate_key(1, i) for i, c in enumerate(ROUND_ONE) if c in CORRECT
    )
    assert "agreement decided" in result.selected.reason
    assert result.assurance == "passed samples + agreed with 5/9 candidates on " + (
        f"{result.agreement.used_inputs} generated inputs"
    )
    assert result.status == "solved"
    # the model-written inputs: the bad call rejected, the all-crash input dropped, both noted
    assert any("sort_desc(1, 2, 3)" in n and "rejected" in n for n in result.agreement.notes)
    none_input = next(p for p in result.agreement.inputs if p.args == "(None,)")
    assert "every candidate" in result.agreement.dropped[none_input.name]
    # the synthesis prompt carries the disagreement evidence of each wrong program
    synthesis = prompts[-1]
    assert "Many references also carry an agreement block" in synthesis
    blocks = reference_blocks(synthesis)
    assert len(blocks) == 8
    for wrong in WRONG:
        code = wrong.split("\n", 1)[1].rsplit("```", 1)[0].strip()
        block = next(b for b in blocks if code in b)
        assert "it was in a minority on" in block
        assert re.search(r"this program returned .*; \d of the 7 other programs returned", block)
    for right in CORRECT:
        code = right.split("\n", 1)[1].rsplit("```", 1)[0].strip()
        block = next(b for b in blocks if code in b)
        assert "behaved exactly like 4 of the 7 other programs" in block
        assert "it was never in a minority" in block
    # duplicates are where NO_DUPLICATES disagrees, with every other program
    dup_block = next(b for b in blocks if "set(xs)" in b)
    assert re.search(r"this program returned \[[^\]]*\]; 7 of the 7 other programs returned", dup_block)


IO_STATEMENT = (
    "Read an integer n and then n integers on the next line. Print the largest of them.\n\n"
    "Input: the first line holds n (1 <= n <= 100), the second line n integers."
)
IO_CORRECT = [
    program("n = int(input())\na = list(map(int, input().split()))\nprint(max(a))"),
    program("input()\nprint(max(int(x) for x in input().split()))"),
    program("import sys\nd = sys.stdin.read().split()\nprint(max(map(int, d[1:])))"),
    program("n = int(input())\na = sorted(map(int, input().split()))\nprint(a[-1])"),
]
IO_DIFFERS = program("n = int(input())\na = list(map(int, input().split()))\nprint(a[1])")
IO_CRASHES = program("n = int(input())\nassert n <= 3\nprint(max(map(int, input().split())))")
IO_ROUND = [IO_DIFFERS, IO_CORRECT[0], IO_CORRECT[1], IO_CRASHES, IO_CORRECT[2], IO_CORRECT[3]]
IO_INPUTS = (
    "```text\n1\n7\n```\n\n```text\n5\n4 4 9 1 0\n```\n\n```text\n4\n-1 -2 -3 -4\n```\n\n"
    "```text\nhello\n```\n"  # breaks the sample's format (integers only): rejected
)


def io_problem() -> Problem:
    sample = IOTest(name="sample1", input="3\n1 5 2\n", expected="5\n")
    suite = IOSuite(tests=[sample])
    return Problem(
        id="largest",
        statement=io_statement(IO_STATEMENT, "Input:\n3\n1 5 2\nOutput:\n5"),
        mode="io",
        public_tests=suite,
        weak_verification=True,  # the statement's sample only, as the statement loader marks it
    )


async def test_stdin_majority_beats_programs_that_only_pass_the_sample(docker_sandbox) -> None:
    responder = with_inputs(IO_INPUTS, by_round(IO_ROUND, IO_DIFFERS, IO_DIFFERS))
    with ScriptedServer(responder) as srv:
        result = await solve(srv, docker_sandbox, io_problem(), RunConfig(rounds=[6], seed=1))
    firsts = result.rounds[0].trajectories
    assert all(t.verification is not None and t.verification.ok for t in firsts)  # all pass the sample
    assert result.agreement is not None
    assert [p.stdin for p in result.agreement.inputs] == ["1\n7\n", "5\n4 4 9 1 0\n", "4\n-1 -2 -3 -4\n"]
    assert any("'hello\\n'" in n and "not an integer" in n for n in result.agreement.notes)
    assert result.selected.source == "candidate"
    assert firsts[result.selected.index or 0].content in IO_CORRECT
    assert result.agreement.decided_by == "agreement"
    assert result.assurance.startswith("passed samples + agreed with 4/7 candidates on 3 generated inputs")
    # the crash is evidence against IO_CRASHES, shown in its message
    crash_msg = next(m for m in result.rounds[0].messages if "assert n <= 3" in m)
    assert "raised AssertionError" in crash_msg


COLLATZ_STUB = '''def steps(n: int) -> int:
    """How many Collatz steps take n to 1 (n >= 1).

    >>> steps(6)
    8
    """
    ...
'''
COLLATZ = [
    program(
        "def steps(n):\n    c = 0\n    while n != 1:\n        n = n // 2 if n % 2 == 0 else 3 * n + 1\n"
        "        c += 1\n    return c"
    ),
    program(
        "def steps(n):\n    if n == 1:\n        return 0\n"
        "    return 1 + steps(n // 2 if n % 2 == 0 else 3 * n + 1)"
    ),
    program(
        "def steps(n):\n    c = 0\n    while n > 1 or n < 1:\n"
        "        n = n >> 1 if n % 2 == 0 else 3 * n + 1\n        c += 1\n    return c"
    ),
]
COLLATZ_INPUTS = program("steps(27)\nsteps(0)\nsteps('x')\nsteps(1, 2)\nsteps(1)\n")


async def test_inputs_that_time_out_crash_or_do_not_fit_are_dropped_with_a_note(
    docker_sandbox, tmp_path
) -> None:
    path = tmp_path / "collatz.py"
    path.write_text(COLLATZ_STUB)
    problem = load_python_stub(path)
    settings = AgreementSettings(typed_inputs=0, per_call_s=1.0)
    responder = with_inputs(COLLATZ_INPUTS, by_round(COLLATZ, COLLATZ[0], COLLATZ[0]))
    with ScriptedServer(responder) as srv:
        backend = OpenAIBackend(srv.base_url, srv.model, max_retries=1)
        try:
            result = await Engine(backend, docker_sandbox, RunConfig(rounds=[3]), agreement=settings).solve(
                problem
            )
        finally:
            await backend.close()
    rec = result.agreement
    assert rec is not None
    by_args = {p.args: p.name for p in rec.inputs}
    assert set(by_args) == {"(27,)", "(0,)", "('x',)", "(1,)"}
    assert any("steps(1, 2)" in n and "rejected" in n for n in rec.notes)  # invalid: never run
    # steps(0) loops (or recurses) in every candidate; steps('x') raises in every candidate
    assert by_args["(0,)"] in rec.dropped
    assert "every candidate" in rec.dropped[by_args["('x',)"]]
    assert any(n.startswith(f"dropped input {by_args['(0,)']}") for n in rec.notes)
    # what is left agrees: one cluster, no candidate reported in a minority
    assert len(rec.clusters) == 1 and len(rec.clusters[0].members) == 4
    assert all("never in a minority" in m for m in result.rounds[0].messages)
    assert result.status == "solved"


async def test_pytest_file_from_agreed_pairs_passes_against_the_chosen_code(docker_sandbox, tmp_path) -> None:
    problem = stub_problem(tmp_path)
    responder = with_inputs(FUNCTION_INPUTS, by_round(ROUND_ONE, NO_DUPLICATES, NO_DUPLICATES))
    with ScriptedServer(responder) as srv:
        result = await solve(srv, docker_sandbox, problem, RunConfig(rounds=[8], seed=3))
    text = regression_tests(result.agreement, module="ranking", entry_point="sort_desc")
    assert result.code is not None and text is not None
    assert "from ranking import sort_desc" in text
    assert "([2, 2, 1],), [2, 2, 1]" in text  # an agreed pair the wrong programs break
    suite = PytestSuite(files={"test_agreed.py": text.replace("from ranking import", "from solution import")})
    verdict = await docker_sandbox.run(_candidate(result.code), suite)
    assert verdict.ok, verdict.tests
    assert verdict.total >= 10
    wrong = await docker_sandbox.run(_candidate(NO_DUPLICATES.split("\n", 1)[1].rsplit("```", 1)[0]), suite)
    assert not wrong.ok  # the pinned pairs catch the program that drops duplicates


def _candidate(code: str) -> Any:
    from sandbox.models import Candidate

    return Candidate(code=code)


async def test_replaying_a_recorded_run_reproduces_inputs_and_choice_without_a_model(
    docker_sandbox, tmp_path
) -> None:
    problem = stub_problem(tmp_path)
    config = RunConfig(rounds=[8], seed=3)
    responder = with_inputs(FUNCTION_INPUTS, by_round(ROUND_ONE, NO_DUPLICATES, NO_DUPLICATES))
    with ScriptedServer(responder) as srv:
        first = await solve(srv, docker_sandbox, problem, config)
    record_path = tmp_path / "run.json"
    RunRecord(config=config, problem=problem, result=first).save(record_path)
    replay = ReplayBackend.from_path(record_path)
    try:
        again = await Engine(replay, docker_sandbox, config, agreement=AgreementSettings()).solve(problem)
    finally:
        await replay.close()
    assert again.replayed
    assert first.agreement is not None and again.agreement is not None
    assert again.agreement.inputs == first.agreement.inputs
    assert "inputs replayed from the run record" in again.agreement.notes
    assert again.agreement.completion_tokens == 0  # no model was asked for inputs
    assert (again.selected.round, again.selected.index) == (first.selected.round, first.selected.index)
    assert again.code == first.code
    assert again.assurance == first.assurance


class CountingSandbox:
    """The real sandbox, with a log of every run: what suite, carrying how many probes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.runs: list[tuple[str, int, int]] = []  # (suite kind, probes sent, probe results)

    async def run(self, candidate: Any, suite: Any, limits: Any = None) -> Any:
        verdict = await self.inner.run(candidate, suite, limits)
        if suite.kind == "probe":
            self.runs.append((suite.kind, len(suite.inputs), len(verdict.tests)))
        else:
            sent = len(suite.probes.inputs) if suite.probes is not None else 0
            self.runs.append((suite.kind, sent, len(verdict.probes)))
        return verdict

    async def close(self) -> None:
        return None


@pytest.mark.parametrize("with_tests", [True, False], ids=["with-tests", "no-tests"])
async def test_each_candidate_costs_one_sandbox_run_inputs_and_tests_together(
    docker_sandbox, tmp_path, with_tests
) -> None:
    """The generated inputs ride along with the candidate's tests: one run per candidate,
    never one per input or a second one for the inputs."""
    problem = stub_problem(tmp_path)
    if not with_tests:
        problem = problem.model_copy(update={"public_tests": None})
    counting = CountingSandbox(docker_sandbox)
    responder = with_inputs(FUNCTION_INPUTS, by_round(ROUND_ONE, NO_DUPLICATES, NO_DUPLICATES))
    with ScriptedServer(responder) as srv:
        result = await solve(srv, counting, problem, RunConfig(rounds=[8], seed=3))
    candidates = sum(1 for r in result.rounds for t in r.trajectories if t.code is not None)
    assert result.agreement is not None
    inputs = len(result.agreement.inputs)
    assert inputs >= 3
    assert len(counting.runs) == candidates == 9
    assert {kind for kind, _, _ in counting.runs} == ({"pytest"} if with_tests else {"probe"})
    # every run carried every input and came back with a result for each
    assert all(sent == inputs and got == inputs for _, sent, got in counting.runs), counting.runs
    assert result.agreement.candidates == 9
    # the probes' time is inside the runs' time: counted once
    runs_s = sum(t.verification.duration_s for r in result.rounds for t in r.trajectories if t.verification)
    assert result.agreement.probe_s > 0
    assert result.sandbox_s == pytest.approx(runs_s)


async def test_auto_agreement_for_examples_only_not_for_the_users_tests(docker_sandbox, tmp_path) -> None:
    """`agreement = auto` (the default): the docstring example alone chooses -> inputs are
    generated and the agreeing majority wins; a test file of the user's chooses -> no input
    request, no probes, and the report says `passed your tests`."""
    responder = with_inputs(FUNCTION_INPUTS, by_round(ROUND_ONE, NO_DUPLICATES, NO_DUPLICATES))
    weak = stub_problem(tmp_path)
    (tmp_path / "test_ranking.py").write_text(
        "from ranking import sort_desc\n\n\n"
        "def test_duplicates():\n    assert sort_desc([2, 2, 1]) == [2, 2, 1]\n"
    )
    strong = load_python_stub(tmp_path / "ranking.py")
    assert weak.weak_verification and not strong.weak_verification
    for problem, expect_agreement in ((weak, True), (strong, False)):
        with ScriptedServer(responder) as srv:
            backend = OpenAIBackend(srv.base_url, srv.model, max_retries=1)
            try:
                result = await Engine(backend, docker_sandbox, RunConfig(rounds=[8], seed=3)).solve(problem)
            finally:
                await backend.close()
            asked = [last_user_text(r).startswith(INPUTS_MARKER) for r in srv.chat_requests]
        assert any(asked) is expect_agreement
        assert (result.agreement is not None) is expect_agreement
        assert result.status == "solved"
        chosen = result.rounds[0].trajectories[result.selected.index or 0].content
        if expect_agreement:
            assert result.assurance.startswith("passed samples + agreed with 5/9 candidates")
            assert result.selected.source == "candidate" and chosen in CORRECT
        else:
            assert result.assurance == "passed your tests"


async def test_template_dir_overrides_the_agreement_synthesis_template(docker_sandbox, tmp_path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "synthesis_code_agreement.j2").write_text(
        "OUR AGREEMENT TEMPLATE\n{{ original_prompt }}\n"
        "{% for r in ref_responses %}Ref:\n{{ r }}\n{% endfor %}"
    )
    responder = with_inputs(FUNCTION_INPUTS, by_round(ROUND_ONE, NO_DUPLICATES, NO_DUPLICATES))
    with ScriptedServer(responder) as srv:
        config = RunConfig(rounds=[8], seed=3, template_dir=templates)
        await solve(srv, docker_sandbox, stub_problem(tmp_path), config)
        synthesis = last_user_text(srv.chat_requests[-1])
    assert synthesis.startswith("OUR AGREEMENT TEMPLATE")
    assert "it was in a minority on" in synthesis  # the evidence still reaches the model
