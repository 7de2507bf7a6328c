"""A solve's `$/progress`: engine events folded into a message and a percentage, and the
begin/report/end stream of one token."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lsprotocol import types

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

if TYPE_CHECKING:
    from lsp_server.server import PacoreLanguageServer

log = logging.getLogger("pacore.lsp")


@dataclass
class ProgressState:
    """What a solve has done so far, folded from events."""

    widths: list[int] = field(default_factory=list)
    round: int = 0
    k: int = 0
    done: int = 0
    verified: int = 0
    best_passed: int = 0
    best_total: int = 0
    finished_before: int = 0  # trajectories of completed rounds
    phase: str = "starting"
    notice: str = ""  # "no answer yet (...), retrying (2/5)" until an answer arrives

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
            self.notice = ""
        elif isinstance(event, CandidateVerified):
            self.verified = max(self.verified, event.verified)
            self.best_passed, self.best_total = event.best_passed, event.best_total
        elif isinstance(event, RoundCompacted):
            self.phase = "compacting"
        elif isinstance(event, RunFinished):
            self.phase = "finished"
            self.best_passed, self.best_total = event.passed, event.total

    @property
    def percentage(self) -> int:
        total = sum(self.widths) or 1
        # A trajectory counts half when sampled, fully when verified.
        units = self.finished_before + (self.done + self.verified) / 2
        pct = int(100 * units / total)
        return 100 if self.phase == "finished" else max(0, min(99, pct))

    def message(self) -> str:
        if not self.round:
            return "starting"
        parts = [f"round {self.round}/{len(self.widths) or self.round}",
                 f"{self.done}/{self.k} trajectories"]
        if self.best_total:
            parts.append(f"best {self.best_passed}/{self.best_total} tests")
        elif self.verified:
            parts.append(f"{self.verified} verified")
        if self.notice:
            parts.append(self.notice)
        return " · ".join(parts)


class SolveProgress:
    """One solve's `$/progress` stream; every call is a no-op when the client cannot show
    progress or refused the token."""

    def __init__(self, ls: PacoreLanguageServer, token: str, title: str) -> None:
        caps = ls.client_capabilities.window
        self.enabled = bool(caps is not None and caps.work_done_progress)
        self.state = ProgressState()
        self._ls, self._token, self._title = ls, token, title
        self._last = ""

    async def begin(self) -> None:
        if not self.enabled:
            return
        try:
            await self._ls.work_done_progress.create_async(self._token)
        except Exception as e:  # the client refused: solve without a progress bar
            log.warning("workDoneProgress/create failed: %s", e)
            self.enabled = False
            return
        self._ls.work_done_progress.begin(self._token, types.WorkDoneProgressBegin(
            title=self._title, cancellable=True, message="starting", percentage=0))

    def say(self, message: str, percentage: int = 0) -> None:
        if self.enabled:
            self._ls.work_done_progress.report(self._token, types.WorkDoneProgressReport(
                message=message, percentage=percentage, cancellable=True))

    def on_event(self, event: Event) -> None:
        """Fold an engine event in; report when the message changed."""
        self.state.apply(event)
        message = self.state.message()
        if message != self._last:
            self._last = message
            self.say(message, self.state.percentage)

    def end(self, message: str) -> None:
        if self.enabled:
            self._ls.work_done_progress.end(self._token, types.WorkDoneProgressEnd(
                message=message))
