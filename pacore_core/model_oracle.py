"""A model-written oracle: a brute force and an input generator asked of the model once.

Why trust it at all: ALGO (NeurIPS 2023) found model-written exhaustive oracles right far
more often than model-written efficient solutions, because "try everything" is easy to get
right. Why not blindly: a brute force is kept only if it passes every sample of the problem
and agrees, on generated inputs, with a strict majority of the other oracle samples that
passed them (one request with `n` = K); the others are discarded, and the notes say why.
A replayed run reuses the oracle its record holds and asks no model (`recorded_oracle`).
"""

from __future__ import annotations

import asyncio
import re
from contextlib import aclosing
from importlib import resources

import jinja2
from pydantic import BaseModel, Field

from pacore_core.backends.base import Backend, BackendError, SampleRequest
from pacore_core.code_extract import strip_reasoning
from pacore_core.config import RunConfig
from pacore_core.oracle import oracle_tests
from pacore_core.problem import Problem, io_examples_text
from pacore_core.record import OracleRecord
from pacore_core.stress import StressConfig, StressRun, StressToolError
from sandbox import languages
from sandbox.base import Sandbox
from sandbox.models import Candidate, IOSuite, IOTest, Limits

ORACLE_TEMPLATE = "oracle.j2"
ORACLE_MARKER = "Write a brute force and a test input generator"  # how the request starts
MAX_SAMPLES = 8
CHECK_INPUTS = 10  # inputs per generator on which the oracle samples are compared
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#.-]*)[^\n]*\n(.*?)```", re.S)


class ModelOracle(BaseModel):
    """What the one request gave: the kept programs (None when none was kept) and why the
    others were discarded."""

    brute: Candidate | None = None
    generator: Candidate | None = None
    samples: int = 0  # oracle samples asked for (K)
    agreeing: int = 0  # samples in the kept brute force's majority
    notes: list[str] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def kept(self) -> bool:
        return self.brute is not None and self.generator is not None

    def programs(self) -> tuple[Candidate, Candidate]:
        """The kept brute force and generator (call only when `kept`)."""
        if self.brute is None or self.generator is None:
            raise ValueError("no model-written oracle was kept")
        return self.brute, self.generator


def oracle_prompt(problem: Problem, language: str = "python") -> str:
    source = resources.files("pacore_core.templates").joinpath(ORACLE_TEMPLATE).read_text()
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701  (a prompt, not HTML)
    template = env.from_string(source)
    samples = io_examples_text(problem.public_tests) if isinstance(problem.public_tests, IOSuite) else ""
    spec = languages.get(language)
    return template.render(statement=problem.statement, samples=samples, language_name=spec.display,
                           fence=spec.fence)  # fmt: skip


def _language(tag: str, default: str) -> str | None:
    tag = tag.lower()
    if not tag:
        return default
    specs = languages.registry().values()
    exact = [s.name for s in specs if tag == s.name]
    found = exact or [s.name for s in specs if tag in s.fence_tags]
    return found[0] if found else None


def parse_programs(text: str, default_language: str = "python") -> tuple[Candidate, Candidate] | str:
    """The brute force and the generator (the answer's first two code blocks), or why not."""
    blocks = []
    for m in _FENCE.finditer(strip_reasoning(text)):
        language = _language(m.group(1), default_language)
        if language is not None and m.group(2).strip():
            blocks.append(Candidate(language=language, code=m.group(2).strip("\n") + "\n"))
    if len(blocks) < 2:
        return f"it has {len(blocks)} code block(s), not two (a brute force, then a generator)"
    return blocks[0], blocks[1]


