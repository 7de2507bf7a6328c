"""What a running solve knows, fixed when it starts, and the report it ends with.

Its own module so that the modules a solve goes through (`edits`, `brute_oracle`) can name
it without importing `solve`, which imports them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from lsp_server.report import Applied, SolveReport, SolveStatus, build_report
from pacore_core.agreement.regression import regression_tests
from pacore_core.config import Settings
from pacore_core.project.context import method_owner
from pacore_core.project.targeting import ParsedDocument, StubTarget
from pacore_core.project.workspace_tests import DiscoveredTests, module_name
from pacore_core.record import RunResult


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
    settings: Settings
    weak: bool
    token: str
    agreement: bool = False  # no workspace tests: candidates are compared on generated inputs
    fix: bool = False  # "Fix with PaCoRe": a written function, round 1 starts from it
    started: float = field(default_factory=time.monotonic)
    generated_tests: str | None = None  # model-written tests, when the user allowed them

    def tests_label(self) -> str:
        if self.generated_tests is not None:
            return "model-written tests only (weaker verification)"
        if self.agreement and not self.tests.doctest:
            return "no tests (agreement only)"
        if self.weak:
            return "doctests only (weaker verification)"
        return f"{len(self.tests.node_ids)} workspace test(s)"

    def report(self, result: RunResult | None, status: SolveStatus, applied: Applied,
               detail: str = "") -> SolveReport:
        agreed = None
        owner = method_owner(self.doc, self.target)
        if result is not None and (self.target.class_name is None or owner is not None):
            agreed = regression_tests(result.agreement, module=module_name(self.relpath),
                                      entry_point=self.target.name,
                                      method_of=owner[0] if owner is not None else None)
        return build_report(solve_id=self.solve_id, uri=self.uri, qualname=self.target.qualname,
                            tests_label=self.tests_label(), weak=self.weak, started=self.started,
                            result=result, status=status, applied=applied, detail=detail,
                            agreed_tests=agreed)
