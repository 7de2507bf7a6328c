"""`pacore bench --ray`: every (problem, strategy, repeat) row is one Ray task.

The driver keeps the harness's contract: rows are appended to `results.jsonl` by the driver
alone, as tasks finish, once per key (Ray may run a task again after its node died; only
the one result the driver receives per submitted row is written, and a key already written
is never written again), and a rerun into the same directory skips finished rows. Each
task builds its own model backend from the settings (several endpoints are routed by the
backend itself) and verifies through the sandbox services the driver started, its own
node's first; each row records the node that produced it. Cancelling the driver (Ctrl-C)
cancels the tasks, closes the services (their containers go) and leaves the cluster idle.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pacore_bench.harness import (
    RESULTS,
    BenchMeta,
    BenchRow,
    BenchSettings,
    StrategySummary,
    check_meta,
    latest,
    load_rows,
    row_seed,
    run_row,
    save_row_run,
    write_summary,
)
from pacore_bench.strategies import StrategySpec
from pacore_core.config import ServerSettings
from pacore_core.errors import SandboxError
from pacore_core.problem import Problem
from sandbox.ray_cluster import Cluster, current_node_label
from sandbox.ray_service import ServiceRef, start_services, stop_services

TASK_RETRIES = 3  # reruns of a row whose worker or node died
POLL_S = 1.0


@dataclass
class NodeLoad:
    rows_done: int = 0
    sandbox_running: int = 0
    sandbox_capacity: int = 0


@dataclass
class ClusterProgress:
    """What the live view shows: rows done / running / pending and each node's load."""

    total: int
    skipped: int = 0
    done: int = 0
    running: int = 0
    pending: int = 0
    nodes: dict[str, NodeLoad] = field(default_factory=dict)


@dataclass
class RayBenchOptions:
    address: str | None = None  # None: start a local Ray; "auto": the running cluster
    sandbox_kind: str = "docker"  # what each node's service runs candidates in
    sandbox_options: dict[str, Any] = field(default_factory=dict)
    rows_per_cpu: int = 4  # rows at once per node CPU (they mostly wait on the model)


def _row_task(problem: Problem, spec: StrategySpec, repeat: int, settings: BenchSettings,
              server: ServerSettings, replay: Path | None, services: list[ServiceRef]) -> BenchRow:
    """Body of one Ray task (runs on a worker)."""
    return asyncio.run(_row(problem, spec, repeat, settings, server, replay, services))


async def _row(problem: Problem, spec: StrategySpec, repeat: int, settings: BenchSettings,
               server: ServerSettings, replay: Path | None, services: list[ServiceRef]) -> BenchRow:
    import ray

    from pacore_core.backends import make_backend
    from sandbox.ray_backend import RaySandbox

    sandbox = RaySandbox(services=services, prefer_node=ray.get_runtime_context().get_node_id())
    backend = make_backend(server, config=settings.run, replay=replay)
    try:
        row = await run_row(problem, spec, repeat, settings, backend, sandbox)
    finally:
        await backend.close()
    if sandbox.disturbed:  # a verdict may be an infrastructure failure: run the row again
        raise RowDisturbed("; ".join(sandbox.disturbed))
    row.node = current_node_label()
    return row


class RowDisturbed(SandboxError):
    """A sandbox service or node was lost during the row; Ray reruns the whole row."""


async def run_bench_on_ray(
    problems: list[Problem],
    settings: BenchSettings,
    *,
    server: ServerSettings,
    replay: Path | None,
    out_dir: Path,
    meta: BenchMeta,
    options: RayBenchOptions,
    on_row: Callable[[BenchRow, bool], None] | None = None,
    on_progress: Callable[[ClusterProgress], None] | None = None,
) -> list[StrategySummary]:
    """Like `harness.run_bench`, with the rows spread over a Ray cluster."""
    check_meta(out_dir, meta)
    results = out_dir / RESULTS
    done = {k: r for k, r in latest(load_rows(results)).items() if r.status == "ok"}
    jobs = [(p, s, rep) for p in problems for s in settings.strategies
            for rep in range(settings.repeats)]
    todo: deque[tuple[Problem, StrategySpec, int]] = deque()
    for p, s, rep in jobs:
        key = (p.id, s.name, rep)
        if key in done:
            if on_row is not None:
                on_row(done[key], True)
        else:
            todo.append((p, s, rep))
    progress = ClusterProgress(total=len(jobs), skipped=len(jobs) - len(todo))
    cluster = Cluster(options.address).connect()
    try:
        services = start_services(cluster.ray, cluster.sandbox_nodes(), options.sandbox_kind,
                                  options.sandbox_options, settings.run.limits)
        try:
            driver = _Driver(cluster, services, settings, server, replay, results, options,
                             on_row, on_progress, progress)
            await driver.drive(todo)
        finally:
            await stop_services(cluster.ray, services)
    finally:
        cluster.close()
    return write_summary(out_dir, {(p.id, s.name, rep) for p, s, rep in jobs},
                         [s.name for s in settings.strategies])


