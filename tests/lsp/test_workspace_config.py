"""The language server honours `[tool.pacore]` of the workspace (real client over stdio)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.lsp.conftest import wait_for


async def test_workspace_pyproject_changes_what_the_model_is_sent(
        tmp_path: Path, session_factory: Any) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "pyproject.toml").write_text(
        '[project]\nname = "ws"\n\n[tool.pacore]\npreset = "medium"\ntemperature = 0.3\n'
        'selection = "synthesis"\n')
    # "rounds": "" unsets the fixture's editor rounds, so the workspace's preset applies.
    async with session_factory(sandbox="local", settings={"rounds": ""}) as s:
        started = await s.solve("def add(")
        await s.wait_report("add")
        rep = await s.report(started["solveId"])
        requests = s.server.chat_requests
    assert [r.get("n", 1) for r in requests] == [16, 1], [r.get("n") for r in requests]
    assert {r["temperature"] for r in requests} == {0.3}
    assert rep["status"] == "solved", rep
    assert rep["selected"]["source"] == "final", rep["selected"]  # verified would be "candidate"


async def test_bad_workspace_value_is_named_and_the_rest_applies(
        tmp_path: Path, session_factory: Any) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "pyproject.toml").write_text('[tool.pacore]\nmax_tokens = "lots"\ntemperature = 0.4\n')
    async with session_factory(sandbox="local") as s:
        await wait_for(lambda: any("max_tokens" in m.message for m in s.client.messages), 10,
                       "the max_tokens warning")
        await s.solve("def add(")
        await s.wait_report("add")
        requests = s.server.chat_requests
        text = "\n".join(m.message for m in s.client.messages)
    assert f"{ws / 'pyproject.toml'} [tool.pacore] max_tokens: invalid value 'lots'" in text
    assert "using the default 4096" in text
    assert text.count("max_tokens") == 1  # announced once, not again at the solve
    assert {r["temperature"] for r in requests} == {0.4}
    assert {r["max_tokens"] for r in requests} <= {4096}
