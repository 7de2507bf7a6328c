"""The state of one `sample()` call and of each logical model call within it.

A logical call is the trajectories still missing under one request id, across its HTTP
attempts (retries, moves to another endpoint, a shrunk ``max_tokens``). Keeping that state
in one object (instead of parameters threaded through a recursion) also keeps the model-call
count honest: every HTTP request that reached a server is either the `request_id` of what it
delivered or charged once, as `failed_requests`, to a trajectory of the same call (see
`pacore_core.backends.base.count_model_calls`).
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from pacore_core.backends.base import SampleRequest, Trajectory
from pacore_core.backends.endpoints import Endpoint
from pacore_core.backends.retry import TransientError
from pacore_core.events import EventSink, ModelRetrying


@dataclass
class Sampling:
    """One `sample()` call: where finished trajectories and retry events go, and the failures
    held back because no server was ever reached (one `BackendError` if nothing succeeds)."""

    request: SampleRequest
    started: float
    on_event: EventSink | None = None
    queue: asyncio.Queue[Trajectory | BaseException | None] = field(default_factory=asyncio.Queue)
    unreachable: list[Trajectory] = field(default_factory=list)
    causes: list[str] = field(default_factory=list)


@dataclass
class ModelCall:
    """One logical model call: the trajectories `remaining` under one request id, with the
    `max_tokens` that currently fits, across its attempts."""

    sampling: Sampling
    remaining: list[int]
    seed: int | None
    max_tokens: int
    request_id: str = field(default_factory=lambda: f"req-{uuid.uuid4().hex[:12]}")
    retries: int = 0  # retries used (waits under the retry policy)
    failovers: int = 0  # moves to another endpoint since the last retry
    shrinks: int = 0  # context-length shrinks of max_tokens
    tries: int = 0  # HTTP requests attempted, failovers included
    uncharged: int = 0  # failed requests that reached a server, not yet charged
    delivered: int = 0
    chunks: int = 0  # stream chunks received in the current attempt
    endpoint: Endpoint | None = None  # of the current attempt

    def single(self, index: int) -> ModelCall:
        """The call for trajectory `index` alone, with its own seed (``seed + index``)."""
        seed = None if self.seed is None else self.seed + index
        return ModelCall(self.sampling, [index], seed, self.max_tokens)

    def split(self) -> list[ModelCall]:
        """One call per remaining trajectory (a server refused ``n``); the refused request
        is charged to the first of them."""
        singles = [self.single(i) for i in self.remaining]
        singles[0].uncharged, self.uncharged = self.uncharged, 0
        return singles

    def attempt_id(self) -> str:
        """A request id for this attempt when the server gives none."""
        return f"{self.request_id}-{self.tries}"

    async def deliver(self, traj: Trajectory) -> None:
        if traj.index in self.remaining:
            self.remaining.remove(traj.index)
        if self.uncharged:
            traj.failed_requests, self.uncharged = traj.failed_requests + self.uncharged, 0
        self.delivered += 1
        await self.sampling.queue.put(traj)

    def give_up(self, error: str, *, url: str, reached: bool) -> list[Trajectory]:
        """The remaining trajectories, failed with `error`.

        When the last request reached a server they carry its id, so it counts as one model
        call (and not again among the uncharged); when it did not, they carry no id."""
        where = f"server {url}" + (f", after {self.tries} attempts" if self.tries > 1 else "")
        if reached:
            self.uncharged = max(0, self.uncharged - 1)
        rid = self.attempt_id() if reached else None
        return [Trajectory(index=i, error=f"{error} ({where})", request_id=rid) for i in self.remaining]

    async def announce_retry(self, e: TransientError, *, attempts: int, delay: float, url: str) -> None:
        """Tell the run's event sink that this call is sent again (attempt ``retries + 1``)."""
        sink = self.sampling.on_event
        if sink is None:
            return
        event = ModelRetrying(
            round=self.sampling.request.round_index,
            attempt=self.retries + 1,
            attempts=attempts,
            trajectories=len(self.remaining),
            endpoint=url,
            reason=str(e),
            no_answer=e.no_answer,
            delay_s=round(delay, 3),
        )
        out = sink(event)
        if inspect.isawaitable(out):
            await out


async def counted_chunks(chunks: AsyncIterator[bytes], call: ModelCall) -> AsyncIterator[bytes]:
    """Count chunks: a timeout then tells "no token at all" from "the stream stopped"."""
    async for raw in chunks:
        call.chunks += 1
        yield raw
