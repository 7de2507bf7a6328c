"""The LSP features of the PaCoRe server, registered on a fresh `PacoreLanguageServer`.

Handlers only translate between LSP and the modules that do the work: settings layers
(`server`), the code action (`targeting`), solves (`solve`), results (`edits`), reports
(`report`). `serve` is what `pacore lsp` (and `pacore-lsp`) runs.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any, TypeVar

from lsprotocol import types
from pydantic import BaseModel, ValidationError

from lsp_server import agreed_tests, run_commands
from lsp_server.protocol import (
    CMD_CANCEL,
    CMD_DOCTOR,
    CMD_FIX,
    CMD_REPORT,
    CMD_SOLVE,
    TITLE,
    CancelArgs,
    CancelResult,
    SolveArgs,
    fail,
    fix_title,
    invalid,
)
from lsp_server.server import (
    BackendFactory,
    PacoreLanguageServer,
    SandboxFactory,
    default_backend_factory,
    default_sandbox_factory,
)
from lsp_server.solve import start_solve
from lsp_server.solve_all import CMD_SOLVE_ALL, SolveAllArgs, solvable_count, start_solve_all, title_all
from lsp_server.solve_registry import FunctionKey
from pacore_core.config import editor_setting
from pacore_core.doctor import run_checks_async
from pacore_core.project.targeting import stub_at, written_function_at

M = TypeVar("M", bound=BaseModel)


def create_server(
    backend_factory: BackendFactory = default_backend_factory,
    sandbox_factory: SandboxFactory = default_sandbox_factory,
    env: dict[str, str] | None = None,
) -> PacoreLanguageServer:
    """A server with every feature registered; factories choose the model and sandbox."""
    ls = PacoreLanguageServer(backend_factory, sandbox_factory, env)
    _register_lifecycle(ls)
    _register_documents(ls)
    _register_solves(ls)
    _register_queries(ls)
    run_commands.register(ls)
    return ls


def _register_lifecycle(ls: PacoreLanguageServer) -> None:
    """Start (settings layers from the editor), configuration changes, shutdown."""

    @ls.feature(types.INITIALIZE)
    def initialize(ls: PacoreLanguageServer, params: types.InitializeParams) -> None:
        ls.install_signal_handlers()
        ls.use_initialization_options(params.initialization_options)

    @ls.feature(types.INITIALIZED)
    async def initialized(ls: PacoreLanguageServer, params: types.InitializedParams) -> None:
        ls.refresh_settings(announce=True)
        await ls.pull_configuration_soon()

    @ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: PacoreLanguageServer, params: types.DidChangeConfigurationParams
    ) -> None:
        caps = ls.client_capabilities.workspace
        if caps is not None and caps.configuration:
            await ls.pull_configuration_soon()
        else:
            ls.use_pushed_settings(params.settings)

    @ls.feature(types.SHUTDOWN)
    async def shutdown(ls: PacoreLanguageServer, *args: Any) -> None:
        await ls.jobs.cancel(ls.jobs.all())
        await ls.close_sandboxes()


def _register_documents(ls: PacoreLanguageServer) -> None:
    """Document changes (summaries follow the code) and the code actions at the cursor."""

    @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PacoreLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.edit_turns.changed(params.text_document.uri)
        ls.follow_edit(params.text_document.uri)

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
        return code_actions(ls, params)


def _register_solves(ls: PacoreLanguageServer) -> None:
    """The commands that start and stop work: solve, fix, solve all, cancel, agreed tests."""

    @ls.command(agreed_tests.CMD_WRITE_AGREED)
    async def write_agreed_command(ls: PacoreLanguageServer, *args: Any) -> dict[str, str]:
        return await agreed_tests.write_agreed_tests(ls, args)

    @ls.command(CMD_SOLVE)
    async def solve_command(ls: PacoreLanguageServer, *args: Any) -> dict[str, Any]:
        if len(args) != 1:
            raise invalid(f"{CMD_SOLVE} takes one argument {{uri, position, version?}}, "
                          f"got {len(args)}")
        a = _validated(SolveArgs, CMD_SOLVE, args[0])
        return (await start_solve(ls, a)).model_dump(mode="json")

    @ls.command(CMD_FIX)
    async def fix_command(ls: PacoreLanguageServer, *args: Any) -> dict[str, Any]:
        if len(args) != 1:
            raise invalid(f"{CMD_FIX} takes one argument {{uri, position, version?}}, got {len(args)}")
        a = _validated(SolveArgs, CMD_FIX, args[0])
        return (await start_solve(ls, a, fix=True)).model_dump(mode="json")

    @ls.command(CMD_SOLVE_ALL)
    async def solve_all_command(ls: PacoreLanguageServer, *args: Any) -> dict[str, Any]:
        if len(args) > 1:
            raise invalid(f"{CMD_SOLVE_ALL} takes [] (the workspace) or [{{uri, version?}}]")
        a = _validated(SolveAllArgs, CMD_SOLVE_ALL, args[0] if args else {})
        return (await start_solve_all(ls, a)).model_dump(mode="json")

    @ls.command(CMD_CANCEL)
    async def cancel_command(ls: PacoreLanguageServer, *args: Any) -> dict[str, Any]:
        return (await cancel(ls, args)).model_dump(mode="json")

    @ls.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    async def progress_cancel(
        ls: PacoreLanguageServer, params: types.WorkDoneProgressCancelParams
    ) -> None:
        job = ls.jobs.by_token(params.token)
        if job is not None:
            await ls.jobs.cancel([job])
            await ls.close_sandboxes_if_idle()


def _register_queries(ls: PacoreLanguageServer) -> None:
    """The commands that only read: a solve's report, the doctor's checks."""

    @ls.command(CMD_REPORT)
    def report_command(ls: PacoreLanguageServer, *args: Any) -> dict[str, Any] | None:
        solve_id = None
        if args:
            if not isinstance(args[0], dict) or not isinstance(args[0].get("solveId"), str):
                raise invalid(f"{CMD_REPORT} takes [] or [{{solveId}}]")
            solve_id = args[0]["solveId"]
        key = solve_id or ls.last_report
        if key is None:
            return None
        if key in ls.all_reports:  # a solveAll run: every stub's outcome
            return ls.all_reports[key].model_dump(mode="json")
        if key not in ls.reports:
            raise fail(f"no report for {key}")
        return ls.reports[key].model_dump(mode="json")

    @ls.command(CMD_DOCTOR)
    async def doctor_command(ls: PacoreLanguageServer, *args: Any) -> dict[str, Any]:
        s = ls.settings.server
        report = (await run_checks_async(s.base_url, s.model, s.api_key, image=s.image,
                                         sandbox=s.sandbox, runtime=s.sandbox_runtime)
                  ).rendered(editor_setting)
        for c in report.checks:
            ls.log(f"PaCoRe doctor: [{'ok' if c.ok else 'FAIL'}] {c.name}: {c.message}"
                   + (f" — fix: {c.fix}" if not c.ok and c.fix else ""),
                   types.MessageType.Info if c.ok else types.MessageType.Warning)
        return report.model_dump()


def _validated(model: type[M], command: str, value: Any) -> M:
    """A command's argument as its model, or an InvalidParams reply naming the bad field."""
    try:
        return model.model_validate(value)
    except ValidationError as e:
        raise invalid(f"{command}: {e.errors()[0]['loc']}: {e.errors()[0]['msg']}") from None


