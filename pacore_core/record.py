"""Run results and records: everything a run did, serialisable, replayable without a model."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, computed_field
from pydantic_core import from_json

from pacore_core.agreement.models import AgreementRecord
from pacore_core.backends.base import BackendError, Trajectory, count_model_calls
from pacore_core.config import RunConfig
from pacore_core.files import DataFileError, atomic_write, parse_model, read_text
from pacore_core.problem import Problem
from sandbox.models import TestResult, VerdictKind, judge_name

RunStatus = Literal["solved", "unsolved", "error"]


class SuiteScore(BaseModel):
    passed: int = 0
    total: int = 0


class Verification(BaseModel):
    """A candidate's verdict over the suites that were run (public and/or hidden)."""

    verdict: VerdictKind = "not_run"
    passed: int = 0
    total: int = 0
    public: SuiteScore | None = None
    hidden: SuiteScore | None = None
    oracle: SuiteScore | None = None  # agreement with the brute force on generated inputs
    tests: list[TestResult] = Field(default_factory=list)
    compile_output: str | None = None
    duration_s: float = 0.0  # the sandbox runs' own time, not the wait for a slot
    # the run's generated-input results (execution agreement); kept out of records, which
    # hold the behaviours in `RunResult.agreement`
    probes: list[TestResult] = Field(default_factory=list, exclude=True)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def judge(self) -> str:
        """The verdict as a judge names it ("accepted", "wrong answer", "compilation error")."""
        return judge_name(self.verdict)

    @property
    def ok(self) -> bool:
        return self.verdict == "passed"


class TrajectoryRecord(Trajectory):
    """A trajectory plus what the engine made of it."""

    code: str | None = None
    code_problem: str | None = None  # why no usable code was extracted
    verification: Verification | None = None
    message: str = ""  # the compacted message C(trajectory)
    # seconds after its round started: when the model's answer arrived, when its verdict did
    # (the run page's timeline: generation and verification overlapping)
    arrived_s: float | None = None
    verified_s: float | None = None


class Cut(BaseModel):
    """One decision taken to fit the context budget or to merge duplicates."""

    kind: Literal["merged", "trimmed", "dropped"]
    indices: list[int]
    detail: str
    tokens_saved: int = 0


class RoundRecord(BaseModel):
    round: int
    k: int
    prompt: str
    input_tokens: int = 0
    trajectories: list[TrajectoryRecord] = Field(default_factory=list)
    cuts: list[Cut] = Field(default_factory=list)
    messages: list[str] = Field(default_factory=list)  # references handed to the next round
    message_sources: list[list[int]] = Field(default_factory=list)  # trajectories behind each message
    generation_s: float = 0.0
    wall_s: float = 0.0
    seeded_from_pool: bool = False
    started_s: float = 0.0  # seconds after the run started


class SelectedCandidate(BaseModel):
    source: Literal["final", "candidate", "none"]
    round: int | None = None
    index: int | None = None
    reason: str = ""


class OracleRecord(BaseModel):
    """The brute force and generator a run used as its oracle: the user's (`pacore solve
    --brute --gen`) or the model's (`oracle = on`, pacore_core/model_oracle.py); a function
    stub's oracle has no generator (its inputs are drawn from the signature)."""

    brute: str
    generator: str | None = None
    brute_language: str
    generator_language: str | None = None
    brute_function: str | None = None  # a function stub's oracle: the function called
    inputs: int
    first_seed: int
    checked_on_samples: int  # samples (a stub's tests) the brute force passed first
    # e.g. inputs dropped (no answer from it); a model's: why other samples were discarded
    notes: list[str] = Field(default_factory=list)
    source: Literal["user", "model"] = "user"
    samples: int = 0  # model: oracle samples asked for (K)
    agreeing: int = 0  # model: samples that agreed with the kept brute force
    replayed: bool = False  # taken from a replayed run record, not written again
    prompt_tokens: int = 0
    completion_tokens: int = 0


