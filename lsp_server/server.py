"""The language server's state: settings layers, parsed documents, running solves, shared
sandboxes, published diagnostics and reports. The LSP features are registered on it by
`lsp_server.handlers.create_server`.

The model backend and the sandbox are built by injected factories so that tests run the
real server against a scripted model server and a real sandbox.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from lsp_server.diagnostics import SummaryDiagnostics
from lsp_server.edit_turns import EditTurns
from lsp_server.edits import EditorContext, supports_document_changes
from lsp_server.report import SolveReport, summary
from lsp_server.rpc import PacoreProtocol
from lsp_server.runs import RunStore
from lsp_server.settings import env_layer, parse_settings
from lsp_server.solve_registry import JobRegistry
from pacore_core.backends.base import Backend
from pacore_core.config import Settings
from pacore_core.multi_stub.models import SolveAllReport
from pacore_core.project.targeting import DocumentCache, ParsedDocument
from pacore_core.sandbox_setup import sandbox_from_settings, sandbox_identity
from sandbox.base import Sandbox

log = logging.getLogger("pacore.lsp")

BackendFactory = Callable[[Settings], Backend]
SandboxFactory = Callable[[Settings], Sandbox]


def default_backend_factory(settings: Settings) -> Backend:
    from pacore_core.backends import make_backend

    return make_backend(settings.server, config=settings.run)


def default_sandbox_factory(settings: Settings) -> Sandbox:
    # a missing image is named before the solve (preflight), not built inside it
    return sandbox_from_settings(settings, build_missing=False)


class PacoreLanguageServer(LanguageServer):
    def __init__(
        self,
        backend_factory: BackendFactory = default_backend_factory,
        sandbox_factory: SandboxFactory = default_sandbox_factory,
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__("pacore-lsp", "0.1.0", protocol_cls=PacoreProtocol)
        self.backend_factory = backend_factory
        self.sandbox_factory = sandbox_factory
        self.docs = DocumentCache()
        self.edit_turns = EditTurns()
        self.jobs = JobRegistry(on_idle=self._schedule_idle_close)
        self._background: set[asyncio.Task[None]] = set()
        self.reports: dict[str, SolveReport] = {}
        self.all_reports: dict[str, SolveAllReport] = {}  # pacore.solveAll runs
        self.last_report: str | None = None
        self._env_layer = env_layer(os.environ if env is None else env)
        self._init_layer: Any = None
        self._config_layer: Any = None
        self.settings, _ = parse_settings(self._env_layer)  # announced once the editor's layers arrive
        self._announced: set[str] = set()
        self._sandboxes: dict[tuple[object, ...], Sandbox] = {}
        self._closing = asyncio.Lock()
        self._config_pull: asyncio.Task[None] | None = None
        self._terminating: asyncio.Task[None] | None = None
        self.summaries = SummaryDiagnostics()
        self.runs = RunStore()  # run pages: this session's runs, the last ones kept on disk

    # -- settings ---------------------------------------------------------------------------

    def refresh_settings(self, announce: bool = True) -> None:
        """Re-resolve the settings (the workspace root's `[tool.pacore]` included)."""
        self.settings, problems = parse_settings(self._env_layer, self._init_layer,
                                                 self._config_layer, workspace=self.root_folder())
        if announce:  # each problem once, until it is fixed
            self._announce([p for p in problems if p not in self._announced])
            self._announced = set(problems)

    def use_initialization_options(self, options: Any) -> None:
        """The editor's settings from `initialize` (its `initializationOptions`)."""
        self._init_layer = options
        self.refresh_settings(announce=False)

    def use_pushed_settings(self, settings: Any) -> None:
        """Settings pushed with `workspace/didChangeConfiguration` by a client that cannot
        answer `workspace/configuration`."""
        self._config_layer = settings
        self.refresh_settings()

    def settings_for(self, folder: Path) -> Settings:
        """The settings for a solve in `folder`: the nearest `[tool.pacore]` is re-read, so an
        edited pyproject applies at once; problems not shown before are announced."""
        settings, problems = parse_settings(self._env_layer, self._init_layer,
                                            self._config_layer, workspace=folder)
        self._announce([p for p in problems if p not in self._announced])
        return settings

    def root_folder(self) -> Path | None:
        try:
            root = self.workspace.root_path
        except (AttributeError, RuntimeError):  # before `initialize`
            return None
        return Path(root) if root else None

    def _announce(self, problems: list[str]) -> None:
        for p in problems:
            self._announced.add(p)
            self.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Warning, message=f"PaCoRe settings: {p}"))
            self.window_log_message(types.LogMessageParams(
                type=types.MessageType.Warning, message=f"PaCoRe settings: {p}"))

    def pull_configuration_soon(self) -> asyncio.Task[None]:
        """Ask for workspace/configuration; solves wait for the answer (`configuration_ready`)."""
        task = asyncio.ensure_future(self.pull_configuration())
        self._config_pull = task
        return task

    async def configuration_ready(self, timeout_s: float = 10.0) -> None:
        """Wait for a workspace/configuration request in flight, so that a solve sent right
        after `initialized` uses the editor's settings, not the layers below them."""
        task = self._config_pull
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout_s)
        except TimeoutError:
            log.warning("no answer to workspace/configuration after %.0f s; solving with "
                        "the other settings layers", timeout_s)

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

    def editor_context(self) -> EditorContext:
        """What applying a result needs of this client (`edits.deliver`)."""
        return EditorContext(
            parsed=self.parsed, show=self.show, show_document=self.window_show_document_async,
            apply_edit=self.workspace_apply_edit_async,
            document_changes=supports_document_changes(self.client_capabilities),
            encoding=self.encoding, edit_turn=self.edit_turn, edit_applied=self.edit_turns.applied,
        )

    def edit_turn(self, uri: str) -> AbstractAsyncContextManager[None]:
        """One edit of `uri` at a time, planned on the version the editor has (`EditTurns`)."""
        return self.edit_turns.turn(uri, lambda: self.workspace.get_text_document(uri).version)

    # -- sandboxes --------------------------------------------------------------------------

    def sandbox_for(self, settings: Settings) -> Sandbox:
        key = sandbox_identity(settings)
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

    def publish_summary(self, uri: str, doc: ParsedDocument, rep: SolveReport) -> None:
        """Show the report's summary on the function as it is in `doc`."""
        self.summaries.set(uri, doc, rep.function, summary(rep))
        self._publish(uri)

    def clear_summary(self, uri: str, qualname: str) -> None:
        """A new solve of the function: its old summary no longer describes it."""
        if self.summaries.drop(uri, qualname):
            self._publish(uri)

    def follow_edit(self, uri: str) -> None:
        """After a change of `uri`: summaries stay only on functions that did not change."""
        if not self.summaries.has(uri):
            return  # nothing shown: no parse on every keystroke
        doc, _ = self.parsed(uri)
        if self.summaries.follow(uri, doc):
            self._publish(uri)

    def _publish(self, uri: str) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=self.summaries.diagnostics(uri)))

    # -- termination ------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        """SIGTERM (how editors and CI stop a server) is handled like Ctrl-C: cancel the
        solves, remove their containers, exit. Called from inside the running loop."""
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGTERM, self._on_sigterm)
        except (NotImplementedError, RuntimeError, ValueError):  # no signals here (not main thread)
            log.info("SIGTERM handler not installed (not in the main thread)")

    def _on_sigterm(self) -> None:
        if self._terminating is None:
            self._terminating = asyncio.ensure_future(self.terminate(128 + signal.SIGTERM))

    async def terminate(self, exit_code: int) -> None:
        """Cancel every solve and close the sandboxes (their containers go), then exit."""
        running = self.jobs.all()
        log.warning("terminated: cancelling %d solve(s) and closing the sandboxes", len(running))
        try:
            await asyncio.wait_for(self.jobs.cancel(running), 60)
            await asyncio.wait_for(self.close_sandboxes(), 60)
        except Exception as e:  # exit regardless; the next pacore process reaps leftovers
            log.warning("cleanup on termination failed: %s", e)
        finally:
            logging.shutdown()
            # the stdin reader thread cannot be interrupted: leave without joining it
            os._exit(exit_code)

    def record_report(self, rep: SolveReport) -> None:
        """Keep the report for `pacore.report` and log its summary."""
        self.reports[rep.solveId] = rep
        self.last_report = rep.solveId
        self.log(summary(rep))
