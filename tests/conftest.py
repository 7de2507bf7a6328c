"""Shared fixtures: the real sandboxes the end-to-end tests run candidates in."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator

import pytest

from sandbox.base import Sandbox


def docker_problem() -> str | None:
    """Why the Docker sandbox cannot be used here, or None."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed (run `make test`, which installs it)"
    probe = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return "the Docker engine is not running (run `make test`, which starts it)"
    return None


def require_docker() -> None:
    """Docker tests fail rather than skip, unless skipping is allowed explicitly."""
    problem = docker_problem()
    if problem is None:
        return
    if os.environ.get("PACORE_ALLOW_SKIP_DOCKER") == "1":
        pytest.skip(problem)
    pytest.fail(problem)


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
