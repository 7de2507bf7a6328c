"""The `Sandbox` interface every backend implements (Docker, local)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from sandbox.models import Candidate, Limits, TestSuite, Verdict


@runtime_checkable
class Sandbox(Protocol):
    """Runs one candidate against a suite. Async, cancellable, safe to call concurrently.

    Cancelling the awaiting task must kill everything the candidate started.
    """

    name: str

    async def run(self, candidate: Candidate, suite: TestSuite, limits: Limits | None = None) -> Verdict: ...

    async def close(self) -> None: ...
