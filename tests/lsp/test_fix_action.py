""""Fix <name> with PaCoRe": the real server over stdio, the scripted model, the Docker sandbox.
A written function whose tests fail is repaired from itself (round 1 starts from it and its
failing tests); one whose tests pass is refused with no model request."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types

from tests.lsp.conftest import IMPLEMENTATIONS, apply_text_edits, line_of, wait_for
from tests.lsp.test_lsp_server import action_fields
from tests.support.scripted_server import is_synthesis, last_user_text

MODULE = '''"""Ranges."""


def clamp(x, lo, hi):
    """Limit x to the closed range [lo, hi]."""
    if x < lo:
        return lo
    return x


def double(x):
    return 2 * x


def later(x):
    ...
'''
TESTS = '''from pkg.mathx import clamp, double


def test_clamp_low():
    assert clamp(-5, 0, 10) == 0


def test_clamp_high():
    assert clamp(50, 0, 10) == 10


def test_double():
    assert double(4) == 8
'''
FIXED = "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n"


def _titles(actions: list[Any]) -> list[str]:
    return [a.title for a in actions]


@pytest.mark.docker
async def test_fix_action_repairs_a_failing_function(session_factory: Any, require_docker_engine: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(IMPLEMENTATIONS, "clamp", FIXED)
    files = {"pkg/mathx.py": MODULE, "tests/test_mathx.py": TESTS}
    async with session_factory(files=files) as s:
        # offered on a written function's signature, not in its body, and not on a stub
        header = await s.actions(line_of(s.text, "def clamp("), 4)
        fix = next(a for a in header if a.title == "Fix clamp with PaCoRe")
        _, kind, command, arguments = action_fields(fix)
        assert kind in (types.CodeActionKind.RefactorRewrite, None) and command == "pacore.fix"
        assert "Fix clamp with PaCoRe" not in _titles(await s.actions(line_of(s.text, "return x"), 8))
        stub = _titles(await s.actions(line_of(s.text, "def later("), 4))
        assert "Solve with PaCoRe" in stub and not any(t.startswith("Fix ") for t in stub)

        started = await s.command(command, *arguments)
        assert started["function"] == "clamp"
        report = await s.wait_report("clamp")
        assert "solved" in report, report
        assert len(s.edits) == 1 and s.edits[0].label == "PaCoRe: clamp"
        doc_edit = s.edits[0].edit.document_changes[0]
        assert doc_edit.text_document.version == 1  # the buffer the fix started from
        new = apply_text_edits(s.text, list(doc_edit.edits))
        # the body is replaced, the signature and docstring kept, the other functions untouched
        assert ('def clamp(x, lo, hi):\n    """Limit x to the closed range [lo, hi]."""\n'
                "    return max(lo, min(x, hi))\n") in new
        assert new.replace("    return max(lo, min(x, hi))\n",
                           "    if x < lo:\n        return lo\n    return x\n") == s.text
        # round 1 started from my function: the model was asked for one fewer, and the
        # synthesis saw my code with its failing test
        synthesis = [last_user_text(r) for r in s.server.chat_requests if is_synthesis(r)]
        first = [r for r in s.server.chat_requests if not is_synthesis(r)]
        assert sum(int(r.get("n") or 1) for r in first) == 1  # rounds "2": one of two is mine
        assert "if x < lo:" in synthesis[0] and "test_clamp_high" in synthesis[0]
        assert "1/2 public tests passed (FAILED)" in synthesis[0]

        # a function whose tests pass: refused, nothing asked of the model, nothing edited
        asked = len(s.server.chat_requests)
        started = await s.command("pacore.fix", {"uri": s.uri, "version": 1,
                                                 "position": {"line": line_of(s.text, "def double("),
                                                              "character": 4}})  # fmt: skip
        rep = await wait_for(lambda: next((m.message for m in s.client.messages
                                           if "nothing to fix" in m.message), None), 120,
                             "the refusal of double")  # fmt: skip
        assert "`double` passes its 1 test(s): nothing to fix" in rep
        assert len(s.server.chat_requests) == asked and len(s.edits) == 1

        # a stub is solved, not fixed
        with pytest.raises(Exception, match="is a stub"):
            await s.command("pacore.fix", {"uri": s.uri, "position": {"line": line_of(s.text, "def later("),
                                                                      "character": 4}})  # fmt: skip
