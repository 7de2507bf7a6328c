"""Where `solve --all` puts what it solved, without ever losing the user's code.

`InPlace` rewrites a module as each of its stubs is solved: the new text is the file as it
was read plus the splices, so every other byte stays as it was; before writing, the file is
read again, and if it changed on disk meanwhile nothing is written over it: the
implementation goes to `.pacore/results/` instead (as the editor does). `OutputDir` writes
the completed modules under a directory at the end. `Nowhere` keeps results in the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pacore_core.files import atomic_write
from pacore_core.multi_stub.inventory import StubRef
from pacore_core.project.splice import SpliceResult, standalone_text


class ResultWriter(Protocol):
    async def solved(self, refs: list[StubRef], text: str, splices: dict[StubRef, SpliceResult],
                     code: str) -> str | None:
        """Called as stubs of one module are accepted (`text`: the module's new text, `code`:
        the verified program); says where the implementation went."""

    async def finish(self, texts: dict[str, str]) -> dict[str, str]:
        """Called once at the end with every changed module; relpath -> where it went."""


def results_path(root: Path, ref: StubRef) -> Path:
    return root / ".pacore" / "results" / f"{Path(ref.relpath).stem}.{ref.qualname}.py"


class Nowhere:
    async def solved(self, refs: list[StubRef], text: str, splices: dict[StubRef, SpliceResult],
                     code: str) -> str | None:
        return None

    async def finish(self, texts: dict[str, str]) -> dict[str, str]:
        return {}


class InPlace:
    """Each module rewritten as its stubs are solved, unless it changed on disk meanwhile."""

    def __init__(self, root: Path, originals: dict[str, str]) -> None:
        self.root = root
        self.expected = dict(originals)  # what the file holds if nobody else touched it

    async def solved(self, refs: list[StubRef], text: str, splices: dict[StubRef, SpliceResult],
                     code: str) -> str | None:
        rel = refs[0].relpath
        path = self.root / rel
        try:
            on_disk = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            on_disk = None
        if on_disk == self.expected[rel]:
            atomic_write(path, text)
            self.expected[rel] = text
            return rel
        where = []
        for ref in refs:
            out = results_path(self.root, ref)
            out.parent.mkdir(parents=True, exist_ok=True)
            header = (f"# PaCoRe: implementation of {ref.qualname} (verified). Not written to "
                      f"{rel}: the file changed on disk during the run.\n\n")
            out.write_text(header + standalone_text(splices[ref]), encoding="utf-8")
            where.append(out.relative_to(self.root).as_posix())
        return ", ".join(where)

    async def finish(self, texts: dict[str, str]) -> dict[str, str]:
        return {}


class OutputDir:
    """The completed modules under `directory`, at the end, by their project paths."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def solved(self, refs: list[StubRef], text: str, splices: dict[StubRef, SpliceResult],
                     code: str) -> str | None:
        return (self.directory / refs[0].relpath).as_posix()

    async def finish(self, texts: dict[str, str]) -> dict[str, str]:
        out = {}
        for rel, text in texts.items():
            atomic_write(self.directory / rel, text)
            out[rel] = (self.directory / rel).as_posix()
        return out
