"""What `pacore` promises about its streams, whatever the command does.

With `--json` stdout carries exactly one JSON object: the command's own, or, when the
command failed before printing one (a usage error, an interrupt, a crash), an error object
whose message is the last error the command wrote to stderr. A reader that closes the pipe
early (`| head -3`) ends the output quietly instead of raising BrokenPipeError.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO

ErrorObject = Callable[[str], dict[str, Any]]


def generic_error(message: str) -> dict[str, Any]:
    return {"status": "error", "error": message}


class _Tee(io.TextIOBase):
    """stderr as it was, remembering the last lines written (the error to report)."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner
        self.tail: list[str] = []

    def write(self, s: str) -> int:
        self.inner.write(s)
        self.tail = (self.tail + [line for line in s.splitlines() if line.strip()])[-20:]
        return len(s)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.inner.encoding


class JsonStdout:
    """Holds stdout until the command ends, then writes exactly one JSON object."""

    def __init__(self, error_object: ErrorObject) -> None:
        self.error_object = error_object
        self.buffer = io.StringIO()
        self.tee = _Tee(sys.stderr)
        self._stdout = sys.stdout
        self._stderr = sys.stderr

    def __enter__(self) -> JsonStdout:
        sys.stdout, sys.stderr = self.buffer, self.tee
        return self

    def __exit__(self, *exc: object) -> None:
        sys.stdout, sys.stderr = self._stdout, self._stderr

    def last_error(self, fallback: str) -> str:
        for line in reversed(self.tee.tail):
            if "error" in line.lower() or line.startswith("pacore"):
                return line.strip()
        return self.tee.tail[-1].strip() if self.tee.tail else fallback

    def emit(self, fallback: str, exit_code: int) -> None:
        """Write the command's object if it printed exactly one, else an error object."""
        text = self.buffer.getvalue().strip()
        obj: Any = None
        if text:
            try:
                obj = json.loads(text)
            except ValueError:
                obj = None
        if not isinstance(obj, dict):
            obj = self.error_object(self.last_error(fallback))
            if text:  # something printed that was not one object: keep it, on stderr
                self._stderr.write(text + "\n")
            obj["exit_code"] = exit_code
        write_stdout(json.dumps(obj) + "\n", self._stdout)


def write_stdout(text: str, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(text)
    (stream or sys.stdout).flush()


def quiet_broken_pipe() -> None:
    """The reader went away: send the rest of stdout nowhere so the interpreter's final
    flush does not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
        os.close(devnull)
    except OSError:
        pass
