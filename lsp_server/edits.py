"""The final edit: versioned when the client allows it, and never over a changed function."""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types

from lsp_server.splice import ByteEdit, SpliceError, SpliceResult, splice
from lsp_server.targeting import ParsedDocument, StubTarget, find_function, target_from_function


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
        now = target_from_function(current_doc, fn)
        if now is None or now.function_text != target.function_text:
            return FinalEdit(None, None, f"`{target.qualname}` was edited during the solve")
        return FinalEdit(splice(current_doc, now, code, keep_docstring=keep_docstring),
                         current_doc, None)
    except SpliceError as e:
        return FinalEdit(None, None, f"the result could not be spliced: {e}")
