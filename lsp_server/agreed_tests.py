"""The second code action after a solve by agreement: write the agreed input/output pairs as a
pytest file next to the code, so the user keeps regression tests that pin the behaviour.

Why a new file and never an existing one: the pairs are the candidates' consensus, not the
user's intent; the file is created beside the module (`test_<module>_agreed.py`, or a
numbered name if that exists), opened, and left for the user to review, edit or delete.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from lsp_server.protocol import fail
from lsp_server.report import SolveReport

if TYPE_CHECKING:
    from lsp_server.server import PacoreLanguageServer

log = logging.getLogger("pacore.lsp")

TITLE_AGREED = "PaCoRe: write the agreed behaviour as pytest tests"
CMD_WRITE_AGREED = "pacore.writeAgreedTests"


def latest_agreed_report(ls: PacoreLanguageServer, uri: str) -> SolveReport | None:
    """The newest report for `uri` that has agreed pairs to write."""
    for rep in reversed(list(ls.reports.values())):
        if rep.uri == uri and rep.agreed_tests:
            return rep
    return None


def code_action(ls: PacoreLanguageServer, uri: str) -> types.CodeAction | None:
    rep = latest_agreed_report(ls, uri)
    if rep is None:
        return None
    return types.CodeAction(
        title=f"{TITLE_AGREED} (`{rep.function}`)",
        kind=types.CodeActionKind.RefactorRewrite,
        command=types.Command(
            title=TITLE_AGREED, command=CMD_WRITE_AGREED, arguments=[{"solveId": rep.solveId}]
        ),
    )


def _free_path(module: Path) -> Path:
    base = module.parent / f"test_{module.stem}_agreed"
    path = base.with_suffix(".py")
    n = 2
    while path.exists():
        path = Path(f"{base}_{n}.py")
        n += 1
    return path


def _create_beside(module: Path, text: str) -> Path:
    """Write `text` to a new test file beside `module` ("x": never over an existing file)."""
    path = _free_path(module)
    try:
        with open(path, "x", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as e:
        raise fail(f"{CMD_WRITE_AGREED}: cannot create {path}: {e.strerror}") from None
    return path


async def write_agreed_tests(ls: PacoreLanguageServer, args: tuple[Any, ...]) -> dict[str, str]:
    """Create the test file for the solve named in `args` (default: the latest) and show it."""
    solve_id = args[0].get("solveId") if args and isinstance(args[0], dict) else ls.last_report
    rep = ls.reports.get(solve_id) if isinstance(solve_id, str) else None
    if rep is None or not rep.agreed_tests:
        raise fail(
            f"{CMD_WRITE_AGREED}: no solve by agreement with pairs to write"
            f" ({solve_id or 'no solve yet'}); solve a stub first"
        )
    module = to_fs_path(rep.uri)
    if module is None:
        raise fail(f"{CMD_WRITE_AGREED}: {rep.uri} is not a file")
    path = await asyncio.to_thread(_create_beside, Path(module), rep.agreed_tests)
    uri = from_fs_path(str(path)) or path.as_uri()
    try:
        await ls.window_show_document_async(types.ShowDocumentParams(uri=uri, take_focus=True))
    except Exception as e:  # showing is best effort; the file exists
        log.warning("window/showDocument failed: %s", e)
    ls.log(f"PaCoRe: wrote the agreed behaviour of `{rep.function}` to {path}")
    return {"path": str(path), "uri": uri}
