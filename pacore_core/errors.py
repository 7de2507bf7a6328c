"""Every error pacore raises on purpose derives from `PacoreError` (httpx's `HTTPError` is the model).

An error carries what was wrong (`message`), which setting it concerns (`setting`, a key
of the configuration table such as ``base_url``) and how to fix it (`fix`, worded without
naming any front end). Front ends render the setting in their own terms: the CLI as a
flag (``--base-url``), the editor as a setting name (``pacore.baseUrl``). The core and
the sandbox therefore never mention CLI flags; they name configuration keys.

This module imports nothing from the project so that every package (the sandbox too)
can raise these errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_KEY = re.compile(r"\{(\w+)\}")

SettingNamer = Callable[[str], str]
"""Maps a configuration key (``base_url``) to what a user types in one front end."""


class PacoreError(Exception):
    """Root of pacore's errors: catch this to catch every anticipated failure."""

    def __init__(self, message: str, *, setting: str | None = None, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.setting = setting
        self.fix = fix

    def render(self, name_setting: SettingNamer | None = None) -> str:
        """The message plus the fix, with `{setting}` placeholders in the fix named for one front end.

        A fix may refer to other keys as ``{key}``; the namer turns each into a flag or an
        editor setting. Without a namer the raw key names are used.
        """
        if not self.fix:
            return self.message
        sep = " " if self.message.endswith((".", ":", ";")) else ". "
        return f"{self.message}{sep}{_fill(self.fix, name_setting)}"

    def __str__(self) -> str:
        return self.render()


def _fill(fix: str, name_setting: SettingNamer | None) -> str:
    """Replace ``{key}`` with the front end's name for that configuration key."""
    return _KEY.sub(lambda m: name_setting(m[1]) if name_setting else m[1], fix)


class UsageError(PacoreError):
    """The command line or a file it names is wrong (exit 2); the message says what to change.

    `usage` is the command's usage line when argparse refused the arguments, `prog` the
    command (`pacore solve`) it belongs to.
    """

    def __init__(self, message: str, *, setting: str | None = None, fix: str | None = None,
                 usage: str | None = None, prog: str | None = None) -> None:
        super().__init__(message, setting=setting, fix=fix)
        self.usage = usage
        self.prog = prog


class ConfigError(PacoreError, ValueError):
    """A setting is missing or invalid; `setting` names its key."""


class ProblemError(PacoreError, ValueError):
    """The problem or its tests are missing or malformed."""


class BackendError(PacoreError, RuntimeError):
    """The model backend could not produce any trajectory; the message names server and cause."""


class ContextBudgetError(PacoreError, ValueError):
    """Even the bare problem leaves no room to generate an answer."""


class SandboxError(PacoreError, RuntimeError):
    """The sandbox infrastructure failed or is not set up (not the candidate's fault)."""


class DatasetError(PacoreError, ValueError):
    """A benchmark dataset spec or file is unusable."""


class BenchError(PacoreError, RuntimeError):
    """A benchmark run is impossible with these settings or output directory."""


class EditorError(PacoreError, RuntimeError):
    """A language-server request cannot be served (no function here, edit refused, ...)."""


def leaf_errors(exc: BaseException) -> list[BaseException]:
    """The real errors inside (possibly nested) task-group exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaf_errors(inner)]
    return [exc]


def run_failure(exc: BaseException) -> BackendError | ContextBudgetError | None:
    """The model or budget failure behind `exc` (a run that ended for it has an error, not a
    crash), also when a task group wrapped it."""
    return next((e for e in leaf_errors(exc) if isinstance(e, BackendError | ContextBudgetError)), None)
