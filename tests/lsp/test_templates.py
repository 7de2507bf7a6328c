"""The workspace's `template_dir` rewords the statement the language server sends the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any


async def test_workspace_template_dir_rewords_the_statement(
        tmp_path: Path, session_factory: Any) -> None:
    ws = tmp_path / "ws"
    (ws / "prompts").mkdir(parents=True)
    (ws / "prompts" / "workspace_function.j2").write_text(
        "EDITOR: {{ qualname }} in {{ module }} ({{ tests | length }} test file)\n"
        "{{ function | trim }}\n")
    (ws / "pyproject.toml").write_text(
        '[project]\nname = "ws"\n\n[tool.pacore]\ntemplate_dir = "prompts"\n')
    async with session_factory(sandbox="local") as s:
        await s.solve("def add(")
        await s.wait_report("add")
        first = s.server.chat_requests[0]["messages"][-1]["content"]
    assert first.startswith("EDITOR: add in "), first
    assert "(1 test file)" in first and "def add(" in first
