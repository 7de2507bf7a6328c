"""Stress testing: a solution against a brute force on generated inputs, in the sandbox.

What contestants do by hand with a shell loop (`gen $i > in; sol < in > a; brute < in > b;
cmp a b`), with the three programs isolated and run in parallel batches. Each batch is
three sandbox runs (generator on its seeds, brute force on the inputs, solution judged
against the brute force's outputs); a compiled program is compiled once for the whole run
(the sandbox keeps its build: sandbox/build_cache.py), and batches grow so that long runs
pay few container round trips.

Why the generator and the brute force are checked as carefully as the solution: a crash,
a timeout or empty output of either is their fault, and blaming the solution for it would
send the user hunting for a bug that is not there.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from pacore_core.errors import PacoreError
from sandbox.base import Sandbox
from sandbox.models import Candidate, Comparison, IOSuite, IOTest, JudgeProgram, Limits, TestResult

FIRST_BATCH = 25
MAX_BATCH = 400
SHOWN = 4000  # characters of a counterexample's input/outputs kept in the result
Tool = Literal["generator", "brute"]
ROLE: dict[Tool, str] = {"generator": "generator", "brute": "brute force"}


class StressToolError(PacoreError):
    """The generator or the brute force is broken: the solution is not to blame."""

    def __init__(self, message: str, *, program: Tool, seed: int | None) -> None:
        super().__init__(message)
        self.program = program
        self.seed = seed


class Counterexample(BaseModel):
    seed: int
    input: str
    expected: str
    got: str
    verdict: str = Field(description="the solution's test status: failed, timeout, error, ...")
    message: str | None = None


class StressResult(BaseModel):
    status: Literal["counterexample", "passed"]
    inputs_run: int
    counterexample: Counterexample | None = None
    counterexamples_found: int = 0
    seconds: float = 0.0
    batches: int = 0


class StressConfig(BaseModel):
    """How long to look: `count` inputs, or `seconds`, or `max_found` counterexamples."""

    count: int = Field(default=1000, ge=1)
    seconds: float | None = Field(default=None, gt=0)
    max_found: int = Field(default=3, ge=1)
    first_seed: int = 1
    parallel: int = Field(default=2, ge=1, description="batches in flight at once")
    comparison: Comparison = "whitespace"
    float_tolerance: float = 1e-6
    # a problem that accepts any valid answer: the checker judges the solution's output
    # against the input and the brute force's answer (testlib or Kattis convention)
    checker: JudgeProgram | None = None
    limits: Limits = Field(default_factory=lambda: Limits(timeout_s=5.0))
    brute_limits: Limits = Field(default_factory=lambda: Limits(timeout_s=10.0))


Progress = Callable[[int, int], None]
"""Told (inputs run so far, counterexamples found so far) after each batch."""


def _smallest(found: list[Counterexample]) -> Counterexample | None:
    return min(found, key=lambda c: (len(c.input), c.seed), default=None)


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN else text[:SHOWN] + f"\n... [{len(text) - SHOWN} more chars]"


def _tool_failure(program: Tool, seed: int, test: TestResult, what: str) -> StressToolError:
    role = ROLE[program]
    detail = test.message or test.status
    if test.traceback:
        detail += f"\n{test.traceback[-1500:]}"
    elif test.stderr:
        detail += f"\n{test.stderr[-1500:]}"
    return StressToolError(
        f"the {role} failed on seed {seed} ({what}): {test.status}: {detail}".rstrip()
        + f"\nThis is the {role}'s fault, not the solution's: fix the {role} and run again.",
        program=program,
        seed=seed,
    )


class StressRun:
    """One stress session over a sandbox the caller owns (and closes)."""

    def __init__(
        self,
        sandbox: Sandbox,
        solution: Candidate | None,
        brute: Candidate,
        generator: Candidate,
        config: StressConfig | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.solution = solution
        self.brute = brute
        self.generator = generator
        self.config = config or StressConfig()

    async def check_brute(self, samples: IOSuite) -> None:
        """A brute force is trusted only after it passes the problem's samples."""
        verdict = await self.sandbox.run(self.brute, samples, self.config.brute_limits)
        if verdict.ok:
            return
        bad = next(t for t in verdict.tests if t.status != "passed")
        shown = f"expected {bad.expected!r}, got {bad.actual!r}" if bad.status == "failed" else (
            bad.message or bad.status)
        raise StressToolError(
            f"the brute force fails sample {bad.name} ({bad.status}: {shown}); a brute force "
            "must pass every sample before it is trusted as the oracle: fix it and run again",
            program="brute",
            seed=None,
        )

    async def inputs(self, seeds: list[int]) -> list[str]:
        """The generator's input for each seed (its first argument)."""
        tests = [IOTest(name=f"seed {s}", input="", expected="", args=[str(s)]) for s in seeds]
        return await self._outputs("generator", seeds, tests, "it must print one input")

    async def answers(self, seeds: list[int], inputs: list[str]) -> list[str]:
        """The brute force's output for each input: the expected answers."""
        tests = [IOTest(name=f"seed {s}", input=i, expected="") for s, i in zip(seeds, inputs, strict=True)]
        return await self._outputs("brute", seeds, tests, "on the generator's input")

    async def _outputs(self, program: Tool, seeds: list[int], tests: list[IOTest], what: str) -> list[str]:
        """Each test's whole stdout; a compile error, a crash or nothing printed is the tool's."""
        candidate = self.generator if program == "generator" else self.brute
        suite = IOSuite(tests=tests, comparison="exact", keep_stdout=True)
        verdict = await self.sandbox.run(candidate, suite, self.config.brute_limits)
        if verdict.verdict == "compile_error":
            diagnostic = (verdict.compile_output or "")[-3000:]
            raise StressToolError(f"the {ROLE[program]} does not compile:\n{diagnostic}",
                                  program=program, seed=seeds[0])  # fmt: skip
        out = []
        for seed, test in zip(seeds, verdict.tests, strict=True):
            if test.status not in ("passed", "failed"):  # passed: it printed nothing at all
                raise _tool_failure(program, seed, test, what)
            if not test.stdout.strip():
                raise _tool_failure(program, seed, test.model_copy(update={"status": "empty output"}),
                                    "it printed nothing")  # fmt: skip
            out.append(test.stdout)
        return out

    async def judge(self, seeds: list[int], inputs: list[str], answers: list[str]) -> list[Counterexample]:
        """Run the solution against the brute force's answers; every failure is a counterexample."""
        if self.solution is None:
            raise ValueError("no solution to judge: this session only builds oracle tests")
        triples = zip(seeds, inputs, answers, strict=True)
        tests = [IOTest(name=f"seed {s}", input=i, expected=a) for s, i, a in triples]
        suite = IOSuite(tests=tests, comparison=self.config.comparison, checker=self.config.checker,
                        float_tolerance=self.config.float_tolerance, keep_stdout=True)  # fmt: skip
        verdict = await self.sandbox.run(self.solution, suite, self.config.limits)
        if verdict.verdict == "compile_error":
            raise PacoreError(f"the solution does not compile:\n{(verdict.compile_output or '')[-3000:]}")
        found = []
        by_name = {t.name: (s, t) for s, t in zip(seeds, tests, strict=True)}
        for result in verdict.tests:
            if result.status == "passed":
                continue
            if result.status == "sandbox_error":
                raise PacoreError(f"the sandbox failed while running the solution: {result.message}")
            if result.status == "judge_error":
                raise PacoreError(f"the checker failed (its fault, not the solution's): {result.message}")
            seed, test = by_name[result.name]
            found.append(Counterexample(
                seed=seed, input=_cut(test.input), expected=_cut(test.expected),
                got=_cut(result.stdout), verdict=result.status, message=result.message,
            ))  # fmt: skip
        return found

    async def _batch(self, seeds: list[int]) -> list[Counterexample]:
        inputs = await self.inputs(seeds)
        answers = await self.answers(seeds, inputs)
        return await self.judge(seeds, inputs, answers)

    async def run(self, progress: Progress | None = None) -> StressResult:
        """Batches until `count` inputs, `seconds`, or `max_found` counterexamples."""
        cfg = self.config
        start = time.monotonic()
        deadline = start + cfg.seconds if cfg.seconds else None
        next_seed, end_seed = cfg.first_seed, cfg.first_seed + cfg.count
        size = FIRST_BATCH
        found: list[Counterexample] = []
        inputs_run = batches = 0
        running: set[asyncio.Task[tuple[int, list[Counterexample]]]] = set()

        async def one(seeds: list[int]) -> tuple[int, list[Counterexample]]:
            return len(seeds), await self._batch(seeds)

        def more() -> bool:
            in_time = deadline is None or time.monotonic() < deadline
            return next_seed < end_seed and len(found) < cfg.max_found and in_time

        try:
            while running or more():
                while more() and len(running) < cfg.parallel:
                    seeds = list(range(next_seed, min(next_seed + size, end_seed)))
                    next_seed += len(seeds)
                    size = min(size * 2, MAX_BATCH)
                    running.add(asyncio.ensure_future(one(seeds)))
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    count, batch_found = task.result()
                    inputs_run += count
                    batches += 1
                    found.extend(batch_found)
                    if progress is not None:
                        progress(inputs_run, len(found))
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)
        smallest = _smallest(found)
        return StressResult(
            status="counterexample" if smallest else "passed",
            inputs_run=inputs_run,
            counterexample=smallest,
            counterexamples_found=len(found),
            seconds=round(time.monotonic() - start, 3),
            batches=batches,
        )
