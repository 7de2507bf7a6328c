"""The per-node sandbox service: a Ray actor owning one node's sandbox pool.

Containers belong to the actor, never to the tasks that ask for verdicts, so a cancelled or
retried task leaves nothing behind, and every task on a node shares one warm pool sized to
the node's CPUs. The actor is pinned to its node and restarted by Ray when its process
dies; a restarted actor removes the containers its dead predecessor left (the Docker
backend's start-up sweep of containers whose owner process is gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from sandbox.container import pid_alive
from sandbox.jobs import failure_verdict
from sandbox.models import Candidate, Limits, TestSuite, Verdict
from sandbox.ray_cluster import NodeInfo


class SandboxService:
    """Actor body (wrapped with `ray.remote` by `start_services`): verdicts for candidates."""

    def __init__(self, kind: str, capacity: int, options: dict[str, Any]) -> None:
        from sandbox import make_sandbox

        self.capacity = capacity
        self.sandbox = make_sandbox(kind, parallelism=capacity, **options)  # type: ignore[arg-type]
        self.running: set[asyncio.Task[Verdict]] = set()
        self.done = 0
        self.closed = False

    async def run(self, candidate: Candidate, suite: TestSuite, limits: Limits | None) -> Verdict:
        if self.closed:  # a call that was on its way when the driver stopped the services
            return failure_verdict(suite, "sandbox_error", "the sandbox service was stopped",
                                   backend="ray", duration_s=0.0)  # fmt: skip
        task = asyncio.ensure_future(self.sandbox.run(candidate, suite, limits))
        self.running.add(task)
        try:
            return await task
        finally:
            self.running.discard(task)
            self.done += 1

    async def prepare(self, limits: Limits | None) -> None:
        """Warm the pool for `limits` while the first model requests are out."""
        prepare = getattr(self.sandbox, "prepare", None)
        if prepare is not None:
            await prepare(limits)

    def load(self) -> dict[str, int]:
        """Runs in flight (queued for a slot included), capacity, runs finished."""
        return {"running": len(self.running), "capacity": self.capacity, "done": self.done,
                "pid": os.getpid()}

    async def close(self) -> tuple[str, int]:
        """Refuse new runs, cancel those running (each destroys its container) and empty
        the pool; says where this process runs, so the caller can wait for its end."""
        self.closed = True
        while self.running:
            for task in list(self.running):
                task.cancel()
            await asyncio.gather(*list(self.running), return_exceptions=True)
        await self.sandbox.close()
        return socket.gethostname(), os.getpid()


@dataclass
class ServiceRef:
    """A handle on one node's service, as tasks and clients receive it."""

    node: NodeInfo
    capacity: int
    handle: Any  # ray.actor.ActorHandle


def service_name(node: NodeInfo) -> str:
    return f"pacore-sandbox-{node.node_id}"


def start_services(ray: Any, nodes: list[NodeInfo], kind: str, options: dict[str, Any],
                   limits: Limits | None = None) -> list[ServiceRef]:
    """One service per node (an existing one with the same name is reused), each warming
    its pool for `limits` in the background."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    actor_cls = ray.remote(SandboxService)
    refs = []
    for node in nodes:
        handle = actor_cls.options(
            name=service_name(node), get_if_exists=True, num_cpus=0, max_restarts=-1,
            max_task_retries=2, max_concurrency=1000,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node.node_id, soft=False),
        ).remote(kind, node.cpus, options)
        handle.prepare.remote(limits)  # fire and forget: a failure shows on the first run
        refs.append(ServiceRef(node=node, capacity=node.cpus, handle=handle))
    return refs


async def stop_services(ray: Any, services: list[ServiceRef], timeout_s: float = 60.0) -> None:
    """Close every service (its containers go), end the actors, and once the processes of
    those on this host have exited, remove what any of them still left (a close that timed
    out, a container its engine finished creating after the owner was killed)."""
    here = socket.gethostname()

    async def one(s: ServiceRef) -> int | None:
        where = None
        with contextlib.suppress(Exception):  # a dead actor has nothing left to close
            where = await asyncio.wait_for(asyncio.wrap_future(s.handle.close.remote().future()),
                                           timeout_s)
        with contextlib.suppress(Exception):
            ray.kill(s.handle, no_restart=True)
        return where[1] if where and where[0] == here else None

    pids = [p for p in await asyncio.gather(*(one(s) for s in services)) if p is not None]
    await asyncio.to_thread(_wait_exited, pids, timeout_s=10.0)
    await asyncio.to_thread(sweep_orphans)


def _wait_exited(pids: list[int], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if pid_alive(p)]
        time.sleep(0.1)


def sweep_orphans() -> list[str]:
    """Remove containers on this host whose owner (a service on a lost node) is dead."""
    try:
        import docker

        from sandbox.container import remove_stale

        client = docker.from_env()
    except Exception:  # no Docker here: nothing of ours can be left on this host
        return []
    try:
        return remove_stale(client)
    except Exception:
        return []
    finally:
        client.close()
