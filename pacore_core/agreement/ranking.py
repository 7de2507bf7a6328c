"""Selection with agreement: tests passed first, then the weight of the candidate's cluster.

Why this order: a test that fails is proof, agreement is only evidence. Among candidates
that pass the same tests, the program most others behave like is the best bet (CodeT,
S*); the final synthesized program gets no privilege beyond breaking exact ties, because
a synthesis that passes a docstring example can still be the one wrong program.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pacore_core.agreement.clustering import Cluster

Decider = Literal["tests", "agreement", "none"]


@dataclass(frozen=True)
class Contender:
    """A candidate that produced a program: its key ("round:index") and its test score."""

    key: str
    passed: int
    total: int
    all_passed: bool
    oracle: int = 0  # generated inputs where it matched the brute force: ranks after tests


@dataclass(frozen=True)
class RankingDecision:
    key: str
    decided_by: Decider
    cluster: int | None  # index into the clusters, None if the candidate has no behaviour
    reason: str


def choose(
    contenders: list[Contender], clusters: list[Cluster], *, final_key: str | None, inputs: int
) -> RankingDecision | None:
    """The chosen contender, and which evidence decided."""
    if not contenders:
        return None
    cluster_of = {m: i for i, c in enumerate(clusters) for m in c.members}

    def tier(c: Contender) -> tuple[bool, int, int]:
        return (c.all_passed, c.passed, c.oracle)

    top = max(tier(c) for c in contenders)
    best = [c for c in contenders if tier(c) == top]
    test_note = _tests_note(top, contenders, best)
    clustered = [c for c in best if c.key in cluster_of]
    if not clustered:
        pick = next((c for c in best if c.key == final_key), best[0])
        return RankingDecision(pick.key, "tests" if len(best) < len(contenders) else "none", None, test_note)
    groups = sorted({cluster_of[c.key] for c in clustered})

    def weight(i: int) -> tuple[float, int, bool, int]:
        members = [c for c in clustered if cluster_of[c.key] == i]
        has_final = any(c.key == final_key for c in members)
        return (clusters[i].score, clusters[i].size, has_final, -i)

    winner = max(groups, key=weight)
    members = [c for c in clustered if cluster_of[c.key] == winner]
    pick = next((c for c in members if c.key == final_key), members[-1])
    size, total = clusters[winner].size, sum(c.size for c in clusters)
    agree = f"{size}/{total} candidates agreed on {inputs} generated inputs"
    if len(groups) > 1:
        rival = max((g for g in groups if g != winner), key=weight)
        reason = f"{test_note}; agreement decided: {agree} (the next cluster had {clusters[rival].size})"
        return RankingDecision(pick.key, "agreement", winner, reason)
    decided: Decider = "tests" if len(best) < len(contenders) else "agreement"
    return RankingDecision(pick.key, decided, winner, f"{test_note}; {agree}")


def _tests_note(top: tuple[bool, int, int], contenders: list[Contender], best: list[Contender]) -> str:
    sample = best[0]
    if sample.total == 0:
        return "no tests to run"
    if len(best) == len(contenders):
        return f"all {len(best)} candidates passed {sample.passed}/{sample.total} tests"
    return f"{len(best)} of {len(contenders)} candidates passed {sample.passed}/{sample.total} tests"


def assurance(
    *,
    has_tests: bool,
    samples_only: bool,
    passed_all: bool,
    cluster_size: int | None,
    candidates: int,
    inputs: int,
) -> str:
    """The level of assurance, in the words the report and the editor show."""
    agreed = (
        f"agreed with {cluster_size}/{candidates} candidates on {inputs} generated inputs"
        if cluster_size is not None and inputs
        else ""
    )
    if has_tests and passed_all and not samples_only:
        return "passed your tests" + (f" + {agreed}" if agreed else "")
    if has_tests and passed_all:
        return "passed samples" + (f" + {agreed}" if agreed else " (no agreement evidence)")
    if has_tests:
        return "failed tests" + (f"; {agreed}" if agreed else "")
    if agreed:
        return f"agreement only (no tests): {agreed}"
    return "unverified (no tests, no agreement evidence)"
