"""End-to-end engine tests: scripted OpenAI-compatible server + real Docker sandbox."""

from __future__ import annotations

import re

import pytest

from pacore_core.backends.base import Trajectory
from pacore_core.backends.openai_backend import OpenAIBackend
from pacore_core.backends.replay import ReplayBackend
from pacore_core.config import RunConfig
from pacore_core.engine import Engine
from pacore_core.events import CandidateVerified, RoundStarted, RunFinished, TrajectoryFinished
from pacore_core.problem import Problem
from pacore_core.record import RunRecord, TrajectoryPool
from pacore_core.statement import function_statement
from sandbox.models import CheckSuite, PytestSuite
from tests.support import Error, Reply, ScriptedServer, by_round, count_tokens, cycle_replies, prompt_tokens

pytestmark = pytest.mark.docker

TESTS = (
    "from solution import add\n\n"
    "def test_small():\n    assert add(1, 2) == 3\n\n"
    "def test_negative():\n    assert add(-1, -1) == -2\n"
)
STUB = 'def add(a, b):\n    """Return the sum of a and b."""\n    ...\n'
GOOD = "Here it is.\n```python\ndef add(a, b):\n    return a + b\n```"
GOOD_REFORMATTED = "```python\n# sum\ndef add(a,b):\n    '''Sum.'''\n    return (a + b)\n```"
BAD = "```python\ndef add(a, b):\n    return a - b\n```"
CRASH = "```python\ndef add(a, b):\n    return a / 0\n```"
NO_CODE = "I am not sure how to do this."


def make_problem(hidden: bool = True) -> Problem:
    return Problem(
        id="add",
        statement=function_statement(STUB, "add", tests=TESTS),
        entry_point="add",
        public_tests=PytestSuite(files={"test_add.py": TESTS}),
        hidden_tests=CheckSuite(
            test_code="def check(candidate):\n    assert candidate(10, 5) == 15\n", entry_point="add"
        )
        if hidden
        else None,
    )


def backend_for(srv: ScriptedServer, **kw: object) -> OpenAIBackend:
    return OpenAIBackend(srv.base_url, srv.model, max_retries=kw.pop("max_retries", 2), **kw)  # type: ignore[arg-type]


async def run(
    srv: ScriptedServer,
    sandbox,
    config: RunConfig,
    problem: Problem | None = None,  # type: ignore[no-untyped-def]
    events: list | None = None,
    pool: TrajectoryPool | None = None,
    **backend_kw: object,
):
    backend = backend_for(srv, **backend_kw)
    try:
        engine = Engine(
            backend, sandbox, config, on_event=(events.append if events is not None else None), pool=pool
        )
        return await engine.solve(problem or make_problem())
    finally:
        await backend.close()


async def test_widths_reach_the_server_and_final_round_is_appended(docker_sandbox) -> None:
    with ScriptedServer(by_round([BAD, GOOD, CRASH, NO_CODE], [GOOD, BAD], GOOD)) as srv:
        result = await run(srv, docker_sandbox, RunConfig(rounds=[4, 2], seed=7))
        ns = [r["n"] for r in srv.chat_requests]
    assert ns == [4, 2, 1]
    assert [r.k for r in result.rounds] == [4, 2, 1]
    assert [len(r.trajectories) for r in result.rounds] == [4, 2, 1]
    assert result.status == "solved"
    assert result.selected.source == "final"
    assert result.verification.passed == result.verification.total == 3
    assert result.selection_tests == "public+hidden"
    assert "return a + b" in (result.code or "")


async def test_first_round_prompt_is_the_problem_and_synthesis_prompt_is_table_6(docker_sandbox) -> None:
    problem = make_problem()
    config = RunConfig(rounds=[2], include_verdicts=False, seed=1)
    with ScriptedServer(by_round(["<think>try minus</think>Final: " + BAD, GOOD], GOOD)) as srv:
        result = await run(srv, docker_sandbox, config, problem)
        prompts = [r["messages"][-1]["content"] for r in srv.chat_requests]
    assert prompts[0] == problem.statement
    refs = result.rounds[0].messages
    assert sorted(refs) == sorted(["Final: " + BAD, GOOD])
    # jinja2 defaults, as the reference implementation renders it (no trim_blocks)
    expected = (
        "You are given a problem and a list of reference responses. Your job is to analyze these "
        "references and provide your own response.\n\nOriginal Problem:\n"
        + problem.statement
        + "\n\nReference Responses:\n\nReference 1:\n"
        + refs[0]
        + "\n\nReference 2:\n"
        + refs[1]
        + "\n\n\nNow, based on the original problem and reference responses above, please provide "
        "your own comprehensive solution."
    )
    assert prompts[1] == expected
    assert "try minus" not in prompts[1] and "<think>" not in prompts[1]


