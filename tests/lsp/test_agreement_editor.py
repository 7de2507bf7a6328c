"""The editor side of execution agreement: a stub without workspace tests is solved when
`pacore.solveByAgreement` allows it, the report names the assurance, and a second code
action writes the agreed input/output pairs as a pytest file next to the code, which passes
against the solved module. Real language server over stdio, scripted model, Docker."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from lsprotocol.types import TextEdit
from pytest_lsp.client import LanguageClient

from tests.lsp import conftest
from tests.lsp.conftest import MODULE, apply_text_edits, line_of

pytestmark = pytest.mark.docker


def _pytest(path: Path, root: Path) -> subprocess.CompletedProcess[str]:
    """Run one written test file with pytest in the workspace; it must pass."""
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)],
                         cwd=root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


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
        assert titles == ["Solve with PaCoRe", "Solve all 7 stubs in this file with PaCoRe"]
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
        run = _pytest(path, s.root)
        assert " passed" in run.stdout


async def test_without_the_setting_the_refusal_names_it(session_factory: Any) -> None:
    async with session_factory(sandbox="local") as s:
        with pytest.raises(Exception) as err:
            await s.solve("def lonely(")
        assert "pacore.solveByAgreement" in str(err.value)


TALLY = '''

class Tally:
    def __init__(self, start=0):
        self.total = start

    def histogram(self, words: list[str]) -> dict[str, int]:
        """How often each word occurs."""
        ...


class Scaler:
    def __init__(self, factor):
        self.factor = factor

    def scale_all(self, xs: list[int]) -> list[int]:
        """Each item times the factor."""
        ...
'''
TALLY_CODE = (
    "class Tally:\n    def histogram(self, words):\n        counts = {}\n        for w in words:\n"
    "            counts[w] = counts.get(w, 0) + 1\n            self.total += 1\n        return counts\n"
)


async def test_a_method_stub_without_tests_is_solved_by_agreement_and_its_pairs_pass(
    session_factory: Any, require_docker_engine: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each input calls the method on a fresh `Tally()`; the written tests do the same."""
    monkeypatch.setitem(conftest.IMPLEMENTATIONS, "Tally.histogram", TALLY_CODE)
    files = {"pkg/mathx.py": MODULE + TALLY}
    async with session_factory(settings={"solveByAgreement": True}, files=files) as s:
        started = await s.solve("def histogram(")
        await s.wait_report("Tally.histogram")
        rep = await s.report(started["solveId"])
        assert rep["status"] == "solved", rep
        assert rep["assurance"].startswith("agreement only (no tests)"), rep["assurance"]
        agreed_text = rep["agreed_tests"]
        assert agreed_text and "from pkg.mathx import Tally" in agreed_text
        assert "Tally().histogram(*args)" in agreed_text
        assert len(s.edits) == 1
        agreed = [_command(a) for a in await s.actions(line_of(s.text, "def histogram("))]
        agreed = [c for c in agreed if c.command == "pacore.writeAgreedTests"]
        assert len(agreed) == 1 and "`Tally.histogram`" in agreed[0].title
        out = await s.command(agreed[0].command, *(agreed[0].arguments or []))
        path = Path(out["path"])
        assert path.read_text() == agreed_text
        solved = apply_text_edits(s.text, _edits(s.edits[0]))
        assert "counts[w] = counts.get(w, 0) + 1" in solved
        (s.root / "pkg" / "mathx.py").write_text(solved)
        run = _pytest(path, s.root)
        assert re.search(r"\b(1\d|[2-9]\d) passed", run.stdout), run.stdout  # the typed inputs


async def test_a_method_whose_class_needs_constructor_arguments_is_refused_by_name(
    session_factory: Any,
) -> None:
    async with session_factory(sandbox="local", settings={"solveByAgreement": True},
                               files={"pkg/mathx.py": MODULE + TALLY}) as s:  # fmt: skip
        with pytest.raises(Exception) as err:
            await s.solve("def scale_all(")
        assert "`Scaler()` needs arguments (factor)" in str(err.value)
        assert "No model request was made" in str(err.value)
        assert s.server.chat_requests == []
