"""Run configuration: typed models, presets, and loading from `PACORE_*` / `[tool.pacore]`."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from sandbox.models import Limits

PresetName = Literal["low", "medium", "high"]
PRESETS: dict[str, list[int]] = {"low": [4], "medium": [16], "high": [32, 4]}
SandboxKind = Literal["docker", "local"]
BackendKind = Literal["openai", "vllm", "replay"]
Selection = Literal["verified", "synthesis"]


def parse_rounds(value: str | list[int] | tuple[int, ...]) -> list[int]:
    """`"32,4"` -> [32, 4]. The final K=1 round is not part of this list.

    An empty list is a single sample: just the final round, with no references.
    """
    if isinstance(value, str):
        parts = [p for p in value.replace(" ", "").split(",") if p]
        try:
            widths = [int(p) for p in parts]
        except ValueError:
            raise ValueError(
                f"rounds must be comma-separated positive integers such as '32,4', got {value!r}"
            ) from None
    else:
        widths = list(value)
    if any(k < 1 for k in widths):
        raise ValueError(f"rounds must be positive integers such as '32,4', got {value!r}")
    return widths


class RunConfig(BaseModel):
    """How one PaCoRe run samples, verifies and compacts."""

    rounds: list[int] = Field(default_factory=lambda: list(PRESETS["low"]))
    temperature: float = Field(default=1.0, ge=0.0, le=2.0)
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    max_tokens: int = Field(default=4096, ge=1)
    seed: int | None = 0
    context_window: int | None = Field(
        default=None, description="model context in tokens; discovered from /v1/models if None"
    )
    request_timeout_s: float = Field(default=600.0, gt=0)
    max_retries: int = Field(default=4, ge=0)
    max_concurrency: int = Field(default=16, ge=1)
    use_n: bool = True
    stream: bool = False
    selection: Selection = "verified"
    select_on: Literal["all", "public"] = Field(
        default="all", description="tests that choose the answer; benchmarks use public only"
    )
    early_stop: bool = False
    include_verdicts: bool = True
    template: Path | None = None
    sandbox_parallelism: int | None = None
    limits: Limits = Field(default_factory=Limits)
    max_error_chars: int = Field(default=600, ge=80)

    @field_validator("rounds", mode="before")
    @classmethod
    def _rounds(cls, v: Any) -> list[int]:
        return parse_rounds(v)

    @property
    def widths(self) -> list[int]:
        """K_1..K_R: the configured widths with the final K=1 round appended."""
        return [*self.rounds, 1]

    @classmethod
    def from_preset(cls, preset: str, **kw: Any) -> RunConfig:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose one of low, medium, high")
        return cls(rounds=PRESETS[preset], **kw)


class ServerSettings(BaseModel):
    """Where the model is and which backends to use."""

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    sandbox: SandboxKind = "docker"
    backend: BackendKind = "openai"
    vllm_args: dict[str, Any] = Field(
        default_factory=dict,
        description="extra vllm.LLM engine arguments for the in-process backend, e.g. dtype",
    )


class Settings(BaseModel):
    server: ServerSettings = Field(default_factory=ServerSettings)
    run: RunConfig = Field(default_factory=RunConfig)


def _pyproject_table(start: Path) -> dict[str, Any]:
    for d in [start, *start.parents]:
        f = d / "pyproject.toml"
        if f.is_file():
            try:
                data = tomllib.loads(f.read_text())
            except (OSError, tomllib.TOMLDecodeError):
                return {}
            table = data.get("tool", {}).get("pacore", {})
            return table if isinstance(table, dict) else {}
    return {}


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Merge, lowest first: defaults, `[tool.pacore]`, `PACORE_*` variables, explicit overrides.

    Keys use the LSP names (`baseUrl`, `model`, `apiKey`, `preset`, `rounds`, `sandbox`) or
    their snake_case forms; any other RunConfig field may be given too.
    """
    env = os.environ if env is None else env
    merged: dict[str, Any] = {}
    merged.update(_normalise(_pyproject_table(cwd or Path.cwd())))
    env_map = {
        "PACORE_BASE_URL": "base_url",
        "PACORE_MODEL": "model",
        "PACORE_API_KEY": "api_key",
        "PACORE_PRESET": "preset",
        "PACORE_ROUNDS": "rounds",
        "PACORE_SANDBOX": "sandbox",
        "PACORE_BACKEND": "backend",
    }
    merged.update({key: env[var] for var, key in env_map.items() if env.get(var)})
    merged.update(_normalise(overrides or {}))
    return settings_from_mapping(merged)


_CAMEL = {
    "baseUrl": "base_url",
    "apiKey": "api_key",
    "maxTokens": "max_tokens",
    "contextWindow": "context_window",
    "earlyStop": "early_stop",
    "topP": "top_p",
}


def _normalise(values: Mapping[str, Any]) -> dict[str, Any]:
    return {_CAMEL.get(k, k): v for k, v in values.items() if v is not None and v != ""}


def settings_from_mapping(values: Mapping[str, Any]) -> Settings:
    """Build validated settings; `preset` and `rounds` together: `rounds` wins."""
    values = dict(values)
    server_keys = set(ServerSettings.model_fields)
    server = {k: values.pop(k) for k in list(values) if k in server_keys}
    preset = values.pop("preset", None)
    if preset is not None and "rounds" not in values:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose one of low, medium, high")
        values["rounds"] = PRESETS[preset]
    return Settings(server=ServerSettings(**server), run=RunConfig(**values))