async def test_reasoning_field_is_dropped_and_verdicts_reach_the_next_round(docker_sandbox) -> None:
    first = [Reply(BAD, reasoning="SECRET-CHAIN-OF-THOUGHT"), Reply(CRASH, reasoning="more thinking")]
    with ScriptedServer(by_round(first, GOOD)) as srv:
        result = await run(srv, docker_sandbox, RunConfig(rounds=[2]))
        synthesis = srv.chat_requests[1]["messages"][-1]["content"]
    assert result.rounds[0].trajectories[0].reasoning == "SECRET-CHAIN-OF-THOUGHT"
    assert "SECRET-CHAIN-OF-THOUGHT" not in synthesis
    assert "Verification: 0/2 public tests passed (FAILED)." in synthesis
    assert "ZeroDivisionError" in synthesis
    assert re.search(r"test_small: wrong answer", synthesis)
    assert "hidden" not in synthesis.split("Reference Responses:")[1].lower()


async def test_identical_programs_are_merged_by_syntax_tree(docker_sandbox) -> None:
    with ScriptedServer(by_round([GOOD, GOOD_REFORMATTED, GOOD, BAD], GOOD)) as srv:
        result = await run(srv, docker_sandbox, RunConfig(rounds=[4]))
        synthesis = srv.chat_requests[1]["messages"][-1]["content"]
    merged = [c for c in result.rounds[0].cuts if c.kind == "merged"]
    assert len(merged) == 1 and sorted(merged[0].indices) == [0, 1, 2]
    assert len(result.rounds[0].messages) == 2
    assert "(3 trajectories produced this program.)" in synthesis
    assert synthesis.count("Reference ") == 2 + 1  # two references, plus "Reference Responses:"


async def test_context_budget_trims_then_drops_and_requests_fit(docker_sandbox) -> None:
    def long_program(i: int) -> str:
        body = "".join(f"    v{j} = {j} + {i}\n" for j in range(10 * (i + 1)))
        return f"```python\ndef add(a, b):\n{body}    raise ValueError('no ' * 80)\n```"

    long_bad = [long_program(i) for i in range(6)]
    problem = make_problem()
    window = 900
    config = RunConfig(rounds=[6], max_tokens=120, max_error_chars=2000)
    with ScriptedServer(by_round(long_bad, GOOD), max_model_len=window) as srv:
        result = await run(srv, docker_sandbox, config, problem)
        synthesis_req = srv.chat_requests[1]
        errors = [r for r in srv.requests if r.path.endswith("chat/completions") and r.body is None]
    cuts = result.rounds[0].cuts
    assert any(c.kind == "trimmed" for c in cuts)
    assert any(c.kind == "dropped" for c in cuts)
    server_count = count_tokens(
        "".join(f"<|{m['role']}|>\n{m['content']}\n" for m in synthesis_req["messages"]) + "<|assistant|>\n"
    )
    assert server_count + synthesis_req["max_tokens"] <= window
    assert result.rounds[1].input_tokens <= window - 120 + 16
    assert result.max_input_tokens == max(r.input_tokens for r in result.rounds)
    assert result.context_window == window
    assert not errors
    assert result.status == "solved"


async def test_problem_too_long_for_the_window_is_a_clear_error(docker_sandbox) -> None:
    problem = make_problem()
    with ScriptedServer(GOOD, max_model_len=60) as srv:
        result = await run(srv, docker_sandbox, RunConfig(rounds=[2], max_tokens=32), problem)
    assert result.status == "error"
    assert "context" in (result.error or "") and "60-token" in (result.error or "")


async def test_partial_failures_and_retries(docker_sandbox) -> None:
    def responder(req, choice, call):  # type: ignore[no-untyped-def]
        if call < 2:
            return Error(503, "warming up")
        if "Reference Responses:" not in req["messages"][-1]["content"] and req.get("seed", 0) % 4 == 1:
            return Error(500, "this trajectory always fails")
        return Reply(GOOD)

    config = RunConfig(rounds=[4], use_n=False, seed=0)
    with ScriptedServer(responder) as srv:
        result = await run(srv, docker_sandbox, config, max_retries=3, use_n=False)
        calls = srv.calls
    r1 = result.rounds[0].trajectories
    assert len(r1) == 4
    failed = [t for t in r1 if t.error]
    assert len(failed) == 1 and "this trajectory always fails" in (failed[0].error or "")
    assert result.status == "solved"
    # every request the server received counts, refused and failed ones too (9 or 10,
    # depending on whether a warm-up refusal hit the seed that always fails)
    assert result.model_calls == calls and calls >= 9


async def test_whole_round_failure_names_server_and_cause(docker_sandbox) -> None:
    with ScriptedServer(Error(500, "GPU on fire")) as srv:
        result = await run(srv, docker_sandbox, RunConfig(rounds=[2]), max_retries=1)
        url = srv.base_url
    assert result.status == "error"
    assert "GPU on fire" in (result.error or "")
    assert url.removesuffix("/v1") in (result.error or "")


async def test_verified_selection_falls_back_to_best_candidate(docker_sandbox) -> None:
    responder = by_round([BAD, GOOD], BAD)
    with ScriptedServer(responder) as srv:
        verified = await run(srv, docker_sandbox, RunConfig(rounds=[2]))
    with ScriptedServer(by_round([BAD, GOOD], BAD)) as srv:
        paper = await run(srv, docker_sandbox, RunConfig(rounds=[2], selection="synthesis"))
    assert verified.status == "solved"
    assert verified.selected.source == "candidate" and verified.selected.round == 1
    assert "final program passed 0/3" in verified.selected.reason
    assert paper.status == "unsolved" and paper.selected.source == "final"
    assert "return a - b" in (paper.code or "")


