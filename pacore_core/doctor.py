"""Health checks for what a solve needs (model endpoint, Docker engine, sandbox image),
each with the concrete step that fixes it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from pydantic import BaseModel

from sandbox.images import IMAGE as DEFAULT_IMAGE


class Check(BaseModel):
    name: str
    ok: bool
    message: str
    fix: str = ""


class DoctorReport(BaseModel):
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def check_model(base_url: str | None, model: str | None, api_key: str | None = None,
                timeout_s: float = 5.0, name: str = "model endpoint") -> Check:
    """GET {base_url}/models and look for the configured model."""
    if not base_url:
        return Check(name=name, ok=False, message="no model server configured",
                     fix="set PACORE_BASE_URL (e.g. http://127.0.0.1:8000/v1 for `vllm serve "
                         "MODEL`) and PACORE_MODEL, or the editor settings pacore.baseUrl and "
                         "pacore.model")
    url = base_url.rstrip("/") + "/models"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        resp = httpx.get(url, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as e:
        return Check(name=name, ok=False, message=f"GET {url} failed: {e}",
                     fix="start the model server (e.g. `python -m vllm.entrypoints.openai."
                         "api_server --model DIR --port 8000`) or fix PACORE_BASE_URL")
    if resp.status_code in (401, 403):
        return Check(name=name, ok=False, message=f"GET {url}: HTTP {resp.status_code}",
                     fix="set PACORE_API_KEY (pacore.apiKey) to the server's API key")
    if resp.status_code != 200:
        return Check(name=name, ok=False, message=f"GET {url}: HTTP {resp.status_code}",
                     fix="PACORE_BASE_URL must point at an OpenAI-compatible server, ending "
                         "in /v1")
    try:
        data = resp.json().get("data", [])
        served = [str(m.get("id")) for m in data if isinstance(m, dict)]
    except (ValueError, AttributeError):
        return Check(name=name, ok=False, message=f"GET {url}: the answer is not a model list",
                     fix="PACORE_BASE_URL must point at an OpenAI-compatible server, ending "
                         "in /v1")
    if not model and len(served) == 1:  # what an unset model means (backends.discover_model)
        return Check(name=name, ok=True, message=f"{url} serves {served[0]} (no model set: "
                     "the endpoint's only model is used)")
    if not model:
        return Check(name=name, ok=False, message=f"{url} serves {', '.join(served) or 'nothing'}"
                     "; no model configured",
                     fix=f"set PACORE_MODEL (pacore.model) to one of: {', '.join(served)}")
    if model not in served:
        return Check(name=name, ok=False,
                     message=f"{url} does not serve {model!r} (it serves "
                             f"{', '.join(served) or 'nothing'})",
                     fix=f"set PACORE_MODEL (pacore.model) to one of: {', '.join(served)}")
    return Check(name=name, ok=True, message=f"{url} serves {model}")


def _docker_client(timeout_s: float) -> Any:
    import docker

    return docker.from_env(timeout=int(max(1, timeout_s)))


def check_docker(timeout_s: float = 5.0) -> Check:
    name = "docker engine"
    try:
        client = _docker_client(timeout_s)
        client.ping()
        version = client.version().get("Version", "?")
    except Exception as e:  # the docker SDK raises several unrelated types here
        return Check(name=name, ok=False, message=f"cannot reach the Docker engine: {e}",
                     fix="install and start Docker (Debian: `apt-get install docker.io` then "
                         "`dockerd &` or `systemctl start docker`), or use the local sandbox "
                         "(PACORE_SANDBOX=local, weaker isolation)")
    return Check(name=name, ok=True, message=f"Docker engine {version} is running")


def check_image(image: str = DEFAULT_IMAGE, timeout_s: float = 5.0) -> Check:
    name = "sandbox image"
    try:
        client = _docker_client(timeout_s)
        client.images.get(image)
    except Exception as e:  # ImageNotFound, or the engine is down
        reason = "not built" if type(e).__name__ == "ImageNotFound" else f"cannot check: {e}"
        return Check(name=name, ok=False, message=f"image {image} {reason}",
                     fix="build it with `pacore sandbox build` (offline from Debian packages, "
                         "or from a registry base image)")
    return Check(name=name, ok=True, message=f"image {image} is present")


def check_runtime(runtime: str | None, timeout_s: float = 5.0) -> Check:
    """The container runtime candidates run under: registered with the engine or not."""
    name = "sandbox runtime"
    try:
        client = _docker_client(timeout_s)
        available = sorted((client.info().get("Runtimes") or {}).keys())
        default = str(client.info().get("DefaultRuntime") or "runc")
    except Exception as e:  # the engine is down: check_docker says how to fix that
        return Check(name=name, ok=False, message=f"cannot list the engine's runtimes: {e}",
                     fix="start Docker first")
    gvisor = "runsc (gVisor) is registered" if "runsc" in available else (
        "runsc (gVisor) is not registered: scripts/setup_gvisor.sh (root) adds it")
    if runtime and runtime not in available:
        fix = ("run scripts/setup_gvisor.sh as root (installs runsc, registers it in "
               "/etc/docker/daemon.json, reloads the engine)" if runtime == "runsc" else
               f"register {runtime!r} with the engine")
        return Check(name=name, ok=False,
                     message=f"configured runtime {runtime!r} is not registered with the Docker "
                             f"engine (it has {', '.join(available) or 'none'})",
                     fix=f"{fix}, or set PACORE_SANDBOX_RUNTIME (pacore.sandboxRuntime) to runc")
    used = runtime or default
    return Check(name=name, ok=True, message=f"candidates run under {used}; {gvisor}")


def check_models(base_urls: list[str], model: str | None, api_key: str | None = None) -> list[Check]:
    """One check per endpoint: requests are routed over all of them, so each must serve the
    model (one that does not would fail its share of the requests)."""
    if len(base_urls) <= 1:
        return [check_model(base_urls[0] if base_urls else None, model, api_key)]
    return [check_model(url, model, api_key, name=f"model endpoint {i} of {len(base_urls)}")
            for i, url in enumerate(base_urls, 1)]


def run_checks(base_urls: list[str], model: str | None, api_key: str | None = None,
               *, image: str | None = None, sandbox: str = "docker",
               runtime: str | None = None) -> DoctorReport:
    """`base_urls`: every endpoint of the configuration (requests are routed over all)."""
    docker = check_docker()
    checks = [*check_models(base_urls, model, api_key), docker]
    if docker.ok:
        checks.append(check_image(image or DEFAULT_IMAGE))
        if sandbox != "local":
            checks.append(check_runtime(runtime))
    elif sandbox == "docker":
        checks.append(Check(name="sandbox image", ok=False,
                            message="not checked: the Docker engine is not reachable",
                            fix="start Docker first, then `pacore sandbox build`"))
    return DoctorReport(checks=checks)


async def run_checks_async(base_urls: list[str], model: str | None, api_key: str | None = None,
                           *, image: str | None = None, sandbox: str = "docker",
                           runtime: str | None = None) -> DoctorReport:
    return await asyncio.to_thread(run_checks, base_urls, model, api_key, image=image,
                                   sandbox=sandbox, runtime=runtime)
