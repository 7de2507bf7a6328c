"""Typed progress events the engine emits; the CLI and the language server render them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from sandbox.models import VerdictKind


class RunStarted(BaseModel):
    type: Literal["run_started"] = "run_started"
    problem_id: str
    widths: list[int]
    context_window: int | None


class RoundStarted(BaseModel):
    type: Literal["round_started"] = "round_started"
    round: int  # 1-based
    rounds: int
    k: int
    input_tokens: int


class TrajectoryFinished(BaseModel):
    type: Literal["trajectory_finished"] = "trajectory_finished"
    round: int
    index: int
    done: int  # trajectories finished so far in this round
    k: int
    completion_tokens: int
    error: str | None = None


class CandidateVerified(BaseModel):
    type: Literal["candidate_verified"] = "candidate_verified"
    round: int
    index: int
    verdict: VerdictKind
    passed: int
    total: int
    verified: int  # candidates verified so far in this round
    best_passed: int
    best_total: int


class RoundCompacted(BaseModel):
    type: Literal["round_compacted"] = "round_compacted"
    round: int
    messages: int
    merged: int
    dropped: int
    trimmed: int


class ModelRetrying(BaseModel):
    """A model request got no usable answer and is sent again: a stalled or failing server
    shows up while it happens, not when the run ends."""

    type: Literal["model_retrying"] = "model_retrying"
    round: int
    attempt: int  # the attempt about to be made, 2 .. attempts
    attempts: int  # attempts the retry policy allows
    trajectories: int  # trajectories this request carries
    endpoint: str
    reason: str  # e.g. "no token within 60 s", "HTTP 500: ..."
    no_answer: bool = False  # the server accepted the request but sent nothing in time
    delay_s: float = 0.0

    def describe(self) -> str:
        """One line for a terminal or an editor's progress."""
        lead = "no answer yet" if self.no_answer else "model request failed"
        return f"{lead} ({self.reason}), retrying ({self.attempt}/{self.attempts})"


class RunFinished(BaseModel):
    type: Literal["run_finished"] = "run_finished"
    status: str
    passed: int
    total: int
    ttc_tokens: int
    selected_from: str


Event = Annotated[
    RunStarted | RoundStarted | TrajectoryFinished | CandidateVerified | RoundCompacted
    | ModelRetrying | RunFinished,
    Field(discriminator="type"),
]

EventSink = Callable[[Event], Awaitable[None] | None]
