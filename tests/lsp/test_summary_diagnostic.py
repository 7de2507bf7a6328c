"""The solve summary diagnostic lives only while its function is unchanged (issue 15)."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from tests.lsp.conftest import Session, apply_text_edits, line_of, wait_for


def change(s: Session, version: int, text: str) -> None:
    s.client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=s.uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def summary_lines(s: Session) -> list[int] | None:
    diags = s.client.diagnostics.get(s.uri)
    return None if diags is None else [d.range.start.line for d in diags
                                       if d.source == "pacore"]


async def test_summary_follows_edits_and_goes_with_a_change_of_the_function(
        session_factory: Any) -> None:
    async with session_factory(sandbox="local") as s:
        await s.solve("def add(")
        await s.wait_report("add")
        edit = s.edits[0].edit.document_changes[0]  # type: ignore[index]
        new = apply_text_edits(s.text, list(edit.edits))  # type: ignore[union-attr,arg-type]
        at = line_of(new, "def add(")
        await wait_for(lambda: summary_lines(s) == [at], 10, "the summary on `def add`")
        # The editor applies the edit: the function is what the summary describes.
        change(s, 2, new)
        # A line inserted above: the summary moves down with its function.
        moved = "# a comment\n" + new
        change(s, 3, moved)
        await wait_for(lambda: summary_lines(s) == [at + 1], 10, "the summary one line down")
        # An edit elsewhere in the module keeps it where it is.
        elsewhere = moved.replace("return x + 1", "return x + 2")
        assert elsewhere != moved
        change(s, 4, elsewhere)
        await s.actions(0)  # a request answered after the change was handled
        assert summary_lines(s) == [at + 1]
        # Typing inside the function: the summary no longer describes it and goes.
        inside = elsewhere.replace("return operator.add(a, b)", "return operator.add(b, a)")
        assert inside != elsewhere
        change(s, 5, inside)
        await wait_for(lambda: summary_lines(s) == [], 10, "the summary dropped")
        assert list(s.client.diagnostics[s.uri]) == []


async def test_new_solve_drops_the_old_summary(session_factory: Any) -> None:
    async with session_factory(sandbox="local", latency={"add": 2.0}) as s:
        s.apply_result = False  # the editor refuses: the stub stays, so it can be solved again
        await s.solve("def add(")
        await s.wait_report("add")
        at = line_of(s.text, "def add(")
        await wait_for(lambda: summary_lines(s) == [at], 10, "the first summary")
        s.client.log_messages.clear()
        await s.solve("def add(")
        await wait_for(lambda: summary_lines(s) == [], 10, "the old summary dropped at the start")
        await s.wait_report("add")
        await wait_for(lambda: summary_lines(s) == [at], 10, "the new summary")
