"""The sandbox a run verifies in, built from the settings in one place: the CLI commands,
the language server and `pacore sandbox run` all call `sandbox_from_settings` (and `pacore
bench --ray` asks `node_sandbox` what each node runs), so a key such as
`sandbox_parallelism` or `sandbox_runtime` means the same in every front end."""

from __future__ import annotations

from typing import Any

from pacore_core.config import Settings
from sandbox import make_sandbox
from sandbox.base import Sandbox

__all__ = ["node_sandbox", "sandbox_from_settings", "sandbox_identity"]


def sandbox_from_settings(settings: Settings, *, one_candidate: bool = False,
                          build_missing: bool = True) -> Sandbox:
    """`sandbox` (docker, local or ray) with its image, runtime, Ray address and parallelism.

    `one_candidate`: a sandbox for a single run (`pacore sandbox run`): one slot, no warm
    containers, and Docker instead of a Ray cluster. `build_missing=False`: a missing or
    outdated image is not built on first use (the editor names a missing one before the
    solve instead of building it inside it).
    """
    server = settings.server
    kind = "docker" if one_candidate and server.sandbox == "ray" else server.sandbox
    parallelism = 1 if one_candidate else settings.run.sandbox_parallelism
    if kind == "ray":  # every node's Docker sandbox, sized to its CPUs
        return make_sandbox("ray", image=server.image, runtime=server.sandbox_runtime,
                            address=server.ray_address)
    if kind == "local":  # subprocesses: no image, no container runtime
        return make_sandbox("local", parallelism=parallelism)
    docker: dict[str, Any] = {}
    if server.sandbox_runtime:
        docker["runtime"] = server.sandbox_runtime
    if one_candidate:
        docker |= {"warm": 0, "max_uses": 1}
    if not build_missing:
        docker["build_missing"] = False
    return make_sandbox("docker", parallelism=parallelism, image=server.image, **docker)


def node_sandbox(settings: Settings) -> tuple[str, dict[str, Any]]:
    """What each Ray node verifies in for `pacore bench --ray` (kind and its options): the
    settings' Docker or local sandbox; `ray` means Docker on every node."""
    server = settings.server
    kind = server.sandbox if server.sandbox in ("docker", "local") else "docker"
    options = {k: v for k, v in (("image", server.image), ("runtime", server.sandbox_runtime)) if v}
    return kind, options


def sandbox_identity(settings: Settings) -> tuple[object, ...]:
    """What `sandbox_from_settings` depends on: a sandbox kept for reuse serves settings with
    the same identity only."""
    server = settings.server
    return (server.sandbox, server.image, server.sandbox_runtime, server.ray_address,
            settings.run.sandbox_parallelism)
