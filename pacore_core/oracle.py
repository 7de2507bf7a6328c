"""Oracle tests: a brute force's outputs on generated inputs, as evidence in a PaCoRe run.

Why: samples let wrong programs through; a slow but obviously correct program agrees only
with right ones. The brute force is trusted only after it passes every sample. Its outputs
become tests labelled `oracle:` (run like hidden tests, but a disagreement is shown to the
next round with the input and both outputs); selection ranks by the user's tests first,
then by agreement with the oracle, and a program that disagrees with it is never `solved`.
"""

from __future__ import annotations

from pacore_core.problem import Problem
from pacore_core.record import OracleRecord, RunResult
from pacore_core.stress import StressConfig, StressRun
from sandbox.base import Sandbox
from sandbox.models import Candidate, IOSuite, IOTest, Limits


async def oracle_tests(
    problem: Problem,
    sandbox: Sandbox,
    brute: Candidate,
    generator: Candidate,
    *,
    count: int = 50,
    first_seed: int = 1,
    limits: Limits | None = None,
) -> tuple[Problem, OracleRecord]:
    """`problem` with `oracle_tests` added; raises `StressToolError` for a broken brute force
    (a failed sample, a crash) or generator, naming which."""
    if problem.mode != "io":
        raise ValueError("oracle tests from a generator need a stdin/stdout problem")
    config = StressConfig(count=count, first_seed=first_seed,
                          brute_limits=limits or Limits(timeout_s=10.0))  # fmt: skip
    session = StressRun(sandbox, None, brute, generator, config)
    # the samples only: hidden tests may be too big for a brute force
    samples = [problem.public_tests] if isinstance(problem.public_tests, IOSuite) else []
    checked = 0
    for suite in samples:
        await session.check_brute(suite)
        checked += len(suite.tests)
    seeds = list(range(first_seed, first_seed + count))
    inputs = await session.inputs(seeds)
    answers = await session.answers(seeds, inputs)
    comparison = samples[0].comparison if samples else "whitespace"
    tolerance = samples[0].float_tolerance if samples else 1e-6
    triples = zip(seeds, inputs, answers, strict=True)
    tests = [IOTest(name=f"seed {s}", input=i, expected=a) for s, i, a in triples]
    checker = samples[0].checker if samples else None  # any valid answer: judged, not compared
    suite = IOSuite(tests=tests, comparison=comparison, float_tolerance=tolerance, checker=checker)
    record = OracleRecord(
        brute=brute.code, generator=generator.code, brute_language=brute.language,
        generator_language=generator.language, inputs=count, first_seed=first_seed,
        checked_on_samples=checked,
    )  # fmt: skip
    return problem.model_copy(update={"oracle_tests": suite}), record


def apply_oracle(result: RunResult) -> None:
    """A trusted brute force outranks agreement: an answer that disagrees with it is never
    solved; one that matches it says so in its assurance (a model-written one named as such:
    it is weaker evidence than the user's own)."""
    oracle = result.verification.oracle
    if oracle is None or not oracle.total or result.code is None:
        return
    brute = "the model's brute force" if result.oracle is not None and result.oracle.source == "model" \
        else "the brute force"  # fmt: skip
    if oracle.passed < oracle.total:
        if result.status == "solved":
            result.status = "unsolved"
        wrong = oracle.total - oracle.passed
        note = f"disagreed with {brute} on {wrong} of {oracle.total} generated inputs"
    else:
        note = f"matched {brute} on {oracle.total} generated inputs"
    result.assurance = f"{result.assurance} + {note}" if result.assurance else note
