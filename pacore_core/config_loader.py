"""Layering the configuration: defaults < `[tool.pacore]` < `PACORE_*` < editor settings or flags.

Every key is validated on its own, so one bad value never discards the others: the loader
reports it (where it came from, the value, why it is wrong) and uses the next lower layer's
value or the default. The CLI treats an invalid value as an error; the language server shows
it as a warning and carries on.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, PyprojectTomlConfigSettingsSource, SettingsConfigDict

from pacore_core.config import (
    BY_EDITOR_NAME,
    KEYS,
    PRESETS,
    EditorSettings,
    KeySpec,
    PresetName,
    RunConfig,
    ServerSettings,
    Settings,
    cli_flag,
)
from pacore_core.errors import ConfigError, SettingNamer

ProblemKind = Literal["invalid", "unknown", "unreadable", "deprecated"]


class ConfigProblem(BaseModel):
    """One thing wrong with the user's settings, and what the loader did about it."""

    kind: ProblemKind
    where: str  # "PACORE_ROUNDS", "--rounds", "pacore.rounds", "/w/pyproject.toml [tool.pacore] rounds"
    reason: str
    key: str | None = None
    value: Any = None
    fallback: str | None = None

    @property
    def is_error(self) -> bool:
        """An invalid value, or a pyproject that cannot be read: the CLI refuses to run (on
        defaults it could silently drop a safety setting such as `sandbox_runtime`); the
        editor warns and uses the lower layers."""
        return self.kind in ("invalid", "unreadable")

    def what(self) -> str:
        """Where, which value and why, without what the loader did instead."""
        if self.kind == "invalid":
            return f"{self.where}: invalid value {self.value!r}: {self.reason}"
        return f"{self.where}: {self.reason}"

    def __str__(self) -> str:
        return f"{self.what()}; {self.fallback}" if self.fallback else self.what()


def problems_error(problems: list[ConfigProblem]) -> ConfigError:
    """The CLI's error for invalid values: every one, each naming key, value and reason."""
    bad = [p for p in problems if p.is_error]
    if any(p.kind == "unreadable" for p in bad):
        fix = ("Fix the file: the command line does not run without the [tool.pacore] settings "
               "it may hold (one could be a safety setting such as sandbox_runtime)")
    else:
        fix = None
    if len(bad) == 1:
        return ConfigError(bad[0].what(), setting=bad[0].key, fix=fix)
    return ConfigError("invalid settings:\n  " + "\n  ".join(p.what() for p in bad),
                       setting=bad[0].key if bad else None, fix=fix)


@dataclass
class _Layer:
    values: dict[str, Any] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)


class _PacoreTable(BaseSettings):
    """Names the pyproject table for pydantic-settings' reader (never instantiated)."""

    model_config = SettingsConfigDict(pyproject_toml_table_header=("tool", "pacore"))


def find_pyproject(start: Path) -> Path | None:
    """The nearest `pyproject.toml` at or above `start`."""
    for d in [start, *start.parents]:
        f = d / "pyproject.toml"
        if f.is_file():
            return f
    return None


def _pyproject_layer(workspace: Path | None, problems: list[ConfigProblem]) -> _Layer:
    layer = _Layer()
    path = find_pyproject(workspace.resolve()) if workspace is not None else None
    if path is None:
        return layer
    try:  # pydantic-settings reads the file and walks to the table
        table: Any = PyprojectTomlConfigSettingsSource(_PacoreTable, toml_file=path).toml_data
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        problems.append(_unreadable(path, e))
        return layer
    except AttributeError:  # `tool` is not a table
        table = None
    if not isinstance(table, dict):
        problems.append(ConfigProblem(kind="unreadable", where=f"{path} [tool.pacore]",
                                      reason="must be a table",
                                      fallback="its settings are ignored until it is fixed"))
        return layer
    for name, value in table.items():
        key = _key_of(name)
        where = f"{path} [tool.pacore] {name}"
        if key is None:
            problems.append(ConfigProblem(kind="unknown", where=where, key=name,
                                          reason=_unknown_reason(name, list(KEYS))))
            continue
        if KEYS[key].field.annotation in (Path, Path | None) and isinstance(value, str):
            value = str(path.parent / value) if not Path(value).is_absolute() else value
        layer.values[key], layer.where[key] = value, where
    return layer


_TOML_AT = re.compile(r"\s*\(at line (\d+), column \d+\)$")


