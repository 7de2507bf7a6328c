"""A sandbox wrapper that turns a candidate function into a whole-module overlay.

The engine stays generic: it verifies `Candidate(code)` against the problem's `ProjectSuite`;
this wrapper splices the code into the module snapshot the solve started from and hands the
inner sandbox the suite with that module (and any generated test files) overlaid.
"""

from __future__ import annotations

import asyncio

from pacore_core.project.splice import SpliceError, splice
from pacore_core.project.targeting import ParsedDocument, StubTarget
from pacore_core.project.workspace_tests import module_name
from sandbox.base import Sandbox
from sandbox.models import CallSuite, Candidate, Limits, ProbeSuite, ProjectSuite, TestSuite, Verdict
from sandbox.project import ProjectSnapshot, take_snapshot


class SplicingSandbox:
    """Per-solve view of a shared sandbox; closing it leaves the shared one open."""

    def __init__(
        self,
        inner: Sandbox,
        *,
        doc: ParsedDocument,
        target: StubTarget,
        module_relpath: str,
        keep_docstring: bool = True,
        extra_files: dict[str, str] | None = None,
        project: ProjectSnapshot | None = None,
        module_as_solution: bool = False,
    ) -> None:
        """`project`: a snapshot shared with other solves (one per `solve --all`);
        `module_as_solution`: a lone file, whose spliced module is the program a pytest
        suite imports as `solution` (a method stub outside any project)."""
        self.inner = inner
        self.name = f"splice+{inner.name}"
        self._doc = doc
        self._target = target
        self._relpath = module_relpath
        self._keep_docstring = keep_docstring
        self._extra = dict(extra_files or {})
        self._project: ProjectSnapshot | None = project
        self._module_as_solution = module_as_solution
        self._snapshot_lock = asyncio.Lock()

    def overlay_for(self, code: str) -> dict[str, str]:
        spliced = splice(self._doc, self._target, code, keep_docstring=self._keep_docstring)
        return {**self._extra, self._relpath: spliced.module_text}

    async def run(
        self, candidate: Candidate, suite: TestSuite, limits: Limits | None = None
    ) -> Verdict:
        if isinstance(suite, ProbeSuite | CallSuite) or (self._module_as_solution and
                                                        not isinstance(suite, ProjectSuite)):
            # agreement, oracle calls, or a lone file: the function is called in the whole module
            try:
                module = splice(self._doc, self._target, candidate.code,
                                keep_docstring=self._keep_docstring).module_text
            except SpliceError as e:
                total = len(suite.inputs) if isinstance(suite, ProbeSuite) else 1
                return Verdict(verdict="compile_error", passed=0, total=total,
                               compile_output=str(e), backend=self.name)
            return await self.inner.run(candidate.model_copy(update={"code": module}), suite, limits)
        if not isinstance(suite, ProjectSuite):
            return await self.inner.run(candidate, suite, limits)
        try:
            overlay = self.overlay_for(candidate.code)
        except SpliceError as e:
            return Verdict(verdict="compile_error", passed=0, total=max(1, len(suite.node_ids)),
                           compile_output=str(e), backend=self.name)
        snapshot = await self._snapshot(suite)
        update: dict[str, object] = {"overlay": {**suite.overlay, **overlay}, "snapshot": snapshot}
        if suite.probes is not None:  # the inputs call the stub in its own module, imports and all
            update["probes"] = suite.probes.model_copy(update={"module": module_name(self._relpath)})
        project = suite.model_copy(update=update)
        return await self.inner.run(candidate, project, limits)

    async def _snapshot(self, suite: ProjectSuite) -> ProjectSnapshot:
        """The workspace packed once per solve, in a worker thread: every candidate sees the
        same files, a save during the solve changes none of them, and the editor's requests
        are never stuck behind K archives being built on the event loop."""
        async with self._snapshot_lock:
            if self._project is None:
                self._project = await asyncio.to_thread(
                    take_snapshot, suite.root, suite.exclude, suite.include
                )
            return self._project

    async def close(self) -> None:
        return None
