"""The `pacore` configuration section, validated key by key.

A bad value never stops the server: it is reported (key, value, reason) and the key falls back
to its default, so the rest of the user's configuration still applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from pacore_core.config import PRESETS, Settings, parse_rounds, settings_from_mapping

# LSP (camelCase) key -> field name
_KEYS = {
    "baseUrl": "base_url",
    "model": "model",
    "apiKey": "api_key",
    "preset": "preset",
    "rounds": "rounds",
    "sandbox": "sandbox",
    "backend": "backend",
    "testPaths": "test_paths",
    "allowWeakTests": "allow_weak_tests",
    "keepDocstring": "keep_docstring",
    "image": "image",
    "contextBudget": "context_budget",
    "maxTokens": "max_tokens",
}


class LspSettings(BaseModel):
    """Everything the server reads from the `pacore` section."""

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    preset: Literal["low", "medium", "high"] | None = None
    rounds: list[int] | None = None
    sandbox: Literal["docker", "local"] = "docker"
    backend: Literal["openai", "vllm", "replay"] = "openai"
    test_paths: list[str] = Field(default_factory=list)
    allow_weak_tests: bool = False
    keep_docstring: bool = True
    image: str | None = None
    context_budget: int = Field(default=6000, ge=200, description="characters of module context")
    max_tokens: int | None = Field(default=None, ge=1)

    @field_validator("rounds", mode="before")
    @classmethod
    def _rounds(cls, v: Any) -> list[int] | None:
        return None if v is None else parse_rounds(v)

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v

    def core_settings(self) -> Settings:
        """The engine's settings (server + run config) from these values."""
        values: dict[str, Any] = {
            "base_url": self.base_url,
            "model": self.model,
            "api_key": self.api_key,
            "sandbox": self.sandbox,
            "backend": self.backend,
        }
        if self.rounds is not None:
            values["rounds"] = self.rounds
        elif self.preset is not None:
            values["rounds"] = PRESETS[self.preset]
        if self.max_tokens is not None:
            values["max_tokens"] = self.max_tokens
        return settings_from_mapping({k: v for k, v in values.items() if v is not None})


def _unwrap(raw: Any) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        inner = raw.get("pacore")
        if isinstance(inner, Mapping):
            return inner
        return raw
    return {}


def parse_settings(*layers: Any) -> tuple[LspSettings, list[str]]:
    """Merge layers (lowest first: env defaults, initializationOptions, workspace/configuration).

    Returns the settings and one human-readable problem per rejected key.
    """
    merged: dict[str, Any] = {}
    problems: list[str] = []
    for layer in layers:
        if layer is not None and not isinstance(layer, Mapping):
            problems.append(f"pacore settings must be an object, got {type(layer).__name__}")
            continue
        for key, value in _unwrap(layer).items():
            field = _KEYS.get(key, key if key in LspSettings.model_fields else None)
            if field is None:
                problems.append(f"pacore.{key}: unknown setting (ignored)")
                continue
            if value is None or value == "":
                continue
            merged[field] = (key, value)
    accepted: dict[str, Any] = {}
    for field, (key, value) in merged.items():
        try:
            LspSettings.model_validate({field: value})
        except ValidationError as e:
            reason = "; ".join(err["msg"] for err in e.errors())
            default = LspSettings.model_fields[field].get_default(call_default_factory=True)
            problems.append(f"pacore.{key}: invalid value {value!r} ({reason}); "
                            f"using the default {default!r}")
            continue
        accepted[field] = value
    return LspSettings.model_validate(accepted), problems


def env_layer(env: Mapping[str, str]) -> dict[str, Any]:
    """The `PACORE_*` variables as a settings layer (lowest priority)."""
    names = {"PACORE_BASE_URL": "baseUrl", "PACORE_MODEL": "model", "PACORE_API_KEY": "apiKey",
             "PACORE_PRESET": "preset", "PACORE_ROUNDS": "rounds", "PACORE_SANDBOX": "sandbox",
             "PACORE_BACKEND": "backend", "PACORE_IMAGE": "image"}
    return {key: env[var] for var, key in names.items() if env.get(var)}
