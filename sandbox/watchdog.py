"""Host-side time budget of a run: catches a supervisor that stopped answering, and never
fires while the supervisor is honouring the inner limits.

Why a moving deadline: the supervisor enforces every per-test limit itself and streams a
progress line per finished test. The first deadline covers compiling, collecting and one
test; each progress line moves the deadline to "one more test (plus a restarted pytest
session) from now". A suite of any length therefore finishes as long as results keep
coming, and a stall is noticed within one test's budget. When the watchdog does fire, the
results already received are kept (see `jobs.verdict_from_response`).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from sandbox import languages
from sandbox.models import Candidate, IOSuite, Limits, TestSuite


class Watchdog(BaseModel, frozen=True):
    """Budget policy; `scale` shrinks every figure (tests use it to make a stall cheap)."""

    base_s: float = Field(default=30.0, description="slack for start-up, unpacking, reset")
    compile_s: float = Field(default=60.0, description="compiling a compiled language")
    collect_s: float = Field(default=10.0, description="pytest collection, on top of a test")
    grace_s: float = Field(default=5.0, description="a killed test's clean-up")
    scale: float = Field(default=1.0, gt=0)

    def _per_test(self, timeout_s: float) -> float:
        return timeout_s + self.grace_s

    def first(self, suite: TestSuite, limits: Limits, candidate: Candidate) -> float:
        """Seconds until the first progress line (or the answer) must have arrived."""
        timeout = languages.time_limit(limits.timeout_s, candidate.language)
        budget = self.base_s + self.collect_s + timeout + self._per_test(timeout)
        if languages.get(candidate.language).compiled:
            budget += self.compile_s
        if isinstance(suite, IOSuite):  # the problem's checker/interactor is built first
            budget += sum(self.compile_s for p in (suite.checker, suite.interactor) if p is not None)
        return budget * self.scale

    def after_progress(self, limits: Limits, candidate: Candidate | None = None) -> float:
        """Seconds from one progress line to the next (or the answer): the next test, which
        after a kill may include a fresh pytest session's collection."""
        timeout = limits.timeout_s
        if candidate is not None:
            timeout = languages.time_limit(timeout, candidate.language)
        budget = self.base_s + self.collect_s + timeout + 2 * self._per_test(timeout)
        return budget * self.scale


DEFAULT_WATCHDOG = Watchdog()
