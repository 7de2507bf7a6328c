"""What the sandbox, the prompts and the CLI need to know about one programming language.

Why one object: adding a language used to touch a dozen modules in three packages; now a
language is one module of this package holding a `LANGUAGE = LanguageSpec(...)`, and every
other place (CLI choices, code-fence extraction, statement templates, loaders, the build
job, the watchdog, the image's package list) reads it from the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LanguageSpec:
    """One language. Commands are argv lists; in them and in `env`, `{source}`, `{python}`,
    `{memory_mb}`, `{heap_mb}` and `{main}` are filled in per candidate
    (`sandbox.languages.build_plan`)."""

    name: str  # the registry key, as in --language and front matter
    display: str  # how prompts and reports name it ("C++17", "Java 17")
    source: str  # the candidate's file name in the sandbox
    run: tuple[str, ...]
    compile: tuple[str, ...] | None = None  # None: interpreted, nothing to build
    aliases: tuple[str, ...] = ()  # other spellings accepted in --language / front matter
    fences: tuple[str, ...] = ()  # code-fence tags besides `name` (lower case)
    extensions: tuple[str, ...] = ()  # file suffixes of its sources (".cpp")
    packages: tuple[str, ...] = ()  # Debian bookworm packages the sandbox image needs
    time_multiplier: float = 1.0  # the per-test time limit is multiplied by this
    # RLIMIT_AS = the memory limit. Off: memory is judged by what a program uses (its
    # resident size, sampled and read from wait4, with the container's cgroup behind it);
    # an address-space limit makes malloc return NULL, and the crash that follows reads as
    # a runtime error instead of a memory limit
    address_space_limit: bool = False
    # the program's resident size is judged against the limit (sampled while it runs, its
    # peak read when it ends); off for runtimes that bound their own heap and report it
    rss_limit: bool = True
    env: dict[str, str] = field(default_factory=dict)  # extra environment for compile and run
    memory_markers: tuple[str, ...] = ()  # stderr text meaning the program ran out of memory
    # paths (globs) in the image this language never needs: pruned from the base image
    image_prune: tuple[str, ...] = ()
    io_conventions: str = ""  # a sentence for the statement template: how to read and write
    function_probes: bool = False  # function-style problems (stubs, probes, agreement)
    # the source file name and the program's entry class, from the candidate's code (Java)
    entry: Callable[[str], tuple[str, str]] | None = None

    @property
    def compiled(self) -> bool:
        return self.compile is not None

    @property
    def fence(self) -> str:
        """The tag the prompts ask for."""
        return self.fences[0] if self.fences else self.name

    @property
    def fence_tags(self) -> frozenset[str]:
        return frozenset({self.name, *self.fences})
