"""What a run has done so far, folded from its events: the one state both front ends keep.

The CLI (rich bars or log lines) and the language server (`$/progress` messages) render it
in their own ways; what the events mean (which round, how many trajectories sampled and
verified, the best score, a retry under way, the tokens spent) is decided once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pacore_core.events import (
    CandidateVerified,
    Event,
    ModelRetrying,
    RoundCompacted,
    RoundStarted,
    RunFinished,
    RunStarted,
    TrajectoryFinished,
)

Phase = Literal["starting", "sampling", "compacting", "finished"]


@dataclass
class ProgressState:
    """A run's progress: `apply` each event in order."""

    widths: list[int] = field(default_factory=list)
    round: int = 0
    k: int = 0
    done: int = 0  # trajectories of this round that arrived
    verified: int = 0  # candidates of this round verified
    best_passed: int = 0
    best_total: int = 0
    finished_before: int = 0  # trajectories of completed rounds
    tokens: int = 0  # completion tokens of every trajectory so far
    phase: Phase = "starting"
    notice: str = ""  # "no answer yet (...), retrying (2/5)" until an answer arrives
    status: str = ""  # the run's status once it finished ("solved", "unsolved", ...)

    def apply(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.widths = list(event.widths)
            self.phase = "sampling"
        elif isinstance(event, RoundStarted):
            if self.round:
                self.finished_before += self.k
            self.round, self.k, self.done, self.verified = event.round, event.k, 0, 0
            if not self.widths:
                self.widths = [event.k] * event.rounds
            self.phase = "sampling"
            self.notice = ""
        elif isinstance(event, ModelRetrying):
            self.notice = event.describe()
        elif isinstance(event, TrajectoryFinished):
            self.done = max(self.done, event.done)
            self.tokens += event.completion_tokens
            self.notice = ""
        elif isinstance(event, CandidateVerified):
            self.verified = max(self.verified, event.verified)
            self.best_passed, self.best_total = event.best_passed, event.best_total
        elif isinstance(event, RoundCompacted):
            self.phase = "compacting"
        elif isinstance(event, RunFinished):
            self.phase = "finished"
            self.status = event.status
            self.best_passed, self.best_total = event.passed, event.total

    @property
    def rounds(self) -> int:
        """Rounds of the run (the final one included), once known."""
        return len(self.widths) or self.round

    @property
    def percentage(self) -> int:
        """0-100: a trajectory counts half when sampled, fully when verified; 100 only once
        the run finished."""
        total = sum(self.widths) or 1
        units = self.finished_before + (self.done + self.verified) / 2
        pct = int(100 * units / total)
        return 100 if self.phase == "finished" else max(0, min(99, pct))
