"""The `pacore` settings section as the language server sees it, over the one config table.

Layers, lowest first: defaults, `[tool.pacore]` of the workspace's pyproject, `PACORE_*`
variables, then the editor's layers (initializationOptions, then workspace/configuration).
A bad value never stops the server: it is reported (setting, value, reason) and that key
alone falls back to the next lower layer or its default, so the rest still applies. An empty
editor setting leaves the lower layers in force.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pacore_core.config import Settings, editor_setting
from pacore_core.config_loader import load_config


def _unwrap(raw: Any) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        inner = raw.get("pacore")
        if isinstance(inner, Mapping):
            return inner
        return raw
    return {}


def parse_settings(env: Mapping[str, Any] | None, *layers: Any,
                   workspace: Path | None = None) -> tuple[Settings, list[str]]:
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
    return config, problems


def env_layer(env: Mapping[str, str]) -> dict[str, str]:
    """The `PACORE_*` variables: the environment layer handed to `parse_settings`."""
    return {k: v for k, v in env.items() if k.startswith("PACORE_")}
