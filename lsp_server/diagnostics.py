"""The summary diagnostic of a solve: one Information diagnostic on the function's `def` line
carrying the report's one-line summary.

It describes the function as the solve left it, so it lives only while that function is
unchanged: an edit inside the function drops it (no permanent squiggle), an edit elsewhere
only moves it with the function, and a new solve of the function replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types
from tree_sitter import Node

from pacore_core.project.targeting import ParsedDocument, find_function


def def_line_range(doc: ParsedDocument, fn: Node | None) -> types.Range:
    """From the start of the function (its first decorator) to the end of that line."""
    start = fn.start_byte if fn is not None else 0
    line, col = doc.position(start)
    line_end = doc.position(doc.line_starts[line] + len(doc.line_bytes(line).rstrip(b"\r\n")))
    return types.Range(start=types.Position(line=line, character=col),
                       end=types.Position(line=line_end[0], character=line_end[1]))


@dataclass
class _Summary:
    function_text: str | None  # the function's source when the summary was made
    diagnostic: types.Diagnostic


class SummaryDiagnostics:
    """Per document, the summary diagnostic of each solved function."""

    def __init__(self) -> None:
        self._by_uri: dict[str, dict[str, _Summary]] = {}

    def has(self, uri: str) -> bool:
        return bool(self._by_uri.get(uri))

    def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        return [s.diagnostic for s in self._by_uri.get(uri, {}).values()]

    def set(self, uri: str, doc: ParsedDocument, qualname: str, message: str) -> None:
        """Attach `message` to `qualname` as found in `doc` (the text the editor will show)."""
        fn = find_function(doc, qualname)
        text = doc.slice(fn.start_byte, fn.end_byte) if fn is not None else None
        self._by_uri.setdefault(uri, {})[qualname] = _Summary(text, types.Diagnostic(
            range=def_line_range(doc, fn), severity=types.DiagnosticSeverity.Information,
            source="pacore", message=message))

    def drop(self, uri: str, qualname: str) -> bool:
        """Forget `qualname`'s summary; whether there was one."""
        return self._by_uri.get(uri, {}).pop(qualname, None) is not None

    def follow(self, uri: str, doc: ParsedDocument) -> bool:
        """After an edit: drop summaries of changed functions, move the others with their
        function. Returns whether anything the client shows changed."""
        changed = False
        per_uri = self._by_uri.get(uri, {})
        for qualname, summary in list(per_uri.items()):
            fn = find_function(doc, qualname)
            if fn is None or doc.slice(fn.start_byte, fn.end_byte) != summary.function_text:
                del per_uri[qualname]
                changed = True
                continue
            rng = def_line_range(doc, fn)
            if rng != summary.diagnostic.range:
                summary.diagnostic.range = rng
                changed = True
        return changed