def code_actions(ls: PacoreLanguageServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    """Pure and cheap: a cached parse and a walk up from the cursor."""
    only = params.context.only
    if only and not any(types.CodeActionKind.RefactorRewrite.value.startswith(k) for k in only):
        return None
    uri = params.text_document.uri
    if not uri.endswith(".py"):
        return None  # `.pyi` stubs are declarations: there is nothing to implement
    try:
        doc, version = ls.parsed(uri)
    except (OSError, UnicodeDecodeError) as e:
        raise fail(f"cannot read {uri}: {e}") from None
    pos = params.range.start
    target = stub_at(doc, pos.line, pos.character)
    agreed = agreed_tests.code_action(ls, uri)  # after a solve by agreement
    arg = {"uri": uri, "position": {"line": pos.line, "character": pos.character},
           "version": version}
    if target is None:
        # a written function, the cursor on its signature: repair it (the tests run first)
        written = written_function_at(doc, pos.line, pos.character, header_only=True)
        fix = [types.CodeAction(
            title=fix_title(written.name), kind=types.CodeActionKind.RefactorRewrite,
            command=types.Command(title=fix_title(written.name), command=CMD_FIX, arguments=[arg]),
        )] if written is not None else []  # fmt: skip
        actions = fix + ([agreed] if agreed is not None else [])
        return actions or None
    actions = [types.CodeAction(
        title=TITLE,
        kind=types.CodeActionKind.RefactorRewrite,
        command=types.Command(title=TITLE, command=CMD_SOLVE, arguments=[arg]),
    )]
    if (n := solvable_count(doc)) > 1:  # every stub of the file, callees first
        actions.append(types.CodeAction(
            title=title_all(n), kind=types.CodeActionKind.RefactorRewrite,
            command=types.Command(title=title_all(n), command=CMD_SOLVE_ALL,
                                  arguments=[{"uri": uri, "version": version}])))
    return actions + ([agreed] if agreed is not None else [])


async def cancel(ls: PacoreLanguageServer, args: tuple[Any, ...]) -> CancelResult:
    """`pacore.cancel`: every solve, one by id, or the one on the function at a position."""
    if len(args) > 1:
        raise invalid(f"{CMD_CANCEL} takes [] or [{{solveId}}] or [{{uri, position}}]")
    if not args:
        cancelled = await ls.jobs.cancel(ls.jobs.all())
        await ls.close_sandboxes_if_idle()
        return CancelResult(cancelled=cancelled)
    try:
        a = CancelArgs.model_validate(args[0])
    except ValidationError as e:
        raise invalid(f"{CMD_CANCEL}: {e.errors()[0]['msg']}") from None
    if a.solveId is not None:
        job = ls.jobs.get(a.solveId)
    elif a.uri is not None and a.position is not None:
        doc, _ = ls.parsed(a.uri)
        line, character = a.position.line, a.position.character
        target = stub_at(doc, line, character) or written_function_at(doc, line, character)
        job = ls.jobs.running_on(FunctionKey(a.uri, target.qualname)) if target else None
    else:
        raise invalid(f"{CMD_CANCEL} needs solveId, or uri and position")
    cancelled = await ls.jobs.cancel([job] if job else [])
    await ls.close_sandboxes_if_idle()
    return CancelResult(cancelled=cancelled)


def serve(*, tcp: bool = False, host: str = "127.0.0.1", port: int = 2087) -> None:
    """Run the server until the client exits (stdio) or forever (TCP)."""
    logging.basicConfig(level=os.environ.get("PACORE_LSP_LOG", "WARNING"))
    ls = create_server()
    # Until `initialize` installs the loop's handler nothing runs: SIGTERM just exits.
    signal.signal(signal.SIGTERM, lambda signum, _frame: os._exit(128 + signum))
    if tcp:
        ls.start_tcp(host, port)
    else:
        ls.start_io()
