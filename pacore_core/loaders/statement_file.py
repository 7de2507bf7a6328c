"""A stdin/stdout task: a statement with sample blocks and optional front matter, plus tests."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from pacore_core.loaders.common import ProblemLoadError, read_text
from pacore_core.loaders.discovery import walk_files
from pacore_core.loaders.samples import parse_samples, read_samples
from pacore_core.problem import Problem, io_examples_text
from pacore_core.prompting import Templates
from pacore_core.statement import io_statement
from sandbox import languages
from sandbox.models import Comparison, IOSuite, IOTest, Language

_OUTPUT_SUFFIXES = (".out", ".ans")
_NOTE_LINE = re.compile(r"^the fenced block at line (\d+)")
log = logging.getLogger(__name__)  # the CLI prints warnings and keeps them for --json

__all__ = ["load_io_tests", "load_statement_file", "parse_front_matter", "parse_samples"]


def _shift_line(note: str, offset: int) -> str:
    """A note's line number counted in the file (the statement body follows front matter)."""
    return _NOTE_LINE.sub(lambda m: f"the fenced block at line {int(m.group(1)) + offset}", note)


@dataclass
class FrontMatter:
    values: dict[str, str]
    body: str


def parse_front_matter(text: str) -> FrontMatter:
    """`---` / `key: value` lines / `---` at the top of a statement; keys lower-cased."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return FrontMatter({}, text)
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            values: dict[str, str] = {}
            for line in lines[1:end]:
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                key, sep, value = line.partition(":")
                if not sep:
                    raise ProblemLoadError(f"front matter line {line!r} is not 'key: value'")
                values[key.strip().lower()] = value.strip().strip("'\"")
            return FrontMatter(values, "\n".join(lines[end + 1:]).lstrip("\n"))
    raise ProblemLoadError("front matter starts with '---' but has no closing '---'")


def _language(value: str | None, override: Language | None, where: Path) -> Language:
    if override is not None:
        return override
    if value is None:
        return languages.DEFAULT
    try:
        return languages.resolve(value)
    except languages.UnknownLanguage as exc:
        raise ProblemLoadError(f"{where}: {exc}") from None


def _comparison(fm: dict[str, str], where: Path) -> tuple[Comparison, float]:
    comp = fm.get("comparison", "whitespace")
    if comp not in get_args(Comparison):
        raise ProblemLoadError(f"{where}: comparison must be exact, whitespace or float")
    try:
        tol = float(fm.get("float_tolerance", "1e-6"))
    except ValueError:
        raise ProblemLoadError(f"{where}: float_tolerance must be a number") from None
    return comp, tol  # type: ignore[return-value]


def load_io_tests(d: Path) -> tuple[list[IOTest], list[IOTest]]:
    """(public, hidden) NAME.in + NAME.out/.ans pairs under `d`, recursively.

    Directories are searched by the rules of `pacore_core.loaders.discovery`.
    """
    public: list[IOTest] = []
    hidden: list[IOTest] = []
    for inp in sorted(walk_files(d, lambda p: p.suffix == ".in")):
        out = next((o for s in _OUTPUT_SUFFIXES if (o := inp.with_suffix(s)).is_file()), None)
        if out is None:
            raise ProblemLoadError(f"{inp} has no matching {inp.stem}.out (or .ans) file")
        rel = inp.relative_to(d)
        name = "/".join(rel.with_suffix("").parts)
        test = IOTest(name=name, input=read_text(inp), expected=read_text(out))
        is_hidden = "hidden" in rel.parts[:-1] or inp.stem.lower().startswith("hidden")
        (hidden if is_hidden else public).append(test)
    return public, hidden


def has_io_tests(d: Path) -> bool:
    return next(walk_files(d, lambda p: p.suffix == ".in"), None) is not None


def load_statement_file(
    path: Path,
    *,
    tests: Path | None = None,
    language: Language | None = None,
    problem_id: str | None = None,
    templates: Templates | None = None,
    note: str | None = None,
) -> Problem:
    """A stdin/stdout task: statement with sample blocks, plus optional test files; `note`
    (e.g. how interactive problems talk) follows the statement."""
    fm = parse_front_matter(read_text(path))
    if not fm.body.strip():
        raise ProblemLoadError(f"{path}: the statement is empty")
    lang = _language(fm.values.get("language"), language, path)
    comparison, tol = _comparison(fm.values, path)
    read = read_samples(fm.body)
    samples = read.tests
    offset = len(read_text(path).splitlines()) - len(fm.body.splitlines())  # front matter
    for note in read.notes:
        log.warning("%s: %s", path, _shift_line(note, offset))
    extra_public: list[IOTest] = []
    hidden: list[IOTest] = []
    if tests is not None:
        if not tests.is_dir():
            raise ProblemLoadError(f"{tests}: io tests must be a directory of NAME.in/NAME.out")
        extra_public, hidden = load_io_tests(tests)
    public = samples + extra_public
    extra_text = io_examples_text(IOSuite(tests=extra_public)) if extra_public else None
    body = f"{fm.body.rstrip()}\n\n{note}" if note else fm.body
    statement = io_statement(body, extra_text, language=lang, templates=templates)
    shown = IOSuite(tests=public) if public else None
    return Problem(
        id=fm.values.get("id") or problem_id or path.stem,
        statement=statement,
        language=lang,
        mode="io",
        public_tests=IOSuite(tests=public, comparison=comparison, float_tolerance=tol)
        if public else None,
        hidden_tests=IOSuite(tests=hidden, comparison=comparison, float_tolerance=tol)
        if hidden else None,
        public_tests_text=io_examples_text(shown, limit=len(public)) if shown else None,
        weak_verification=bool(samples) and not extra_public,  # the statement's samples only
    )
