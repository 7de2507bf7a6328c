"""The PaCoRe language server: code action, solve/cancel/report/doctor commands, progress.

The model backend and the sandbox are built by injected factories so that tests run the
real server against a scripted model server and a real sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pydantic import BaseModel, ValidationError
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from lsp_server.context import build_problem
from lsp_server.edits import plan_final_edit, supports_document_changes, text_edits, workspace_edit
from lsp_server.generated_tests import GENERATED_TEST_FILE, test_names, write_tests
from lsp_server.jobs import AlreadyRunning, FunctionKey, JobRegistry
from lsp_server.progress import ProgressState
from lsp_server.settings import LspSettings, env_layer, parse_settings
from lsp_server.splice import SpliceError, splice, standalone_text
from lsp_server.targeting import DocumentCache, ParsedDocument, StubTarget, find_function, stub_at
from lsp_server.test_discovery import DiscoveredTests, discover, doctest_runner_source, module_name
from lsp_server.verify import SplicingSandbox
from pacore_core.backends.base import Backend
from pacore_core.doctor import run_checks_async
from pacore_core.events import Event
from pacore_core.record import RunResult
from sandbox.base import Sandbox

log = logging.getLogger("pacore.lsp")

TITLE = "Solve with PaCoRe"
CMD_SOLVE = "pacore.solve"
CMD_CANCEL = "pacore.cancel"
CMD_REPORT = "pacore.report"
CMD_DOCTOR = "pacore.doctor"
DOCTEST_FILE = "test_pacore_doctests.py"

BackendFactory = Callable[[LspSettings], Backend]
SandboxFactory = Callable[[LspSettings], Sandbox]


class RequestFailed(JsonRpcException):
    """LSP `RequestFailed`: the request was valid but the server could not do it."""

    CODE = -32803
    MESSAGE = "Request failed"


def default_backend_factory(settings: LspSettings) -> Backend:
    from pacore_core.backends import make_backend

    core = settings.core_settings()
    return make_backend(core.server, config=core.run)


def default_sandbox_factory(settings: LspSettings) -> Sandbox:
    from sandbox import make_sandbox

    return make_sandbox(settings.sandbox, image=settings.image)


class _Position(BaseModel):
    line: int
    character: int


class SolveArgs(BaseModel):
    uri: str
    position: _Position
    version: int | None = None


class CancelArgs(BaseModel):
    solveId: str | None = None
    uri: str | None = None
    position: _Position | None = None


@dataclass
class SolveContext:
    """Everything a running solve needs, fixed when it starts."""

    solve_id: str
    uri: str
    version: int | None
    doc: ParsedDocument
    target: StubTarget
    root: Path
    relpath: str
    tests: DiscoveredTests
    settings: LspSettings
    weak: bool
    token: str
    started: float = field(default_factory=time.monotonic)
    generated_tests: str | None = None  # model-written tests, when the user allowed them


class PacoreLanguageServer(LanguageServer):
    def __init__(
        self,
        backend_factory: BackendFactory = default_backend_factory,
        sandbox_factory: SandboxFactory = default_sandbox_factory,
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__("pacore-lsp", "0.1.0")
        self.backend_factory = backend_factory
        self.sandbox_factory = sandbox_factory
        self.docs = DocumentCache()
        self.jobs = JobRegistry(on_idle=self._schedule_idle_close)
        self._background: set[asyncio.Task[None]] = set()
        self.reports: dict[str, dict[str, Any]] = {}
        self.last_report: str | None = None
        self._env_layer = env_layer(os.environ if env is None else env)
        self._init_layer: Any = None
        self._config_layer: Any = None
        self.settings, self._setting_problems = parse_settings(self._env_layer)
        self._sandboxes: dict[str, Sandbox] = {}
        self._closing = asyncio.Lock()
        self._diagnostics: dict[str, dict[str, types.Diagnostic]] = {}

    # -- settings ---------------------------------------------------------------------------

    def refresh_settings(self, announce: bool = True) -> None:
        self.settings, problems = parse_settings(self._env_layer, self._init_layer,
                                                 self._config_layer)
        if announce:
            for p in problems:
                self.window_show_message(types.ShowMessageParams(
                    type=types.MessageType.Warning, message=f"PaCoRe settings: {p}"))
                self.window_log_message(types.LogMessageParams(
                    type=types.MessageType.Warning, message=f"PaCoRe settings: {p}"))

    async def pull_configuration(self) -> None:
        caps = self.client_capabilities.workspace
        if caps is None or not caps.configuration:
            return
        try:
            result = await self.workspace_configuration_async(types.ConfigurationParams(
                items=[types.ConfigurationItem(section="pacore")]))
        except Exception as e:  # a client that fails the request keeps the other layers
            log.warning("workspace/configuration failed: %s", e)
            return
        self._config_layer = result[0] if result else None
        self.refresh_settings()

    # -- documents --------------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        enc = self.workspace.position_encoding
        if isinstance(enc, types.PositionEncodingKind):
            return str(enc.value)
        return enc or "utf-16"

    def parsed(self, uri: str) -> tuple[ParsedDocument, int | None]:
        doc = self.workspace.get_text_document(uri)
        return self.docs.get(uri, doc.version, doc.source, self.encoding), doc.version

    def sandbox_for(self, settings: LspSettings) -> Sandbox:
        key = f"{settings.sandbox}:{settings.image or ''}"
        if key not in self._sandboxes:
            self._sandboxes[key] = self.sandbox_factory(settings)
        return self._sandboxes[key]

    async def close_sandboxes(self) -> None:
        """Close every shared sandbox (their warm containers go with them). The dict is
        emptied first, so a solve starting meanwhile gets a fresh sandbox; a second caller
        waits for a close in progress, so "closed" means the containers are gone."""
        async with self._closing:
            closing = list(self._sandboxes.values())
            self._sandboxes.clear()
            for sb in closing:
                try:
                    await sb.close()
                except Exception as e:  # closing must not stop the others from closing
                    log.warning("closing sandbox %s failed: %s", sb.name, e)

    def _schedule_idle_close(self) -> None:
        task = asyncio.ensure_future(self.close_sandboxes_if_idle())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close_sandboxes_if_idle(self) -> None:
        """Nothing left running: release containers rather than keep them warm."""
        if not self.jobs.all():
            await self.close_sandboxes()

    # -- reporting --------------------------------------------------------------------------

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def show(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def publish(self, uri: str, qualname: str, diagnostic: types.Diagnostic | None) -> None:
        per_uri = self._diagnostics.setdefault(uri, {})
        if diagnostic is None:
            per_uri.pop(qualname, None)
        else:
            per_uri[qualname] = diagnostic
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=list(per_uri.values())))



def _fail(message: str) -> RequestFailed:
    return RequestFailed(message=message)


def _invalid(message: str) -> JsonRpcInvalidParams:
    return JsonRpcInvalidParams(message=f"Invalid Params: {message}")


def _no_tests_message(target: StubTarget, relpath: str, tests: DiscoveredTests) -> str:
    mod = module_name(relpath)
    msg = (f"No tests found for `{target.qualname}`. Add a pytest test that calls it, e.g. "
           f"tests/test_{mod.rsplit('.', 1)[-1]}.py with `from {mod} import "
           f"{target.class_name or target.name}` and a `def test_...():` using "
           f"`{target.name}`, or list test files/node ids in the setting pacore.testPaths.")
    if tests.doctest:
        msg += (" Its docstring has doctests: set pacore.allowWeakTests to true to solve on "
                "them alone (weaker verification).")
    else:
        msg += (" Or set pacore.allowWeakTests to true to have the model write tests first "
                "(weaker verification).")
    if tests.missing:
        msg += f" Configured test paths not found: {', '.join(tests.missing)}."
    return msg


def _report(ctx: SolveContext, result: RunResult | None, status: str, applied: str,
            detail: str = "") -> dict[str, Any]:
    ver = result.verification if result is not None else None
    return {
        "solveId": ctx.solve_id,
        "status": status,
        "function": ctx.target.qualname,
        "uri": ctx.uri,
        "verification": {
            "verdict": ver.verdict if ver else "not_run",
            "passed": ver.passed if ver else 0,
            "total": ver.total if ver else 0,
            "tests": _tests_label(ctx),
        },
        "weak_verification": ctx.weak,
        "rounds": [{"round": r.round, "k": r.k, "trajectories": len(r.trajectories)}
                   for r in (result.rounds if result else [])],
        "ttc_tokens": result.ttc_tokens if result else 0,
        "selected": result.selected.model_dump() if result else None,
        "code": result.code if result else None,
        "applied": applied,
        "detail": detail,
        "error": result.error if result else None,
        "wall_s": round(time.monotonic() - ctx.started, 3),
    }


def _tests_label(ctx: SolveContext) -> str:
    if ctx.generated_tests is not None:
        return "model-written tests only (weaker verification)"
    if ctx.weak:
        return "doctests only (weaker verification)"
    return f"{len(ctx.tests.node_ids)} workspace test(s)"


def _summary(rep: dict[str, Any]) -> str:
    v = rep["verification"]
    widths = ",".join(str(r["k"]) for r in rep["rounds"]) or "-"
    sel = rep["selected"] or {}
    parts = [f"PaCoRe `{rep['function']}`: {rep['status']}",
             f"{v['passed']}/{v['total']} tests {v['verdict']} ({v['tests']})",
             f"rounds [{widths}]", f"TTC {rep['ttc_tokens']} tokens"]
    if sel.get("source") and sel["source"] != "none":
        where = f" (round {sel.get('round')}, #{sel.get('index')})" if sel["source"] == "candidate" \
            else ""
        parts.append(f"selected: {sel['source']}{where}")
    parts.append(f"result: {rep['applied']}")
    if rep.get("detail"):
        parts.append(rep["detail"])
    return " · ".join(parts)


def create_server(
    backend_factory: BackendFactory = default_backend_factory,
    sandbox_factory: SandboxFactory = default_sandbox_factory,
    env: dict[str, str] | None = None,
) -> PacoreLanguageServer:
    """A server with every feature registered; factories choose the model and sandbox."""
    ls = PacoreLanguageServer(backend_factory, sandbox_factory, env)

    @ls.feature(types.INITIALIZE)
    def initialize(ls: PacoreLanguageServer, params: types.InitializeParams) -> None:
        ls._init_layer = params.initialization_options
        ls.refresh_settings(announce=False)

    @ls.feature(types.INITIALIZED)
    async def initialized(ls: PacoreLanguageServer, params: types.InitializedParams) -> None:
        ls.refresh_settings(announce=True)
        await ls.pull_configuration()

    @ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: PacoreLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        caps = ls.client_capabilities.workspace
        if caps is not None and caps.configuration:
            await ls.pull_configuration()
        else:
            ls._config_layer = params.settings
            ls.refresh_settings()

    @ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PacoreLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.docs.drop(params.text_document.uri)

    @ls.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.RefactorRewrite],
                                resolve_provider=False),
    )
    def code_action(
        ls: PacoreLanguageServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        """Pure and cheap: a cached parse and a walk up from the cursor."""
        only = params.context.only
        if only and not any(types.CodeActionKind.RefactorRewrite.value.startswith(k)
                            for k in only):
            return None
        uri = params.text_document.uri
        if not uri.endswith((".py", ".pyi")):
            return None
        doc, version = ls.parsed(uri)
        pos = params.range.start
        target = stub_at(doc, pos.line, pos.character)
        if target is None:
            return None
        arg = {"uri": uri, "position": {"line": pos.line, "character": pos.character},
               "version": version}
        return [types.CodeAction(
            title=TITLE,
            kind=types.CodeActionKind.RefactorRewrite,
            command=types.Command(title=TITLE, command=CMD_SOLVE, arguments=[arg]),
        )]

    @ls.command(CMD_SOLVE)
    async def solve_command(ls: PacoreLanguageServer, *args: Any) -> dict[str, Any]:
        if len(args) != 1:
            raise _invalid(f"{CMD_SOLVE} takes one argument {{uri, position, version?}}, "
                           f"got {len(args)}")
        try:
            a = SolveArgs.model_validate(args[0])
        except ValidationError as e:
            raise _invalid(f"{CMD_SOLVE}: {e.errors()[0]['loc']}: {e.errors()[0]['msg']}") \
                from None
        return await start_solve(ls, a)

    @ls.command(CMD_CANCEL)
    async def cancel_command(ls: PacoreLanguageServer, *args: Any) -> dict[str, Any]:
        if len(args) > 1:
            raise _invalid(f"{CMD_CANCEL} takes [] or [{{solveId}}] or [{{uri, position}}]")
        if not args:
            cancelled = await ls.jobs.cancel(ls.jobs.all())
            await ls.close_sandboxes_if_idle()
            return {"cancelled": cancelled}
        try:
            a = CancelArgs.model_validate(args[0])
        except ValidationError as e:
            raise _invalid(f"{CMD_CANCEL}: {e.errors()[0]['msg']}") from None
        if a.solveId is not None:
            job = ls.jobs.get(a.solveId)
        elif a.uri is not None and a.position is not None:
            doc, _ = ls.parsed(a.uri)
            target = stub_at(doc, a.position.line, a.position.character)
            job = ls.jobs.running_on(FunctionKey(a.uri, target.qualname)) if target else None
        else:
            raise _invalid(f"{CMD_CANCEL} needs solveId, or uri and position")
        cancelled = await ls.jobs.cancel([job] if job else [])
        await ls.close_sandboxes_if_idle()
        return {"cancelled": cancelled}

    @ls.command(CMD_REPORT)
    def report_command(ls: PacoreLanguageServer, *args: Any) -> dict[str, Any] | None:
        solve_id = None
        if args:
            if not isinstance(args[0], dict) or not isinstance(args[0].get("solveId"), str):
                raise _invalid(f"{CMD_REPORT} takes [] or [{{solveId}}]")
            solve_id = args[0]["solveId"]
        key = solve_id or ls.last_report
        if key is None:
            return None
        if key not in ls.reports:
            raise _fail(f"no report for {key}")
        return ls.reports[key]

    @ls.command(CMD_DOCTOR)
    async def doctor_command(ls: PacoreLanguageServer, *args: Any) -> dict[str, Any]:
        s = ls.settings
        report = await run_checks_async(s.base_url, s.model, s.api_key, image=s.image,
                                        sandbox=s.sandbox)
        for c in report.checks:
            ls.log(f"PaCoRe doctor: [{'ok' if c.ok else 'FAIL'}] {c.name}: {c.message}"
                   + (f" — fix: {c.fix}" if not c.ok and c.fix else ""),
                   types.MessageType.Info if c.ok else types.MessageType.Warning)
        return report.model_dump()

    @ls.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    async def progress_cancel(
        ls: PacoreLanguageServer, params: types.WorkDoneProgressCancelParams
    ) -> None:
        job = ls.jobs.by_token(params.token)
        if job is not None:
            await ls.jobs.cancel([job])
            await ls.close_sandboxes_if_idle()

    @ls.feature(types.SHUTDOWN)
    async def shutdown(ls: PacoreLanguageServer, *args: Any) -> None:
        await ls.jobs.cancel(ls.jobs.all())
        await ls.close_sandboxes()

    return ls


async def start_solve(ls: PacoreLanguageServer, a: SolveArgs) -> dict[str, Any]:
    """Validate, find the stub and its tests, then start the solve task and return at once."""
    if not a.uri.startswith("file:"):
        raise _invalid(f"only file: URIs can be solved, got {a.uri!r}")
    path_str = to_fs_path(a.uri)
    if path_str is None or not path_str.endswith(".py"):
        raise _invalid(f"{a.uri} is not a Python file")
    path = Path(path_str)
    try:
        doc, version = ls.parsed(a.uri)
    except (OSError, UnicodeDecodeError) as e:
        raise _fail(f"cannot read {a.uri}: {e}") from None
    if a.version is not None and version is not None and a.version != version:
        raise _fail(f"the document changed since the action was offered (version {a.version}, "
                    f"now {version}); ask for the code action again")
    target = stub_at(doc, a.position.line, a.position.character)
    if target is None:
        raise _fail(f"no function stub at {a.position.line + 1}:{a.position.character + 1}; "
                    "PaCoRe solves functions whose body is `...`, `pass`, `raise "
                    "NotImplementedError`, only a docstring, or a TODO comment")
    key = FunctionKey(a.uri, target.qualname)
    if (other := ls.jobs.running_on(key)) is not None:
        raise _fail(f"a PaCoRe solve ({other.solve_id}) is already running on "
                    f"`{target.qualname}`; wait for it or cancel it (command {CMD_CANCEL})")
    settings = ls.settings
    root_str = ls.workspace.root_path
    root = Path(root_str) if root_str else path.parent
    try:
        relpath = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        root, relpath = path.parent, path.name
    tests = await asyncio.to_thread(
        discover, root, relpath, target.name, docstring=target.docstring,
        test_paths=settings.test_paths,
    )
    weak = False
    if not tests.has_workspace_tests:
        if settings.allow_weak_tests:
            weak = True  # doctests if there are any, else tests the model writes first
        else:
            msg = _no_tests_message(target, relpath, tests)
            ls.show(msg, types.MessageType.Warning)
            raise _fail(msg)
    solve_id = ls.jobs.new_id()
    ctx = SolveContext(solve_id=solve_id, uri=a.uri, version=version, doc=doc, target=target,
                       root=root, relpath=relpath, tests=tests, settings=settings, weak=weak,
                       token=f"pacore/{solve_id}")
    try:
        backend = ls.backend_factory(settings)
        inner = ls.sandbox_for(settings)
    except Exception as e:  # configuration errors name the setting to fix
        raise _fail(f"PaCoRe cannot start: {e}") from None
    try:
        ls.jobs.start(solve_id, key, ctx.token, run_solve(ls, ctx, backend, inner))
    except AlreadyRunning as e:
        await backend.close()
        raise _fail(str(e)) from None
    ls.log(f"PaCoRe {solve_id}: solving `{target.qualname}` in {relpath} with "
           f"{len(tests.node_ids)} test(s){' + doctests' if tests.doctest else ''}")
    return {"solveId": solve_id, "function": target.qualname}


def _suite_node_ids(ctx: SolveContext) -> tuple[list[str], dict[str, str]]:
    node_ids = list(ctx.tests.node_ids)
    extra: dict[str, str] = {}
    if ctx.generated_tests is not None:
        extra[GENERATED_TEST_FILE] = ctx.generated_tests
        node_ids.extend(f"{GENERATED_TEST_FILE}::{name}" for name in test_names(ctx.generated_tests))
    nested = "." in ctx.target.qualname and ctx.target.class_name is None
    if ctx.tests.doctest and not nested:
        extra[DOCTEST_FILE] = doctest_runner_source(module_name(ctx.relpath),
                                                    ctx.target.qualname)
        node_ids.append(f"{DOCTEST_FILE}::test_doctests")
    return node_ids, extra


async def run_solve(ls: PacoreLanguageServer, ctx: SolveContext, backend: Backend,
                    inner: Sandbox) -> None:
    """The solve task: engine run with progress, then the edit (or a separate document)."""
    from pacore_core.engine import Engine

    caps = ls.client_capabilities.window
    progress = bool(caps is not None and caps.work_done_progress)
    state = ProgressState()
    last_message = ""
    title = f"PaCoRe: {ctx.target.qualname}"
    try:
        if progress:
            try:
                await ls.work_done_progress.create_async(ctx.token)
            except Exception as e:  # the client refused: solve without a progress bar
                log.warning("workDoneProgress/create failed: %s", e)
                progress = False
        if progress:
            ls.work_done_progress.begin(ctx.token, types.WorkDoneProgressBegin(
                title=title, cancellable=True, message="starting", percentage=0))

        def on_event(event: Event) -> None:
            nonlocal last_message
            state.apply(event)
            message = state.message()
            if progress and message != last_message:
                last_message = message
                ls.work_done_progress.report(ctx.token, types.WorkDoneProgressReport(
                    message=message, percentage=state.percentage, cancellable=True))

        if ctx.weak and not ctx.tests.doctest:
            if progress:
                ls.work_done_progress.report(ctx.token, types.WorkDoneProgressReport(
                    message="writing tests (no tests found)", percentage=0, cancellable=True))
            ctx.generated_tests = await write_tests(
                backend, qualname=ctx.target.qualname, module=module_name(ctx.relpath),
                function_text=ctx.target.function_text, config=ctx.settings.core_settings().run)
            ctx.tests.sources[GENERATED_TEST_FILE] = ctx.generated_tests
        node_ids, extra = _suite_node_ids(ctx)
        problem = build_problem(ctx.doc, ctx.target, root=ctx.root, relpath=ctx.relpath,
                                tests=ctx.tests, node_ids=node_ids,
                                context_budget=ctx.settings.context_budget, weak=ctx.weak)
        sandbox = SplicingSandbox(inner, doc=ctx.doc, target=ctx.target,
                                  module_relpath=ctx.relpath,
                                  keep_docstring=ctx.settings.keep_docstring, extra_files=extra)
        config = ctx.settings.core_settings().run
        result = await Engine(backend, sandbox, config, on_event=on_event).solve(problem)
        applied, detail = await finish(ls, ctx, result)
        if progress:
            ls.work_done_progress.end(ctx.token, types.WorkDoneProgressEnd(
                message=f"{result.status}: {result.verification.passed}/"
                        f"{result.verification.total} tests"))
        status = result.status
        rep = _report(ctx, result, status, applied, detail)
    except asyncio.CancelledError:
        if progress:
            ls.work_done_progress.end(ctx.token, types.WorkDoneProgressEnd(message="cancelled"))
        rep = _report(ctx, None, "cancelled", "none", "cancelled by the user")
        ls.reports[ctx.solve_id] = rep
        ls.last_report = ctx.solve_id
        ls.log(_summary(rep))
        raise
    except Exception as e:  # report, never crash the server
        log.exception("solve %s failed", ctx.solve_id)
        if progress:
            ls.work_done_progress.end(ctx.token, types.WorkDoneProgressEnd(message=f"error: {e}"))
        rep = _report(ctx, None, "error", "none", f"{type(e).__name__}: {e}")
        ls.show(f"PaCoRe failed on `{ctx.target.qualname}`: {e}", types.MessageType.Error)
    finally:
        await backend.close()
    ls.reports[ctx.solve_id] = rep
    ls.last_report = ctx.solve_id
    ls.log(_summary(rep))


def _diagnostic(doc: ParsedDocument, qualname: str, rep: dict[str, Any]) -> types.Diagnostic:
    fn = find_function(doc, qualname)
    start = fn.start_byte if fn is not None else 0
    line, col = doc.position(start)
    line_end = doc.position(doc.line_starts[line] + len(doc.line_bytes(line).rstrip(b"\r\n")))
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=line, character=col),
                          end=types.Position(line=line_end[0], character=line_end[1])),
        severity=types.DiagnosticSeverity.Information,
        source="pacore",
        message=_summary(rep),
    )


def _separate_file(ctx: SolveContext, text: str) -> Path:
    out_dir = ctx.root / ".pacore" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{Path(ctx.relpath).stem}.{ctx.target.qualname}.{ctx.solve_id}.py"
    path = out_dir / name
    path.write_text(text, encoding="utf-8")
    return path


async def offer_separately(ls: PacoreLanguageServer, ctx: SolveContext, code: str,
                           header: str) -> str:
    """Write the result next to the project (never over the user's file) and show it."""
    try:
        body = standalone_text(splice(ctx.doc, ctx.target, code,
                                      keep_docstring=ctx.settings.keep_docstring))
    except SpliceError:
        body = code.rstrip() + "\n"
    comment = "\n".join(f"# {line}" for line in header.splitlines())
    path = _separate_file(ctx, f"{comment}\n\n{body}")
    uri = from_fs_path(str(path)) or path.as_uri()
    try:
        await ls.window_show_document_async(types.ShowDocumentParams(uri=uri, take_focus=True))
    except Exception as e:  # showing is best effort; the file and the message remain
        log.warning("window/showDocument failed: %s", e)
    return str(path)


async def finish(ls: PacoreLanguageServer, ctx: SolveContext, result: RunResult
                 ) -> tuple[str, str]:
    """Apply the verified result, or offer it separately; publish the report diagnostic."""
    q = ctx.target.qualname
    ver = result.verification
    applied, detail = "none", ""
    if result.code is None:
        detail = result.error or result.selected.reason or "no candidate produced a program"
        ls.show(f"PaCoRe found no implementation for `{q}`: {detail}", types.MessageType.Warning)
    elif result.status != "solved":
        path = await offer_separately(
            ls, ctx, result.code,
            f"PaCoRe: best candidate for {q} passed {ver.passed}/{ver.total} tests; "
            "NOT applied to your file.")
        applied, detail = "separate_document", f"best candidate written to {path}"
        ls.show(f"PaCoRe: no candidate for `{q}` passed every test (best {ver.passed}/"
                f"{ver.total}); the best one is in {path}", types.MessageType.Warning)
    else:
        current, current_version = ls.parsed(ctx.uri)
        plan = plan_final_edit(ctx.doc, ctx.version, ctx.target, current, current_version,
                               result.code, keep_docstring=ctx.settings.keep_docstring)
        applied_ok = False
        if plan.result is not None and plan.doc is not None:
            edit = workspace_edit(
                ctx.uri, current_version, text_edits(plan.doc, plan.result.edits),
                document_changes=supports_document_changes(ls.client_capabilities))
            try:
                resp = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
                    edit=edit, label=f"PaCoRe: {q}"))
                applied_ok = bool(resp.applied)
                if not applied_ok:
                    detail = f"the editor refused the edit: {resp.failure_reason or 'no reason'}"
            except Exception as e:  # the client failed the request: keep the result safe
                detail = f"workspace/applyEdit failed: {e}"
        else:
            detail = plan.stale_reason or "the document changed"
        if applied_ok:
            applied = "edit"
            after = ParsedDocument.parse(plan.result.module_text, encoding=ls.encoding) \
                if plan.result is not None else current
            rep = _report(ctx, result, result.status, applied)
            ls.publish(ctx.uri, q, _diagnostic(after, q, rep))
            return applied, detail
        path = await offer_separately(
            ls, ctx, result.code,
            f"PaCoRe: implementation of {q} (passed {ver.passed}/{ver.total} tests).\n"
            f"Not applied to {ctx.relpath}: {detail}.")
        applied = "separate_document"
        detail = f"{detail}; result written to {path}"
        ls.show(f"PaCoRe solved `{q}` but did not edit your file ({detail})",
                types.MessageType.Warning)
    rep = _report(ctx, result, result.status, applied, detail)
    current, _ = ls.parsed(ctx.uri)
    ls.publish(ctx.uri, q, _diagnostic(current, q, rep))
    return applied, detail


def serve(*, tcp: bool = False, host: str = "127.0.0.1", port: int = 2087) -> None:
    logging.basicConfig(level=os.environ.get("PACORE_LSP_LOG", "WARNING"))
    ls = create_server()
    if tcp:
        ls.start_tcp(host, port)
    else:
        ls.start_io()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pacore-lsp", description="PaCoRe language server")
    parser.add_argument("--tcp", action="store_true", help="serve on TCP instead of stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2087)
    args = parser.parse_args(argv)
    serve(tcp=args.tcp, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
