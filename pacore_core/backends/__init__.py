"""Model backends: OpenAI-compatible HTTP (vLLM serve), in-process vLLM, replay."""

from __future__ import annotations

from pathlib import Path

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
    "make_backend",
]


class BackendConfigError(ConfigError):
    """The settings do not say enough to reach a model; the message says what to set."""


def make_backend(server: ServerSettings, *, config: RunConfig, replay: Path | None = None) -> Backend:
    """The backend the settings ask for. Imports are lazy: vLLM is an optional extra."""
    kind = "replay" if replay is not None else server.backend
    if kind == "replay":
        if replay is None:
            raise BackendConfigError("the replay backend needs a run record: pass --replay FILE")
        from pacore_core.backends.replay import ReplayBackend

        return ReplayBackend.from_path(replay)
    if kind == "vllm":
        if not server.model:
            raise BackendConfigError(
                "the in-process vLLM backend needs a model: set PACORE_MODEL (or --model) to a "
                "model directory or name"
            )
        from pacore_core.backends.vllm_backend import VLLMBackend

        return VLLMBackend(server.model, **{"max_model_len": config.context_window, **server.vllm_args})
    if not server.base_url:
        raise BackendConfigError(
            "no model server configured: set PACORE_BASE_URL (e.g. http://127.0.0.1:8000/v1 for "
            "`vllm serve MODEL`) and PACORE_MODEL, or pass --base-url/--model, or replay a "
            "recorded run with --replay FILE"
        )
    if not server.model:
        raise BackendConfigError(
            f"no model name configured for {server.base_url}: set PACORE_MODEL (or --model) to "
            "the name the server serves (see GET /v1/models)"
        )
    from pacore_core.backends.openai_backend import OpenAIBackend

    return OpenAIBackend(
        server.base_url,
        server.model,
        server.api_key,
        use_n=config.use_n,
        stream=config.stream,
        max_concurrency=config.max_concurrency,
        timeout_s=config.request_timeout_s,
        max_retries=config.max_retries,
    )
