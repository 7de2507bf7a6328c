"""Model backends: OpenAI-compatible HTTP (vLLM serve; one endpoint or several), in-process vLLM, replay."""

from __future__ import annotations

from pathlib import Path

import httpx

from pacore_core.backends.base import Backend, BackendError, ChatMessage, SampleRequest, Trajectory
from pacore_core.config import RunConfig, ServerSettings
from pacore_core.errors import ConfigError

__all__ = [
    "Backend",
    "BackendConfigError",
    "BackendError",
    "ChatMessage",
    "SampleRequest",
    "Trajectory",
    "discover_model",
    "make_backend",
]

_NO_SERVER_FIX = ("set {base_url} (e.g. http://127.0.0.1:8000/v1 for `vllm serve MODEL`), or "
                  "replay a recorded run with {replay}")


class BackendConfigError(ConfigError):
    """The settings do not say enough to reach a model; the message says what to set."""


def make_backend(server: ServerSettings, *, config: RunConfig, replay: Path | None = None) -> Backend:
    """The backend the settings ask for. Imports are lazy: vLLM is an optional extra.

    With no `model` set, an HTTP endpoint's only model is used (see `discover_model`).
    """
    replay = replay if replay is not None else server.replay
    kind = "replay" if replay is not None else server.backend
    if kind == "replay":
        if replay is None:
            raise BackendConfigError("the replay backend needs a run record", setting="replay",
                                     fix="set {replay} to a record file or a directory of records")
        from pacore_core.backends.replay import ReplayBackend

        return ReplayBackend.from_path(replay)
    if kind == "vllm":
        if not server.model:
            raise BackendConfigError("the in-process vLLM backend needs a model", setting="model",
                                     fix="set {model} to a model directory or name")
        from pacore_core.backends.vllm_backend import VLLMBackend

        return VLLMBackend(server.model, **{"max_model_len": config.context_window, **server.vllm_args})
    if not server.base_url:
        raise BackendConfigError("no model server configured", setting="base_url", fix=_NO_SERVER_FIX)
    model = server.model or _discover_on_any(server.base_url, server.api_key)
    from pacore_core.backends.openai_backend import OpenAIBackend

    return OpenAIBackend(
        server.base_url,  # several endpoints: see pacore_core.backends.endpoints
        model,
        server.api_key,
        use_n=config.use_n,
        stream=config.stream,
        max_concurrency=config.max_concurrency,
        timeout_s=config.request_timeout_s,
        first_token_timeout_s=config.first_token_timeout_s,
        max_retries=config.max_retries,
    )


def _discover_on_any(urls: list[str], api_key: str | None) -> str:
    """`discover_model` on the first endpoint that answers (replicas serve the same model)."""
    first: BackendConfigError | None = None
    for url in urls:
        try:
            return discover_model(url, api_key)
        except BackendConfigError as e:
            first = first or e
    if first is None:  # no endpoint at all (make_backend checks before)
        raise BackendConfigError("no model server configured", setting="base_url", fix=_NO_SERVER_FIX)
    raise first


def discover_model(base_url: str, api_key: str | None = None, *, timeout_s: float = 10.0) -> str:
    """The endpoint's only model (``GET /v1/models``): what an unset `model` means.

    Raises `BackendConfigError` naming the served models when there are several or none, and
    the cause when the list cannot be read.
    """
    url = base_url.rstrip("/") + "/models"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        resp = httpx.get(url, headers=headers, timeout=timeout_s)
        resp.raise_for_status()
        data = resp.json().get("data")
        served = [str(m["id"]) for m in data if isinstance(m, dict) and m.get("id")]
    except httpx.HTTPError as e:
        raise BackendConfigError(
            f"no model name configured and the list of models at {url} cannot be read ({e})",
            setting="model",
            fix="set {model} to the name the server serves, or check {base_url}") from None
    except (ValueError, TypeError, AttributeError, KeyError):
        raise BackendConfigError(
            f"no model name configured and {url} did not answer with a list of models",
            setting="base_url",
            fix="{base_url} must be an OpenAI-compatible server, ending in /v1") from None
    if len(served) == 1:
        return served[0]
    if not served:
        raise BackendConfigError(f"no model name configured and {url} serves no model",
                                 setting="model", fix="start the server with a model, or set {model}")
    raise BackendConfigError(
        f"no model name configured and {url} serves {len(served)} models: {', '.join(served)}",
        setting="model", fix="set {model} to one of them")
