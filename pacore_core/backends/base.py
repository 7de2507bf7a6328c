"""The backend interface the engine samples trajectories through."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import Protocol, runtime_checkable

from pydantic import BaseModel
from typing_extensions import TypedDict

from pacore_core.errors import BackendError  # noqa: F401  (re-exported: backends raise it)
from pacore_core.events import EventSink


class ChatMessage(TypedDict):
    role: str
    content: str


class SampleRequest(BaseModel):
    """One round's request: K independent trajectories for the same messages."""

    messages: list[ChatMessage]
    n: int
    round_index: int = 0
    temperature: float = 1.0
    top_p: float = 0.95
    max_tokens: int = 4096
    seed: int | None = None


class Trajectory(BaseModel):
    """One sampled trajectory. Token counts are vLLM's usage, attributed per trajectory.

    When several trajectories share one request (`n=K`), the prompt is counted once on the
    first trajectory of that request so that sums over trajectories equal the server's usage.
    """

    index: int
    content: str = ""
    reasoning: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    latency_s: float = 0.0
    error: str | None = None
    request_id: str | None = None  # trajectories sharing a request (n=K) share this
    failed_requests: int = 0  # requests of its call that reached a server but delivered nothing

    @property
    def ok(self) -> bool:
        return self.error is None


def count_model_calls(trajectories: Iterable[Trajectory]) -> int:
    """Requests that reached a model: one per request id, plus the failed ones charged to
    trajectories. Pooled trajectories cost nothing; an errored one without an id never
    reached a server."""
    trajectories = list(trajectories)
    ids = {
        t.request_id or f"#{t.index}"
        for t in trajectories
        if t.request_id != "pool" and not (t.error and t.request_id is None)
    }
    return len(ids) + sum(t.failed_requests for t in trajectories)


@runtime_checkable
class Backend(Protocol):
    name: str

    def sample(
        self, request: SampleRequest, on_event: EventSink | None = None
    ) -> AsyncGenerator[Trajectory, None]:
        """Yield each of the `request.n` trajectories as soon as it finishes (any order).

        A trajectory that fails after retries is yielded with `error` set; the iterator
        raises `BackendError` only when the server cannot be used at all. Backends that
        retry report each retry to `on_event` (a `ModelRetrying` event).
        """
        ...

    async def count_tokens(self, text: str) -> int:
        """Tokens of `text` with the model's own tokenizer (or a documented estimate)."""
        ...

    async def context_window(self) -> int | None:
        """The model's context length in tokens, if the backend can tell."""
        ...

    async def close(self) -> None: ...
