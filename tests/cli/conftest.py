"""Helpers for CLI tests: run the real `pacore` console script against a scripted server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require_docker

PACORE = Path(sys.executable).with_name("pacore")


@dataclass
class Completed:
    code: int
    stdout: str
    stderr: str


def clean_env(**extra: str) -> dict[str, str]:
    """The parent's environment minus PACORE_* (tests say exactly what they configure)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PACORE_") or k == "PACORE_SANDBOX_TAG"}
    env.update({"PACORE_SANDBOX": "docker", "COLUMNS": "160", **extra})
    return env


def pacore(args: Sequence[str | Path], *, cwd: Path, env: dict[str, str] | None = None,
           timeout: float = 240) -> Completed:
    proc = subprocess.run(
        [str(PACORE), *map(str, args)], cwd=cwd, env=env if env is not None else clean_env(),
        capture_output=True, text=True, timeout=timeout,
    )
    return Completed(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def docker_ready() -> Iterator[None]:
    require_docker()
    yield
