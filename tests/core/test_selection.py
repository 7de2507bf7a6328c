"""Verified selection, alone and inside the engine with the real local sandbox.

The engine tests run candidates for real (subprocesses, pytest): `return N` passes N of the
three public tests. The order in which verdicts land is set by the candidates themselves:
one waits, inside its own sandbox run, until the engine has reported another's verdict.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from pacore_core.backends.openai_backend import OpenAIBackend
from pacore_core.config import RunConfig
from pacore_core.engine import Engine
from pacore_core.events import CandidateVerified, Event
from pacore_core.problem import Problem
from pacore_core.record import RoundRecord, RunResult, SuiteScore, TrajectoryRecord, Verification
from pacore_core.selection import Leader, select
from sandbox import Sandbox, make_sandbox
from sandbox.models import CheckSuite, PytestSuite
from sandbox.models import TestResult as CaseResult
from tests.support import ScriptedServer, by_round

PUBLIC = PytestSuite(files={"test_f.py": "from solution import f\n"})
HIDDEN = CheckSuite(test_code="def check(candidate):\n    pass\n", entry_point="f")
PROBLEM = Problem(id="f", statement="Write f.", entry_point="f", public_tests=PUBLIC,
                  hidden_tests=HIDDEN)


def verification(passed: int, total: int, hidden: tuple[int, int] | None = None) -> Verification:
    pub = SuiteScore(passed=passed, total=total)
    hid = SuiteScore(passed=hidden[0], total=hidden[1]) if hidden else None
    all_passed = passed + (hid.passed if hid else 0)
    all_total = total + (hid.total if hid else 0)
    return Verification(verdict="passed" if all_passed == all_total and all_total else "failed",
                        passed=all_passed, total=all_total, public=pub, hidden=hid)


def traj(index: int, score: tuple[int, int] | None, *, code: bool = True,
         hidden: tuple[int, int] | None = None) -> TrajectoryRecord:
    return TrajectoryRecord(
        index=index,
        code=f"def f():\n    return {index}\n" if code else None,
        verification=verification(*score, hidden=hidden) if score else Verification(verdict="no_code"),
    )


def rounds(*widths: list[TrajectoryRecord]) -> list[RoundRecord]:
    return [RoundRecord(round=r, k=len(ts), prompt="", trajectories=ts)
            for r, ts in enumerate(widths, start=1)]


def test_final_program_answers_when_it_passes_everything() -> None:
    rs = rounds([traj(0, (3, 3)), traj(1, (1, 3))], [traj(0, (3, 3))])
    choice = select(rs, PROBLEM, planned_rounds=2)
    assert choice.selected.source == "final" and choice.selected.round == 2
    assert choice.chosen is rs[1].trajectories[0]
    assert choice.tests == "public+hidden"


def test_best_candidate_replaces_a_failing_final_program() -> None:
    rs = rounds([traj(0, (1, 3)), traj(1, (3, 3))], [traj(0, (0, 3))])
    choice = select(rs, PROBLEM, planned_rounds=2)
    assert choice.chosen is rs[0].trajectories[1]
    assert (choice.selected.source, choice.selected.round, choice.selected.index) == ("candidate", 1, 1)
    assert choice.selected.reason == (
        "the final program passed 0/3 tests; best verified candidate passed 3/3"
    )


def test_synthesis_policy_keeps_the_final_program_as_the_paper_does() -> None:
    rs = rounds([traj(0, (3, 3))], [traj(0, (0, 3))])
    choice = select(rs, PROBLEM, planned_rounds=2, policy="synthesis")
    assert choice.selected.source == "final" and choice.chosen is rs[1].trajectories[0]


def test_a_final_program_as_good_as_the_best_candidate_is_kept() -> None:
    rs = rounds([traj(0, (2, 3))], [traj(0, (2, 3))])
    choice = select(rs, PROBLEM, planned_rounds=2)
    assert choice.selected.source == "final"


def test_final_round_without_a_program_falls_back() -> None:
    rs = rounds([traj(0, (0, 3)), traj(1, (2, 3))], [traj(0, None, code=False)])
    choice = select(rs, PROBLEM, planned_rounds=2)
    assert choice.chosen is rs[0].trajectories[1]
    assert choice.selected.reason.startswith("the final round produced no program;")


def test_no_program_anywhere_selects_nothing() -> None:
    rs = rounds([traj(0, None, code=False)], [traj(0, None, code=False)])
    choice = select(rs, PROBLEM, planned_rounds=2)
    assert choice.chosen is None and choice.selected.source == "none"
    assert choice.selected.reason == "no candidate produced a program"


def test_early_stop_names_itself_in_the_reason() -> None:
    rs = rounds([traj(0, (1, 3)), traj(1, (3, 3))])
    choice = select(rs, PROBLEM, planned_rounds=3, early_stopped=True)
    assert choice.chosen is rs[0].trajectories[1]
    assert choice.selected.reason.startswith("early stop: a candidate passed every test;")


def test_public_selection_ignores_hidden_results() -> None:
    # candidate 0 passes every public test but fails hidden ones selection may not look at
    rs = rounds([traj(0, (2, 2), hidden=(0, 2)), traj(1, (1, 2), hidden=(2, 2))],
                [traj(0, (0, 2))])
    public = select(rs, PROBLEM, planned_rounds=2, select_on="public")
    assert public.chosen is rs[0].trajectories[0] and public.tests == "public"
    assert public.selected.reason.endswith("best verified candidate passed 2/2")
    every = select(rs, PROBLEM, planned_rounds=2, select_on="all")
    assert every.chosen is rs[0].trajectories[1] and every.tests == "public+hidden"
    assert every.selected.reason.endswith("best verified candidate passed 3/4")


def test_ties_go_to_the_earliest_round_then_lowest_index() -> None:
    rs = rounds([traj(0, (1, 3)), traj(1, (2, 3)), traj(2, (2, 3))],
                [traj(0, (2, 3)), traj(1, (2, 3))], [traj(0, None, code=False)])
    choice = select(rs, PROBLEM, planned_rounds=3)
    assert (choice.selected.round, choice.selected.index) == (1, 1)


def test_problem_without_tests_reports_none() -> None:
    bare = Problem(statement="x")
    rs = rounds([traj(0, (0, 0))], [traj(0, (0, 0))])
    assert select(rs, bare, planned_rounds=2).tests == "none"


def test_leader_tracks_the_best_with_code_and_knows_when_solved() -> None:
    leader = Leader()
    assert (leader.passed, leader.total, leader.solved) == (0, 0, False)
    leader.offer(traj(0, None, code=False), 1)
    assert leader.best is None
    leader.offer(traj(1, (1, 3)), 1)
    leader.offer(traj(2, (1, 3)), 1)
    assert leader.best is not None and leader.best.record.index == 1
    ranked = leader.offer(traj(3, (3, 3)), 1)
    assert ranked.passes_all and leader.solved and leader.passed == 3


# ---------------------------------------------------------------- inside the engine

# `return N` passes min(N, 3) of these; the hidden check passes only `return 2`
THREE = PytestSuite(files={"test_f.py": "from solution import f\n\n" + "".join(
    f"def test_at_least_{i}():\n    assert f() >= {i}\n\n" for i in (1, 2, 3))})
ONLY_TWO = CheckSuite(test_code="def check(candidate):\n    assert candidate() == 2\n", entry_point="f")
REAL = Problem(id="f", statement="Write f.", entry_point="f", public_tests=THREE)
WAIT_S = 60  # a waiting candidate gives up after this (the test then fails on the order)


ON_MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")  # the loop the shared sandbox lives in


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sandbox() -> AsyncIterator[Sandbox]:
    box = make_sandbox("local", parallelism=4)
    try:
        yield box
    finally:
        await box.close()


def answer(n: int, wait_for: Path | None = None) -> str:
    """`def f(): return n`; with `wait_for`, the module waits for that file when imported, so
    its verdict lands only after the file appears (the local sandbox shares the host's files)."""
    wait = ("import os, time\n"
            f"_until = time.monotonic() + {WAIT_S}\n"
            f"while not os.path.exists({str(wait_for)!r}) and time.monotonic() < _until:\n"
            "    time.sleep(0.02)\n") if wait_for else ""
    return f"```python\n{wait}def f():\n    return {n}\n```"


async def solve(srv: ScriptedServer, sandbox: Sandbox, config: RunConfig,
                on_event: list[Event] | None = None, signal: tuple[int, Path] | None = None) -> RunResult:
    """Solve REAL; with `signal = (index, path)`, write `path` when round 1's candidate
    `index` has been reported verified."""
    def seen(event: Event) -> None:
        if on_event is not None:
            on_event.append(event)
        if (signal and isinstance(event, CandidateVerified) and event.round == 1
                and event.index == signal[0]):
            signal[1].write_text("verified")

    backend = OpenAIBackend(srv.base_url, srv.model, max_retries=0)
    try:
        return await Engine(backend, sandbox, config, on_event=seen).solve(REAL)
    finally:
        await backend.close()


@ON_MODULE_LOOP
async def test_engine_answers_with_the_best_candidate_when_the_final_fails(sandbox: Sandbox) -> None:
    events: list[Event] = []
    with ScriptedServer(by_round([answer(1), answer(3), answer(2)], answer(0))) as srv:
        result = await solve(srv, sandbox, RunConfig(rounds=[3]), events)
    assert result.status == "solved"
    assert (result.selected.source, result.selected.round, result.selected.index) == ("candidate", 1, 1)
    assert "return 3" in (result.code or "")
    verified = [e for e in events if isinstance(e, CandidateVerified)]
    assert [(e.best_passed, e.best_total) for e in verified][-1] == (3, 3)
    final = result.rounds[-1].trajectories[0].verification
    assert final is not None and (final.passed, final.total) == (0, 3)


@ON_MODULE_LOOP
@pytest.mark.parametrize("late", [0, 1])
async def test_engine_choice_does_not_depend_on_which_verdict_lands_first(
        sandbox: Sandbox, tmp_path: Path, late: int) -> None:
    # both round-1 candidates pass every test; the `late` one waits in its sandbox run until
    # the engine has reported the other's verdict, so verdicts land in either order
    marker = tmp_path / "other-verified"
    events: list[Event] = []
    first = [answer(3, marker if late == 0 else None), answer(3, marker if late == 1 else None)]
    with ScriptedServer(by_round(first, answer(0))) as srv:
        result = await solve(srv, sandbox, RunConfig(rounds=[2]), events, signal=(1 - late, marker))
    order = [e.index for e in events if isinstance(e, CandidateVerified) and e.round == 1]
    assert order == [1 - late, late]
    assert (result.selected.source, result.selected.round, result.selected.index) == ("candidate", 1, 0)
    assert result.code == result.rounds[0].trajectories[0].code
    assert ("os.path.exists" in (result.code or "")) == (late == 0)


@ON_MODULE_LOOP
async def test_engine_early_stop_uses_the_leader(sandbox: Sandbox) -> None:
    with ScriptedServer(by_round([answer(3), answer(1)], answer(0))) as srv:
        result = await solve(srv, sandbox, RunConfig(rounds=[2, 2], early_stop=True))
        calls = srv.calls
    assert calls == 1 and result.early_stopped and len(result.rounds) == 1
    assert result.status == "solved" and result.selected.reason.startswith("early stop")


@ON_MODULE_LOOP
async def test_run_round_scores_public_and_hidden_suites_apart(sandbox: Sandbox) -> None:
    # `return 2` passes 2/3 public and the hidden check; `return 3` passes 3/3 public and fails it
    with ScriptedServer(by_round([answer(2), answer(3)], answer(0))) as srv:
        backend = OpenAIBackend(srv.base_url, srv.model, max_retries=0)
        try:
            rec = await Engine(backend, sandbox, RunConfig(rounds=[2])).run_round(
                REAL.model_copy(update={"hidden_tests": ONLY_TWO}), [], 2, 1)
        finally:
            await backend.close()
    scores = [(t.verification.public, t.verification.hidden) for t in rec.trajectories
              if t.verification]
    assert scores == [(SuiteScore(passed=2, total=3), SuiteScore(passed=1, total=1)),
                      (SuiteScore(passed=3, total=3), SuiteScore(passed=0, total=1))]
    assert [t.verification.verdict for t in rec.trajectories if t.verification] == ["failed", "failed"]


def forged(index: int, score: tuple[int, int]) -> TrajectoryRecord:
    """A candidate the sandbox caught reaching into the harness (its score is what it forged)."""
    tr = traj(index, score)
    assert tr.verification is not None
    tr.verification.verdict = "tampered"
    return tr


def test_a_tampered_candidate_is_never_selected() -> None:
    rs = rounds([forged(0, (3, 3)), traj(1, (1, 3))], [traj(0, (0, 3))])
    choice = select(rs, PROBLEM, planned_rounds=2)
    assert choice.chosen is rs[0].trajectories[1], choice.selected
    leader = Leader()
    leader.offer(rs[0].trajectories[0], 1)
    assert leader.best is None and not leader.solved  # no early stop on a forged pass


def test_a_tampered_final_program_is_replaced_or_nothing_is_answered() -> None:
    rs = rounds([traj(0, (1, 3))], [forged(0, (3, 3))])
    choice = select(rs, PROBLEM, planned_rounds=2, policy="synthesis")
    assert choice.chosen is rs[0].trajectories[0]
    assert "tampered" in choice.selected.reason
    alone = rounds([forged(0, (3, 3))], [forged(0, (3, 3))])
    choice = select(alone, PROBLEM, planned_rounds=2)
    assert choice.chosen is None and "tampered" in choice.selected.reason


def test_the_next_round_is_told_why_a_candidate_was_refused() -> None:
    from pacore_core.compaction import verification_block

    tr = forged(0, (3, 3))
    assert tr.verification is not None
    tr.verification.tests = [CaseResult(name="t", status="tampered",
                                        message="tampered with the test harness: gc.get_objects ...")]
    block = verification_block(tr.verification)
    assert block.startswith("Verification: TAMPERED") and "gc.get_objects" in block
