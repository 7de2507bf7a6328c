"""pacore's own data files on disk: written atomically, read as untrusted input.

Run records, pools, benchmark results and plots are replaced in one rename, so an
interrupted write never leaves half a file. Files given back to pacore (`replay`, pools)
may come from anyone: they are parsed as JSON data only (no pickle, no templates, no
imports), and a malformed one is a `DataFileError` naming the file and the field.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pacore_core.errors import PacoreError

M = TypeVar("M", bound=BaseModel)


class DataFileError(PacoreError, ValueError):
    """A record, pool or result file is missing or malformed; the message names file and field."""


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary sibling of `path` to write; when the block succeeds it replaces `path`.

    Parent directories are created; the temporary file is gone afterwards either way.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` in one rename: readers see the old or the new file."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def read_text(path: Path, what: str) -> str:
    """A data file's text; `what` ("run record", "pool") words the error."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise DataFileError(f"{what} {path} is a directory, not a file") from None
    except UnicodeDecodeError:
        raise DataFileError(f"{path} is not a {what}: it is not UTF-8 text") from None
    except OSError as e:
        raise DataFileError(f"cannot read {what} {path}: {e.strerror}") from None


def validation_message(err: ValidationError) -> str:
    """The first problem as `field a.b.0.c: reason`, and how many more there are."""
    problems = err.errors(include_url=False)
    first = problems[0]
    loc = ".".join(str(p) for p in first["loc"])
    where = f"field {loc}: " if loc else ""
    msg = first["msg"]
    if first["type"] == "json_invalid":
        msg = f"not valid JSON ({first.get('ctx', {}).get('error', msg)})"
    more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" \
        if len(problems) > 1 else ""
    return f"{where}{msg}{more}"


def parse_model(model: type[M], data: str | dict[str, Any], path: Path, what: str) -> M:
    """Validate JSON text (or already parsed JSON) as `model`; errors name file and field."""
    try:
        if isinstance(data, str):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as e:
        raise DataFileError(f"{path} is not a valid {what}: {validation_message(e)}") from None
