"""SIGTERM (how editors and CI stop a language server) during a solve: the server cancels the
solve, removes its containers and exits; nothing it started is left running."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from tests.lsp.conftest import Session, pacore_containers, wait_for
from tests.support.processes import alive, descendants


def sampled_all(s: Session) -> bool:
    return any(isinstance(v, types.WorkDoneProgressReport) and v.message
               and "2/2 trajectories" in v.message
               for reports in s.client.progress_reports.values() for v in reports)


@pytest.mark.docker
@pytest.mark.parametrize(("phase", "ignore_sigint"), [("model", False), ("sandbox", False),
                                                      ("sandbox", True)])
async def test_sigterm_mid_solve_cancels_cleans_and_exits(
        session_factory: Any, require_docker_engine: None, phase: str,
        ignore_sigint: bool) -> None:
    # "model": the scripted model takes 60 s to answer; "sandbox": candidates sleep 60 s in
    # their containers. With SIGINT ignored (a background job of a non-interactive shell)
    # SIGTERM must stop the server all the same.
    async with session_factory(latency={"add": 60.0}, ignore_sigint=ignore_sigint) as s:
        if ignore_sigint:
            status = Path(f"/proc/{s.server_pid}/status").read_text()
            ignored = next(x for x in status.splitlines() if x.startswith("SigIgn:"))
            assert int(ignored.split()[1], 16) & (1 << (signal.SIGINT - 1))
        pid = s.server_pid
        if phase == "model":
            await s.solve("def add(")
            await wait_for(lambda: s.server.calls >= 1, 60, "the model request")
        else:
            await s.solve("def slow(")
            await wait_for(lambda: sampled_all(s), 60, "both trajectories sampled")
            await asyncio.sleep(1.0)
        assert pacore_containers(pid), "no sandbox container while solving"
        started = descendants(pid)
        os.kill(pid, signal.SIGTERM)
        proc = s.client._server
        assert proc is not None
        code = await asyncio.wait_for(proc.wait(), 120)
        assert code == 128 + signal.SIGTERM
        assert pacore_containers(pid) == []
        assert alive(started) == set()
        assert s.edits == []