async def test_garbage_output_ends_unsolved_without_crash(docker_sandbox) -> None:
    with ScriptedServer(cycle_replies([NO_CODE, "```python\ndef add(a, b:\n```", "```\n\n```"])) as srv:
        result = await run(srv, docker_sandbox, RunConfig(rounds=[3]))
    assert result.status == "unsolved"
    assert result.selected.source == "none" and result.code is None
    problems = [t.code_problem for t in result.rounds[0].trajectories]
    assert any("syntax error" in (p or "") for p in problems)
    assert any("no ```python code block" in (p or "") for p in problems)


async def test_events_describe_the_run(docker_sandbox) -> None:
    events: list = []
    with ScriptedServer(by_round([BAD, GOOD, GOOD], GOOD)) as srv:
        await run(srv, docker_sandbox, RunConfig(rounds=[3]), events=events)
    kinds = [e.type for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert [e.k for e in events if isinstance(e, RoundStarted)] == [3, 1]
    assert sum(isinstance(e, TrajectoryFinished) for e in events) == 4
    verified = [e for e in events if isinstance(e, CandidateVerified)]
    assert len(verified) == 4 and verified[-1].best_passed == 3
    assert isinstance(events[-1], RunFinished) and events[-1].status == "solved"


async def test_early_stop_skips_later_rounds(docker_sandbox) -> None:
    with ScriptedServer(by_round([GOOD, BAD], GOOD)) as srv:
        result = await run(srv, docker_sandbox, RunConfig(rounds=[2, 2], early_stop=True))
        calls = srv.calls
    assert calls == 1 and len(result.rounds) == 1
    assert result.status == "solved" and result.early_stopped
    assert result.selected.source == "candidate"


async def test_pool_seeds_round_one(docker_sandbox) -> None:
    pool = TrajectoryPool(
        problems={
            "add": [
                Trajectory(index=0, content=GOOD, completion_tokens=7),
                Trajectory(index=1, content=BAD, completion_tokens=5),
            ]
        }
    )
    with ScriptedServer(by_round([BAD], GOOD)) as srv:
        result = await run(srv, docker_sandbox, RunConfig(rounds=[4]), pool=pool)
        ns = [r["n"] for r in srv.chat_requests]
    assert ns == [2, 1]
    assert result.rounds[0].seeded_from_pool
    assert [t.content for t in result.rounds[0].trajectories[:2]] == [GOOD, BAD]


async def test_token_accounting_matches_server_usage(docker_sandbox) -> None:
    with ScriptedServer(by_round([GOOD, BAD, CRASH], GOOD)) as srv:
        result = await run(srv, docker_sandbox, RunConfig(rounds=[3]))
        usages = [r for r in srv.requests if r.path.endswith("chat/completions")]
        n_calls = srv.calls
    assert len(usages) == 2
    expected_completion = sum(count_tokens(t) for t in [GOOD, BAD, CRASH]) + count_tokens(GOOD)
    assert result.ttc_tokens == expected_completion
    assert result.model_calls == n_calls == 2
    assert result.prompt_tokens == sum(prompt_tokens(r.body["messages"]) for r in usages if r.body)


async def test_replay_gives_the_recorded_result(docker_sandbox, tmp_path) -> None:
    config = RunConfig(rounds=[3, 2], seed=3)
    problem = make_problem()
    with ScriptedServer(by_round([BAD, GOOD_REFORMATTED, CRASH], [BAD, GOOD], BAD)) as srv:
        recorded = await run(srv, docker_sandbox, config, problem)
    path = tmp_path / "run.json"
    RunRecord(backend="openai", model="scripted-model", config=config, problem=problem, result=recorded).save(
        path
    )
    replayer = ReplayBackend.from_path(path)
    replayed = await Engine(replayer, docker_sandbox, config).solve(problem)
    assert replayed.status == recorded.status == "solved"
    assert replayed.code == recorded.code
    assert replayed.selected == recorded.selected
    assert replayed.ttc_tokens == recorded.ttc_tokens
    assert [[t.verification.verdict for t in r.trajectories] for r in replayed.rounds] == [
        [t.verification.verdict for t in r.trajectories] for r in recorded.rounds
    ]
    assert [r.messages for r in replayed.rounds] == [r.messages for r in recorded.rounds]


async def test_unreachable_server_ends_in_error_status(docker_sandbox) -> None:
    with ScriptedServer(GOOD) as srv:
        url = srv.base_url  # the port is closed once the server stops
    backend = OpenAIBackend(url, "scripted-model", max_retries=1)
    try:
        result = await Engine(backend, docker_sandbox, RunConfig(rounds=[2])).solve(make_problem())
    finally:
        await backend.close()
    assert result.status == "error"
    assert url.removesuffix("/v1") in (result.error or "")
    assert result.rounds == [] and result.code is None
