"""Every stub under a path: a module, a package directory or a whole project.

Stubs are found as the editor finds them (`pacore_core.project.targeting`): functions and
methods whose body is a stub. Test files and the usual tool folders are not searched, and a
function nested in another function is listed as skipped, since no test can call it alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pacore_core.loaders.common import ProblemLoadError
from pacore_core.loaders.discovery import is_test_file, walk_files
from pacore_core.project.selection import project_root
from pacore_core.project.targeting import ParsedDocument, StubTarget, all_stubs
from pacore_core.project.workspace_tests import module_name

MAX_FILES = 2000


@dataclass(frozen=True)
class StubRef:
    """One stub: its file (relative to the project root) and qualified name."""

    relpath: str
    qualname: str

    @property
    def id(self) -> str:
        return f"{self.relpath}::{self.qualname}"

    @property
    def module(self) -> str:
        return module_name(self.relpath)

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def class_name(self) -> str | None:
        return self.qualname.rsplit(".", 1)[0] if "." in self.qualname else None


@dataclass
class Inventory:
    """The project root, the parsed files holding stubs, and their stubs in file order."""

    root: Path
    docs: dict[str, ParsedDocument] = field(default_factory=dict)
    stubs: dict[StubRef, StubTarget] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # nested functions, unreadable files


def _candidate_files(path: Path) -> list[Path]:
    if path.is_file():
        if path.suffix != ".py":
            raise ProblemLoadError(f"{path} is not a Python file: --all takes a module (.py), "
                                   "a package directory or a project directory")
        return [path]
    return sorted(walk_files(path, lambda p: p.suffix == ".py" and not is_test_file(p)
                             and p.name != "conftest.py", limit=MAX_FILES))


def collect(path: Path, root: Path | None = None, texts: dict[str, str] | None = None
            ) -> Inventory:
    """Parse the Python files under `path` and list their stubs (`texts`: an editor's unsaved
    buffers by relative path, read instead of the disk). Raises ProblemLoadError."""
    if not path.exists():
        raise ProblemLoadError(f"{path} does not exist")
    base = root or project_root(path) or (path if path.is_dir() else path.parent)
    inv = Inventory(root=base.resolve())
    for f in _candidate_files(path):
        try:
            rel = f.resolve().relative_to(inv.root).as_posix()
            text = (texts or {}).get(rel)
            if text is None:  # bytes decoded as they are: CRLF kept, files stay byte-identical
                text = f.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError, ValueError) as e:
            inv.skipped.append(f"{f}: not read ({e})")
            continue
        doc = ParsedDocument.parse(text, encoding="utf-8")
        if doc.tree.root_node.has_error:
            inv.skipped.append(f"{rel}: not valid Python, its stubs were not solved")
            continue
        found = all_stubs(doc)
        for target in found:
            if "." in target.qualname and target.class_name is None:
                inv.skipped.append(f"{rel}::{target.qualname}: nested in a function, which "
                                   "no test can call alone")
                continue
            inv.stubs[StubRef(rel, target.qualname)] = target
        if any(r.relpath == rel for r in inv.stubs):
            inv.docs[rel] = doc
    return inv
