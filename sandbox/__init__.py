"""Run untrusted candidates against tests: Docker (default) or local subprocess backends."""

from __future__ import annotations

from typing import Any, Literal

from sandbox.base import Sandbox
from sandbox.models import (
    CallSuite,
    CallTest,
    Candidate,
    CheckSuite,
    IOSuite,
    IOTest,
    Limits,
    ProjectSuite,
    PytestSuite,
    TestResult,
    TestStatus,
    TestSuite,
    Verdict,
    overall_status,
)
from sandbox.status import docker_checks, require_docker

__all__ = [
    "CallSuite",
    "CallTest",
    "Candidate",
    "CheckSuite",
    "IOSuite",
    "IOTest",
    "Limits",
    "ProjectSuite",
    "PytestSuite",
    "Sandbox",
    "TestResult",
    "TestStatus",
    "TestSuite",
    "Verdict",
    "docker_checks",
    "make_sandbox",
    "overall_status",
    "require_docker",
]


def make_sandbox(
    kind: Literal["docker", "local", "ray"] = "docker",
    *,
    parallelism: int | None = None,
    image: str | None = None,
    **kw: Any,
) -> Sandbox:
    """A sandbox backend. docker kwargs: runtime ("runsc" for gVisor), max_uses, warm,
    client, build_missing. local kwargs: python (interpreter for the supervisor). ray kwargs:
    address (None starts a local Ray, "auto" joins the running cluster) and docker kwargs
    for each node's sandbox."""
    if kind == "docker":
        from sandbox.docker_backend import DockerSandbox

        return DockerSandbox(parallelism=parallelism, image=image, **kw)
    if kind == "local":
        from sandbox.local_backend import LocalSandbox

        return LocalSandbox(parallelism=parallelism, **kw)
    if kind == "ray":  # every node's Docker sandbox, sized to its CPUs (the `ray` extra)
        from sandbox.ray_backend import RaySandbox

        address = kw.pop("address", None)
        return RaySandbox(address=address, options={"image": image, **kw})
    raise ValueError(f"unknown sandbox kind {kind!r} (expected 'docker', 'local' or 'ray')")
