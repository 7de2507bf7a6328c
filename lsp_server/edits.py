"""Applying a solve's result: a versioned edit when the client allows it, never over a changed
function; otherwise (stale document, refused edit, unverified best candidate) the result is
written to a separate file under `.pacore/results/` and shown.

`deliver` needs only an `EditorContext` (what it asks of the client), not the server: the
solve builds the report and publishes the summary from the `Delivery` it returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import from_fs_path

from lsp_server.report import Applied
from pacore_core.project.splice import ByteEdit, SpliceError, SpliceResult, splice, standalone_text
from pacore_core.project.targeting import ParsedDocument, StubTarget, find_function, target_from_function
from pacore_core.record import RunResult

if TYPE_CHECKING:
    from lsp_server.solve_context import SolveContext

log = logging.getLogger("pacore.lsp")


@dataclass(frozen=True)
class EditorContext:
    """What applying a result asks of the editor (the server builds it: `editor_context`)."""

    parsed: Callable[[str], tuple[ParsedDocument, int | None]]
    show: Callable[[str, types.MessageType], None]
    show_document: Callable[[types.ShowDocumentParams], Awaitable[types.ShowDocumentResult]]
    apply_edit: Callable[[types.ApplyWorkspaceEditParams], Awaitable[types.ApplyWorkspaceEditResult]]
    document_changes: bool  # the client takes versioned `TextDocumentEdit`s
    encoding: str
    edit_turn: Callable[[str], AbstractAsyncContextManager[None]]  # `EditTurns.turn` of a uri
    edit_applied: Callable[[str, int | None], None]  # `EditTurns.applied`


@dataclass(frozen=True)
class Delivery:
    """Where a result went (`applied`, `detail`) and the document its summary goes on."""

    applied: Applied
    detail: str
    document: ParsedDocument


def supports_document_changes(caps: types.ClientCapabilities | None) -> bool:
    ws = caps.workspace if caps is not None else None
    we = ws.workspace_edit if ws is not None else None
    return bool(we is not None and we.document_changes)


def text_edits(doc: ParsedDocument, edits: list[ByteEdit]) -> list[types.TextEdit]:
    out = []
    for e in sorted(edits, key=lambda e: e.start):
        sl, sc = doc.position(e.start)
        el, ec = doc.position(e.end)
        out.append(types.TextEdit(
            range=types.Range(start=types.Position(line=sl, character=sc),
                              end=types.Position(line=el, character=ec)),
            new_text=e.text,
        ))
    return out


def workspace_edit(
    uri: str, version: int | None, edits: list[types.TextEdit], *, document_changes: bool
) -> types.WorkspaceEdit:
    """A `TextDocumentEdit` pinned to `version`, or plain `changes` for older clients."""
    if document_changes:
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
            edits=list(edits),
        )])
    return types.WorkspaceEdit(changes={uri: list(edits)})


@dataclass
class FinalEdit:
    """Either an edit against the current document, or why it would clobber the user's work."""

    result: SpliceResult | None
    doc: ParsedDocument | None
    stale_reason: str | None


def plan_final_edit(
    solved_doc: ParsedDocument,
    solved_version: int | None,
    target: StubTarget,
    current_doc: ParsedDocument,
    current_version: int | None,
    code: str,
    *,
    keep_docstring: bool,
) -> FinalEdit:
    """Splice `code` into the current document if the function is still the one solved.

    Same version: splice against the snapshot. Newer version: re-find the function by name;
    if its text is byte-for-byte what was solved, splice against the new text; otherwise the
    document is stale and nothing may be overwritten.
    """
    try:
        if current_version == solved_version and current_doc.data == solved_doc.data:
            return FinalEdit(splice(solved_doc, target, code, keep_docstring=keep_docstring),
                             solved_doc, None)
        fn = find_function(current_doc, target.qualname)
        if fn is None:
            return FinalEdit(None, None, f"`{target.qualname}` is no longer in the document")
        now = target_from_function(current_doc, fn, stub_only=False)  # a fixed function has code
        if now is None or now.function_text != target.function_text:
            return FinalEdit(None, None, f"`{target.qualname}` was edited during the solve")
        return FinalEdit(splice(current_doc, now, code, keep_docstring=keep_docstring),
                         current_doc, None)
    except SpliceError as e:
        return FinalEdit(None, None, f"the result could not be spliced: {e}")


