"""`ray` sandbox backend: one run's candidates spread over every node's sandbox service.

It is a plain `Sandbox` (the engine knows nothing of Ray). Each candidate goes to the
service with the most free slots as this client counts them (its own node's first when
asked, as benchmark rows do); when every slot is taken the caller waits, so a wide round
queues here instead of piling onto one node. A service whose actor dies is skipped while
Ray restarts it; one whose node left the cluster is dropped and its candidate runs
elsewhere. Standing up the services (and Ray itself, when no cluster is given) is done on
the first run and undone by `close()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from typing import Any

from sandbox.errors import SandboxError
from sandbox.jobs import failure_verdict
from sandbox.models import Candidate, Limits, TestSuite, Verdict
from sandbox.ray_cluster import Cluster, require_ray
from sandbox.ray_service import ServiceRef, start_services, stop_services

ATTEMPTS = 4  # services tried for one candidate before it is a sandbox error
LIVENESS_S = 5.0  # how often a long call checks that its node is still in the cluster


class RaySandbox:
    name = "ray"

    def __init__(
        self,
        *,
        address: str | None = None,
        kind: str = "docker",
        options: dict[str, Any] | None = None,
        services: list[ServiceRef] | None = None,
        prefer_node: str | None = None,
    ) -> None:
        """Own services (`address`, `kind`, `options` for each node's sandbox) or borrow
        `services` a driver started (benchmark rows); `prefer_node` is a node id."""
        self.ray = require_ray()
        self._address = address
        self._kind = kind
        self._options = options or {}
        self._owned = services is None
        self._services: list[ServiceRef] = list(services or [])
        self._prefer = prefer_node
        self._inflight: dict[str, int] = {}
        self._down_until: dict[str, float] = {}
        self._cluster: Cluster | None = None
        self._ready = asyncio.Lock()
        self._started = not self._owned
        self._slots: asyncio.Condition | None = None
        self.runs: Counter[str] = Counter()  # verdicts per node label
        self.disturbed: list[str] = []  # sandbox errors returned (infrastructure, not the code)

    @property
    def address(self) -> str | None:
        """The cluster joined (None: a local Ray this sandbox starts)."""
        return self._address

    @property
    def services(self) -> list[ServiceRef]:
        return list(self._services)

    async def start(self) -> None:
        """Join the cluster and start one service per sandbox node (idempotent)."""
        async with self._ready:
            if self._started:
                return
            self._cluster = Cluster(self._address).connect()  # ray.init wants the main thread
            nodes = await asyncio.to_thread(self._cluster.sandbox_nodes)
            self._services = start_services(self.ray, nodes, self._kind, self._options)
            self._started = True

    def _condition(self) -> asyncio.Condition:
        if self._slots is None:
            self._slots = asyncio.Condition()
        return self._slots

    def _pick(self, tried: set[str]) -> ServiceRef | None:
        now = time.monotonic()
        usable = [s for s in self._services if s.node.node_id not in tried
                  and self._down_until.get(s.node.node_id, 0.0) <= now]
        free = [s for s in usable if self._inflight.get(s.node.node_id, 0) < s.capacity]
        if not free:
            return None
        for s in free:
            if s.node.node_id == self._prefer:
                return s
        return max(free, key=lambda s: (s.capacity - self._inflight.get(s.node.node_id, 0)) / s.capacity)

    async def _acquire(self, tried: set[str]) -> ServiceRef:
        cond = self._condition()
        async with cond:
            while True:
                if not any(s.node.node_id not in tried for s in self._services):
                    raise SandboxError("no sandbox service is left in the Ray cluster",
                                       fix="add nodes with Docker (resource `pacore_sandbox`)")
                chosen = self._pick(tried)
                if chosen is not None:
                    key = chosen.node.node_id
                    self._inflight[key] = self._inflight.get(key, 0) + 1
                    return chosen
                with contextlib.suppress(TimeoutError):  # a slot frees, or a rest ends
                    await asyncio.wait_for(cond.wait(), timeout=LIVENESS_S)

    async def _release(self, service: ServiceRef) -> None:
        cond = self._condition()
        async with cond:
            key = service.node.node_id
            self._inflight[key] = max(0, self._inflight.get(key, 0) - 1)
            cond.notify_all()

    def _node_alive(self, node_id: str) -> bool:
        return any(n.get("NodeID") == node_id and n.get("Alive") for n in self.ray.nodes())

    async def _call(self, service: ServiceRef, candidate: Candidate, suite: TestSuite,
                    limits: Limits | None) -> Verdict:
        ref = service.handle.run.remote(candidate, suite, limits)
        fut = asyncio.wrap_future(ref.future())
        try:
            while True:
                done, _ = await asyncio.wait({fut}, timeout=LIVENESS_S)
                if done:
                    result: Verdict = fut.result()
                    return result
                if not await asyncio.to_thread(self._node_alive, service.node.node_id):
                    raise _NodeGone(service.node.label)
        except BaseException:
            if not fut.done():
                self.ray.cancel(ref)
            raise

    async def run(self, candidate: Candidate, suite: TestSuite, limits: Limits | None = None) -> Verdict:
        await self.start()
        tried: set[str] = set()
        errors: list[str] = []
        for _ in range(ATTEMPTS):
            try:
                service = await self._acquire(tried)
            except SandboxError as e:
                errors.append(str(e))
                break
            try:
                verdict = await self._call(service, candidate, suite, limits)
                self.runs[service.node.label] += 1
                if verdict.verdict == "sandbox_error":
                    self.disturbed.append(f"sandbox error on {service.node.label}")
                return verdict
            except _NodeGone as e:
                errors.append(f"node {e} left the cluster")
                self._services = [s for s in self._services if s is not service]
            except self.ray.exceptions.RayError as e:
                # the actor is being restarted, or is gone with its node: the candidate
                # runs on another node meanwhile
                errors.append(f"sandbox service on {service.node.label} failed: {type(e).__name__}")
                if isinstance(e, _gone_errors(self.ray)):
                    self._services = [s for s in self._services if s is not service]
                else:
                    self._down_until[service.node.node_id] = time.monotonic() + LIVENESS_S
                tried.add(service.node.node_id)
            finally:
                await self._release(service)
        self.disturbed.append("; ".join(errors) or "no sandbox service")
        return failure_verdict(suite, "sandbox_error", "; ".join(errors) or "no sandbox service",
                               backend=self.name, duration_s=0.0)

    async def load(self) -> dict[str, dict[str, int]]:
        """Each service's own count of runs in flight, keyed by node label."""
        out: dict[str, dict[str, int]] = {}
        for s in list(self._services):
            try:
                out[s.node.label] = await asyncio.wait_for(
                    asyncio.wrap_future(s.handle.load.remote().future()), LIVENESS_S)
            except Exception:
                out[s.node.label] = {"running": 0, "capacity": s.capacity, "done": 0, "pid": 0}
        return out

    async def close(self) -> None:
        if not self._owned:
            return
        services, self._services = self._services, []
        if services:
            await stop_services(self.ray, services)
        if self._cluster is not None:
            await asyncio.to_thread(self._cluster.close)
            self._cluster = None
        self._started = False


def _gone_errors(ray: Any) -> tuple[type[BaseException], ...]:
    """Ray's errors for an actor that will not come back (its node left the cluster)."""
    ex = ray.exceptions
    return tuple(getattr(ex, n) for n in ("ActorDiedError", "ActorUnschedulableError")
                 if hasattr(ex, n))


class _NodeGone(Exception):
    """The node of a service left the cluster while a call to it was in flight."""
