"""Command-line flags generated from the configuration table, and settings from parsed flags.

A key marked `cli(...)` in `pacore_core.config` becomes a flag on every command that calls
`add_config_flags`; its help is the key's description, its choices the key's literal values.
Flags arrive as text and are validated by the loader like any other layer, so a bad flag is
named exactly as typed (`--rounds: invalid value '0': ...`).
"""

from __future__ import annotations

import argparse
import os
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pacore_cli.run_warnings import warn as say_warning
from pacore_core.config import KEYS, KeySpec, Settings, cli_flag
from pacore_core.config_loader import ConfigProblem, load_config, problems_error
from pacore_core.errors import ConfigError

EXCLUSIVE = ("preset", "rounds")
"""Flags that contradict each other: given both, argparse refuses."""


def flag_keys(only: Iterable[str] | None = None) -> list[str]:
    wanted = set(only) if only is not None else None
    return [k for k, s in KEYS.items() if s.flag and (wanted is None or k in wanted)]


def add_config_flags(parser: argparse.ArgumentParser, only: Iterable[str] | None = None) -> None:
    """One flag per flagged key (all of them, or those in `only`)."""
    keys = flag_keys(only)
    group = parser.add_mutually_exclusive_group() if all(k in keys for k in EXCLUSIVE) else None
    for key in keys:
        spec = KEYS[key]
        target: Any = group if (group is not None and key in EXCLUSIVE) else parser
        target.add_argument(spec.flag, dest=key, default=None, **_argument(spec))


def _argument(spec: KeySpec) -> dict[str, Any]:
    env = f" (env {spec.env})"
    ann = spec.field.annotation
    if ann is bool:
        return {"action": "store_true", "help": spec.description}
    kw: dict[str, Any] = {"help": spec.description + env}
    choices = _literal_choices(ann)
    if choices:
        kw["choices"] = choices
    if spec.const is not None:  # the flag alone means this value
        kw.update(nargs="?", const=spec.const)
    elif spec.metavar:
        kw["metavar"] = spec.metavar
    return kw


def _literal_choices(ann: Any) -> list[str] | None:
    if typing.get_origin(ann) is typing.Literal:
        return [str(a) for a in typing.get_args(ann)]
    return None


def overrides_from_args(args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    """The flagged keys the user gave (None = not given), plus values a command derives."""
    values = {k: getattr(args, k) for k in KEYS if KEYS[k].flag and hasattr(args, k)}
    values.update(extra)
    return {k: v for k, v in values.items() if v is not None and v is not False}


def load_cli_settings(overrides: Mapping[str, Any], *, env: Mapping[str, str] | None = None,
                      cwd: Path | None = None, warn: typing.TextIO | None = None) -> Settings:
    """Settings for one command; an invalid value anywhere raises `ConfigError`, other
    problems (unknown keys, an unreadable pyproject, old variable names) are warned about."""
    settings, problems = load_config(cwd or Path.cwd(), os.environ if env is None else env,
                                     overrides, namer=cli_flag)
    warnings: list[ConfigProblem] = [p for p in problems if not p.is_error]
    for p in warnings:
        say_warning(str(p), warn)
    if any(p.is_error for p in problems):
        raise problems_error(problems)
    return settings


__all__ = ["ConfigError", "add_config_flags", "flag_keys", "load_cli_settings", "overrides_from_args"]
