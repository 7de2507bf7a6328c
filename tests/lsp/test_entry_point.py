"""One entry point: `pacore-lsp` is `pacore lsp`; the server package parses no arguments."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tomllib
from typing import Any

from tests.lsp.conftest import REPO


def test_pacore_lsp_goes_through_the_cli() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["pacore-lsp"] == "pacore_cli.lsp_cmd:main"
    module, func = scripts["pacore-lsp"].split(":")
    proc = subprocess.run([sys.executable, "-c", f"from {module} import {func}; {func}()",
                           "--help"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: pacore lsp "), proc.stdout
    assert "--tcp" in proc.stdout
    for path in (REPO / "lsp_server").glob("*.py"):
        assert "argparse" not in path.read_text(), f"{path.name} parses arguments of its own"


async def test_shutdown_and_exit_are_clean(session_factory: Any) -> None:
    async with session_factory(sandbox="local") as s:
        pass  # the fixture sends shutdown and exit
    proc = s.client._server
    assert proc is not None
    assert await asyncio.wait_for(proc.wait(), 30) == 0
    assert "Traceback" not in s.server_log(), s.server_log()[-3000:]