def _separate_file(ctx: SolveContext, text: str) -> Path:
    out_dir = ctx.root / ".pacore" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{Path(ctx.relpath).stem}.{ctx.target.qualname}.{ctx.solve_id}.py"
    path = out_dir / name
    path.write_text(text, encoding="utf-8")
    return path


async def offer_separately(editor: EditorContext, ctx: SolveContext, code: str, header: str) -> str:
    """Write the result next to the project (never over the user's file) and show it."""
    try:
        body = standalone_text(splice(ctx.doc, ctx.target, code,
                                      keep_docstring=ctx.settings.editor.keep_docstring))
    except SpliceError:
        body = code.rstrip() + "\n"
    comment = "\n".join(f"# {line}" for line in header.splitlines())
    path = await asyncio.to_thread(_separate_file, ctx, f"{comment}\n\n{body}")
    uri = from_fs_path(str(path)) or path.as_uri()
    try:
        await editor.show_document(types.ShowDocumentParams(uri=uri, take_focus=True))
    except Exception as e:  # showing is best effort; the file and the message remain
        log.warning("window/showDocument failed: %s", e)
    return str(path)


async def deliver(editor: EditorContext, ctx: SolveContext, result: RunResult) -> Delivery:
    """Plan the edit and apply it when the result passed; otherwise (or when the edit cannot
    or may not be applied) offer the result separately. Says what happened to the user."""
    q = ctx.target.qualname
    ver = result.verification
    if result.code is None:
        detail = result.error or result.selected.reason or "no candidate produced a program"
        editor.show(f"PaCoRe found no implementation for `{q}`: {detail}", types.MessageType.Warning)
        return Delivery("none", detail, editor.parsed(ctx.uri)[0])
    if result.status != "solved":
        path = await offer_separately(
            editor, ctx, result.code,
            f"PaCoRe: best candidate for {q} passed {ver.passed}/{ver.total} tests; "
            "NOT applied to your file.")
        editor.show(f"PaCoRe: no candidate for `{q}` passed every test (best {ver.passed}/"
                    f"{ver.total}); the best one is in {path}", types.MessageType.Warning)
        return Delivery("separate_document", f"best candidate written to {path}",
                        editor.parsed(ctx.uri)[0])
    after, detail = await _apply(editor, ctx, result.code)
    if after is not None:
        return Delivery("edit", "", after)
    path = await offer_separately(
        editor, ctx, result.code,
        f"PaCoRe: implementation of {q} (passed {ver.passed}/{ver.total} tests).\n"
        f"Not applied to {ctx.relpath}: {detail}.")
    detail = f"{detail}; result written to {path}"
    editor.show(f"PaCoRe solved `{q}` but did not edit your file ({detail})",
                types.MessageType.Warning)
    return Delivery("separate_document", detail, editor.parsed(ctx.uri)[0])


async def _apply(editor: EditorContext, ctx: SolveContext, code: str
                 ) -> tuple[ParsedDocument | None, str]:
    """Splice `code` into the document as it is now and ask the editor to apply it: the
    document after the edit, or None and why it was not applied."""
    async with editor.edit_turn(ctx.uri):
        return await _apply_in_turn(editor, ctx, code)


async def _apply_in_turn(editor: EditorContext, ctx: SolveContext, code: str
                         ) -> tuple[ParsedDocument | None, str]:  # fmt: skip
    current, current_version = editor.parsed(ctx.uri)
    plan = plan_final_edit(ctx.doc, ctx.version, ctx.target, current, current_version, code,
                           keep_docstring=ctx.settings.editor.keep_docstring)
    if plan.result is None or plan.doc is None:
        return None, plan.stale_reason or "the document changed"
    edit = workspace_edit(ctx.uri, current_version, text_edits(plan.doc, plan.result.edits),
                          document_changes=editor.document_changes)
    try:
        resp = await editor.apply_edit(types.ApplyWorkspaceEditParams(
            edit=edit, label=f"PaCoRe: {ctx.target.qualname}"))
    except Exception as e:  # the client failed the request: keep the result safe
        return None, f"workspace/applyEdit failed: {e}"
    if not resp.applied:
        return None, f"the editor refused the edit: {resp.failure_reason or 'no reason'}"
    editor.edit_applied(ctx.uri, current_version)
    return ParsedDocument.parse(plan.result.module_text, encoding=editor.encoding), ""
