"""The report of a finished solve: a typed model (what `pacore.report` returns) and its
one-line summary (log message and diagnostic).

`SolveReport` is the contract with the editor clients: their TypeScript types are generated
from its JSON schema (scripts/gen_protocol_ts.py), so a field changed here shows up there.
"""

from __future__ import annotations

import time
from typing import Literal

from pydantic import BaseModel, Field

from pacore_core.record import RunResult, SelectedCandidate
from sandbox.models import VerdictKind

SolveStatus = Literal["solved", "unsolved", "error", "cancelled"]
Applied = Literal["edit", "separate_document", "none"]


class ReportVerification(BaseModel):
    """How the returned code fared, and on which tests."""

    verdict: VerdictKind = Field(
        description="the sandbox verdict, `not_run` when nothing was verified")
    judge: str = Field(default="not run", description="the verdict as a judge names it "
                       "(`accepted`, `wrong answer`, `time limit`, `compilation error`, ...)")
    passed: int
    total: int
    tests: str = Field(description="which tests judged it, e.g. `3 workspace test(s)`")


class ReportRound(BaseModel):
    round: int
    k: int = Field(description="the width of the round")
    trajectories: int = Field(description="trajectories that came back")


class SolveReport(BaseModel):
    """What `pacore.report` returns for one solve (field names are the wire names)."""

    solveId: str
    status: SolveStatus
    function: str = Field(description="qualified name of the solved function")
    uri: str
    verification: ReportVerification
    weak_verification: bool = Field(description="doctests or model-written tests only")
    assurance: str = Field(
        default="", description="how far to trust the code, e.g. `passed your tests`, "
        "`passed samples + agreed with 6/8 candidates on 40 generated inputs`, "
        "`agreement only (no tests): ...`; empty when nothing was chosen")
    agreed_tests: str | None = Field(
        default=None, description="a pytest module pinning the agreed input/output pairs "
        "(offered by the code action that writes it next to the code)")
    rounds: list[ReportRound]
    ttc_tokens: int = Field(description="effective test-time compute: tokens over all trajectories")
    selected: SelectedCandidate | None
    code: str | None
    applied: Applied = Field(description="where the result went")
    detail: str
    error: str | None
    wall_s: float


def build_report(*, solve_id: str, uri: str, qualname: str, tests_label: str, weak: bool,
                 started: float, result: RunResult | None, status: SolveStatus,
                 applied: Applied, detail: str = "", agreed_tests: str | None = None) -> SolveReport:
    """The report of a run (`result` is None when it ended before the engine answered)."""
    ver = result.verification if result is not None else None
    if result is not None and result.warnings:  # e.g. solved, but a later round failed
        detail = "; ".join([*([detail] if detail else []), *(f"warning: {w}" for w in result.warnings)])
    return SolveReport(
        solveId=solve_id,
        status=status,
        function=qualname,
        uri=uri,
        verification=ReportVerification(
            verdict=ver.verdict if ver else "not_run",
            judge=ver.judge if ver else "not run",
            passed=ver.passed if ver else 0,
            total=ver.total if ver else 0,
            tests=tests_label,
        ),
        weak_verification=weak,
        assurance=result.assurance if result else "",
        agreed_tests=agreed_tests,
        rounds=[ReportRound(round=r.round, k=r.k, trajectories=len(r.trajectories))
                for r in (result.rounds if result else [])],
        ttc_tokens=result.ttc_tokens if result else 0,
        selected=result.selected if result else None,
        code=result.code if result else None,
        applied=applied,
        detail=detail,
        error=result.error if result else None,
        wall_s=round(time.monotonic() - started, 3),
    )


def summary(rep: SolveReport) -> str:
    """One line: status, tests, widths, tokens, what was selected and where it went."""
    v = rep.verification
    widths = ",".join(str(r.k) for r in rep.rounds) or "-"
    parts = [f"PaCoRe `{rep.function}`: {rep.status}",
             f"{v.passed}/{v.total} tests {v.judge} ({v.tests})",
             f"rounds [{widths}]", f"TTC {rep.ttc_tokens} tokens"]
    if rep.assurance:
        parts.append(rep.assurance)
    sel = rep.selected
    if sel is not None and sel.source != "none":
        where = f" (round {sel.round}, #{sel.index})" if sel.source == "candidate" else ""
        parts.append(f"selected: {sel.source}{where}")
    parts.append(f"result: {rep.applied}")
    if rep.detail:
        parts.append(rep.detail)
    return " · ".join(parts)
