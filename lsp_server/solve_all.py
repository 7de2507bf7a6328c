"""`pacore.solveAll`: every stub of a file (the code action "Solve all N stubs in this file
with PaCoRe") or of the workspace, callees first (`pacore_core.multi_stub`).

One cancellable job with one `$/progress` stream telling each stub's state (waiting on
which, solving, done); each implementation lands as its stub is solved, as a versioned edit
spliced into the document as it is then, never over a function the user changed
meanwhile (that result goes to `.pacore/results/`); each function gets its summary
diagnostic and its report (`pacore.report` with `SOLVE_ID:QUALNAME`); `pacore.report` with
the run's id returns the whole `SolveAllReport`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pydantic import BaseModel
from pygls.uris import from_fs_path, to_fs_path

from lsp_server.edits import plan_final_edit, supports_document_changes, text_edits, workspace_edit
from lsp_server.locate import solve_root
from lsp_server.protocol import fail, invalid
from lsp_server.report import build_report
from lsp_server.solve import model_and_sandbox
from lsp_server.solve_registry import AlreadyRunning, FunctionKey
from pacore_core.backends.base import Backend
from pacore_core.config import editor_setting
from pacore_core.errors import PacoreError
from pacore_core.events import RoundStarted
from pacore_core.multi_stub.inventory import StubRef
from pacore_core.multi_stub.models import (
    MultiEvent,
    StubFinished,
    StubProgress,
    StubStarted,
    StubWaiting,
    SuiteFinished,
    SuiteRunning,
)
from pacore_core.multi_stub.orchestrator import Plan, SolveAll, make_plan
from pacore_core.multi_stub.writing import results_path
from pacore_core.project.splice import SpliceResult, standalone_text
from pacore_core.project.targeting import ParsedDocument, StubTarget, all_stubs

if TYPE_CHECKING:
    from lsp_server.server import PacoreLanguageServer

log = logging.getLogger("pacore.lsp")

CMD_SOLVE_ALL = "pacore.solveAll"
ALL_KEY = "<all stubs>"


def title_all(n: int) -> str:
    return f"Solve all {n} stubs in this file with PaCoRe"


class SolveAllArgs(BaseModel):
    """The optional argument of `pacore.solveAll`: a file (and its version), or none for the
    whole workspace."""

    uri: str | None = None
    version: int | None = None


class SolveAllStarted(BaseModel):
    solveId: str
    stubs: list[str]


def solvable_count(doc: ParsedDocument) -> int:
    """Stubs `solveAll` takes in this document (functions nested in functions are not)."""
    return sum(1 for s in all_stubs(doc) if s.class_name is not None or "." not in s.qualname)


async def start_solve_all(ls: PacoreLanguageServer, a: SolveAllArgs) -> SolveAllStarted:
    root_str = ls.workspace.root_path
    texts: dict[str, str] = {}
    if a.uri is not None:
        path_str = to_fs_path(a.uri) if a.uri.startswith("file:") else None
        if path_str is None or not path_str.endswith(".py"):
            raise invalid(f"{a.uri} is not a Python file")
        path = Path(path_str)
        doc, version = ls.parsed(a.uri)
        if a.version is not None and version is not None and a.version != version:
            raise fail(f"the document changed since the action was offered (version "
                       f"{a.version}, now {version}); ask for the code action again")
        root, rel = await asyncio.to_thread(solve_root, root_str, path)
        texts[rel] = doc.text
        target_path, key = path, FunctionKey(a.uri, ALL_KEY)
    else:
        if not root_str:
            raise fail("no workspace folder is open: open a folder, or solve one file's stubs")
        root = Path(root_str)
        target_path, key = root, FunctionKey(root.as_uri(), ALL_KEY)
        texts.update(_open_buffers(ls, root))
    await ls.configuration_ready()
    settings = ls.settings_for(target_path if target_path.is_dir() else target_path.parent)
    try:
        plan = await asyncio.to_thread(make_plan, target_path, root, texts)
    except PacoreError as e:
        raise fail(e.render(editor_setting)) from None
    if not plan.inventory.stubs:
        raise fail(f"no function stubs in {a.uri or root}")
    if (other := ls.jobs.running_on(key)) is not None:
        raise fail(f"PaCoRe is already solving these stubs ({other.solve_id}); wait for it or "
                   "cancel it (command pacore.cancel)")
    backend, inner = await model_and_sandbox(ls, settings)
    solve_id = ls.jobs.new_id()
    token = f"pacore/{solve_id}"
    run = AllRun(ls, solve_id, token, plan)
    solver = SolveAll(plan, backend=backend, sandbox=inner, settings=settings,
                      writer=run, on_event=run.on_event, name_setting=editor_setting,
                      disk=_disk_texts(plan))
    try:
        ls.jobs.start(solve_id, key, token, run.run(solver, backend))
    except AlreadyRunning as e:
        await backend.close()
        raise fail(str(e)) from None
    ids = [r.id for r in plan.inventory.stubs]
    ls.log(f"PaCoRe {solve_id}: solving {len(ids)} stubs under {plan.root}")
    return SolveAllStarted(solveId=solve_id, stubs=ids)


def _open_buffers(ls: PacoreLanguageServer, root: Path) -> dict[str, str]:
    """The editor's Python buffers under `root` (unsaved text is what gets solved)."""
    out = {}
    for uri, doc in ls.workspace.text_documents.items():
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if path is not None and path.endswith(".py"):
            try:
                out[Path(path).resolve().relative_to(root.resolve()).as_posix()] = doc.source
            except ValueError:
                continue
    return out