def _unreadable(path: Path, e: Exception) -> ConfigProblem:
    """A pyproject that is not TOML (named with its line), not UTF-8 or not readable."""
    if isinstance(e, tomllib.TOMLDecodeError):
        text = str(e)
        m = _TOML_AT.search(text)
        where = f"{path} line {m.group(1)}" if m else str(path)
        reason = f"not valid TOML: {_TOML_AT.sub('', text)}"
    elif isinstance(e, UnicodeDecodeError):
        where, reason = str(path), "not UTF-8 text"
    else:
        where, reason = str(path), f"cannot be read ({getattr(e, 'strerror', None) or e})"
    return ConfigProblem(kind="unreadable", where=where, reason=reason,
                         fallback="its [tool.pacore] settings are ignored until it is fixed")


def _unknown_reason(name: str, valid: list[str], *, listed: bool = False) -> str:
    """`unknown setting (ignored)`, with the closest valid name and, for a small table, all."""
    reason = "unknown setting (ignored)"
    close = difflib.get_close_matches(name, valid, n=1)
    if close:
        reason += f"; did you mean {close[0]}?"
    if listed:
        reason += (" Valid keys: " if close else "; valid keys: ") + ", ".join(valid)
    return reason


def _nested_where(where: str, key: str, name: str) -> str:
    """`... [tool.pacore.limits] bogus` for a pyproject sub-table, else `PACORE_LIMITS key bogus`."""
    head, sep, _ = where.partition(" [tool.pacore] ")
    return f"{head} [tool.pacore.{key}] {name}" if sep else f"{where} key {name}"


def _nested_unknown(layers: list[_Layer], problems: list[ConfigProblem]) -> None:
    """Keys inside a table setting (`limits`) that its model does not have: pydantic would
    drop them without a word, so a typo such as `bogus_limit` is named like a top-level one."""
    for key, spec in KEYS.items():
        model = spec.field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        valid = list(model.model_fields)
        for layer in layers:
            raw = layer.values.get(key)
            if not isinstance(raw, dict):
                continue
            for name in raw:
                if name not in model.model_fields:
                    problems.append(ConfigProblem(
                        kind="unknown", where=_nested_where(layer.where[key], key, str(name)),
                        key=key, reason=_unknown_reason(str(name), valid, listed=True)))


def _env_layer(env: Mapping[str, str], problems: list[ConfigProblem]) -> _Layer:
    layer = _Layer()
    for key, spec in KEYS.items():
        names = [spec.env, *spec.env_deprecated]
        for var in names:
            raw = env.get(var)
            if raw is None or raw.strip() == "":
                continue
            if var != spec.env:
                problems.append(ConfigProblem(kind="deprecated", where=var, key=key,
                                              reason=f"deprecated name: use {spec.env}"))
            layer.values[key], layer.where[key] = _from_text(spec, raw), var
            break
    return layer


def _from_text(spec: KeySpec, raw: str) -> Any:
    """Text (a variable) for a key whose values are tables: JSON, else passed on as text so that
    validation names the problem."""
    if _is_table(spec):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def _is_table(spec: KeySpec) -> bool:
    ann = spec.field.annotation
    return ann is not None and (getattr(ann, "__origin__", None) is dict or
                                (isinstance(ann, type) and issubclass(ann, BaseModel)))


def _override_layer(overrides: Mapping[str, Any], namer: SettingNamer, empty_is_unset: bool,
                    problems: list[ConfigProblem]) -> _Layer:
    layer = _Layer()
    for name, value in overrides.items():
        if value is None or (empty_is_unset and value in ("", [])):
            continue
        key = _key_of(name)
        if key is None:
            problems.append(ConfigProblem(kind="unknown", where=namer(name), key=name,
                                          reason=_unknown_reason(name, list(KEYS))))
            continue
        layer.values[key], layer.where[key] = value, namer(key)
    return layer


def _key_of(name: str) -> str | None:
    if name in KEYS:
        return name
    return BY_EDITOR_NAME.get(name)


def _nested_key(loc: tuple[int | str, ...]) -> str:
    """`memory_mb: ` for an error inside a table setting (loc `("limits", "memory_mb")`)."""
    inner = [str(part) for part in loc[1:] if isinstance(part, str)]
    return f"{'.'.join(inner)}: " if inner else ""


def _reason(e: ValidationError | ValueError) -> str:
    if isinstance(e, ValidationError):  # inside a table (`limits`), name the nested key too
        msgs = [_nested_key(err["loc"]) + str(err["msg"]).removeprefix("Value error, ")
                for err in e.errors()]
        return "; ".join(dict.fromkeys(msgs))
    return str(e)


