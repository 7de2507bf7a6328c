"""Replays the trajectories of a recorded run: the whole pipeline runs again without a model."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

from pacore_core.backends.base import SampleRequest, Trajectory
from pacore_core.record import RunRecord
from pacore_core.tokens import estimate_tokens


class ReplayBackend:
    """Round r's request gets round r's recorded trajectories, in recorded order.

    There is no tokenizer in a record, so counts are estimates and no context window is
    reported: replay re-runs sandbox, compaction and selection, not the budget.
    """

    name = "replay"

    def __init__(self, record: RunRecord, source: Path | None = None) -> None:
        self.record = record
        self.source = source
        self._rounds = {r.round: r for r in record.result.rounds}

    @classmethod
    def from_file(cls, path: Path) -> ReplayBackend:
        return cls(RunRecord.load(path), source=path)

    async def sample(self, request: SampleRequest) -> AsyncGenerator[Trajectory, None]:
        recorded = self._rounds.get(request.round_index)
        trajectories = recorded.trajectories if recorded else []
        for i in range(request.n):
            if i < len(trajectories):
                t = trajectories[i]
                yield Trajectory(**t.model_dump(include=set(Trajectory.model_fields)))
            else:
                yield Trajectory(
                    index=i,
                    error=f"the replayed record {self.source or ''} has {len(trajectories)} "
                    f"trajectories for round {request.round_index}, not {request.n}: replay with "
                    "the recorded rounds",
                )

    async def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    async def context_window(self) -> int | None:
        return None

    async def close(self) -> None:
        return None
