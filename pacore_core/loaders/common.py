"""What every loader shares: the error type and reading user files with clear errors."""

from __future__ import annotations

import ast
from pathlib import Path

from pacore_core.errors import ProblemError

STATEMENT_NAMES = ("problem.md", "problem.txt", "statement.md", "statement.txt")
HIDDEN_MARKER = "# pacore: hidden"


class ProblemLoadError(ProblemError):
    """The problem is missing or malformed; the message says what to fix."""


def read_text(path: Path) -> str:
    """A user file as UTF-8 text, or a ProblemLoadError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProblemLoadError(f"{path} is not UTF-8 text") from None
    except OSError as e:
        raise ProblemLoadError(f"cannot read {path}: {e.strerror}") from None


def parse_python(source: str, path: Path) -> ast.Module:
    """Parse a user's Python file; a syntax error names the file and line."""
    try:
        return ast.parse(source, filename=str(path))
    except SyntaxError as e:
        where = f"{path}:{e.lineno}" if e.lineno else str(path)  # NUL bytes have no line
        raise ProblemLoadError(f"{where}: not valid Python: {e.msg}") from None
