"""What project mode copies into the sandbox, packed once per solve.

What is copied: what the project's version control would hold, i.e. tracked files plus
untracked files that `.gitignore` does not ignore (`git ls-files -co --exclude-standard`);
without a git repository, every file except the usual tool and build folders. Never
copied, unless the user opts the path in: secret-looking files (`.env*`, `*.pem`, `*.key`,
`id_*`, `.netrc`, `.pypirc`, `.npmrc`, ...) and credential folders (`.aws`, `.ssh`, ...).
Why: whatever a candidate can read may come back in its verdict, and verdicts are shown
to the model, possibly a hosted API.

Why once per solve: packing a large workspace for each of K candidates, on the event loop,
stalled the editor and let candidates see different snapshots when the user saved
mid-solve. A `ProjectSnapshot` is taken off the loop and shared; each candidate adds only
its overlay.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict

from sandbox.errors import SandboxError

MAX_BYTES = 64 * 1024 * 1024
WALK_EXCLUDE = (".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__",
                ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox", "build", "dist",
                "*.egg-info", "*.pyc")  # fmt: skip
"""Without version control: what a .gitignore would usually leave out."""
SECRET_FILES = (".env", ".env.*", "*.env", "*.pem", "*.key", "*.p12", "*.pfx", "id_*", ".netrc",
                ".pypirc", ".npmrc", ".git-credentials", "credentials", "credentials.json",
                "*.keystore", "*.jks")  # fmt: skip
SECRET_DIRS = (".aws", ".azure", ".gcloud", "gcloud", ".ssh", ".gnupg", ".kube", ".docker")


class ProjectTooLarge(SandboxError):
    """The files project mode would copy exceed the size cap."""


class ProjectSnapshot(BaseModel):
    """A packed copy of the project (tar.gz) and what went into it."""

    model_config = ConfigDict(frozen=True)

    root: Path
    archive: str  # base64 of the tar.gz, encoded once
    files: tuple[str, ...]
    withheld: tuple[str, ...]  # secret-looking files left out
    digest: str


def is_secret(rel: str) -> bool:
    """A path that looks like it holds credentials (any component)."""
    parts = PurePosixPath(rel).parts
    if any(part in SECRET_DIRS for part in parts[:-1]):
        return True
    name = parts[-1] if parts else ""
    return any(fnmatch.fnmatch(name, pat) for pat in SECRET_FILES)


def _opted_in(rel: str, include: list[str]) -> bool:
    return any(rel == inc or rel.startswith(inc.rstrip("/") + "/") or fnmatch.fnmatch(rel, inc)
               for inc in include)  # fmt: skip


def _git_files(root: Path) -> list[str] | None:
    """Tracked + untracked-not-ignored files, or None when `root` is not in a work tree."""
    try:
        # fixed argv, no shell: the user's own git, found on PATH
        done = subprocess.run(  # noqa: S603
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    names = [n for n in done.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
    return sorted(dict.fromkeys(names))  # a conflicted file is listed once per stage


def _walk_files(root: Path, exclude: list[str]) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not any(fnmatch.fnmatch(d, p) for p in exclude))
        rel_dir = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            if not any(fnmatch.fnmatch(name, p) for p in exclude):
                out.append(os.path.normpath(os.path.join(rel_dir, name)))
    return out


def project_files(root: Path, exclude: list[str], include: list[str]) -> tuple[list[str], list[str]]:
    """(files to copy, secret-looking files withheld), relative posix paths."""
    root = root.resolve()
    listed = _git_files(root)
    if listed is None:
        listed = _walk_files(root, [*WALK_EXCLUDE, *exclude])
    keep, withheld = [], []
    for rel in listed:
        parts = PurePosixPath(rel).parts
        if any(fnmatch.fnmatch(part, pat) for part in parts for pat in exclude):
            continue
        full = root / rel
        if full.is_symlink() or not full.is_file():
            continue  # links could point outside the project; deleted-but-tracked files
        if is_secret(rel) and not _opted_in(rel, include):
            withheld.append(rel)
            continue
        keep.append(rel)
    return keep, withheld


def take_snapshot(root: Path, exclude: list[str] | None = None, include: list[str] | None = None,
                  max_bytes: int = MAX_BYTES) -> ProjectSnapshot:  # fmt: skip
    """Pack the project once (blocking: call it in a worker thread)."""
    root = root.resolve()
    files, withheld = project_files(root, list(exclude or []), list(include or []))
    buf = io.BytesIO()
    total = 0
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        for rel in files:
            full = root / rel
            try:
                total += full.stat().st_size
                if total > max_bytes:
                    raise ProjectTooLarge(
                        f"the project's files exceed {max_bytes // (1024 * 1024)} MB",
                        fix="ignore large files in .gitignore, or verify with a smaller workspace",
                    )
                tar.add(full, arcname=rel, recursive=False)
            except FileNotFoundError:
                continue  # removed while packing
    data = buf.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:24]
    return ProjectSnapshot(root=root, archive=base64.b64encode(data).decode(), files=tuple(files),
                           withheld=tuple(withheld), digest=digest)  # fmt: skip
