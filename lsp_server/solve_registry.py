"""Registry of running solves: one asyncio task per solve, at most one per function.

`$/cancelRequest` cannot stop a pygls command handler (the handler returns at once and the
solve runs on), so cancellation goes through this registry: cancelling the task cancels the
engine, whose backend requests and sandbox runs are awaited inside it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from pacore_core.errors import EditorError


class AlreadyRunning(EditorError):
    """A solve is already running on this function."""


@dataclass(frozen=True)
class FunctionKey:
    uri: str
    qualname: str


@dataclass
class Job:
    solve_id: str
    key: FunctionKey
    task: asyncio.Task[Any]
    token: str


class JobRegistry:
    def __init__(self, on_idle: Callable[[], None] | None = None) -> None:
        self._jobs: dict[str, Job] = {}
        self._counter = itertools.count(1)
        self._on_idle = on_idle

    def _finished(self, solve_id: str) -> None:
        self._jobs.pop(solve_id, None)
        if not self._jobs and self._on_idle is not None:
            self._on_idle()

    def new_id(self) -> str:
        return f"solve-{next(self._counter)}"

    def running_on(self, key: FunctionKey) -> Job | None:
        return next((j for j in self._jobs.values() if j.key == key), None)

    def start(self, solve_id: str, key: FunctionKey, token: str,
              coro: Coroutine[Any, Any, Any]) -> Job:
        """Start `coro` as the solve of `key`; refuses if one already runs on `key`."""
        if (other := self.running_on(key)) is not None:
            coro.close()
            raise AlreadyRunning(
                f"a PaCoRe solve ({other.solve_id}) is already running on `{key.qualname}`; "
                "wait for it or cancel it (command pacore.cancel)"
            )
        task = asyncio.create_task(coro, name=solve_id)
        job = Job(solve_id=solve_id, key=key, task=task, token=token)
        self._jobs[solve_id] = job
        task.add_done_callback(lambda _t: self._finished(solve_id))
        return job

    def get(self, solve_id: str) -> Job | None:
        return self._jobs.get(solve_id)

    def by_token(self, token: object) -> Job | None:
        return next((j for j in self._jobs.values() if j.token == token), None)

    def all(self) -> list[Job]:
        return list(self._jobs.values())

    async def cancel(self, jobs: list[Job], timeout_s: float = 30.0) -> list[str]:
        """Cancel and wait until each task (and the cleanup in it) has finished."""
        for j in jobs:
            j.task.cancel()
        if jobs:
            await asyncio.wait([j.task for j in jobs], timeout=timeout_s)
        return [j.solve_id for j in jobs]
