"""What every command that runs candidates sets up, shared by `solve`, `solve --all`,
`bench` and `stress`: the settings from flags, the model backend and the sandbox, each
failure a usage error naming the flag to change; and the exit codes of the CLI contract."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pacore_cli.config_flags import add_config_flags, load_cli_settings, overrides_from_args
from pacore_core.backends import Backend, make_backend
from pacore_core.config import Settings, cli_flag
from pacore_core.errors import PacoreError, UsageError
from pacore_core.sandbox_setup import sandbox_from_settings
from sandbox import languages, require_docker
from sandbox.base import Sandbox

EXIT_SOLVED, EXIT_UNSOLVED, EXIT_USAGE = 0, 1, 2


def add_model_flags(p: argparse.ArgumentParser) -> None:
    """Flags common to `solve` and `bench`: every flagged configuration key, plus the language."""
    add_config_flags(p)
    p.add_argument("--language", choices=languages.names(),
                   help="language of the program to write (default: from the problem, python)")


def settings_from_args(args: argparse.Namespace, **extra: Any) -> Settings:
    """Defaults < `[tool.pacore]` < `PACORE_*` < these flags (and `extra`, derived values)."""
    try:
        return load_cli_settings(overrides_from_args(args, **extra))
    except PacoreError as e:
        raise UsageError(e.render(cli_flag)) from None


def open_backend(settings: Settings, replay: Path | str | None = None) -> Backend:
    replay = Path(replay) if replay is not None else settings.server.replay
    if replay is not None and not replay.exists():
        raise UsageError(f"run record {replay} does not exist (give a record file, or a "
                         "directory of records)")
    try:
        return make_backend(settings.server, config=settings.run, replay=replay)
    except PacoreError as e:
        raise UsageError(e.render(cli_flag)) from None
    except FileNotFoundError as e:
        raise UsageError(str(e)) from None
    except ValueError as e:
        raise UsageError(f"cannot replay {replay}: {_first_line(e)}") from None


def check_docker(image: str | None, runtime: str | None) -> None:
    """Docker is ready (engine reachable, image present, runtime registered), or a usage error
    naming the flag to change, so that a missing piece is one clear error instead of a run
    full of sandbox errors."""
    try:
        require_docker(image, runtime)
    except PacoreError as e:
        raise UsageError(e.render(cli_flag)) from None


def open_sandbox(settings: Settings) -> Sandbox:
    """The settings' sandbox (`sandbox_from_settings`), Docker checked first."""
    kind = settings.server.sandbox
    if kind == "docker":
        check_docker(settings.server.image, settings.server.sandbox_runtime)
    try:
        return sandbox_from_settings(settings)
    except PacoreError as e:
        raise UsageError(e.render(cli_flag)) from None
    except Exception as e:  # docker SDK errors carry their own explanation
        raise UsageError(f"sandbox {kind!r} is not usable: {_first_line(e)}; "
                         "run `pacore doctor`") from None


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
