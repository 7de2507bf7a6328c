"""What `solve --all` reports: one entry per stub, the whole-suite runs, totals (the `--json`
object and the editor's report), and the progress events a front end shows."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from pacore_core.events import Event
from pacore_core.record import RunResult

StubStatus = Literal["solved", "unsolved", "error", "cancelled"]


class StubOutcome(BaseModel):
    """One stub's result."""

    stub: str = Field(description="`FILE::qualname`, the file relative to the project root")
    file: str
    function: str = Field(description="qualified name, `Class.method` for a method")
    status: StubStatus
    order: int = Field(description="depth in the call graph: 1 calls no other stub")
    waited_on: list[str] = Field(default_factory=list, description="stubs it was solved after")
    failed_callees: list[str] = Field(default_factory=list,
                                      description="callees that were not solved before it ran")
    cycle: list[str] = Field(default_factory=list,
                             description="stubs solved with it as one problem (a call cycle)")
    assurance: str = ""
    tests: str = Field(default="", description="which tests judged it")
    passed: int = 0
    total: int = 0
    ttc_tokens: int = 0
    seconds: float = 0.0
    written: str | None = Field(default=None, description="where the result went: the file "
                                "itself, a file under .pacore/results/, or the output directory")
    code: str | None = None
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)


class SuiteRun(BaseModel):
    """The project's whole test suite, before and after the stubs were filled in."""

    passed: int = 0
    total: int = 0
    failed: list[str] = Field(default_factory=list)
    regressions: list[str] = Field(default_factory=list,
                                   description="tests that passed before and fail now")
    baseline_passed: int = 0
    baseline_total: int = 0
    error: str | None = None


class Totals(BaseModel):
    stubs: int = 0
    solved: int = 0
    ttc_tokens: int = 0
    wall_s: float = 0.0


class SolveAllReport(BaseModel):
    """The result of `solve --all`: `status` is "solved" only when every stub is."""

    status: Literal["solved", "unsolved", "error"]
    root: str
    stubs: list[StubOutcome] = Field(default_factory=list)
    totals: Totals = Field(default_factory=Totals)
    suite: SuiteRun | None = None
    skipped: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    error: str | None = None


class StubWaiting(BaseModel):
    stub: str
    on: list[str]


class StubStarted(BaseModel):
    stub: str
    cycle: list[str] = Field(default_factory=list)


class StubProgress(BaseModel):
    """An engine event of one stub's run."""

    stub: str
    event: Event


class StubFinished(BaseModel):
    outcome: StubOutcome
    result: RunResult | None = Field(default=None, exclude=True)  # the engine's, for reports


class SuiteRunning(BaseModel):
    which: Literal["baseline", "final"]


class SuiteFinished(BaseModel):
    suite: SuiteRun


MultiEvent = StubWaiting | StubStarted | StubProgress | StubFinished | SuiteRunning | SuiteFinished
