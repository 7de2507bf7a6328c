"""One progress state for both front ends: the CLI's live line and the editor's `$/progress`
message are drawn from the same fold of the engine's events."""

from __future__ import annotations

import io

from rich.console import Console

from lsp_server.progress import progress_message
from pacore_cli.render import SolveProgress
from pacore_core.events import (
    CandidateVerified,
    Event,
    ModelRetrying,
    RoundStarted,
    RunFinished,
    RunStarted,
    TrajectoryFinished,
)
from pacore_core.progress import ProgressState

EVENTS: list[Event] = [
    RunStarted(problem_id="p", widths=[2, 1], context_window=None),
    RoundStarted(round=1, rounds=2, k=2, input_tokens=10),
    TrajectoryFinished(round=1, index=0, done=1, k=2, completion_tokens=30),
    ModelRetrying(round=1, attempt=2, attempts=5, trajectories=1, endpoint="http://127.0.0.1:1/v1",
                  reason="no token within 60 s", no_answer=True),
]


def test_the_state_folds_the_events() -> None:
    state = ProgressState()
    for event in EVENTS:
        state.apply(event)
    assert (state.round, state.rounds, state.done, state.tokens) == (1, 2, 1, 30)
    assert state.notice.startswith("no answer yet (no token within 60 s)")
    assert state.percentage == 16  # one of three trajectories sampled, none verified
    state.apply(TrajectoryFinished(round=1, index=1, done=2, k=2, completion_tokens=12))
    assert state.notice == "" and state.tokens == 42  # an answer came: the retry is over
    state.apply(CandidateVerified(round=1, index=0, verdict="passed", passed=3, total=3,
                                  verified=1, best_passed=3, best_total=3))
    state.apply(RunFinished(status="solved", passed=3, total=3, ttc_tokens=42,
                            selected_from="final"))
    assert (state.phase, state.status, state.percentage) == ("finished", "solved", 100)


def test_both_front_ends_draw_the_same_state() -> None:
    cli = SolveProgress(Console(file=io.StringIO(), force_terminal=False))
    for event in EVENTS:
        cli(event)
    editor = progress_message(cli.state)
    assert editor == ("round 1/2 · 1/2 trajectories · no answer yet (no token within 60 s), "
                      "retrying (2/5)")
    assert cli.status == "round 1: no answer yet (no token within 60 s), retrying (2/5)"
    cli(RunFinished(status="unsolved", passed=1, total=3, ttc_tokens=30, selected_from="candidate"))
    assert cli.status == "unsolved" and (cli.state.best_passed, cli.state.best_total) == (1, 3)
