"""The one Docker health check: engine reachable, sandbox image present, container runtime
registered. `pacore doctor` shows every check; a front end about to run candidates calls
`require_docker` (the first failing check as a `SandboxError`); the Docker backend checks
the runtime when it starts.

Fixes name configuration keys as ``{key}`` (never a flag or an editor setting), like every
`PacoreError`; front ends render them in their own terms.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from sandbox.errors import SandboxError
from sandbox.images import IMAGE, image_state

GVISOR_FIX = (
    "install and register gVisor with scripts/setup_gvisor.sh (as root: apt-get install runsc, "
    "adds it to /etc/docker/daemon.json and reloads the engine), or set {sandbox_runtime} to runc"
)
ENGINE, IMAGE_CHECK, RUNTIME = "docker engine", "sandbox image", "sandbox runtime"
SETTING_OF = {ENGINE: "sandbox", IMAGE_CHECK: "image", RUNTIME: "sandbox_runtime"}
"""The configuration key each check concerns (what a failed check's error names)."""


class Check(BaseModel):
    """One health check: what was found and, when it failed, how to fix it."""

    name: str
    ok: bool
    message: str
    fix: str = ""


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


def check_runtime(client: Any, runtime: str | None) -> None:
    """Raise `RuntimeUnavailable` unless `runtime` (None: the engine's default) is registered."""
    if not runtime:
        return
    available = runtimes_of(client)
    if runtime not in available:
        raise RuntimeUnavailable(runtime, available)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0]}" if text else type(e).__name__


def _engine(timeout_s: float) -> tuple[Any, Check]:
    """A client of a reachable engine (None if it is not) and the engine's check."""
    try:
        import docker
    except ImportError:
        return None, Check(name=ENGINE, ok=False, message="the docker SDK is not installed",
                           fix="pip install 'docker>=7.1', or set {sandbox} to local (weaker isolation)")
    try:
        client = docker.from_env(timeout=int(max(1, timeout_s)))
        client.ping()
        version = client.version().get("Version", "?")
    except Exception as e:  # the SDK raises many unrelated kinds; all mean "no engine here"
        return None, Check(
            name=ENGINE, ok=False, message=f"cannot reach the Docker engine ({_first_line(e)})",
            fix="install and start Docker (Debian: `apt-get install docker.io`, then "
                "`dockerd --iptables=false &` or `systemctl start docker`), or set {sandbox} to "
                "local (weaker isolation)")
    return client, Check(name=ENGINE, ok=True, message=f"Docker engine {version} is running")


def _image(client: Any, image: str) -> Check:
    try:
        state = image_state(client, image)
    except Exception as e:  # the engine went away, or answered nonsense
        return Check(name=IMAGE_CHECK, ok=False, message=f"cannot inspect image {image}: "
                     f"{_first_line(e)}", fix="check the Docker engine (`pacore doctor`)")
    if state == "missing":
        return Check(name=IMAGE_CHECK, ok=False, message=f"the sandbox image {image} is missing",
                     fix="build it with `pacore sandbox build` (offline from Debian packages, or "
                         "from a registry base image), or set {image} to an image you have")
    if state == "stale":
        return Check(name=IMAGE_CHECK, ok=True, message=f"image {image} is present but outdated "
                     "(rebuilt automatically on first use)")
    return Check(name=IMAGE_CHECK, ok=True, message=f"image {image} is present")


def _runtime(client: Any, runtime: str | None) -> Check:
    try:
        info = client.info()
    except Exception as e:
        return Check(name=RUNTIME, ok=False, message=f"cannot list the engine's runtimes: "
                     f"{_first_line(e)}", fix="check the Docker engine (`pacore doctor`)")
    available = sorted((info.get("Runtimes") or {}).keys())
    if runtime and runtime not in available:
        missing = RuntimeUnavailable(runtime, available)
        return Check(name=RUNTIME, ok=False, message=missing.message, fix=missing.fix or "")
    gvisor = "runsc (gVisor) is registered" if "runsc" in available else (
        "runsc (gVisor) is not registered: scripts/setup_gvisor.sh (root) adds it")
    used = runtime or str(info.get("DefaultRuntime") or "runc")
    return Check(name=RUNTIME, ok=True, message=f"candidates run under {used}; {gvisor}")


def docker_checks(image: str | None = None, runtime: str | None = None,
                  timeout_s: float = 10.0) -> list[Check]:
    """The engine, then the image and the runtime (None: the engine's default); with the
    engine down, the image is reported as not checked."""
    client, engine = _engine(timeout_s)
    if client is None:
        return [engine, Check(name=IMAGE_CHECK, ok=False, message="not checked: the Docker "
                              "engine is not reachable",
                              fix="start Docker first, then `pacore sandbox build`")]
    try:
        return [engine, _image(client, image or IMAGE), _runtime(client, runtime)]
    finally:
        client.close()


def require_docker(image: str | None = None, runtime: str | None = None) -> str:
    """Raise the first failing check as a `SandboxError` naming its key; else say what is
    there. Called before any work, so that a missing piece is one clear error instead of
    a sandbox error per candidate after tokens were spent."""
    checks = docker_checks(image, runtime)
    for check in checks:
        if not check.ok:
            raise SandboxError(check.message, setting=SETTING_OF[check.name], fix=check.fix)
    return "; ".join(c.message for c in checks)
