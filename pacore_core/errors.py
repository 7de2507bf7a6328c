"""Every error pacore raises on purpose derives from `PacoreError` (httpx's `HTTPError` is the model).

The root (`PacoreError`, `SandboxError`, `SettingNamer`) lives in `sandbox.errors`, the
bottom layer, so that the sandbox raises it without importing anything above it; this
module re-exports it and adds the errors of the layers above. An error names the
configuration key it concerns (`setting`) and words its `fix` without naming any front
end; front ends render keys in their own terms (CLI flag, editor setting), so the core
and the sandbox never mention CLI flags.
"""

from __future__ import annotations

from sandbox.errors import PacoreError, SandboxError, SettingNamer, fill_settings

__all__ = [
    "BackendError",
    "BenchError",
    "ConfigError",
    "ContextBudgetError",
    "DatasetError",
    "EditorError",
    "PacoreError",
    "ProblemError",
    "SandboxError",
    "SettingNamer",
    "UsageError",
    "fill_settings",
    "leaf_errors",
    "run_failure",
]


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
