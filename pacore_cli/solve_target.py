"""What `pacore solve PROBLEM` runs: a Python stub in its project or as a lone file
(`pacore_core.project.stub_problem`, `FILE.py::Class.method` picks one), anything else
through the loaders."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field

from pacore_core.config import Settings, cli_flag
from pacore_core.errors import PacoreError, SettingNamer
from pacore_core.loaders import load_problem
from pacore_core.problem import Problem
from pacore_core.project.selection import split_selector
from pacore_core.project.stub_problem import prepare_stub
from pacore_core.prompting import Templates
from sandbox.base import Sandbox


class TargetError(Exception):
    """A problem that cannot be loaded (a usage error); the message says what to fix."""


@dataclass
class SolveTarget:
    problem: Problem
    wrap: Callable[[Sandbox], Sandbox] | None = None
    notes: list[str] = field(default_factory=list)

    def view(self, sandbox: Sandbox) -> Sandbox:
        """The sandbox as candidates of this problem see it (spliced into their module)."""
        return self.wrap(sandbox) if self.wrap is not None else sandbox


def load_target(args: argparse.Namespace, settings: Settings,
                namer: SettingNamer = cli_flag) -> SolveTarget:
    """The problem (and sandbox view) `args.problem` names; errors rendered with `namer`."""
    path, selector = split_selector(args.problem)
    templates = Templates(settings.run.template_dir)
    require_tests = settings.run.agreement != "on"
    try:
        if path.suffix == ".py" and path.is_file() and args.language in (None, "python"):
            if args.tests is not None and not args.tests.exists():
                raise TargetError(f"tests {args.tests} do not exist")
            ed = settings.editor
            prepared = prepare_stub(path, selector, tests=args.tests, templates=templates,
                                    require_tests=require_tests,
                                    keep_docstring=ed.keep_docstring,
                                    include=ed.project_include, context_budget=ed.context_budget)
            return SolveTarget(prepared.problem, prepared.wrap, prepared.notes)
        if selector is not None:
            raise TargetError(f"{args.problem}: `::NAME` picks a stub in a Python file, and "
                              f"{path} is not one")
        return SolveTarget(load_problem(path, tests=args.tests, language=args.language,
                                        templates=templates, require_tests=require_tests))
    except PacoreError as e:  # a malformed problem, or a template_dir that is not usable
        raise TargetError(e.render(namer)) from None
