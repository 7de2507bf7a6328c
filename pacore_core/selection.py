"""Verified selection: which program a run answers with, and why.

Kept apart from the engine so the rule reads (and is tested) on its own, with no model and
no sandbox. The engine offers each verified candidate to a `Leader` (progress events and
early stop need the best so far while a round runs) and calls `select` once at the end.

The rule: the final synthesized program (the K=1 last round) answers when it passes every
selection test; otherwise, under the ``verified`` policy, the candidate that passed the most
selection tests does, when it passed more than the final program. Ties between candidates
go to the earliest round, then the lowest index, so a replayed run chooses what the
recorded run chose whatever order the sandbox finished in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pacore_core.problem import Problem
from pacore_core.record import RoundRecord, SelectedCandidate, SuiteScore, TrajectoryRecord, Verification

SelectionPolicy = Literal["verified", "synthesis"]
TAMPERED = "tampered"  # sandbox.models.TAMPERED: the verdict of a candidate caught forging
SelectOn = Literal["all", "public"]
SelectionTests = Literal["public", "public+hidden", "none"]


def tampered(v: Verification | None) -> bool:
    """The candidate reached into the test harness: it is never the answer, whatever it scored."""
    return v is not None and v.verdict == TAMPERED


def eligible(record: TrajectoryRecord) -> bool:
    """A candidate selection may choose: it has a program and did not tamper."""
    return record.code is not None and not tampered(record.verification)


def selection_score(v: Verification | None, select_on: SelectOn) -> tuple[int, int]:
    """(passed, total) over the tests selection may look at: public only, or every suite but
    the oracle's (agreement with a brute force ranks second: `oracle_passed`)."""
    if v is None:
        return 0, 0
    if select_on == "public":
        return (v.public.passed, v.public.total) if v.public else (0, 0)
    oracle = v.oracle or SuiteScore()
    return v.passed - oracle.passed, v.total - oracle.total


def passed_own_tests(v: Verification) -> bool:
    """Every test but the oracle's passed: the assurance names the oracle's verdict apart
    ("passed your tests + disagreed with the brute force on ...")."""
    if v.ok:
        return True
    oracle = v.oracle
    if oracle is None or v.verdict == "tampered":
        return False
    return v.total > oracle.total and v.passed - oracle.passed == v.total - oracle.total


def oracle_passed(v: Verification | None) -> int:
    """Generated inputs on which the program matched the brute force (0 without an oracle)."""
    return v.oracle.passed if v is not None and v.oracle is not None else 0


@dataclass(frozen=True)
class Ranked:
    """A candidate with code, and its selection score."""

    record: TrajectoryRecord
    round: int
    passed: int
    total: int

    @property
    def oracle(self) -> int:
        return oracle_passed(self.record.verification)

    @property
    def passes_all(self) -> bool:
        v = self.record.verification
        return self.total > 0 and self.passed == self.total and v is not None and v.ok


def _better(a: Ranked, b: Ranked | None) -> bool:
    """More tests passed, then more tests run, then more agreement with the brute force;
    ties keep the earlier (round, index)."""
    if b is None:
        return True
    if (a.passed, a.total, a.oracle) != (b.passed, b.total, b.oracle):
        return (a.passed, a.total, a.oracle) > (b.passed, b.total, b.oracle)
    return (a.round, a.record.index) < (b.round, b.record.index)


class Leader:
    """The best candidate verified so far in one run (one instance per run, never shared)."""

    def __init__(self, select_on: SelectOn = "all") -> None:
        self.select_on: SelectOn = select_on
        self.best: Ranked | None = None

    def offer(self, record: TrajectoryRecord, round_index: int) -> Ranked:
        """Score a verified candidate; it leads if it has code and ranks above the leader."""
        passed, total = selection_score(record.verification, self.select_on)
        ranked = Ranked(record, round_index, passed, total)
        if eligible(record) and _better(ranked, self.best):
            self.best = ranked
        return ranked

    @property
    def passed(self) -> int:
        return self.best.passed if self.best else 0

    @property
    def total(self) -> int:
        return self.best.total if self.best else 0

    @property
    def solved(self) -> bool:
        """A candidate passed every selection test (what early stop waits for)."""
        return self.best is not None and self.best.passes_all


