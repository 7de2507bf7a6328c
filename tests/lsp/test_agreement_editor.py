"""The editor side of execution agreement: a stub without workspace tests is solved when
`pacore.solveByAgreement` allows it, the report names the assurance, and a second code
action writes the agreed input/output pairs as a pytest file next to the code, which passes
against the solved module. Real language server over stdio, scripted model, Docker."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from lsprotocol.types import TextEdit
from pytest_lsp.client import LanguageClient

from tests.lsp.conftest import MODULE, apply_text_edits, line_of

pytestmark = pytest.mark.docker


def _edits(params: Any) -> list[TextEdit]:
    edit = params.edit
    if edit.document_changes:
        return list(edit.document_changes[0].edits)
    return list(next(iter(edit.changes.values())))


def _command(action: Any) -> SimpleNamespace:
    """(title, command, arguments) of a code action. pytest-lsp's client decodes a CodeAction
    whose command is a Command as a Command holding the nested command's text."""
    cmd = action.command
    if isinstance(cmd, str) and cmd.startswith("{"):
        inner = ast.literal_eval(cmd)
        return SimpleNamespace(title=action.title, command=inner["command"], arguments=inner["arguments"])
    if isinstance(cmd, str):
        return SimpleNamespace(title=action.title, command=cmd, arguments=action.arguments)
    return SimpleNamespace(title=action.title, command=cmd.command, arguments=cmd.arguments)


async def test_solve_by_agreement_reports_assurance_and_writes_agreed_tests(
    session_factory: Any, require_docker_engine: None
) -> None:
    async with session_factory(settings={"solveByAgreement": True}) as s:
        client: LanguageClient = s.client
        assert client is not None
        line = line_of(s.text, "def square(")
        # before any solve there is only the solve action on the stub
        titles = [a.title for a in await s.actions(line)]
        assert titles == ["Solve with PaCoRe"]
        started = await s.solve("def square(")  # doctests only: refused without the setting
        await s.wait_report("square")
        rep = await s.report(started["solveId"])
        assert rep["status"] == "solved", rep
        assert rep["assurance"].startswith("passed samples + agreed with 3/3 candidates on ")
        assert rep["agreed_tests"] and "from pkg.mathx import square" in rep["agreed_tests"]
        assert len(s.edits) == 1
        assert rep["assurance"] in (s.report_logged("square") or "")
        agreed = [_command(a) for a in await s.actions(line)]
        agreed = [c for c in agreed if c.command == "pacore.writeAgreedTests"]
        assert len(agreed) == 1 and "`square`" in agreed[0].title
        # the pinned pairs go to a new file beside the module, never over an existing one
        (s.root / "pkg" / "test_mathx_agreed.py").write_text("# the user's own file\n")
        out = await s.command(agreed[0].command, *(agreed[0].arguments or []))
        path = Path(out["path"])
        assert path == s.root / "pkg" / "test_mathx_agreed_2.py"
        assert (s.root / "pkg" / "test_mathx_agreed.py").read_text() == "# the user's own file\n"
        assert path.read_text() == rep["agreed_tests"]
        # the file passes against the module as the edit left it
        solved = apply_text_edits(MODULE, _edits(s.edits[0]))
        (s.root / "pkg" / "mathx.py").write_text(solved)
        (s.root / "pkg" / "test_mathx_agreed.py").unlink()
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
            cwd=s.root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert " passed" in run.stdout


async def test_without_the_setting_the_refusal_names_it(session_factory: Any) -> None:
    async with session_factory(sandbox="local") as s:
        with pytest.raises(Exception) as err:
            await s.solve("def lonely(")
        assert "pacore.solveByAgreement" in str(err.value)
