"""A problem's own checker, validator or interactor read from disk as a `JudgeProgram`.

Shared by the Kattis/ICPC package loader (`output_validators/<name>/`, `output_validator/`)
and the directory format (`checker.<ext>` / `interactor.<ext>`, testlib convention). The
language comes from the main file's extension; headers and other files beside it travel
with it (a C++ validator's `validate.h`, testlib's `testlib.h`).
"""

from __future__ import annotations

from pathlib import Path

from pacore_core.loaders.common import ProblemLoadError, read_text
from sandbox import languages
from sandbox.models import Convention, JudgeProgram

HEADERS = (".h", ".hpp", ".hh")
MAX_FILES = 64
MAX_BYTES = 4 << 20
_MAIN_STEMS = ("validator", "checker", "interactor", "output_validator", "main")


def language_of(path: Path) -> str | None:
    """The registered language whose sources end like `path` (any the sandbox builds)."""
    return languages.by_extension(path.suffix) if path.suffix else None


def _extensions() -> str:
    return ", ".join(sorted(e for name in languages.names() for e in languages.get(name).extensions))


def _files_of(root: Path) -> dict[str, str]:
    """Every text file under `root` (build output and dot-files skipped), size-capped."""
    files: dict[str, str] = {}
    total = 0
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
            continue
        wanted = language_of(path) is not None or path.suffix.lower() in HEADERS
        if not wanted and path.suffix not in (".txt", ""):
            continue
        text = read_text(path)
        total += len(text)
        if len(files) >= MAX_FILES or total > MAX_BYTES:
            raise ProblemLoadError(f"{root}: more than {MAX_FILES} files or {MAX_BYTES >> 20} MB; "
                                   "keep only the program's sources and headers there")
        files[rel.as_posix()] = text
    return files


def _main_file(root: Path, files: dict[str, str]) -> str:
    sources = [n for n in files if language_of(Path(n)) is not None]
    if len(sources) == 1:
        return sources[0]
    for stem in (*_MAIN_STEMS, root.name):
        found = [n for n in sources if Path(n).stem == stem]
        if len(found) == 1:
            return found[0]
    if not sources:
        raise ProblemLoadError(f"{root}: no source file of a registered language ({_extensions()})")
    raise ProblemLoadError(
        f"{root}: several source files ({', '.join(sources)}); name the main one "
        f"{' or '.join(s + '.<ext>' for s in _MAIN_STEMS[:3])}"
    )


def read_program(path: Path, convention: Convention, *, args: list[str] | None = None) -> JudgeProgram:
    """A single source file, or a directory holding one (with its headers)."""
    if path.is_dir():
        files = _files_of(path)
        main = _main_file(path, files)
    else:
        if language_of(path) is None:
            raise ProblemLoadError(
                f"{path}: cannot tell the language of this program from its extension; "
                f"use one of {_extensions()}"
            )
        siblings = {p.name: read_text(p) for p in sorted(path.parent.iterdir())
                    if p.is_file() and p.suffix.lower() in HEADERS}  # fmt: skip
        files = {**siblings, path.name: read_text(path)}
        main = path.name
    language = language_of(Path(main))
    if language is None:  # _main_file picks a source of a known language
        raise ProblemLoadError(f"{path / main}: cannot tell the language of this program; "
                               f"use one of {_extensions()}")
    return JudgeProgram(convention=convention, language=language, files=files, main=main,
                        args=list(args or []))  # fmt: skip


def find_named(d: Path, stem: str) -> Path | None:
    """`d/STEM.<ext>` for a known extension (the directory format's checker/interactor)."""
    found = [p for p in sorted(d.glob(f"{stem}.*")) if p.is_file() and language_of(p) is not None]
    if len(found) > 1:
        raise ProblemLoadError(f"{d}: several {stem} programs ({', '.join(p.name for p in found)}); keep one")
    return found[0] if found else None
