"""Every warning a command prints, also kept for its `--json` object.

Why: warnings come from everywhere (the settings loader, a problem loader, the local
sandbox's "no isolation", a backend that could not read the context window) and reach
stderr by `logging` or by a print. With `--json` a script reads stdout only, so a warning
that is only printed is lost to it. While `capture()` is active every one of them, whatever
its source, is printed once as `pacore: warning: ...` and kept in order.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_active: list[RunWarnings] = []


class RunWarnings(logging.Handler):
    """A logging handler (WARNING and above, any logger) that prints and keeps messages."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(level=logging.WARNING)
        self.stream = stream
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        message = message.strip()
        if not message or message in self.messages:
            return
        self.messages.append(message)
        print(f"pacore: warning: {message}", file=self.stream or sys.stderr, flush=True)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed log call must not end the run
            text = str(record.msg)
        if record.name == "py.warnings":  # warnings.warn: "file:line: Category: text\n  code"
            text = text.strip().splitlines()[0]
        self.add(text)


def warn(message: str, stream: TextIO | None = None) -> None:
    """Say a warning: kept by the active capture, else printed as before."""
    if _active:
        _active[-1].add(message)
    else:
        print(f"pacore: warning: {message}", file=stream or sys.stderr, flush=True)


def collected() -> list[str]:
    """The warnings of the active capture so far (none outside one)."""
    return list(_active[-1].messages) if _active else []


def with_collected(own: list[str]) -> list[str]:
    """The printed warnings first, then `own` (a result's), each once."""
    return list(dict.fromkeys([*collected(), *own]))


@contextmanager
def capture(stream: TextIO | None = None) -> Iterator[RunWarnings]:
    """For one command: log records at WARNING and above and `warnings.warn` are printed
    and kept (instead of Python's bare last-resort output)."""
    handler = RunWarnings(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    logging.captureWarnings(True)
    _active.append(handler)
    try:
        yield handler
    finally:
        _active.remove(handler)
        logging.captureWarnings(False)
        root.removeHandler(handler)