def _disk_texts(plan: Plan) -> dict[str, str]:
    out = {}
    for rel, doc in plan.inventory.docs.items():
        try:
            out[rel] = (plan.root / rel).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            out[rel] = doc.text
    return out


class AllRun:
    """One solveAll job: its progress stream, its edits (as the writer) and its reports."""

    def __init__(self, ls: PacoreLanguageServer, solve_id: str, token: str, plan: Plan) -> None:
        self.ls, self.solve_id, self.token, self.plan = ls, solve_id, token, plan
        self.states: dict[str, str] = {r.id: "queued" for r in plan.inventory.stubs}
        caps = ls.client_capabilities.window
        self.progress = bool(caps is not None and caps.work_done_progress)
        self.started = time.monotonic()
        self._start_docs = {rel: (doc, self._version(rel)) for rel, doc in plan.inventory.docs.items()}

    def uri(self, rel: str) -> str:
        path = self.plan.root / rel
        return from_fs_path(str(path)) or path.as_uri()

    def _version(self, rel: str) -> int | None:
        try:
            return self.ls.parsed(self.uri(rel))[1]
        except (OSError, UnicodeDecodeError):
            return None

    # -- progress ---------------------------------------------------------------------------

    async def begin(self) -> None:
        if not self.progress:
            return
        try:
            await self.ls.work_done_progress.create_async(self.token)
        except Exception as e:  # the client refused: run without a progress bar
            log.warning("workDoneProgress/create failed: %s", e)
            self.progress = False
            return
        self.ls.work_done_progress.begin(self.token, types.WorkDoneProgressBegin(
            title=f"PaCoRe: {len(self.states)} stubs", cancellable=True,
            message=self.message(), percentage=0))

    def message(self) -> str:
        return " · ".join(f"{sid.split('::', 1)[1]}: {state}" for sid, state in self.states.items())

    def on_event(self, event: MultiEvent) -> None:
        if isinstance(event, StubWaiting):
            waits = ", ".join(s.split("::", 1)[1] for s in event.on)
            self.states[event.stub] = f"waiting on {waits}"
        elif isinstance(event, StubStarted):
            self.states[event.stub] = "solving"
        elif isinstance(event, StubProgress) and isinstance(event.event, RoundStarted):
            e = event.event
            self.states[event.stub] = f"round {e.round}/{e.rounds}"
        elif isinstance(event, StubFinished):
            o = event.outcome
            self.states[o.stub] = f"{o.status} {o.passed}/{o.total}"
            self._report(event)
        elif isinstance(event, SuiteRunning):
            self._say("running the whole test suite")
            return
        elif isinstance(event, SuiteFinished):
            s = event.suite
            self.ls.log(f"PaCoRe {self.solve_id}: whole suite {s.passed}/{s.total} passed"
                        + (f"; regressions: {', '.join(s.regressions)}" if s.regressions else ""))
            return
        else:
            return
        self._say(self.message())

    def _say(self, message: str) -> None:
        if self.progress:
            done = sum(s.split(" ")[0] in ("solved", "unsolved", "error") for s in self.states.values())
            self.ls.work_done_progress.report(self.token, types.WorkDoneProgressReport(
                message=message, percentage=int(100 * done / max(1, len(self.states))),
                cancellable=True))

    def _report(self, event: StubFinished) -> None:
        o = event.outcome
        rep = build_report(solve_id=f"{self.solve_id}:{o.function}", uri=self.uri(o.file),
                           qualname=o.function, tests_label=o.tests,
                           weak="doctest" in o.tests or "agreement" in o.tests,
                           started=self.started, result=event.result, status=o.status,
                           applied="edit" if o.written == "edit" else (
                               "separate_document" if o.written else "none"),
                           detail="; ".join(filter(None, [
                               o.error if o.status != "solved" else None,
                               f"callee(s) not solved: {', '.join(o.failed_callees)}"
                               if o.failed_callees else None])))
        self.ls.record_report(rep)
        try:
            doc, _ = self.ls.parsed(rep.uri)
            self.ls.publish_summary(rep.uri, doc, rep)
        except (OSError, UnicodeDecodeError) as e:
            log.warning("no summary for %s: %s", o.stub, e)

    # -- the writer: edits as stubs are solved ----------------------------------------------

    async def solved(self, refs: list[StubRef], text: str, splices: dict[StubRef, SpliceResult],
                     code: str) -> str | None:
        where = []
        for ref in refs:
            where.append(await self._edit(ref, splices[ref], code))
        return ", ".join(dict.fromkeys(where))

    async def _edit(self, ref: StubRef, spliced: SpliceResult, code: str) -> str:
        uri = self.uri(ref.relpath)
        async with self.ls.edit_turn(uri):
            detail = await self._edit_in_turn(ref, uri, code)
        if detail is None:
            return "edit"
        path = results_path(self.plan.root, ref)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# PaCoRe: implementation of {ref.qualname} (verified). Not applied "
                        f"to {ref.relpath}: {detail}.\n\n{standalone_text(spliced)}",
                        encoding="utf-8")
        self.ls.show(f"PaCoRe solved `{ref.qualname}` but did not edit your file ({detail}); "
                     f"the result is in {path}", types.MessageType.Warning)
        return path.relative_to(self.plan.root).as_posix()

    async def _edit_in_turn(self, ref: StubRef, uri: str, code: str) -> str | None:
        """Apply `ref`'s result to the document as it is now: None, or why it was not applied."""
        start_doc, start_version = self._start_docs[ref.relpath]
        start_target: StubTarget = self.plan.inventory.stubs[ref]
        keep = self.ls.settings.editor.keep_docstring
        current, version = self.ls.parsed(uri)
        plan = plan_final_edit(start_doc, start_version, start_target, current, version, code,
                               keep_docstring=keep)
        detail = plan.stale_reason or "the document changed"
        if plan.result is not None and plan.doc is not None:
            edit = workspace_edit(uri, version, text_edits(plan.doc, plan.result.edits),
                                  document_changes=supports_document_changes(
                                      self.ls.client_capabilities))
            try:
                resp = await self.ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
                    edit=edit, label=f"PaCoRe: {ref.qualname}"))
                if resp.applied:
                    self.ls.edit_turns.applied(uri, version)
                    return None
                detail = f"the editor refused the edit: {resp.failure_reason or 'no reason'}"
            except Exception as e:  # the client failed the request: keep the result safe
                detail = f"workspace/applyEdit failed: {e}"
        return detail

    async def finish(self, texts: dict[str, str]) -> dict[str, str]:
        return {}

    # -- the job ----------------------------------------------------------------------------

    async def run(self, solver: SolveAll, backend: Backend) -> None:
        try:
            await self.begin()
            report = await solver.run()
            self.ls.all_reports[self.solve_id] = report
            t = report.totals
            end = f"{t.solved}/{t.stubs} stubs solved"
            if report.suite is not None and report.suite.regressions:
                end += f"; regressions: {', '.join(report.suite.regressions)}"
            self._end(end)
            self.ls.show(f"PaCoRe: {end}", types.MessageType.Info if report.status == "solved"
                         else types.MessageType.Warning)
        except asyncio.CancelledError:
            if not [j for j in self.ls.jobs.all() if j.solve_id != self.solve_id]:
                await self.ls.close_sandboxes()
            self._end("cancelled")
            raise
        except Exception as e:  # report, never crash the server
            log.exception("solveAll %s failed", self.solve_id)
            self._end(f"error: {e}")
            self.ls.show(f"PaCoRe failed: {type(e).__name__}: {e}", types.MessageType.Error)
        finally:
            await backend.close()

    def _end(self, message: str) -> None:
        if self.progress:
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
