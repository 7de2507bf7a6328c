"""A model-written oracle for a function stub: a brute-force Python function with the stub's
signature, asked of the model once (K samples) when the user wrote none.

Why the same rules as the stdin/stdout oracle (pacore_core/model_oracle.py, whose request,
majority rule and record this shares): a model's brute force is trusted only when it passes
the stub's own tests (or doctests) and a strict majority of the samples that passed them give
the same answers on the inputs drawn from the signature. The kept one is then used exactly
like the user's brute force (pacore_core/function_oracle.py), and a replay reruns it from the
record without a model.
"""

from __future__ import annotations

import asyncio

from pacore_core.backends.base import Backend
from pacore_core.config import RunConfig
from pacore_core.function_oracle import (
    FunctionOracle,
    OracleError,
    brute_function,
    draw_inputs,
    function_oracle,
    recorded_inputs,
)
from pacore_core.model_oracle import (
    ModelOracle,
    as_replayed,
    as_written,
    code_blocks,
    keep_majority,
    not_kept,
    oracle_limits,
    oracle_samples,
    recorded_oracle,
    recorded_run,
    sample_oracles,
)
from pacore_core.problem import Problem
from pacore_core.record import OracleRecord
from sandbox.base import Sandbox
from sandbox.models import CallSuite, Candidate, Limits

NO_ANSWER = "\x00no answer"  # an input a sample raised or timed out on (never a JSON answer)


def parse_brute(text: str, entry_point: str) -> Candidate | str:
    """The answer's first Python code block, if it defines the brute force; else why not."""
    python = [b for b in code_blocks(text) if b.language == "python"]
    if not python:
        return "it has no Python code block"
    try:
        brute_function(python[0].code, entry_point, "its code")
    except OracleError as e:
        return str(e)
    return python[0]


async def ask_function_oracle(problem: Problem, backend: Backend, sandbox: Sandbox, *, k: int,
                              count: int, seed: int = 0, temperature: float = 1.0,
                              max_tokens: int = 4096, limits: Limits | None = None,
                              ) -> tuple[ModelOracle, FunctionOracle | None]:  # fmt: skip
    """One request for K brute forces of `problem`'s stub; the kept one's oracle tests (or
    None, the notes in the ModelOracle saying why). `sandbox` is the stub's view (its module,
    its project), where each sample runs the stub's tests and answers the drawn inputs."""
    entry = problem.entry_point or ""
    out = ModelOracle(samples=k)
    parsed = await sample_oracles(problem, backend, out, lambda text: parse_brute(text, entry), k=k,
                                  temperature=temperature, max_tokens=max_tokens, seed=seed)  # fmt: skip
    if parsed is None:
        return out, None
    try:  # drawn once: every sample answers the same inputs
        inputs, drawn_notes = await draw_inputs(problem, count=count, seed=seed)
    except OracleError as e:
        out.notes.append(str(e))
        return out, None

    async def vet(brute: Candidate) -> FunctionOracle | str:
        try:
            return await function_oracle(problem, sandbox, brute.code, seed=seed, limits=limits,
                                         inputs=inputs)  # fmt: skip
        except OracleError as e:
            return str(e).splitlines()[0]

    vetted = dict(zip(parsed, await asyncio.gather(*(vet(b) for b in parsed.values())), strict=True))
    out.notes.extend(f"oracle sample {i + 1} discarded: {why}" for i, why in vetted.items()
                     if isinstance(why, str))  # fmt: skip
    alive = {i: got for i, got in vetted.items() if not isinstance(got, str)}
    answers = {i: {t.name: t.expected for t in got.suite.calls} for i, got in alive.items()}
    names = sorted({n for a in answers.values() for n in a}, key=lambda n: int(n.rsplit(" ", 1)[-1]))
    signatures = [tuple(answers[i].get(n) or NO_ANSWER for n in names) for i in alive]
    checked_on = "the stub's tests" if problem.has_tests else "its generated inputs"
    kept = keep_majority(list(alive), signatures, out, checked_on)
    if kept is None:
        return out, None
    out.brute = parsed[kept]
    alive[kept].notes[:0] = drawn_notes
    return out, alive[kept]


async def model_function_oracle_tests(
    problem: Problem, backend: Backend, sandbox: Sandbox, config: RunConfig
) -> tuple[Problem, OracleRecord | None, list[str]]:
    """`problem` with oracle tests from a model-written brute force (a replayed run: the one
    its record holds, run again), the record, and the run's warnings (what was discarded)."""
    limits = oracle_limits(config)
    if backend.name == "replay":
        run, recorded = recorded_run(backend, problem), recorded_oracle(backend, problem)
        calls = run.problem.oracle_tests if run is not None else None
        if recorded is None or recorded.brute_function is None or not isinstance(calls, CallSuite):
            return problem, None, ["the replayed record has no brute force for this stub, and replay "
                                   "asks no model for one"]  # fmt: skip
        try:  # on the recorded inputs (drawing again could give fewer, under load)
            again = await function_oracle(problem, sandbox, recorded.brute, seed=recorded.first_seed,
                                          limits=limits, inputs=recorded_inputs(calls))  # fmt: skip
        except OracleError as e:
            return problem, None, [f"the recorded oracle no longer works: {e}"]
        return (problem.model_copy(update={"oracle_tests": again.suite}),
                as_replayed(recorded, again.record), again.notes)  # fmt: skip
    asked, oracle = await ask_function_oracle(
        problem, backend, sandbox, k=oracle_samples(config), count=config.oracle_inputs,
        seed=config.seed or 0, temperature=config.temperature, max_tokens=config.max_tokens,
        limits=limits)  # fmt: skip
    if oracle is None:
        return problem, None, not_kept(asked)
    said = [f"model-written oracle: {n}" for n in asked.notes] + oracle.notes
    return problem.model_copy(update={"oracle_tests": oracle.suite}), as_written(oracle.record, asked), said
