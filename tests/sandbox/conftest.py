"""Fixtures for sandbox tests: a real Docker engine (failing, not skipping, without one)."""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import AsyncIterator

import pytest_asyncio

from sandbox import Sandbox, make_sandbox
from tests.conftest import require_docker


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


LOCAL_ROOT = tempfile.mkdtemp(prefix="pacore-sandbox-tests-")  # only this process's runs


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def local_sandbox() -> AsyncIterator[Sandbox]:
    sandbox = make_sandbox("local", parallelism=2, workdir_root=LOCAL_ROOT)
    yield sandbox
    await sandbox.close()
