"""The language registry: every module of this package defines one `LANGUAGE`.

Adding a language is adding a module here (plus its tests); everything else derives from
the registry: `names()` for CLI choices, `fence_language` for code extraction, `display`
and `io_conventions` for statement templates, `build_plan` for the sandbox job,
`image_packages()` for the image build.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from sandbox.languages.spec import LanguageSpec

__all__ = [
    "DEFAULT",
    "LanguageSpec",
    "UnknownLanguage",
    "build_plan",
    "by_extension",
    "get",
    "image_packages",
    "image_prune",
    "names",
    "registry",
    "resolve",
    "time_limit",
]

DEFAULT = "python"
_NOT_LANGUAGES = {"spec"}


class UnknownLanguage(ValueError):
    """A language name nobody registered; the message lists the registered ones."""


@cache
def registry() -> dict[str, LanguageSpec]:
    """name -> spec, in a stable order (python first, then alphabetical)."""
    found: dict[str, LanguageSpec] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name in _NOT_LANGUAGES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "LANGUAGE", None)
        if not isinstance(spec, LanguageSpec):
            raise TypeError(f"{module.__name__} defines no LANGUAGE = LanguageSpec(...)")
        found[spec.name] = spec
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != DEFAULT, kv[0])))


def names() -> list[str]:
    return list(registry())


def get(name: str) -> LanguageSpec:
    try:
        return registry()[name]
    except KeyError:
        raise UnknownLanguage(
            f"unknown language {name!r}; registered: {', '.join(names())}"
        ) from None


def resolve(value: str) -> str:
    """A registered name from a name or alias (case-insensitive): "C++" -> the C++ entry."""
    wanted = value.strip().lower()
    for spec in registry().values():
        if wanted == spec.name or wanted in spec.aliases:
            return spec.name
    raise UnknownLanguage(f"unknown language {value!r}; use one of {', '.join(names())}")


def by_extension(suffix: str) -> str | None:
    """The language whose sources end with `suffix` (".rs"), or None."""
    wanted = suffix.lower()
    for spec in registry().values():
        if wanted in spec.extensions:
            return spec.name
    return None


def image_packages() -> tuple[str, ...]:
    """Every Debian package the registered languages need, plus the supervisor's."""
    wanted = {"coreutils", "python3-minimal"}  # the supervisor itself runs on python3
    for spec in registry().values():
        wanted.update(spec.packages)
    return tuple(sorted(wanted))


def image_prune() -> tuple[str, ...]:
    """Paths (globs) no registered language needs at run time: removed from the base image."""
    found: set[str] = set()
    for spec in registry().values():
        found.update(spec.image_prune)
    return tuple(sorted(found))


def build_plan(language: str, code: str, *, python: str, memory_mb: int) -> dict[str, Any]:
    """What the in-sandbox runner needs to build and start one candidate (JSON-ready).

    Why on the host: the runners stay language-agnostic (stdlib, no registry copy in the
    image); they write `source`, run `compile` once, then `run` once per test.
    """
    spec = get(language)
    source, main = spec.entry(code) if spec.entry else (spec.source, "")
    values = {
        "source": source,
        "python": python,
        "memory_mb": str(memory_mb),
        # the JVM's heap: what remains of the limit after its own ~64 MB of code and stacks
        "heap_mb": str(max(memory_mb - 64, 16)),
        "main": main,
    }

    def fill(cmd: tuple[str, ...] | None) -> list[str] | None:
        return None if cmd is None else [part.format(**values) for part in cmd]

    return {
        "language": spec.name,
        "display": spec.display,
        "source": source,
        "compile": fill(spec.compile),
        "run": fill(spec.run),
        "address_space": spec.address_space_limit,
        "rss_limit": spec.rss_limit,
        "env": {key: value.format(**values) for key, value in spec.env.items()},
        "memory_markers": list(spec.memory_markers),
    }


def time_limit(timeout_s: float, language: str) -> float:
    """The per-test time limit for `language`: the problem's limit times its multiplier."""
    return timeout_s * get(language).time_multiplier
