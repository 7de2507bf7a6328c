"""Where a document is solved: the workspace folder, or the file's own folder.

Resolving paths touches the file system: request handlers call `solve_root` through
`asyncio.to_thread`, never on the event loop.
"""

from __future__ import annotations

from pathlib import Path


def solve_root(workspace_root: str | None, path: Path) -> tuple[Path, str]:
    """The folder `path` is solved in and its POSIX path there: the workspace folder, or
    the file's own folder when no folder is open or the file lies outside it."""
    root = Path(workspace_root) if workspace_root else path.parent
    try:
        return root, path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.parent, path.name