class _Driver:
    """Submits rows up to the cluster's row slots, writes each result once, reports."""

    def __init__(self, cluster: Cluster, services: list[ServiceRef], settings: BenchSettings,
                 server: ServerSettings, replay: Path | None, results: Path,
                 options: RayBenchOptions, on_row: Callable[[BenchRow, bool], None] | None,
                 on_progress: Callable[[ClusterProgress], None] | None,
                 progress: ClusterProgress) -> None:
        self.cluster, self.services, self.settings = cluster, services, settings
        self.server, self.replay, self.results, self.options = server, replay, results, options
        self.on_row, self.on_progress, self.progress = on_row, on_progress, progress
        self.written: set[tuple[str, str, int]] = set()
        self.rows_by_node: Counter[str] = Counter()

    def _slots(self) -> int:
        """Row slots of the alive nodes; services of nodes that left are no longer handed out."""
        nodes = self.cluster.nodes()
        alive = {n.node_id for n in nodes}
        self.services = [s for s in self.services if s.node.node_id in alive] or self.services
        return max(1, sum(n.cpus for n in nodes) * self.options.rows_per_cpu)

    async def drive(self, todo: deque[tuple[Problem, StrategySpec, int]]) -> None:
        ray = self.cluster.ray
        remote = ray.remote(_row_task).options(num_cpus=1.0 / self.options.rows_per_cpu,
                                               max_retries=TASK_RETRIES,
                                               retry_exceptions=[RowDisturbed])
        inflight: dict[asyncio.Future[Any], tuple[tuple[Problem, StrategySpec, int], Any]] = {}
        last_poll = 0.0
        slots = self._slots()
        try:
            while todo or inflight:
                while todo and len(inflight) < slots:
                    job = todo.popleft()
                    p, s, rep = job
                    ref = remote.remote(p, s, rep, self.settings, self.server, self.replay,
                                        self.services)
                    inflight[asyncio.wrap_future(ref.future())] = (job, ref)
                finished, _ = await asyncio.wait(inflight, timeout=POLL_S,
                                                 return_when=asyncio.FIRST_COMPLETED)
                for fut in finished:
                    job, _ref = inflight.pop(fut)
                    self._record(job, fut)
                if time.monotonic() - last_poll >= POLL_S:
                    last_poll = time.monotonic()
                    slots = self._slots()
                    await self._report(len(inflight), len(todo))
            await self._report(0, 0)
        except BaseException:
            for _job, ref in inflight.values():
                ray.cancel(ref, force=True, recursive=True)
            raise

    def _record(self, job: tuple[Problem, StrategySpec, int], fut: asyncio.Future[Any]) -> None:
        p, s, rep = job
        key = (p.id, s.name, rep)
        try:
            row: BenchRow = fut.result()
        except Exception as e:  # the task failed after its retries: an error row, rerun later
            text = str(e).strip().splitlines()
            row = BenchRow(problem=p.id, strategy=s.name, repeat=rep,
                           seed=row_seed(self.settings.seed, p.id, rep), status="error",
                           error=f"cluster task failed: {text[-1] if text else type(e).__name__}")
        if key in self.written:
            return
        self.written.add(key)
        save_row_run(self.results.parent, row)
        with self.results.open("a") as f:
            f.write(row.model_dump_json() + "\n")
        self.progress.done += 1
        if row.node:
            self.rows_by_node[row.node] += 1
        if self.on_row is not None:
            self.on_row(row, False)

    async def _report(self, running: int, pending: int) -> None:
        if self.on_progress is None:
            return
        self.progress.running, self.progress.pending = running, pending
        nodes: dict[str, NodeLoad] = {}
        for s in self.services:
            try:
                load = await asyncio.wait_for(
                    asyncio.wrap_future(s.handle.load.remote().future()), POLL_S)
            except Exception:
                load = {"running": 0, "capacity": s.capacity}
            nodes[s.node.label] = NodeLoad(sandbox_running=load["running"],
                                           sandbox_capacity=load["capacity"])
        for label, n in self.rows_by_node.items():
            nodes.setdefault(label, NodeLoad()).rows_done = n
        self.progress.nodes = nodes
        self.on_progress(self.progress)
