"""The VS Code client's `npm test` (type-check, bundle, and the Node test that drives the
real server with vscode-languageserver-protocol through the extension's own request code),
so that one pytest run covers the editor clients too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_docker

pytestmark = [pytest.mark.node, pytest.mark.docker]

VSCODE = Path(__file__).resolve().parents[2] / "editor-clients" / "vscode"


def npm() -> str:
    found = shutil.which("npm")
    if found is None:
        pytest.fail("npm not found: apt-get install -y nodejs npm (scripts/setup.sh does it)")
    return found


# the real Docker sandbox; PACORE_TEST_SANDBOX=local runs the same flow without Docker
SANDBOX = os.environ.get("PACORE_TEST_SANDBOX", "docker")


def test_vscode_client_npm_test() -> None:
    if SANDBOX == "docker":
        require_docker()
    if not (VSCODE / "node_modules").is_dir():
        ci = subprocess.run([npm(), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                            cwd=VSCODE, capture_output=True, text=True, timeout=600)
        assert ci.returncode == 0, f"npm ci failed:\n{ci.stdout[-3000:]}\n{ci.stderr[-3000:]}"
    env = {**os.environ, "PACORE_PYTHON": sys.executable, "PACORE_TEST_SANDBOX": SANDBOX}
    try:
        proc = subprocess.run([npm(), "test"], cwd=VSCODE, env=env, capture_output=True,
                              text=True, timeout=900)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"npm test hung (killed after {exc.timeout} s): {exc.stdout!r}")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"npm test failed ({proc.returncode}):\n{output[-8000:]}"
    passed = re.search(r"^\S* ?pass (\d+)$", proc.stdout, re.M)
    failed = re.search(r"^\S* ?fail (\d+)$", proc.stdout, re.M)
    assert passed and failed, f"no node:test summary in:\n{proc.stdout[-3000:]}"
    assert int(failed.group(1)) == 0
    # every test the suite declares ran and passed (6 when this was written)
    declared = sum(len(re.findall(r"^\s*test(?:\.\w+)?\(", f.read_text(), re.M))  # skip, todo too
                   for f in (VSCODE / "test").glob("*.test.ts"))
    assert declared >= 6 and int(passed.group(1)) == declared, proc.stdout[-3000:]
