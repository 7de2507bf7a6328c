"""Fixtures for sandbox tests: a real Docker engine (failing, not skipping, without one)."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest
import pytest_asyncio

from sandbox import Sandbox, make_sandbox
from tests.conftest import require_docker

T = TypeVar("T")


def our_containers() -> list[str]:
    """pacore containers owned by this test process."""
    import docker

    client = docker.from_env()
    try:
        found = client.api.containers(all=True, filters={"label": "pacore"})
        return [
            c["Id"]
            for c in found
            if (c.get("Labels") or {}).get("pacore.owner-pid") == str(os.getpid())
            and (c.get("Labels") or {}).get("pacore.owner-host") == socket.gethostname()
        ]
    finally:
        client.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def docker_sandbox() -> AsyncIterator[Sandbox]:
    require_docker()
    sandbox = make_sandbox("docker", parallelism=2)
    yield sandbox
    await sandbox.close()
    assert our_containers() == [], "sandbox containers leaked after close()"


RUNTIMES = ("runc", "runsc")


@pytest.fixture(scope="module", params=RUNTIMES)
def runtime(request: pytest.FixtureRequest) -> str:
    """Each container runtime the Docker tests run under: runc, and gVisor's runsc."""
    require_docker()
    require_runtime(request.param)
    return str(request.param)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def runtime_sandbox(runtime: str) -> AsyncIterator[Sandbox]:
    """The Docker backend under `runtime`."""
    sandbox = make_sandbox("docker", parallelism=2, runtime=runtime)
    yield sandbox
    await sandbox.close()
    assert our_containers() == [], "sandbox containers leaked after close()"


def require_runtime(name: str) -> None:
    """Fail (not skip) when the engine lacks the runtime, saying how to add it."""
    import docker

    from sandbox.status import runtimes_of

    client = docker.from_env(timeout=10)
    try:
        found = runtimes_of(client)
    finally:
        client.close()
    assert name in found, (
        f"the Docker engine has no {name!r} runtime (it has {sorted(found)}): "
        "run scripts/setup_gvisor.sh (as root) to install and register gVisor"
    )


LOCAL_ROOT = tempfile.mkdtemp(prefix="pacore-sandbox-tests-")  # only this process's runs


@pytest.fixture(params=["docker", "local"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend a behaviour must hold on."""
    if request.param == "docker":
        request.applymarker(pytest.mark.docker)
        require_docker()
    return str(request.param)


async def with_sandbox(backend: str, use: Callable[[Sandbox], Awaitable[T]], **kw: Any) -> T:
    """A fresh single-slot sandbox of `backend` (Docker: one container per run), closed after."""
    extra = {"warm": 0, "max_uses": 1} if backend == "docker" else {"workdir_root": LOCAL_ROOT}
    sandbox = make_sandbox(backend, parallelism=1, **extra, **kw)  # type: ignore[arg-type]
    try:
        return await use(sandbox)
    finally:
        await sandbox.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def local_sandbox() -> AsyncIterator[Sandbox]:
    sandbox = make_sandbox("local", parallelism=2, workdir_root=LOCAL_ROOT)
    yield sandbox
    await sandbox.close()
