"""One step of `solve --all`: the problem for a stub, or for a cycle of stubs solved as one
program, and the sandbox view that runs each candidate in the project as it now stands
(callees' accepted implementations in place).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pacore_core.config import Settings
from pacore_core.multi_stub.inventory import StubRef
from pacore_core.multi_stub.state import ProjectState
from pacore_core.problem import Problem
from pacore_core.project.context import build_problem, module_context, problem_statement
from pacore_core.project.splice import SpliceError
from pacore_core.project.splicing import SplicingSandbox
from pacore_core.project.stub_problem import doctest_suite
from pacore_core.project.targeting import StubTarget
from pacore_core.project.workspace_tests import DiscoveredTests, discover
from pacore_core.prompting import Templates
from sandbox.base import Sandbox
from sandbox.models import Candidate, Limits, ProjectSuite, TestSuite, Verdict
from sandbox.project import ProjectSnapshot


class NoTests(Exception):
    """Nothing can judge this stub: no test uses it and its docstring has no examples."""


@dataclass
class GroupSetup:
    problem: Problem
    sandbox: Sandbox
    tests_label: str
    agreement: bool = False


def _tests_for(ref: StubRef, target: StubTarget, settings: Settings, root: Path
               ) -> tuple[DiscoveredTests, list[str], dict[str, str], str]:
    """The project's tests of the stub, else its doctests: (found, node ids, files, label)."""
    found = discover(root, ref.relpath, target.name, docstring=target.docstring,
                     test_paths=settings.editor.test_paths)
    node_ids = list(found.node_ids)
    extra: dict[str, str] = {}
    label = f"{len(node_ids)} project test(s)"
    if not node_ids:
        doctests = doctest_suite(ref.relpath, target)
        if doctests is not None:
            node_ids.append(doctests[0])
            extra.update(doctests[1])
            label = "doctests only (weaker verification)"
    return found, node_ids, extra, label


def setup_single(ref: StubRef, state: ProjectState, inner: Sandbox, snapshot: ProjectSnapshot,
                 settings: Settings, templates: Templates) -> GroupSetup:
    """One stub, as the editor solves it, in the project as it stands."""
    root = snapshot.root
    doc = state.doc(ref.relpath)
    target = state.target(ref, doc)
    found, node_ids, extra, label = _tests_for(ref, target, settings, root)
    agreement = False
    if not node_ids:
        if settings.run.agreement != "on":
            raise NoTests(f"no tests found for `{ref.qualname}` (no project test uses it and its "
                          "docstring has no >>> examples)")
        agreement, label = True, "no tests (agreement only)"
    ed = settings.editor
    problem = build_problem(doc, target, root=root, relpath=ref.relpath, tests=found,
                            node_ids=node_ids, context_budget=ed.context_budget,
                            weak=not found.node_ids, templates=templates,
                            include=ed.project_include)
    if agreement:
        problem = problem.model_copy(update={"public_tests": None})
    view = SplicingSandbox(inner, doc=doc, target=target, module_relpath=ref.relpath,
                           keep_docstring=ed.keep_docstring,
                           extra_files={**state.changed(besides=ref.relpath), **extra},
                           project=snapshot)
    return GroupSetup(problem, view, label, agreement)


class CycleSandbox:
    """Splices one program holding every stub of a cycle into their modules."""

    def __init__(self, inner: Sandbox, state: ProjectState, refs: list[StubRef],
                 keep_docstring: bool, snapshot: ProjectSnapshot, extra: dict[str, str]) -> None:
        self.inner = inner
        self.name = f"splice+{inner.name}"
        self._base = state.copy()
        self._refs = refs
        self._keep = keep_docstring
        self._snapshot = snapshot
        self._extra = extra

    async def run(self, candidate: Candidate, suite: TestSuite, limits: Limits | None = None
                  ) -> Verdict:
        if not isinstance(suite, ProjectSuite):
            return await self.inner.run(candidate, suite, limits)
        trial = self._base.copy()
        try:
            trial.accept(self._refs, candidate.code, keep_docstring=self._keep)
        except SpliceError as e:
            return Verdict(verdict="compile_error", passed=0, total=max(1, len(suite.node_ids)),
                           compile_output=str(e), backend=self.name)
        overlay = {**trial.changed(), **self._extra}
        return await self.inner.run(candidate, suite.model_copy(update={
            "overlay": {**suite.overlay, **overlay}, "snapshot": self._snapshot}), limits)

    async def close(self) -> None:
        return None


def setup_cycle(refs: list[StubRef], state: ProjectState, inner: Sandbox,
                snapshot: ProjectSnapshot, settings: Settings, templates: Templates) -> GroupSetup:
    """Stubs that call each other: one statement naming all of them, one program holding all,
    judged by the union of their tests."""
    root = snapshot.root
    node_ids: list[str] = []
    extra: dict[str, str] = {}
    parts: list[str] = []
    tests_text: list[str] = []
    for ref in refs:
        doc = state.doc(ref.relpath)
        target = state.target(ref, doc)
        found, ids, more, _ = _tests_for(ref, target, settings, root)
        node_ids += [i for i in ids if i not in node_ids]
        extra.update(more)
        tests_text += [s for s in found.sources.values() if s not in tests_text]
        used = target.function_text + "\n" + "\n".join(found.sources.values())
        context = module_context(doc, target, used, settings.editor.context_budget // len(refs))
        parts.append(problem_statement(target, ref.relpath, context, found, templates))
    if not node_ids:
        raise NoTests("no tests found for any of " + ", ".join(f"`{r.qualname}`" for r in refs))
    names = ", ".join(f"`{r.qualname}`" for r in refs)
    statement = (f"The functions {names} call each other, so they are implemented together. "
                 "Each is described below. Answer with ONE complete ```python code block that "
                 "defines all of them (methods as `def name(self, ...)` at the top level of the "
                 "block or inside their class), plus any imports or helpers they need.\n\n"
                 + "\n\n-----\n\n".join(parts))
    problem = Problem(
        id="+".join(r.qualname for r in refs), statement=statement, language="python",
        mode="function", entry_point=None,
        public_tests=ProjectSuite(root=root, overlay={}, node_ids=node_ids,
                                  include=settings.editor.project_include),
        public_tests_text="\n\n".join(tests_text) or None,
    )
    view = CycleSandbox(inner, state, refs, settings.editor.keep_docstring, snapshot, extra)
    return GroupSetup(problem, view, f"{len(node_ids)} project test(s) of the cycle")
