"""Which stub a command means: `FILE.py` (the first stub, method or function, like the editor
at the top of the file) or `FILE.py::name` / `FILE.py::Class.method`; and which project a
file belongs to (the nearest directory above it with a `pyproject.toml`, `setup.cfg` or
`.git`), since a stub inside a project is solved in a copy of it.
"""

from __future__ import annotations

from pathlib import Path

from pacore_core.loaders.common import ProblemLoadError
from pacore_core.project.targeting import ParsedDocument, StubTarget, all_stubs
from pacore_core.stubs import STUB_DEFINITION

PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", ".git")
SELECTOR_SEP = "::"


def split_selector(arg: str | Path) -> tuple[Path, str | None]:
    """`shapes.py::Rect.area` -> (shapes.py, "Rect.area"); a plain path has no selector."""
    text = str(arg)
    if SELECTOR_SEP in text:
        path, _, name = text.partition(SELECTOR_SEP)
        if path.endswith(".py"):
            return Path(path), name.strip() or None
    return Path(text), None


def project_root(path: Path) -> Path | None:
    """The nearest directory at or above `path`'s directory holding a project marker."""
    here = path.resolve()
    start = here if here.is_dir() else here.parent
    for d in (start, *start.parents):
        if any((d / m).exists() for m in PROJECT_MARKERS):
            return d
    return None


def select_stub(doc: ParsedDocument, path: Path, selector: str | None) -> StubTarget:
    """The stub `selector` names (a qualified name), or the file's first stub."""
    stubs = all_stubs(doc)
    if selector is None:
        if not stubs:
            raise ProblemLoadError(
                f"{path}: no function stub found (a function or method whose body is "
                f"{STUB_DEFINITION})")
        return stubs[0]
    for s in stubs:
        if s.qualname == selector:
            return s
    names = ", ".join(s.qualname for s in stubs) or "none"
    raise ProblemLoadError(
        f"{path}: no stub named `{selector}` (its stubs: {names}); name one as "
        f"{path}::NAME or {path}::Class.method")
