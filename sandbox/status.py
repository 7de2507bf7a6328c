"""Cheap Docker reachability, image and runtime checks for `pacore doctor`, backend
selection and the Docker backend's start."""

from __future__ import annotations

import asyncio
from typing import Any

from sandbox.errors import SandboxError, SettingNamer
from sandbox.images import IMAGE, image_state

GVISOR_FIX = (
    "install and register gVisor with scripts/setup_gvisor.sh (as root: apt-get install runsc, "
    "adds it to /etc/docker/daemon.json and reloads the engine), or set {sandbox_runtime} to runc"
)


class RuntimeUnavailable(SandboxError):
    """The Docker engine has no container runtime of the configured name."""

    def __init__(self, runtime: str, available: list[str]) -> None:
        super().__init__(
            f"the Docker engine has no container runtime {runtime!r} "
            f"(registered: {', '.join(available) or 'none'})",
            setting="sandbox_runtime",
            fix=GVISOR_FIX if runtime == "runsc" else "set {sandbox_runtime} to a registered runtime",
        )
        self.runtime = runtime
        self.available = available


def runtimes_of(client: Any) -> list[str]:
    """Runtime names the engine knows (`docker info` Runtimes), e.g. ["runc", "runsc"]."""
    return sorted((client.info().get("Runtimes") or {}).keys())


def engine_runtimes() -> list[str]:
    import docker

    client = docker.from_env(timeout=5)
    try:
        return runtimes_of(client)
    finally:
        client.close()


def check_runtime(client: Any, runtime: str | None) -> None:
    """Raise `RuntimeUnavailable` unless `runtime` (None: the engine's default) is registered."""
    if not runtime:
        return
    available = runtimes_of(client)
    if runtime not in available:
        raise RuntimeUnavailable(runtime, available)


def docker_status_sync(
    image: str = IMAGE, runtime: str | None = None, name_setting: SettingNamer | None = None
) -> tuple[bool, str]:
    """(ok, message); the message says how to fix what is missing (engine, image, and the
    container runtime when one is configured, its setting named by `name_setting`)."""
    try:
        import docker
    except ImportError:
        return False, "the docker SDK is missing: pip install 'docker>=7.1'"
    try:
        client = docker.from_env(timeout=5)
        client.ping()
    except Exception as exc:
        return False, (
            f"Docker engine unreachable ({type(exc).__name__}): install it "
            "(apt-get install -y docker.io) and start it "
            "(dockerd --iptables=false >/var/log/dockerd.log 2>&1 &), "
            "or use --sandbox local (weaker isolation)"
        )
    try:
        state = image_state(client, image)
        check_runtime(client, runtime)
    except RuntimeUnavailable as exc:
        return False, exc.render(name_setting)
    except Exception as exc:
        return False, f"cannot inspect image {image}: {exc}"
    finally:
        client.close()
    if state == "missing":
        return False, f"Docker is running but image {image} is missing: run `pacore sandbox build`"
    if state == "stale":
        return True, f"Docker OK; image {image} is outdated (rebuilt automatically on first use)"
    return True, f"Docker OK; image {image} present"


async def docker_status(image: str = IMAGE, runtime: str | None = None) -> tuple[bool, str]:
    return await asyncio.to_thread(docker_status_sync, image, runtime)
