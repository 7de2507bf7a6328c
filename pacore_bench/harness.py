"""Run strategies over a dataset, score on hidden tests, and summarise; resumable.

Output directory layout:
* `results.jsonl`: one `BenchRow` per (problem, strategy, repeat), appended as it finishes
  (a rerun skips rows already there; rows that ended in an error are retried);
* `summary.json`: one `StrategySummary` per strategy;
* `bench.json`: what the rows were produced with (dataset, model, seed); a rerun into the
  same directory with different values is refused rather than mixing results.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from pacore_bench.strategies import RunCost, StrategySpec, run_strategy
from pacore_core.backends.base import Backend
from pacore_core.config import RunConfig
from pacore_core.errors import BenchError
from pacore_core.files import atomic_write
from pacore_core.problem import Problem
from pacore_core.record import RunRecord
from pacore_core.verification import verify_code
from sandbox.base import Sandbox
from sandbox.models import Candidate, Limits, TestSuite, Verdict

RESULTS = "results.jsonl"
SUMMARY = "summary.json"
META = "bench.json"
PLOT = "pass_at_1_vs_ttc.png"




class BenchMeta(BaseModel):
    dataset: str
    model: str | None = None
    seed: int = 0
    hide_examples: bool = False


class BenchRow(RunCost):
    problem: str
    strategy: str
    repeat: int
    seed: int
    status: Literal["ok", "error"] = "ok"
    error: str | None = None
    passed: bool = False
    verdict: str | None = None  # the scoring run's status (`passed`, `failed`, ...)
    judge: str | None = None  # ... as a judge names it (`accepted`, `wrong answer`, ...)
    score_passed: int = 0
    score_total: int = 0
    scored_on: Literal["hidden", "public"] = "hidden"
    public_passed: int | None = None
    public_total: int | None = None
    reason: str = ""
    score_s: float = 0.0
    code: str | None = None
    node: str | None = None  # the cluster node that produced the row (Ray runs only)
    page: str | None = None  # the row's run page, relative to the output directory
    # the run itself, until `pacore_view.bench_page.save_row_run` writes it beside the page
    record: RunRecord | None = Field(default=None, exclude=True, repr=False)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.problem, self.strategy, self.repeat)


class StrategySummary(BaseModel):
    strategy: str
    problems: int = 0
    rows: int = 0
    errors: int = 0
    pass_at_1: float = 0.0  # mean over problems of the mean over repeats
    ttc_tokens: float = 0.0  # mean per run
    model_calls: float = 0.0
    wall_s: float = 0.0
    sandbox_s: float = 0.0
    tampered: int = 0  # candidates caught tampering over all rows (never chosen)
    tampered_answers: int = 0  # rows whose scored answer was judged `tampered`


class BenchSettings(BaseModel):
    strategies: list[StrategySpec]
    run: RunConfig = Field(default_factory=RunConfig)
    repeats: int = Field(default=1, ge=1)
    seed: int = 0
    concurrency: int = Field(default=4, ge=1)
    sandbox_concurrency: int = Field(default=4, ge=1)
    hide_examples: bool = Field(
        default=False, description="strategies get no public tests (the statement still shows "
        "the examples): selection cannot run them, only agreement or synthesis can decide")


class BoundedSandbox:
    """Caps concurrent sandbox runs across all strategies of a benchmark."""

    def __init__(self, inner: Sandbox, limit: asyncio.Semaphore) -> None:
        self.inner = inner
        self.name = inner.name
        self._limit = limit

    async def run(self, candidate: Candidate, suite: TestSuite,
                  limits: Limits | None = None) -> Verdict:
        async with self._limit:
            return await self.inner.run(candidate, suite, limits)

    async def close(self) -> None:
        """The inner sandbox belongs to the caller."""


def row_seed(base: int, problem_id: str, repeat: int) -> int:
    """The same seed for every strategy on a (problem, repeat): a paired comparison."""
    return zlib.crc32(f"{base}:{problem_id}:{repeat}".encode()) % (2**31)


def load_rows(path: Path) -> list[BenchRow]:
    """Rows of a results file; a torn last line (interrupted write) is ignored."""
    rows: list[BenchRow] = []
    if not path.is_file():
        return rows
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        try:
            rows.append(BenchRow.model_validate_json(line))
        except ValidationError:
            continue
    return rows


def latest(rows: list[BenchRow]) -> dict[tuple[str, str, int], BenchRow]:
    out: dict[tuple[str, str, int], BenchRow] = {}
    for r in rows:
        if r.key not in out or out[r.key].status == "error":
            out[r.key] = r
    return out


def public_view(problem: Problem, *, hide_examples: bool = False) -> Problem:
    """What a strategy may see: never the hidden tests; with `hide_examples`, no tests at all."""
    hidden: dict[str, object] = {"hidden_tests": None}
    if hide_examples:
        hidden["public_tests"] = None
    return problem.model_copy(update=hidden)


def scoring_view(problem: Problem) -> tuple[Problem, Literal["hidden", "public"]]:
    """Score on hidden tests; a problem without any is scored on its public tests."""
    if problem.hidden_tests is not None:
        return problem.model_copy(update={"public_tests": None}), "hidden"
    return problem, "public"


def check_meta(out_dir: Path, meta: BenchMeta) -> None:
    path = out_dir / META
    if path.is_file():
        try:
            old = BenchMeta.model_validate_json(path.read_text())
        except ValidationError:
            old = None
        if old is not None and old != meta:
            raise BenchError(
                f"{out_dir} holds results for {old.model_dump()}, not {meta.model_dump()}; "
                "use another --out directory"
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(path, meta.model_dump_json(indent=1))


async def run_bench(
    problems: list[Problem],
    settings: BenchSettings,
    *,
    backend: Backend,
    sandbox: Sandbox,
    out_dir: Path,
    meta: BenchMeta,
    on_row: Callable[[BenchRow, bool], None] | None = None,
) -> list[StrategySummary]:
    """Run every missing (problem, strategy, repeat); `on_row(row, skipped)` reports each."""
    check_meta(out_dir, meta)
    results = out_dir / RESULTS
    done = {k: r for k, r in latest(load_rows(results)).items() if r.status == "ok"}
    bounded = BoundedSandbox(sandbox, asyncio.Semaphore(settings.sandbox_concurrency))
    tasks_limit = asyncio.Semaphore(settings.concurrency)
    write_lock = asyncio.Lock()
    jobs = [(p, s, rep) for p in problems for s in settings.strategies
            for rep in range(settings.repeats)]

    async def one(problem: Problem, spec: StrategySpec, repeat: int) -> None:
        key = (problem.id, spec.name, repeat)
        if key in done:
            if on_row is not None:
                on_row(done[key], True)
            return
        async with tasks_limit:
            row = await run_row(problem, spec, repeat, settings, backend, bounded)
        await asyncio.to_thread(save_row_run, out_dir, row)
        async with write_lock:
            with results.open("a") as f:
                f.write(row.model_dump_json() + "\n")
        if on_row is not None:
            on_row(row, False)

    async with asyncio.TaskGroup() as tg:
        for p, s, rep in jobs:
            tg.create_task(one(p, s, rep))
    return write_summary(out_dir, {(p.id, s.name, rep) for p, s, rep in jobs},
                         [s.name for s in settings.strategies])


def write_summary(out_dir: Path, wanted: set[tuple[str, str, int]],
                  order: list[str]) -> list[StrategySummary]:
    """Summarise the latest row of every wanted key into `summary.json`."""
    rows = [r for k, r in latest(load_rows(out_dir / RESULTS)).items() if k in wanted]
    summaries = summarise(rows, order)
    atomic_write(out_dir / SUMMARY, json.dumps([s.model_dump() for s in summaries], indent=1))
    return summaries


async def run_row(
    problem: Problem, spec: StrategySpec, repeat: int, settings: BenchSettings,
    backend: Backend, sandbox: Sandbox,
) -> BenchRow:
    seed = row_seed(settings.seed, problem.id, repeat)
    cfg = settings.run.model_copy(update={"seed": seed})
    shown = public_view(problem, hide_examples=settings.hide_examples)
    out = await run_strategy(spec, shown, backend=backend, sandbox=sandbox, config=cfg)
    row = BenchRow(problem=problem.id, strategy=spec.name, repeat=repeat, seed=seed,
                   reason=out.reason, code=out.code, error=out.error,
                   record=RunRecord(backend=backend.name, model=getattr(backend, "model", None),
                                    config=cfg, problem=shown, result=out.result)
                   if out.result is not None else None,
                   **out.cost().model_dump())
    if out.public is not None:
        row.public_passed, row.public_total = out.public.passed, out.public.total
    if out.error is not None and out.code is None:
        row.status, row.error = "error", out.error
        return row
    scoring, row.scored_on = scoring_view(problem)
    if out.code is not None:
        start = time.perf_counter()
        v = await verify_code(sandbox, scoring, out.code, cfg.limits)
        row.score_s = time.perf_counter() - start
        row.score_passed, row.score_total, row.passed = v.passed, v.total, v.ok
        row.verdict, row.judge = v.verdict, v.judge
        if v.verdict == "sandbox_error":
            row.status = "error"
            row.error = "sandbox error while scoring: " + "; ".join(
                t.message or t.status for t in v.tests[:1])
    return row


def save_row_run(out_dir: Path, row: BenchRow) -> None:
    """Write the row's run record and page under `runs/` (failures to do so are the row's
    note, never the bench's end)."""
    from pacore_view.bench_page import save_row_run as save

    save(out_dir, row)


def summarise(rows: list[BenchRow], order: list[str]) -> list[StrategySummary]:
    by_strategy: dict[str, list[BenchRow]] = defaultdict(list)
    for r in rows:
        by_strategy[r.strategy].append(r)
    out: list[StrategySummary] = []
    for name in order:
        rs = by_strategy.get(name, [])
        s = StrategySummary(strategy=name, rows=len(rs),
                            errors=sum(r.status == "error" for r in rs))
        if rs:
            per_problem: dict[str, list[float]] = defaultdict(list)
            for r in rs:
                per_problem[r.problem].append(1.0 if r.passed else 0.0)
            s.problems = len(per_problem)
            s.pass_at_1 = sum(sum(v) / len(v) for v in per_problem.values()) / len(per_problem)
            s.ttc_tokens = sum(r.ttc_tokens for r in rs) / len(rs)
            s.model_calls = sum(r.model_calls for r in rs) / len(rs)
            s.wall_s = sum(r.wall_s for r in rs) / len(rs)
            s.sandbox_s = sum(r.sandbox_s for r in rs) / len(rs)
            s.tampered = sum(r.tampered for r in rs)
            s.tampered_answers = sum(r.verdict == "tampered" for r in rs)
        out.append(s)
    return out