async def ask_oracle(
    problem: Problem,
    backend: Backend,
    sandbox: Sandbox,
    *,
    k: int,
    brute: Candidate | None = None,
    generator: Candidate | None = None,
    temperature: float = 1.0,
    max_tokens: int = 4096,
    seed: int | None = 0,
    limits: Limits | None = None,
) -> ModelOracle:
    """One request for K oracle samples; the programs the user already has (`brute`,
    `generator`) replace the model's. Never raises for the model's or the programs' faults:
    an unusable answer is a note."""
    out = ModelOracle(samples=k)
    request = SampleRequest(
        messages=[{"role": "user", "content": oracle_prompt(problem)}], n=k, round_index=0,
        temperature=temperature, max_tokens=max_tokens, seed=None if seed is None else seed + 104729,
    )  # fmt: skip
    pairs: dict[int, tuple[Candidate, Candidate]] = {}
    unusable: dict[int, str] = {}  # by sample, so that the notes read in sample order
    try:
        async with aclosing(backend.sample(request)) as stream:
            async for traj in stream:
                out.prompt_tokens += traj.prompt_tokens
                out.completion_tokens += traj.completion_tokens
                if traj.error is not None:
                    unusable[traj.index] = f"oracle sample {traj.index + 1}: the model failed: {traj.error}"
                    continue
                parsed = parse_programs(traj.content)
                if isinstance(parsed, str):
                    unusable[traj.index] = f"oracle sample {traj.index + 1} discarded: {parsed}"
                    continue
                pairs[traj.index] = (brute or parsed[0], generator or parsed[1])
    except BackendError as e:
        out.notes.append(f"the model could not write an oracle: {e}")
        return out
    out.notes.extend(unusable[i] for i in sorted(unusable))
    config = StressConfig(count=CHECK_INPUTS, brute_limits=limits or Limits(timeout_s=10.0))
    await _choose(problem, sandbox, dict(sorted(pairs.items())), config, out)
    return out


async def _choose(problem: Problem, sandbox: Sandbox, pairs: dict[int, tuple[Candidate, Candidate]],
                  config: StressConfig, out: ModelOracle) -> None:  # fmt: skip
    """Keep the first brute force of the strict majority among those passing the samples."""
    sessions = {i: StressRun(sandbox, None, b, g, config) for i, (b, g) in pairs.items()}
    samples = problem.public_tests if isinstance(problem.public_tests, IOSuite) else None

    async def vet(i: int) -> list[str] | str:
        """Its generator's inputs, or why it is discarded."""
        try:
            if samples is not None:
                await sessions[i].check_brute(samples)
            return await sessions[i].inputs(list(range(1, CHECK_INPUTS + 1)))
        except StressToolError as e:
            return f"oracle sample {i + 1} discarded: {str(e).splitlines()[0]}"

    vetted = dict(zip(sessions, await asyncio.gather(*(vet(i) for i in sessions)), strict=True))
    out.notes.extend(why for why in vetted.values() if isinstance(why, str))  # in sample order
    alive = [i for i, got in vetted.items() if not isinstance(got, str)]
    if not alive:
        out.notes.append("no oracle sample passed the samples: the run goes on without an oracle")
        return
    inputs = list(dict.fromkeys(text for i in alive for text in vetted[i]))
    outputs = await asyncio.gather(*(_outputs(sandbox, pairs[i][0], inputs, config) for i in alive))
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, signature in zip(alive, outputs, strict=True):
        groups.setdefault(signature, []).append(i)
    largest = max(groups.values(), key=len)
    if 2 * len(largest) <= len(alive):
        out.notes.append(f"the {len(alive)} oracle samples that passed the samples disagree on the "
                         f"{len(inputs)} generated inputs (no majority)")
        return
    for signature, members in groups.items():
        if members is not largest:
            wrong = sum(a != b for a, b in zip(signature, outputs[alive.index(largest[0])], strict=True))
            out.notes.extend(f"oracle sample {i + 1} discarded: it disagreed with the majority on "
                             f"{wrong} of {len(inputs)} generated inputs" for i in members)  # fmt: skip
    out.brute, out.generator = pairs[largest[0]]
    out.agreeing = len(largest)


