"""Health checks for what a solve needs (model endpoints, Docker engine, sandbox image,
container runtime), each with the concrete step that fixes it.

A fix names configuration keys as ``{key}``, like every `PacoreError`: `DoctorReport.rendered`
fills them in for one front end (`--base-url` on the command line, `pacore.baseUrl` in an
editor). The Docker checks are the sandbox's own (`sandbox.status.docker_checks`)."""

from __future__ import annotations

import asyncio

import httpx
from pydantic import BaseModel

from pacore_core.errors import SettingNamer, fill_settings
from sandbox.status import RUNTIME, Check, docker_checks

__all__ = ["Check", "DoctorReport", "check_model", "check_models", "run_checks", "run_checks_async"]


class DoctorReport(BaseModel):
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def rendered(self, name_setting: SettingNamer) -> DoctorReport:
        """The report with the keys in every fix named for one front end."""
        return DoctorReport(checks=[c.model_copy(update={"fix": fill_settings(c.fix, name_setting)})
                                    for c in self.checks])


def check_model(base_url: str | None, model: str | None, api_key: str | None = None,
                timeout_s: float = 5.0, name: str = "model endpoint") -> Check:
    """GET {base_url}/models and look for the configured model."""
    if not base_url:
        return Check(name=name, ok=False, message="no model server configured",
                     fix="set {base_url} (e.g. http://127.0.0.1:8000/v1 for `vllm serve "
                         "MODEL`) and {model}")
    url = base_url.rstrip("/") + "/models"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        resp = httpx.get(url, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as e:
        return Check(name=name, ok=False, message=f"GET {url} failed: {e}",
                     fix="start the model server (e.g. `python -m vllm.entrypoints.openai."
                         "api_server --model DIR --port 8000`) or fix {base_url}")
    if resp.status_code in (401, 403):
        return Check(name=name, ok=False, message=f"GET {url}: HTTP {resp.status_code}",
                     fix="set {api_key} to the server's API key")
    if resp.status_code != 200:
        return Check(name=name, ok=False, message=f"GET {url}: HTTP {resp.status_code}",
                     fix="{base_url} must point at an OpenAI-compatible server, ending in /v1")
    try:
        data = resp.json().get("data", [])
        served = [str(m.get("id")) for m in data if isinstance(m, dict)]
    except (ValueError, AttributeError):
        return Check(name=name, ok=False, message=f"GET {url}: the answer is not a model list",
                     fix="{base_url} must point at an OpenAI-compatible server, ending in /v1")
    if not model and len(served) == 1:  # what an unset model means (backends.discover_model)
        return Check(name=name, ok=True, message=f"{url} serves {served[0]} (no model set: "
                     "the endpoint's only model is used)")
    if not model:
        return Check(name=name, ok=False, message=f"{url} serves {', '.join(served) or 'nothing'}"
                     "; no model configured",
                     fix="set {model} to one of: " + ", ".join(served))
    if model not in served:
        return Check(name=name, ok=False,
                     message=f"{url} does not serve {model!r} (it serves "
                             f"{', '.join(served) or 'nothing'})",
                     fix="set {model} to one of: " + ", ".join(served))
    return Check(name=name, ok=True, message=f"{url} serves {model}")


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
    docker = docker_checks(image, runtime)
    checks = [*check_models(base_urls, model, api_key), docker[0]]
    for check in docker[1:]:
        if check.name == RUNTIME and sandbox == "local":
            continue  # local candidates run under no container runtime
        if not docker[0].ok and sandbox != "docker":
            continue  # "not checked" is news only to a Docker sandbox
        checks.append(check)
    return DoctorReport(checks=checks)


async def run_checks_async(base_urls: list[str], model: str | None, api_key: str | None = None,
                           *, image: str | None = None, sandbox: str = "docker",
                           runtime: str | None = None) -> DoctorReport:
    return await asyncio.to_thread(run_checks, base_urls, model, api_key, image=image,
                                   sandbox=sandbox, runtime=runtime)
