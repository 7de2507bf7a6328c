"""Docker backend: a pool of warm containers, one supervisor job per candidate.

Measured options (ENVIRONMENT.md and bench/bench_sandbox.py): `docker run` per candidate
~240 ms, `exec` into a warm container ~55 ms, a job sent to a warm container's
supervisor which forks per test ~ a few ms. So containers are created, attached and
started in the background, ahead of need, and a candidate only pays the round trip.

Isolation per candidate: a container serves one candidate at a time; between candidates
its supervisor kills every process, wipes every writable mount and SysV IPC object and
reports whether the container is clean. A container is reused (up to `max_uses`
candidates) only when that reset verified clean and the candidate ended normally
(passed/failed/error); after a timeout, memory kill, output flood or any infrastructure
trouble it is removed. `max_uses=1` gives one container per candidate.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Coroutine
from typing import Any

from sandbox.build_cache import BuildCache
from sandbox.container import (
    JOB_WORKDIR,
    ContainerSpec,
    SupervisorGone,
    WarmContainer,
    nproc_limit,
    remove_stale,
)
from sandbox.errors import SandboxError
from sandbox.images import IMAGE, ImageError, ensure_image, image_state
from sandbox.jobs import (
    SandboxFailure,
    build_job,
    failure_verdict,
    interrupted_verdict,
    verdict_from_response,
)
from sandbox.models import Candidate, Limits, ProjectSuite, TestStatus, TestSuite, Verdict
from sandbox.status import check_runtime
from sandbox.watchdog import DEFAULT_WATCHDOG, Watchdog

log = logging.getLogger(__name__)
REUSABLE_STATUSES = frozenset(
    {"passed", "failed", "presentation_error", "error", "compile_error", "skipped", "judge_error"}
)
DEFAULT_MAX_USES = 1000  # creating a container costs ~100x a verified reset


def _why_gone(warm: WarmContainer, exc: SupervisorGone) -> tuple[TestStatus, str]:
    """Whose fault a lost supervisor is. A missed deadline is the candidate's time; a dead
    container tells by its state: OOM-killed (under gVisor the whole sandbox is one host
    process, so a memory or fork bomb stops it) or SIGKILLed from inside (gVisor lets a
    process signal the sandbox's init); anything else is the infrastructure."""
    if exc.watchdog:
        return "timeout", str(exc)
    ended = warm.ended_how()
    if ended is not None and ended[1]:
        return "memory_limit", "the sandbox ran out of memory and was stopped (container limit)"
    if ended is not None and ended[0] == 137:
        return "error", "the sandbox's supervisor was killed during the run (by the candidate)"
    how = "still running" if ended is None else f"exit code {ended[0]}"
    return "sandbox_error", f"{exc} (the container: {how})"


class _Pool:
    """Warm containers of one spec: an idle queue refilled in the background.

    With reuse (`max_uses` > 1) the target counts the containers in use as well: a
    released container serves the next candidate, so creating spares while all are busy
    would only take CPU from the tests running. Without reuse every run consumes one, so
    the target is the number kept idle ahead of need.
    """

    def __init__(self, client: Any, spec: ContainerSpec, target: int, max_uses: int) -> None:
        self._client = client
        self.spec = spec
        self._target = target
        self._max_uses = max_uses
        self._idle: asyncio.LifoQueue[WarmContainer] = asyncio.LifoQueue()
        self._creating = 0
        self._busy = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def _ready(self) -> int:
        return self._idle.qsize() + (self._busy if self._max_uses > 1 else 0)

    def _create(self) -> WarmContainer:
        return WarmContainer(self._client, self.spec)

    def fill(self) -> None:
        """Start background creations up to the target of idle containers."""
        while not self._closed and self._ready() + self._creating < self._target:
            self._track(self._add(asyncio.ensure_future(asyncio.to_thread(self._create))))

    def _track(self, coro: Coroutine[Any, Any, None]) -> None:
        self._creating += 1
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _add(self, creation: asyncio.Future[WarmContainer]) -> None:
        """Settle a creation: its container joins the idle pool (or goes, once closed)."""
        try:
            warm = await creation
        except Exception as exc:
            log.warning("could not prepare a sandbox container: %s", exc)
            return
        finally:
            self._creating -= 1
        if self._closed:
            await asyncio.to_thread(warm.destroy)
        else:
            self._idle.put_nowait(warm)

    async def acquire(self) -> WarmContainer:
        try:
            warm = self._idle.get_nowait()
        except asyncio.QueueEmpty:
            creation = asyncio.ensure_future(asyncio.to_thread(self._create))
            try:
                warm = await asyncio.shield(creation)
            except asyncio.CancelledError:
                # the thread goes on creating: adopt its container so it cannot leak
                self._track(self._add(creation))
                raise
        self._busy += 1
        self.fill()
        return warm

    async def release(self, warm: WarmContainer, reusable: bool) -> None:
        # a kept container returns to the idle stack (the most recently used goes out first);
        # one that cannot be reused is removed and, below the target, replaced
        self._busy -= 1
        if reusable and not self._closed and warm.uses < self._max_uses:
            self._idle.put_nowait(warm)
            return
        await asyncio.to_thread(warm.destroy)
        self.fill()

    async def settled(self) -> None:
        """Wait for the creations in flight."""
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        self._closed = True  # creations in flight destroy their container when they finish
        while self._tasks:  # a cancelled acquire may adopt its creation meanwhile
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        idle = []
        while not self._idle.empty():
            idle.append(self._idle.get_nowait())
        await asyncio.gather(*(asyncio.to_thread(w.destroy) for w in idle))


class PoolClosed(SandboxError):
    """A run asked for a container after the sandbox was closed."""


class DockerSandbox:
    """Runs candidates in hardened containers (see module docstring)."""

    name = "docker"

    def __init__(
        self,
        *,
        parallelism: int | None = None,
        image: str | None = None,
        runtime: str | None = None,
        max_uses: int = DEFAULT_MAX_USES,
        warm: int | None = None,
        client: Any = None,
        build_missing: bool = True,
        watchdog: Watchdog = DEFAULT_WATCHDOG,
    ) -> None:
        import docker

        self._parallelism = parallelism or os.cpu_count() or 1
        self._image = image or IMAGE
        self._runtime = runtime
        self._max_uses = max(1, max_uses)
        self._warm = warm if warm is not None else self._parallelism
        self._client = client or docker.from_env(max_pool_size=max(10, 4 * self._parallelism))
        self._sem = asyncio.Semaphore(self._parallelism)
        self._pools: dict[ContainerSpec, _Pool] = {}
        self._ready: asyncio.Lock = asyncio.Lock()
        self._started = False
        self._closed = False
        self._build_missing = build_missing
        self._watchdog = watchdog
        self.builds = BuildCache()

    @property
    def parallelism(self) -> int:
        """Candidates verified at once."""
        return self._parallelism

    async def _start(self) -> None:
        async with self._ready:
            if self._started:
                return
            # an unregistered runtime is a set-up error, said once, not a verdict per candidate
            await asyncio.to_thread(check_runtime, self._client, self._runtime)
            stale = await asyncio.to_thread(remove_stale, self._client)
            if stale:
                log.info("removed %d stale sandbox containers", len(stale))
            state = await asyncio.to_thread(image_state, self._client, self._image)
            if state != "ok" and self._build_missing:
                await asyncio.to_thread(ensure_image, self._client, self._image)
            elif state == "missing":
                raise ImageError(f"image {self._image} missing: run `pacore sandbox build`")
            self._started = True

    def _pool(self, limits: Limits) -> _Pool:
        if self._closed:  # a new pool now would outlive close(): its containers would leak
            raise PoolClosed("the sandbox was closed")
        spec = ContainerSpec.from_limits(self._image, limits, self._runtime)
        pool = self._pools.get(spec)
        if pool is None:
            pool = self._pools[spec] = _Pool(self._client, spec, self._warm, self._max_uses)
            pool.fill()
        return pool

    async def prepare(self, limits: Limits | None = None, *, wait: bool = False) -> None:
        """Optionally warm the pool before the first candidate arrives (`wait`: until the
        containers being created are ready, as benchmarks of the steady state want)."""
        await self._start()
        if self._closed:
            return
        pool = self._pool(limits or Limits())
        if wait:
            await pool.settled()

    async def run(self, candidate: Candidate, suite: TestSuite, limits: Limits | None = None) -> Verdict:
        limits = limits or Limits()
        await self._start()
        nproc = nproc_limit(ContainerSpec.from_limits(self._image, limits, self._runtime))
        try:
            if isinstance(suite, ProjectSuite):  # may pack the project: off the event loop
                job = await asyncio.to_thread(
                    build_job, candidate, suite, limits, workdir=JOB_WORKDIR, nproc=nproc
                )
            else:
                job = build_job(candidate, suite, limits, workdir=JOB_WORKDIR, nproc=nproc)
        except SandboxFailure as exc:
            return failure_verdict(suite, "sandbox_error", str(exc), backend=self.name,
                                   duration_s=0.0)  # fmt: skip
        async with self.builds.job(job) as job:  # a program compiled once per sandbox
            return await self._send(job, candidate, suite, limits)

    async def _send(
        self, job: dict[str, Any], candidate: Candidate, suite: TestSuite, limits: Limits
    ) -> Verdict:
        async with self._sem:
            start = time.monotonic()  # the run's own time, not the wait for a slot
            try:
                pool = self._pool(limits)
                warm = await pool.acquire()
            except PoolClosed as exc:
                return failure_verdict(suite, "sandbox_error", str(exc), backend=self.name,
                                       duration_s=0.0)  # fmt: skip
            except Exception as exc:
                return failure_verdict(
                    suite, "sandbox_error", f"cannot start a sandbox container: {exc}",
                    backend=self.name, duration_s=time.monotonic() - start,
                )  # fmt: skip
            archive_id = job.get("archive_id")
            if archive_id is not None and archive_id == warm.archive:
                job = {**job, "archive": None}  # its supervisor keeps the project: overlay only
            first_s = self._watchdog.first(suite, limits, candidate)
            gap_s = self._watchdog.after_progress(limits, candidate)
            try:
                response = await asyncio.to_thread(warm.request, job, first_s, gap_s)
            except asyncio.CancelledError:
                await asyncio.shield(pool.release(warm, False))
                raise
            except SupervisorGone as exc:
                status, message = await asyncio.to_thread(_why_gone, warm, exc)
                await pool.release(warm, False)
                return interrupted_verdict(exc.progress, suite, status, message, backend=self.name,
                                           duration_s=time.monotonic() - start)  # fmt: skip
            except BaseException:
                await asyncio.shield(pool.release(warm, False))
                raise
            if archive_id and not response.get("sandbox_error"):
                warm.archive = archive_id
            self.builds.learn(job, response)
            verdict = verdict_from_response(
                response, suite, backend=self.name, duration_s=time.monotonic() - start
            )
            reusable = bool(response.get("reusable")) and all(
                t.status in REUSABLE_STATUSES for t in [*verdict.tests, *verdict.probes]
            )
            await pool.release(warm, reusable)
            return verdict

    async def close(self) -> None:
        """Remove every container; runs asked for afterwards are sandbox errors, so nothing
        created after this call can outlive it."""
        self._closed = True
        pools = list(self._pools.values())
        self._pools.clear()
        await asyncio.gather(*(p.close() for p in pools))

    async def __aenter__(self) -> DockerSandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