def _validate(spec: KeySpec, raw: Any, siblings: Mapping[str, Any]) -> Any:
    """One key's value, checked with its section's validators (and its accepted siblings, for
    checks across keys such as `rounds` against `max_width`)."""
    if not spec.section:
        return TypeAdapter(PresetName).validate_python(raw)
    model = spec.model
    obj = model.model_validate({**siblings, spec.key: raw})
    return getattr(obj, spec.key)


def _order(keys: list[str]) -> list[str]:
    """Validation order: keys checked against siblings come after those siblings."""
    late = [k for k in ("rounds",) if k in keys]
    return [k for k in keys if k not in late] + late


def load_config(
    workspace: Path | None,
    env: Mapping[str, str],
    overrides: Mapping[str, Any] | None = None,
    *,
    namer: SettingNamer = cli_flag,
    empty_is_unset: bool = False,
) -> tuple[Settings, list[ConfigProblem]]:
    """The settings for one front end, and every problem found on the way.

    `workspace`: where to look for `pyproject.toml` (and its parents); None for none.
    `overrides`: flags or editor settings, keyed by config key or editor name; `namer` says
    how to name them in messages (`cli_flag` or `editor_setting`). With `empty_is_unset` an
    empty string means "not set" (editors), else it is a value to check (flags).
    """
    problems: list[ConfigProblem] = []
    layers = [
        _pyproject_layer(workspace, problems),
        _env_layer(env, problems),
        _override_layer(overrides or {}, namer, empty_is_unset, problems),
    ]
    _nested_unknown(layers, problems)
    accepted: dict[str, Any] = {}
    origin: dict[str, int] = {}
    for key in _order(list(KEYS)):
        spec = KEYS[key]
        candidates = [(i, layers[i]) for i in reversed(range(len(layers))) if key in layers[i].values]
        siblings = {k: v for k, v in accepted.items() if KEYS[k].section == spec.section}
        rejected: list[ConfigProblem] = []
        for i, layer in candidates:
            raw = layer.values[key]
            try:
                accepted[key] = _validate(spec, raw, siblings)
            except (ValidationError, ValueError) as e:
                rejected.append(ConfigProblem(kind="invalid", where=layer.where[key], key=key,
                                              value=raw, reason=_reason(e)))
                continue
            origin[key] = i
            break
        for p in rejected:
            p.fallback = (f"using {_shown(accepted[key])} from {layers[origin[key]].where[key]}"
                          if key in origin else _default_text(spec))
            problems.append(p)
    where = {key: layers[i].where[key] for key, i in origin.items()}
    return _assemble(accepted, origin, where, problems), problems


def _shown(value: Any) -> str:
    if isinstance(value, Path):
        return repr(str(value))
    return repr(value)


def _default_text(spec: KeySpec) -> str:
    if spec.key == "rounds":
        return "using the preset's widths"
    default = spec.default()
    if default in (None, [], {}):
        return "leaving it unset"
    return f"using the default {_shown(default)}"


def _assemble(accepted: dict[str, Any], origin: dict[str, int], where: dict[str, str],
              problems: list[ConfigProblem]) -> Settings:
    """Sections from the accepted keys; `rounds` or `preset`, whichever was set in the higher
    layer (rounds on a tie), gives the widths."""
    sections: dict[str, dict[str, Any]] = {"server": {}, "run": {}, "editor": {}}
    for key, value in accepted.items():
        spec = KEYS[key]
        if spec.section:
            sections[spec.section][key] = value
    preset: str = accepted.get("preset", "low")
    if "rounds" not in origin or origin.get("preset", -1) > origin["rounds"]:
        sections["run"]["rounds"] = list(PRESETS[preset])
    try:
        run = RunConfig.model_validate(sections["run"])
    except ValidationError as e:  # the preset's widths above a lowered max_width
        problems.append(ConfigProblem(kind="invalid", where=where.get("max_width", "max_width"),
                                      key="max_width", value=sections["run"].pop("max_width", None),
                                      reason=_reason(e), fallback=_default_text(KEYS["max_width"])))
        run = RunConfig.model_validate(sections["run"])
    return Settings(preset=preset,  # type: ignore[arg-type]
                    server=ServerSettings.model_validate(sections["server"]), run=run,
                    editor=EditorSettings.model_validate(sections["editor"]))