async def _outputs(
    sandbox: Sandbox, brute: Candidate, inputs: list[str], config: StressConfig
) -> tuple[str, ...]:
    """The brute force's behaviour on each input: its output's tokens, or how it failed."""
    tests = [IOTest(name=f"in{n}", input=text, expected="") for n, text in enumerate(inputs)]
    verdict = await sandbox.run(brute, IOSuite(tests=tests, comparison="exact", keep_stdout=True),
                                config.brute_limits)  # fmt: skip
    if verdict.verdict == "compile_error":
        return ("compile_error",) * len(inputs)
    by_name = {t.name: t for t in verdict.tests}
    shown = []
    for test in tests:
        got = by_name.get(test.name)
        ran = got is not None and got.status in ("passed", "failed")
        shown.append(" ".join(got.stdout.split()) if ran and got else (got.status if got else "missing"))
    return tuple(shown)


def recorded_oracle(backend: Backend | None, problem: Problem) -> OracleRecord | None:
    """The oracle a replayed record used (its programs are in the record), so a replay runs
    the same oracle tests and asks no model."""
    for record in getattr(backend, "records", None) or []:
        oracle = getattr(record.result, "oracle", None)
        if record.problem.statement == problem.statement and oracle is not None:
            return OracleRecord.model_validate(oracle.model_dump())  # a copy
    return None


def oracle_samples(config: RunConfig) -> int:
    """K for the oracle request: the first round's width, at most `MAX_SAMPLES` (each
    sample costs sandbox runs)."""
    return max(1, min(config.widths[0], MAX_SAMPLES))


async def model_oracle_tests(
    problem: Problem, backend: Backend, sandbox: Sandbox, config: RunConfig
) -> tuple[Problem, OracleRecord | None, list[str]]:
    """`problem` with oracle tests from a model-written oracle (a replayed run: the recorded
    one), the record, and what was discarded or missing (the run's warnings)."""
    limits = Limits(timeout_s=max(10.0, 4 * config.limits.timeout_s))
    if backend.name == "replay":
        recorded = recorded_oracle(backend, problem)
        if recorded is None or recorded.generator is None or recorded.generator_language is None:
            return problem, None, ["the replayed record has no stdin/stdout oracle, and replay asks "
                                   "no model for one"]  # fmt: skip
        brute = Candidate(language=recorded.brute_language, code=recorded.brute)
        generator = Candidate(language=recorded.generator_language, code=recorded.generator)
        try:
            with_tests, record = await oracle_tests(
                problem, sandbox, brute, generator, count=recorded.inputs, first_seed=recorded.first_seed,
                limits=limits)  # fmt: skip
        except StressToolError as e:
            return problem, None, [f"the recorded oracle no longer works: {e}"]
        keep = recorded.model_dump(include={"source", "samples", "agreeing", "notes"})
        return with_tests, record.model_copy(update={**keep, "replayed": True}), []
    asked = await ask_oracle(
        problem, backend, sandbox, k=oracle_samples(config), temperature=config.temperature,
        max_tokens=config.max_tokens, seed=config.seed, limits=limits)  # fmt: skip
    tokens = {"prompt_tokens": asked.prompt_tokens, "completion_tokens": asked.completion_tokens}
    if not asked.kept:
        return problem, None, ["no model-written oracle was kept: " + "; ".join(asked.notes)]
    brute, generator = asked.programs()
    try:
        with_tests, record = await oracle_tests(problem, sandbox, brute, generator,
                                                count=config.oracle_inputs, limits=limits)  # fmt: skip
    except StressToolError as e:  # its generator or brute force failed beyond the checked inputs
        return problem, None, [f"the model-written oracle was discarded: {str(e).splitlines()[0]}"]
    update = {"source": "model", "samples": asked.samples, "agreeing": asked.agreeing, "notes": asked.notes}
    record = record.model_copy(update={**update, **tokens})
    said = [f"model-written oracle: {n}" for n in asked.notes]
    return with_tests, record, said
