"""Which files are tests, and which directories are never searched for them.

One set of rules for `pacore solve` (a problem's tests) and the language server (a
workspace's tests): a test file is a `.py` file named `test_*.py` or `*_test.py`;
virtual environments, caches, build output, VCS metadata and every dot-directory (for
instance `.ipynb_checkpoints`, whose stale copies are named like tests) are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

SKIP_DIRS = frozenset({
    "__pycache__", "venv", "node_modules", "build", "dist", "site-packages",
})
"""Directory names never searched (besides every name starting with a dot)."""


def is_test_file(path: Path) -> bool:
    """`test_*.py` or `*_test.py`: the names pytest collects by default."""
    return path.suffix == ".py" and (path.name.startswith("test_") or path.stem.endswith("_test"))


def skipped_dir(name: str) -> bool:
    return name in SKIP_DIRS or name.startswith(".")


def walk_files(root: Path, keep: Callable[[Path], bool], *, limit: int | None = None) -> Iterator[Path]:
    """Files under `root` (sorted, depth first) that `keep` accepts, outside skipped dirs.

    Stops after `limit` files; unreadable directories are passed over.
    """
    count = 0
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            entries = sorted(d.iterdir())
        except OSError:
            continue
        subdirs: list[Path] = []
        for p in entries:
            if p.is_dir():
                if not skipped_dir(p.name):
                    subdirs.append(p)
            elif keep(p):
                count += 1
                if limit is not None and count > limit:
                    return
                yield p
        stack.extend(reversed(subdirs))


def find_test_files(root: Path, *, limit: int | None = None) -> list[Path]:
    """Every test file under `root`, in path order."""
    return sorted(walk_files(root, is_test_file, limit=limit))
