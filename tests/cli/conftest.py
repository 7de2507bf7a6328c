"""Helpers for CLI tests: run the real `pacore` console script against a scripted server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def solve_json(problem: str, d: Path, srv: Any, *extra: str | Path) -> dict[str, Any]:
    """`pacore solve PROBLEM --rounds 4 --agreement off --json` against the scripted server
    `srv`: the JSON object, with the exit code and stderr as `_exit` and `_stderr`."""
    out = pacore(["solve", problem, "--rounds", "4", "--agreement", "off", "--base-url", srv.base_url,
                  "--model", srv.model, "--json", *extra], cwd=d)  # fmt: skip
    lines = out.stdout.strip().splitlines()
    assert lines, out.stderr
    payload: dict[str, Any] = json.loads(lines[-1])
    payload["_exit"], payload["_stderr"] = out.code, out.stderr
    return payload


@pytest.fixture
def docker_ready() -> Iterator[None]:
    require_docker()
    yield
