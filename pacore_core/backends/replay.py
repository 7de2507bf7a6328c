"""Replays the trajectories of recorded runs: the whole pipeline runs again without a model."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path

from pacore_core.backends.base import SampleRequest, Trajectory
from pacore_core.events import EventSink
from pacore_core.record import RoundRecord, RunRecord
from pacore_core.tokens import estimate_tokens


class ReplayBackend:
    """Round r's request gets round r's recorded trajectories, in recorded order.

    Several records (a directory of them, e.g. one per benchmark problem) are told apart by
    the problem statement, which every prompt of a run contains. There is no tokenizer in a
    record, so counts are estimates and no context window is reported: replay re-runs
    sandbox, compaction and selection, not the budget.
    """

    name = "replay"

    def __init__(self, records: list[RunRecord], source: Path | None = None) -> None:
        if not records:
            raise ValueError(f"no run records to replay in {source}")
        self.records = records
        self.source = source

    @classmethod
    def from_path(cls, path: Path) -> ReplayBackend:
        """A record file, or a directory whose `*.json` files are records."""
        if path.is_dir():
            files = sorted(path.glob("*.json"))
            return cls([RunRecord.load(f) for f in files], source=path)
        return cls([RunRecord.load(path)], source=path)

    def _record_for(self, request: SampleRequest) -> RunRecord | None:
        if len(self.records) == 1:
            return self.records[0]
        prompt = request.messages[-1]["content"] if request.messages else ""
        matches = [r for r in self.records if r.problem.statement in prompt]
        return max(matches, key=lambda r: len(r.problem.statement), default=None)

    async def sample(
        self, request: SampleRequest, on_event: EventSink | None = None
    ) -> AsyncGenerator[Trajectory, None]:
        record = self._record_for(request)
        rounds: dict[int, RoundRecord] = {r.round: r for r in record.result.rounds} if record else {}
        recorded = rounds.get(request.round_index)
        trajectories = recorded.trajectories if recorded else []
        for i in range(request.n):
            if i < len(trajectories):
                yield Trajectory(**trajectories[i].model_dump(include=set(Trajectory.model_fields)))
            elif record is None:
                yield Trajectory(index=i, error=f"no run record in {self.source} is for this problem")
            else:
                yield Trajectory(
                    index=i,
                    error=f"the replayed record of {record.problem.id} has {len(trajectories)} "
                    f"trajectories for round {request.round_index}, not {request.n}: replay "
                    "with the recorded rounds",
                )

    async def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    async def context_window(self) -> int | None:
        return None

    async def close(self) -> None:
        return None
