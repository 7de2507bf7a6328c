"""The project as `solve --all` changes it: each accepted implementation is spliced into
its module's text, so that later callers run against their callees' code.

Only this object changes module texts, and it does so without awaiting, so two stubs of
one file finishing together are both kept; a stub is re-found by name in the current text,
so an implementation accepted meanwhile elsewhere in the file stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pacore_core.multi_stub.inventory import Inventory, StubRef
from pacore_core.project.splice import SpliceError, SpliceResult, splice
from pacore_core.project.targeting import (
    ParsedDocument,
    StubTarget,
    find_function,
    target_from_function,
)


@dataclass
class ProjectState:
    original: dict[str, str]  # the texts the run started from (an editor's buffers)
    current: dict[str, str] = field(default_factory=dict)
    disk: dict[str, str] = field(default_factory=dict)  # the snapshot's texts, if they differ

    @classmethod
    def of(cls, inv: Inventory, disk: dict[str, str] | None = None) -> ProjectState:
        texts = {rel: doc.text for rel, doc in inv.docs.items()}
        return cls(original=dict(texts), current=dict(texts), disk=dict(disk or texts))

    def copy(self) -> ProjectState:
        return ProjectState(self.original, dict(self.current), self.disk)

    def doc(self, relpath: str) -> ParsedDocument:
        return ParsedDocument.parse(self.current[relpath], encoding="utf-8")

    def target(self, ref: StubRef, doc: ParsedDocument | None = None) -> StubTarget:
        """The stub as it stands now (still a stub: only its own acceptance fills it)."""
        doc = doc or self.doc(ref.relpath)
        fn = find_function(doc, ref.qualname)
        target = target_from_function(doc, fn) if fn is not None else None
        if target is None:
            raise SpliceError(f"`{ref.qualname}` is no longer a stub in {ref.relpath}")
        return target

    def changed(self, *, besides: str | None = None) -> dict[str, str]:
        """Files whose text differs from the project's snapshot: what a sandbox run overlays."""
        return {rel: text for rel, text in self.current.items()
                if text != self.disk.get(rel, self.original[rel]) and rel != besides}

    def solved_files(self) -> dict[str, str]:
        """Files that some accepted implementation changed, as they now read."""
        return {rel: text for rel, text in self.current.items() if text != self.original[rel]}

    def accept(self, refs: list[StubRef], code: str, *, keep_docstring: bool
               ) -> dict[StubRef, SpliceResult]:
        """Splice `code` (one program holding every stub of `refs`) into the current texts.
        All or nothing: a member that cannot be spliced leaves every file as it was."""
        texts = dict(self.current)
        results: dict[StubRef, SpliceResult] = {}
        for ref in refs:
            doc = ParsedDocument.parse(texts[ref.relpath], encoding="utf-8")
            result = splice(doc, self.target(ref, doc), code, keep_docstring=keep_docstring)
            texts[ref.relpath] = result.module_text
            results[ref] = result
        self.current = texts
        return results
