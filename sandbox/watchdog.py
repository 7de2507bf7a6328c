"""Host-side time budget of a whole run: the in-sandbox limits plus generous slack.

Why: the supervisor enforces per-test limits; this budget only catches a supervisor that
itself stopped answering, so it must never fire before the inner limits would.
"""

from __future__ import annotations

from sandbox.models import Candidate, Limits, TestSuite

COMPILE_BUDGET_S = 60.0


def test_count(suite: TestSuite) -> int:
    if suite.kind == "io":
        return len(suite.tests)
    if suite.kind == "check":
        return 1
    return max(len(suite.node_ids), 1)


def watchdog_seconds(suite: TestSuite, limits: Limits, candidate: Candidate) -> float:
    per_test = limits.timeout_s + 5.0
    tests = test_count(suite)
    if suite.kind in ("pytest", "project") and not suite.node_ids:
        tests = max(tests, 20)
    budget = 30.0 + per_test * tests + (limits.timeout_s + 10.0)
    if candidate.language == "cpp":
        budget += COMPILE_BUDGET_S
    return budget
