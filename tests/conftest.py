"""Shared fixtures: the real sandboxes the end-to-end tests run candidates in."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from sandbox.base import Sandbox


def require(component: str, detail: str, *, opt_out: str, fix: str) -> None:
    """A test whose component is missing fails, naming the fix and the opt-out variable;
    with `opt_out=1` in the environment it skips instead, saying so. Why not skip by
    default: a green suite must mean every component was tested, not silently left out."""
    if os.environ.get(opt_out) == "1":
        pytest.skip(f"{component} unavailable and {opt_out}=1: {detail}")
    pytest.fail(f"{component} is required for this test ({fix}; to skip such tests instead, "
                f"set {opt_out}=1): {detail}", pytrace=False)


def require_docker() -> None:
    """Docker tests fail rather than skip, unless skipping is allowed explicitly.

    The check (engine reachable, image present) says how to fix what is missing.
    """
    from sandbox.errors import SandboxError
    from sandbox.status import require_docker as docker_ready

    try:
        docker_ready()
    except SandboxError as e:
        require("Docker", str(e), opt_out="PACORE_ALLOW_SKIP_DOCKER",
                fix="run `make test`, which sets it up")


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
