"""The language server against a misbehaving model: retries show in the editor's progress,
and a late model failure still applies a verified answer. Real server over stdio, local
sandbox, scripted model; limits configured short."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from tests.lsp.conftest import wait_for
from tests.support import Error, Hang, fail_first, is_synthesis


def progress_messages(s: Any) -> list[str]:
    return [v.message for reports in s.client.progress_reports.values() for v in reports
            if isinstance(v, types.WorkDoneProgressReport) and v.message]


async def test_a_hung_request_shows_in_the_progress_and_the_solve_completes(session_factory: Any) -> None:
    settings = {"firstTokenTimeoutS": 0.5, "maxRetries": 2, "stream": True}
    async with session_factory(sandbox="local", settings=settings) as s:
        s.server.responder = fail_first(1, s.server.responder, Hang(headers=True))
        started = await s.solve("def add(")
        report = await s.wait_report("add")
        rep = await s.report(started["solveId"])
        messages = progress_messages(s)
    assert "solved" in report and rep["status"] == "solved" and len(s.edits) == 1
    shown = [m for m in messages if "no answer yet" in m]
    assert shown and "no token within 0.5 s" in shown[0] and shown[0].endswith("retrying (2/3)")
    assert "no answer yet" not in messages[-1]  # cleared once answers arrive


async def test_a_late_model_failure_still_applies_the_verified_answer(session_factory: Any) -> None:
    async with session_factory(sandbox="local", settings={"maxRetries": 0}) as s:
        first = s.server.responder

        def synthesis_fails(req: dict[str, Any], choice: int, call: int) -> Any:
            return Error(500, "synthesis crashed") if is_synthesis(req) else first(req, choice, call)

        s.server.responder = synthesis_fails
        started = await s.solve("def add(")
        await s.wait_report("add")
        rep = await s.report(started["solveId"])
        edits = await wait_for(lambda: s.edits or None, 10, "the edit")
    assert rep["status"] == "solved" and rep["applied"] == "edit" and len(edits) == 1
    assert rep["verification"]["passed"] == rep["verification"]["total"] == 3
    assert "warning:" in rep["detail"] and "synthesis crashed" in rep["detail"]