@dataclass(frozen=True)
class SelectionResult:
    """What `select` decided: the chosen trajectory (None: no program) and how it is reported."""

    chosen: TrajectoryRecord | None
    selected: SelectedCandidate
    tests: SelectionTests


def best_candidate(rounds: Sequence[RoundRecord], select_on: SelectOn) -> Ranked | None:
    """The highest-ranked candidate with code over every round (the final one included)."""
    best: Ranked | None = None
    for rec in rounds:
        for tr in rec.trajectories:
            if not eligible(tr):
                continue
            passed, total = selection_score(tr.verification, select_on)
            ranked = Ranked(tr, rec.round, passed, total)
            if _better(ranked, best):
                best = ranked
    return best


def selection_tests(problem: Problem, select_on: SelectOn) -> SelectionTests:
    """Which suites chose the answer, as the report states it."""
    if not problem.has_tests:
        return "none"
    return "public" if select_on == "public" or problem.hidden_tests is None else "public+hidden"


def final_program(rounds: Sequence[RoundRecord], planned_rounds: int) -> TrajectoryRecord | None:
    """The final synthesized program: the last round's only trajectory, if that round ran."""
    if len(rounds) != planned_rounds or not rounds:
        return None
    last = rounds[-1]
    return last.trajectories[0] if last.k == 1 and last.trajectories else None


def select(
    rounds: Sequence[RoundRecord],
    problem: Problem,
    *,
    planned_rounds: int,
    policy: SelectionPolicy = "verified",
    select_on: SelectOn = "all",
    early_stopped: bool = False,
) -> SelectionResult:
    """Choose the answer of a run from its rounds (see the module docstring for the rule)."""
    tests = selection_tests(problem, select_on)
    final = final_program(rounds, planned_rounds)
    best = best_candidate(rounds, select_on)
    chosen: TrajectoryRecord | None = None
    selected = SelectedCandidate(source="none")
    if final is not None and tampered(final.verification):
        if best is None:
            why = "the final program tampered with the tests and no other candidate was eligible"
            return SelectionResult(None, SelectedCandidate(source="none", reason=why), tests)
        chosen = best.record
        selected = SelectedCandidate(
            source="candidate", round=best.round, index=best.record.index,
            reason=f"the final program tampered with the tests; best verified candidate passed "
            f"{best.passed}/{best.total}",
        )  # fmt: skip
        return SelectionResult(chosen, selected, tests)
    if final is not None and (final.code is not None or best is None):
        chosen = final
        selected = SelectedCandidate(
            source="final", round=len(rounds), index=0, reason="the final synthesized program"
        )
    if policy == "verified" and best is not None:
        fp, ft = selection_score(final.verification if final else None, select_on)
        final_code = final is not None and final.code is not None
        final_passes = final_code and ft > 0 and fp == ft
        final_oracle = final.verification.oracle if final is not None and final.verification else None
        if final_oracle is not None and final_oracle.passed < final_oracle.total:
            final_passes = False  # it disagrees with a trusted brute force: never the answer as is
        fo = oracle_passed(final.verification if final else None)
        if not final_passes and (not final_code or (best.passed, best.oracle) > (fp, fo)):
            chosen = best.record
            why = (
                "the final round produced no program"
                if not final_code
                else f"the final program passed {fp}/{ft} tests"
            )
            if final_code and final_oracle is not None and fp == ft:
                why = (f"the final program disagreed with the brute force on "
                       f"{final_oracle.total - final_oracle.passed} generated inputs")  # fmt: skip
            if early_stopped:
                why = "early stop: a candidate passed every test"
            best_oracle = best.record.verification.oracle if best.record.verification else None
            matched = (f", matched the brute force on {best_oracle.passed}/{best_oracle.total} inputs"
                       if best_oracle is not None else "")  # fmt: skip
            selected = SelectedCandidate(
                source="candidate",
                round=best.round,
                index=best.record.index,
                reason=f"{why}; best verified candidate passed {best.passed}/{best.total}{matched}",
            )
    if chosen is None or chosen.code is None:
        return SelectionResult(
            None, SelectedCandidate(source="none", reason="no candidate produced a program"), tests
        )
    return SelectionResult(chosen, selected, tests)