class RunResult(BaseModel):
    status: RunStatus
    code: str | None = None
    language: str = "python"
    verification: Verification = Field(default_factory=Verification)
    selected: SelectedCandidate = Field(default_factory=lambda: SelectedCandidate(source="none"))
    selection_tests: Literal["public", "public+hidden", "none"] = "none"
    rounds: list[RoundRecord] = Field(default_factory=list)
    ttc_tokens: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    model_calls: int = 0
    max_input_tokens: int = 0
    context_window: int | None = None
    wall_s: float = 0.0
    sandbox_s: float = 0.0
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)  # e.g. solved, but a later round failed
    replayed: bool = False
    early_stopped: bool = False
    agreement: AgreementRecord | None = None  # generated inputs, clusters (execution agreement)
    oracle: OracleRecord | None = None  # the brute force whose outputs were oracle tests
    assurance: str = ""  # "passed your tests", "passed samples + agreed with ...", ...

    def tally_costs(self) -> None:
        """Totals over every round (and the agreement's input writing, which is TTC too)."""
        trajs = [t for r in self.rounds for t in r.trajectories]
        self.ttc_tokens = sum(t.completion_tokens for t in trajs)
        self.prompt_tokens = sum(t.prompt_tokens for t in trajs)
        self.cached_tokens = sum(t.cached_tokens for t in trajs)
        self.model_calls = sum(count_model_calls(r.trajectories) for r in self.rounds)
        self.max_input_tokens = max((r.input_tokens for r in self.rounds), default=0)
        self.sandbox_s = sum(t.verification.duration_s for t in trajs if t.verification)
        if self.agreement is not None:
            self.ttc_tokens += self.agreement.completion_tokens
            self.prompt_tokens += self.agreement.prompt_tokens
            self.model_calls += 1 if self.agreement.completion_tokens else 0
            # no sandbox time to add: the probes ran inside the verifications counted above
        if self.oracle is not None and self.oracle.completion_tokens:  # the model wrote it
            self.ttc_tokens += self.oracle.completion_tokens
            self.prompt_tokens += self.oracle.prompt_tokens
            self.model_calls += 1


class RunRecord(BaseModel):
    version: int = 1
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    backend: str = ""
    model: str | None = None
    config: RunConfig
    problem: Problem
    result: RunResult

    def save(self, path: Path) -> None:
        """Write atomically so an interrupted run never leaves a half-written record."""
        atomic_write(path, self.model_dump_json(indent=1))

    @classmethod
    def load(cls, path: Path) -> RunRecord:
        """Read a record someone gave us: JSON data only; errors name the file and field."""
        return parse_model(cls, read_text(path, "run record"), path, "PaCoRe run record")


class TrajectoryPool(BaseModel):
    """Cached round-1 trajectories per problem id, as the paper's evaluation used."""

    problems: dict[str, list[Trajectory]] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> TrajectoryPool:
        """Accept a pool file, or a run record (its first round becomes the pool).

        Like records, pools are read as JSON data only; errors name the file and field.
        """
        text = read_text(path, "pool")
        try:
            data = from_json(text)
        except ValueError as e:
            raise DataFileError(f"{path} is not a pool or run record: not valid JSON ({e})") from None
        if not isinstance(data, dict):
            raise DataFileError(
                f"{path} is not a pool or run record: it holds a JSON {type(data).__name__}, "
                'not an object such as {"problems": {"ID": [trajectories]}}'
            )
        if "result" in data and "problem" in data:
            rec = parse_model(RunRecord, data, path, "run record")
            first = rec.result.rounds[0].trajectories if rec.result.rounds else []
            return cls(
                problems={
                    rec.problem.id: [
                        Trajectory(**t.model_dump(include=set(Trajectory.model_fields))) for t in first
                    ]
                }
            )
        return parse_model(cls, data, path, "trajectory pool")

    def take(self, problem_id: str, k: int) -> list[Trajectory]:
        return list(self.problems.get(problem_id, []))[:k]


class RoundFailedError(BackendError):
    """A round could not be sampled; `record` keeps what it did (trajectories, requests)."""

    def __init__(self, message: str, record: RoundRecord, *, setting: str | None, fix: str | None) -> None:
        super().__init__(message, setting=setting, fix=fix)
        self.record = record


def round_failure(rec: RoundRecord, failure: BackendError | None, *, where: str) -> RoundFailedError | None:
    """Why a finished round gives the next nothing to build on: the backend failed, or every
    trajectory did (on `where`, the endpoint; the error names the setting to look at)."""
    if failure is not None:
        return RoundFailedError(
            f"round {rec.round}: {failure.message}", rec, setting=failure.setting, fix=failure.fix
        )
    if not rec.trajectories or not all(t.error for t in rec.trajectories):
        return None
    first = rec.trajectories[0].error
    slow = ("; a server that is only slow needs a larger {first_token_timeout_s} (streaming) "
            "or {request_timeout_s}") if first and "timed out" in first else ""
    return RoundFailedError(
        f"round {rec.round}: all {len(rec.trajectories)} trajectories failed on {where}: {first}",
        rec, setting="base_url",
        fix="check that the model server set in {base_url} is up and generating" + slow,
    )
