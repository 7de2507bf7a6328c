"""A run's answer when agreement is on: every candidate of every round (the final program
included) ranked by the selection tests, then by the weight of its behaviour cluster.

Why the final program is not privileged: when several candidates pass the same tests, a
synthesized program that disagrees with a larger cluster on the generated inputs is the
outlier, not the answer; it wins only ties (same tests, same cluster weight).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pacore_core.agreement.ranking import Contender, assurance
from pacore_core.agreement.session import AgreementSession, candidate_key
from pacore_core.problem import Problem
from pacore_core.record import RoundRecord, SelectedCandidate, TrajectoryRecord
from pacore_core.selection import (
    Ranked,
    SelectionResult,
    SelectOn,
    eligible,
    final_program,
    selection_score,
    selection_tests,
)


@dataclass(frozen=True)
class AgreementChoice:
    choice: SelectionResult
    assurance: str
    solved_by_agreement: bool


def select_with_agreement(
    rounds: Sequence[RoundRecord],
    problem: Problem,
    session: AgreementSession,
    *,
    planned_rounds: int,
    select_on: SelectOn = "all",
) -> AgreementChoice:
    tests = selection_tests(problem, select_on)
    final = final_program(rounds, planned_rounds)
    final_key = candidate_key(len(rounds), 0) if final is not None and eligible(final) else None
    by_key: dict[str, tuple[int, TrajectoryRecord]] = {}
    contenders: list[Contender] = []
    for rec in rounds:
        for tr in sorted(rec.trajectories, key=lambda t: t.index):
            if not eligible(tr):  # no program, or caught tampering: never the answer
                continue
            key = candidate_key(rec.round, tr.index)
            passed, total = selection_score(tr.verification, select_on)
            ranked = Ranked(tr, rec.round, passed, total)
            by_key[key] = (rec.round, tr)
            contenders.append(Contender(key, passed, total, ranked.passes_all, ranked.oracle))
    picked = session.choose(contenders, final_key=final_key)
    if picked is None:
        none = SelectedCandidate(source="none", reason="no candidate produced a program")
        return AgreementChoice(SelectionResult(None, none, tests), session.assurance(
            has_tests=problem.has_tests, samples_only=True, passed_all=False), False)  # fmt: skip
    round_index, chosen = by_key[picked.key]
    is_final = picked.key == final_key
    selected = SelectedCandidate(
        source="final" if is_final else "candidate",
        round=round_index,
        index=chosen.index,
        reason=("the final synthesized program: " if is_final else "") + picked.reason,
    )
    contender = next(c for c in contenders if c.key == picked.key)
    label = session.assurance(
        has_tests=problem.has_tests, samples_only=samples_only(problem, select_on),
        passed_all=contender.all_passed,
    )  # fmt: skip
    solved = not problem.has_tests and session.agreement_solved()
    return AgreementChoice(SelectionResult(chosen, selected, tests), label, solved)


def samples_only(problem: Problem, select_on: str) -> bool:
    """Whether the tests that chose are examples or samples (a stub's docstring, a contest
    statement's samples, a benchmark's public tests), not tests the user wrote."""
    return problem.weak_verification or select_on == "public"


def wanted(problem: Problem, select_on: str) -> bool:
    """`agreement = auto`: only when the tests that choose are examples or samples, where
    wrong programs pass too; with tests the user wrote it would only break ties."""
    return problem.has_tests and samples_only(problem, select_on)


def plain_assurance(problem: Problem, select_on: str, passed_all: bool) -> str:
    """The assurance of a run without agreement, in the same words as with it."""
    return assurance(has_tests=problem.has_tests, samples_only=samples_only(problem, select_on),
                     passed_all=passed_all, cluster_size=None, candidates=0, inputs=0)
