"""`solve --all`: every stub of a module, package or project, callees first.

Each group of the call graph (a stub, or a cycle solved as one program) starts as soon as
the groups it calls have finished, so independent stubs run concurrently, sharing the one
backend (its request limit) and the one sandbox (its parallelism). A group whose callee was
not solved still runs, against the callee's stub, and says which callee failed. Accepted
code is spliced into the project state at once (and handed to the writer), so callers'
candidates run with it in place. The project's whole suite runs before (concurrently) and
after; a test that passed before and fails after is a regression.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pacore_core.backends.base import Backend
from pacore_core.config import Settings
from pacore_core.engine import Engine
from pacore_core.errors import SettingNamer, run_failure
from pacore_core.events import Event
from pacore_core.multi_stub.callgraph import CallGraph, build
from pacore_core.multi_stub.group_problem import GroupSetup, NoTests, setup_cycle, setup_single
from pacore_core.multi_stub.inventory import Inventory, StubRef, collect
from pacore_core.multi_stub.models import (
    MultiEvent,
    SolveAllReport,
    StubFinished,
    StubOutcome,
    StubProgress,
    StubStarted,
    StubWaiting,
    SuiteFinished,
    SuiteRun,
    SuiteRunning,
    Totals,
)
from pacore_core.multi_stub.state import ProjectState
from pacore_core.multi_stub.writing import Nowhere, ResultWriter
from pacore_core.project.splice import SpliceError
from pacore_core.prompting import Templates
from pacore_core.record import RunResult
from sandbox.base import Sandbox
from sandbox.models import Candidate, ProjectSuite, Verdict
from sandbox.project import ProjectSnapshot, take_snapshot

MultiSink = Callable[[MultiEvent], None]


@dataclass
class Plan:
    """The stubs under a path and the call graph among them."""

    inventory: Inventory
    graph: CallGraph

    @property
    def root(self) -> Path:
        return self.inventory.root


def make_plan(path: Path, root: Path | None = None, texts: dict[str, str] | None = None) -> Plan:
    """Raises ProblemLoadError for a path that holds nothing to solve."""
    inv = collect(path, root, texts)
    return Plan(inv, build(inv))


class SolveAll:
    """One `solve --all` run; `run()` returns the report (cancellation stops every stub)."""

    def __init__(self, plan: Plan, *, backend: Backend, sandbox: Sandbox, settings: Settings,
                 writer: ResultWriter | None = None, on_event: MultiSink | None = None,
                 name_setting: SettingNamer | None = None, disk: dict[str, str] | None = None,
                 run_suite: bool = True) -> None:
        self.plan = plan
        self.backend = backend
        self.sandbox = sandbox
        self.settings = settings
        self.writer: ResultWriter = writer or Nowhere()
        self.state = ProjectState.of(plan.inventory, disk)
        self._emit = on_event or (lambda _e: None)
        self._name = name_setting
        self._templates = Templates(settings.run.template_dir)
        self._outcomes: dict[StubRef, StubOutcome] = {}
        self._snapshot: ProjectSnapshot | None = None
        self._run_suite = run_suite

    @property
    def snapshot(self) -> ProjectSnapshot:
        """The project as `run` found it: taken first thing, before any stub's task starts."""
        if self._snapshot is None:
            raise RuntimeError("SolveAll.run takes the project snapshot before solving")
        return self._snapshot

    # -- the run ----------------------------------------------------------------------------

    async def run(self) -> SolveAllReport:
        started = time.monotonic()
        graph = self.plan.graph
        ed = self.settings.editor
        self._snapshot = await asyncio.to_thread(take_snapshot, self.plan.root, None,
                                                 ed.project_include)
        baseline = asyncio.create_task(self._suite({})) if self._run_suite else None
        tasks: dict[int, asyncio.Task[None]] = {}
        for gi in range(len(graph.groups)):  # Tarjan's order: callees' groups come first
            tasks[gi] = asyncio.create_task(self._group(gi, tasks), name=f"stubs-{gi}")
        try:
            await asyncio.gather(*tasks.values())
            suite = await self._final_suite(baseline) if baseline is not None else None
        except BaseException:
            for t in [*tasks.values(), *([baseline] if baseline else [])]:
                t.cancel()
            await asyncio.gather(*tasks.values(), *([baseline] if baseline else []),
                                 return_exceptions=True)
            raise
        written = await self.writer.finish(self.state.solved_files())
        return self._report(suite, written, time.monotonic() - started)

    async def _group(self, gi: int, tasks: dict[int, asyncio.Task[None]]) -> None:
        graph = self.plan.graph
        refs = graph.groups[gi]
        deps = sorted(graph.depends[gi])
        waits = [m.id for d in deps for m in graph.groups[d]]
        pending = [m.id for d in deps if not tasks[d].done() for m in graph.groups[d]]
        if pending:
            for ref in refs:
                self._emit(StubWaiting(stub=ref.id, on=pending))
            await asyncio.gather(*(tasks[d] for d in deps))
        failed = sorted({c.id for r in refs for c in graph.callees[r]
                         if c not in refs and self._outcomes[c].status != "solved"})
        cycle = [r.id for r in refs] if len(refs) > 1 else []
        for ref in refs:
            self._emit(StubStarted(stub=ref.id, cycle=cycle))
        t0 = time.monotonic()
        base = dict(order=graph.order[gi], waited_on=waits, failed_callees=failed, cycle=cycle)
        outcomes, result = await self._solve_group(refs, base)
        for ref, outcome in outcomes.items():
            outcome.seconds = round(time.monotonic() - t0, 2)
            self._outcomes[ref] = outcome
            self._emit(StubFinished(outcome=outcome, result=result))

    async def _solve_group(self, refs: list[StubRef], base: dict[str, object]
                           ) -> tuple[dict[StubRef, StubOutcome], RunResult | None]:
        def outcome(ref: StubRef, **kw: object) -> StubOutcome:
            return StubOutcome.model_validate({"stub": ref.id, "file": ref.relpath,
                                               "function": ref.qualname, **base, **kw})

        try:
            setup = await asyncio.to_thread(self._setup, refs, self.snapshot)
        except (NoTests, SpliceError) as e:
            return {r: outcome(r, status="error", error=str(e)) for r in refs}, None
        config = self.settings.run
        if setup.agreement:
            config = config.model_copy(update={"agreement": "on"})
        elif len(refs) > 1:
            config = config.model_copy(update={"agreement": "off"})
        first = refs[0].id

        def forward(event: Event) -> None:
            self._emit(StubProgress(stub=first, event=event))

        try:
            result = await Engine(self.backend, setup.sandbox, config, on_event=forward,
                                  name_setting=self._name).solve(setup.problem)
        except Exception as e:  # one stub's failure never stops the others
            cause = run_failure(e)
            message = cause.render(self._name) if cause is not None else f"{type(e).__name__}: {e}"
            return {r: outcome(r, status="error", error=message, tests=setup.tests_label)
                    for r in refs}, None
        return await self._accept(refs, result, setup, outcome), result

    def _setup(self, refs: list[StubRef], snapshot: ProjectSnapshot) -> GroupSetup:
        if len(refs) == 1:
            return setup_single(refs[0], self.state, self.sandbox, snapshot, self.settings,
                                self._templates)
        return setup_cycle(refs, self.state, self.sandbox, snapshot, self.settings,
                           self._templates)

    async def _accept(self, refs: list[StubRef], result: RunResult, setup: GroupSetup,
                      outcome: Callable[..., StubOutcome]) -> dict[StubRef, StubOutcome]:
        ver = result.verification
        warnings = list(result.warnings)
        written: dict[str, str | None] = {}
        status, error = result.status, result.error
        if status == "solved" and result.code is not None:
            try:
                splices = self.state.accept(refs, result.code,
                                            keep_docstring=self.settings.editor.keep_docstring)
            except SpliceError as e:
                splices, status, error = {}, "error", str(e)
            for rel in dict.fromkeys(r.relpath for r in refs if r in splices):
                mine = [r for r in refs if r.relpath == rel]
                try:
                    written[rel] = await self.writer.solved(
                        mine, self.state.current[rel], {r: splices[r] for r in mine}, result.code)
                except OSError as e:
                    warnings.append(f"could not write {rel}: {e.strerror or e}")
        if len(refs) > 1:
            warnings.append("solved as one problem with the stubs of its call cycle"
                            + ("" if status == "solved" else ", which failed"))
        return {r: outcome(r, status=status, assurance=result.assurance, tests=setup.tests_label,
                           passed=ver.passed, total=ver.total,
                           ttc_tokens=result.ttc_tokens if r == refs[0] else 0,
                           code=result.code, error=error, warnings=warnings,
                           written=written.get(r.relpath))
                for r in refs}

    # -- the whole suite --------------------------------------------------------------------

    async def _suite(self, overlay: dict[str, str]) -> Verdict:
        suite = ProjectSuite(root=self.plan.root, overlay=overlay, node_ids=[],
                             include=self.settings.editor.project_include,
                             snapshot=self.snapshot)
        return await self.sandbox.run(Candidate(code=""), suite, self.settings.run.limits)

    async def _final_suite(self, baseline: asyncio.Task[Verdict]) -> SuiteRun:
        self._emit(SuiteRunning(which="final"))
        after = await self._suite(self.state.changed())
        before = await baseline
        passed_before = {t.name for t in before.tests if t.status == "passed"}
        failed = [t.name for t in after.tests if t.status != "passed"]
        run = SuiteRun(passed=after.passed, total=after.total, failed=failed,
                       regressions=[n for n in failed if n in passed_before],
                       baseline_passed=before.passed, baseline_total=before.total)
        if after.verdict not in ("passed", "failed"):
            run.error = f"{after.verdict}: {(after.compile_output or '').strip()[:500]}".rstrip(": ")
        self._emit(SuiteFinished(suite=run))
        return run

    # -- the report -------------------------------------------------------------------------

    def _report(self, suite: SuiteRun | None, written: dict[str, str], wall: float
                ) -> SolveAllReport:
        order = list(self.plan.inventory.stubs)
        stubs = sorted(self._outcomes.values(), key=lambda o: (
            o.order, order.index(StubRef(o.file, o.function))))
        for o in stubs:
            if o.status == "solved" and o.file in written:
                o.written = written[o.file]
        totals = Totals(stubs=len(stubs), solved=sum(o.status == "solved" for o in stubs),
                        ttc_tokens=sum(o.ttc_tokens for o in stubs), wall_s=round(wall, 2))
        ok = stubs and totals.solved == totals.stubs and not (suite and suite.regressions)
        return SolveAllReport(status="solved" if ok else "unsolved", root=str(self.plan.root),
                              stubs=stubs, totals=totals, suite=suite,
                              skipped=list(self.plan.inventory.skipped))
