"""Shared fixtures: the real sandboxes the end-to-end tests run candidates in."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from sandbox.base import Sandbox


def require_docker() -> None:
    """Docker tests fail rather than skip, unless skipping is allowed explicitly.

    The check (engine reachable, image present) says how to fix what is missing.
    """
    from sandbox import docker_status_sync

    ok, message = docker_status_sync()
    if ok:
        return
    if os.environ.get("PACORE_ALLOW_SKIP_DOCKER") == "1":
        pytest.skip(f"Docker unavailable and PACORE_ALLOW_SKIP_DOCKER=1: {message}")
    pytest.fail(f"Docker is required for this test (run `make test`, which sets it up): {message}")


@pytest.fixture
async def docker_sandbox() -> AsyncIterator[Sandbox]:
    from sandbox import make_sandbox

    require_docker()
    sb = make_sandbox("docker", parallelism=4)
    try:
        yield sb
    finally:
        await sb.close()


@pytest.fixture
async def local_sandbox() -> AsyncIterator[Sandbox]:
    from sandbox import make_sandbox

    sb = make_sandbox("local", parallelism=4)
    try:
        yield sb
    finally:
        await sb.close()
