"""The `pacore` settings section as the language server sees it, over the one config table.

Layers, lowest first: defaults, `[tool.pacore]` of the workspace's pyproject, `PACORE_*`
variables, then the editor's layers (initializationOptions, then workspace/configuration).
A bad value never stops the server: it is reported (setting, value, reason) and that key
alone falls back to the next lower layer or its default, so the rest still applies. An empty
editor setting leaves the lower layers in force.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pacore_core.config import BackendKind, SandboxKind, Settings, editor_setting
from pacore_core.config_loader import load_config


@dataclass(frozen=True)
class LspSettings:
    """The resolved settings plus the names the server's handlers read."""

    config: Settings

    def core_settings(self) -> Settings:
        """The engine's settings (server + run config)."""
        return self.config

    @property
    def base_url(self) -> str | None:
        return self.config.server.endpoint

    @property
    def base_urls(self) -> list[str]:
        return list(self.config.server.base_url)

    @property
    def model(self) -> str | None:
        return self.config.server.model

    @property
    def api_key(self) -> str | None:
        return self.config.server.api_key

    @property
    def backend(self) -> BackendKind:
        return self.config.server.backend

    @property
    def sandbox(self) -> SandboxKind:
        return self.config.server.sandbox

    @property
    def sandbox_runtime(self) -> str | None:
        return self.config.server.sandbox_runtime

    @property
    def image(self) -> str | None:
        return self.config.server.image

    @property
    def preset(self) -> str:
        return self.config.preset

    @property
    def rounds(self) -> list[int]:
        return self.config.run.rounds

    @property
    def max_tokens(self) -> int:
        return self.config.run.max_tokens

    @property
    def test_paths(self) -> list[str]:
        return self.config.editor.test_paths

    @property
    def allow_weak_tests(self) -> bool:
        return self.config.editor.allow_weak_tests

    @property
    def solve_by_agreement(self) -> bool:
        return self.config.editor.solve_by_agreement

    @property
    def keep_docstring(self) -> bool:
        return self.config.editor.keep_docstring

    @property
    def project_include(self) -> list[str]:
        return self.config.editor.project_include

    @property
    def context_budget(self) -> int:
        return self.config.editor.context_budget


def _unwrap(raw: Any) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        inner = raw.get("pacore")
        if isinstance(inner, Mapping):
            return inner
        return raw
    return {}


def parse_settings(env: Mapping[str, Any] | None, *layers: Any,
                   workspace: Path | None = None) -> tuple[LspSettings, list[str]]:
    """Resolve the settings from the environment, the editor's layers (lowest first) and the
    workspace's `[tool.pacore]`; also one human-readable message per problem found."""
    merged: dict[str, Any] = {}
    problems: list[str] = []
    for layer in layers:
        if layer is not None and not isinstance(layer, Mapping):
            problems.append(f"pacore settings must be an object, got {type(layer).__name__}")
            continue
        for key, value in _unwrap(layer).items():
            if value is None or value in ("", []):
                continue
            merged[key] = value
    env_text = {k: v for k, v in (env or {}).items() if isinstance(k, str) and isinstance(v, str)}
    config, found = load_config(workspace, env_text, merged, namer=editor_setting,
                                empty_is_unset=True)
    problems.extend(str(p) for p in found)
    return LspSettings(config), problems


def env_layer(env: Mapping[str, str]) -> dict[str, str]:
    """The `PACORE_*` variables: the environment layer handed to `parse_settings`."""
    return {k: v for k, v in env.items() if k.startswith("PACORE_")}
