"""A solve's `$/progress`: the shared progress state (pacore_core.progress) as a message and
a percentage, and the begin/report/end stream of one token."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from pacore_core.events import Event
from pacore_core.progress import ProgressState

if TYPE_CHECKING:
    from lsp_server.server import PacoreLanguageServer

log = logging.getLogger("pacore.lsp")


def progress_message(state: ProgressState) -> str:
    """The one-line `$/progress` message of a solve's state."""
    if not state.round:
        return "starting"
    parts = [f"round {state.round}/{state.rounds}", f"{state.done}/{state.k} trajectories"]
    if state.best_total:
        parts.append(f"best {state.best_passed}/{state.best_total} tests")
    elif state.verified:
        parts.append(f"{state.verified} verified")
    if state.notice:
        parts.append(state.notice)
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
        message = progress_message(self.state)
        if message != self._last:
            self._last = message
            self.say(message, self.state.percentage)

    def end(self, message: str) -> None:
        if self.enabled:
            self._ls.work_done_progress.end(self._token, types.WorkDoneProgressEnd(
                message=message))
