"""A model-written oracle: a brute force and an input generator asked of the model once.

Why trust it at all: ALGO (NeurIPS 2023) found model-written exhaustive oracles right far
more often than model-written efficient solutions, because "try everything" is easy to get
right. Why not blindly: a brute force is kept only if it passes every sample of the problem
and agrees, on generated inputs, with a strict majority of the other oracle samples that
passed them (one request with `n` = K); the others are discarded, and the notes say why.
A replayed run reuses the oracle its record holds and asks no model (`recorded_oracle`).
A function stub's oracle (pacore_core/model_function_oracle.py) shares the request, the
majority rule and the record; only its programs (one Python function, no generator) and its
checks (the stub's tests, inputs drawn from the signature) differ.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from contextlib import aclosing
from importlib import resources
from typing import TypeVar

import jinja2
from pydantic import BaseModel, Field

from pacore_core.backends.base import Backend, BackendError, SampleRequest
from pacore_core.code_extract import strip_reasoning
from pacore_core.config import RunConfig
from pacore_core.oracle import oracle_tests
from pacore_core.problem import Problem, io_examples_text
from pacore_core.record import OracleRecord, RunRecord
from pacore_core.stress import StressConfig, StressRun, StressToolError
from sandbox import languages
from sandbox.base import Sandbox
from sandbox.models import Candidate, IOSuite, IOTest, Limits

ORACLE_TEMPLATE = "oracle.j2"
ORACLE_MARKER = "Write a brute force"  # how the request starts (a stub's too)
MAX_SAMPLES = 8
CHECK_INPUTS = 10  # inputs per generator on which the oracle samples are compared
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#.-]*)[^\n]*\n(.*?)```", re.S)
T = TypeVar("T")


class ModelOracle(BaseModel):
    """What the one request gave: the kept programs (None when none was kept; a function
    stub's oracle has no generator) and why the others were discarded."""

    brute: Candidate | None = None
    generator: Candidate | None = None
    samples: int = 0  # oracle samples asked for (K)
    agreeing: int = 0  # samples in the kept brute force's majority
    notes: list[str] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def kept(self) -> bool:
        return self.brute is not None

    def programs(self) -> tuple[Candidate, Candidate]:
        """The kept brute force and generator (call only when a stdin/stdout oracle was kept)."""
        if self.brute is None or self.generator is None:
            raise ValueError("no model-written oracle was kept")
        return self.brute, self.generator


def oracle_prompt(problem: Problem, language: str = "python") -> str:
    """The request: a brute force and a generator, or (a function stub) a brute-force function."""
    source = resources.files("pacore_core.templates").joinpath(ORACLE_TEMPLATE).read_text()
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701  (a prompt, not HTML)
    template = env.from_string(source)
    samples = io_examples_text(problem.public_tests) if isinstance(problem.public_tests, IOSuite) else ""
    spec = languages.get(language)
    function = problem.entry_point if problem.mode == "function" else None
    return template.render(statement=problem.statement, samples=samples, language_name=spec.display,
                           fence=spec.fence, function=function)  # fmt: skip


def _language(tag: str, default: str) -> str | None:
    tag = tag.lower()
    if not tag:
        return default
    specs = languages.registry().values()
    exact = [s.name for s in specs if tag == s.name]
    found = exact or [s.name for s in specs if tag in s.fence_tags]
    return found[0] if found else None


def code_blocks(text: str, default_language: str = "python") -> list[Candidate]:
    """The answer's code blocks in a known language, in order (reasoning dropped)."""
    blocks = []
    for m in _FENCE.finditer(strip_reasoning(text)):
        language = _language(m.group(1), default_language)
        if language is not None and m.group(2).strip():
            blocks.append(Candidate(language=language, code=m.group(2).strip("\n") + "\n"))
    return blocks


def parse_programs(text: str, default_language: str = "python") -> tuple[Candidate, Candidate] | str:
    """The brute force and the generator (the answer's first two code blocks), or why not."""
    blocks = code_blocks(text, default_language)
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
    parsed = await sample_oracles(problem, backend, out, parse_programs, k=k, temperature=temperature,
                                  max_tokens=max_tokens, seed=seed)  # fmt: skip
    if parsed is None:
        return out
    pairs = {i: (brute or b, generator or g) for i, (b, g) in parsed.items()}
    config = StressConfig(count=CHECK_INPUTS, brute_limits=limits or Limits(timeout_s=10.0))
    await _choose(problem, sandbox, pairs, config, out)
    return out


async def sample_oracles(problem: Problem, backend: Backend, out: ModelOracle,
                         parse: Callable[[str], T | str], *, k: int, temperature: float = 1.0,
                         max_tokens: int = 4096, seed: int | None = 0) -> dict[int, T] | None:  # fmt: skip
    """The one request (`n` = K): each usable sample's programs by sample index (in order),
    what was unusable a note in `out`, its tokens counted there; None when the model failed."""
    request = SampleRequest(
        messages=[{"role": "user", "content": oracle_prompt(problem)}], n=k, round_index=0,
        temperature=temperature, max_tokens=max_tokens, seed=None if seed is None else seed + 104729,
    )  # fmt: skip
    parsed: dict[int, T] = {}
    unusable: dict[int, str] = {}  # by sample, so that the notes read in sample order
    try:
        async with aclosing(backend.sample(request)) as stream:
            async for traj in stream:
                out.prompt_tokens += traj.prompt_tokens
                out.completion_tokens += traj.completion_tokens
                if traj.error is not None:
                    unusable[traj.index] = f"oracle sample {traj.index + 1}: the model failed: {traj.error}"
                    continue
                got = parse(traj.content)
                if isinstance(got, str):
                    unusable[traj.index] = f"oracle sample {traj.index + 1} discarded: {got}"
                    continue
                parsed[traj.index] = got
    except BackendError as e:
        out.notes.append(f"the model could not write an oracle: {e}")
        return None
    out.notes.extend(unusable[i] for i in sorted(unusable))
    return dict(sorted(parsed.items()))


def keep_majority(alive: list[int], signatures: Sequence[tuple[str, ...]], out: ModelOracle,
                  checked_on: str = "the samples") -> int | None:  # fmt: skip
    """The sample to keep: the first of the strict majority of identical behaviours among the
    `alive` samples (those that passed `checked_on`), or None; the others are notes in `out`."""
    if not alive:
        out.notes.append(f"no oracle sample passed {checked_on}: the run goes on without an oracle")
        return None
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, signature in zip(alive, signatures, strict=True):
        groups.setdefault(signature, []).append(i)
    largest = max(groups.values(), key=len)
    inputs = len(signatures[0])
    if 2 * len(largest) <= len(alive):
        out.notes.append(f"the {len(alive)} oracle samples that passed {checked_on} disagree on the "
                         f"{inputs} generated inputs (no majority)")
        return None
    kept = signatures[alive.index(largest[0])]
    for signature, members in groups.items():
        if members is not largest:
            wrong = sum(a != b for a, b in zip(signature, kept, strict=True))
            out.notes.extend(f"oracle sample {i + 1} discarded: it disagreed with the majority on "
                             f"{wrong} of {inputs} generated inputs" for i in members)  # fmt: skip
    out.agreeing = len(largest)
    return largest[0]


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
    inputs = list(dict.fromkeys(text for i in alive for text in vetted[i]))
    outputs = await asyncio.gather(*(_outputs(sandbox, pairs[i][0], inputs, config) for i in alive))
    kept = keep_majority(alive, outputs, out)
    if kept is not None:
        out.brute, out.generator = pairs[kept]


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


def recorded_run(backend: Backend | None, problem: Problem) -> RunRecord | None:
    """The replayed record of this problem that used an oracle, if the backend replays one."""
    for record in getattr(backend, "records", None) or []:
        if record.problem.statement == problem.statement and getattr(record.result, "oracle", None):
            return record
    return None


def recorded_oracle(backend: Backend | None, problem: Problem) -> OracleRecord | None:
    """The oracle a replayed record used (its programs are in the record), so a replay runs
    the same oracle tests and asks no model."""
    record = recorded_run(backend, problem)
    if record is None or record.result.oracle is None:
        return None
    return OracleRecord.model_validate(record.result.oracle.model_dump())  # a copy


def as_replayed(recorded: OracleRecord, fresh: OracleRecord) -> OracleRecord:
    """The oracle run again from a record: who wrote it and why others were dropped, as then."""
    keep = recorded.model_dump(include={"source", "samples", "agreeing", "notes"})
    return fresh.model_copy(update={**keep, "replayed": True})


def as_written(fresh: OracleRecord, asked: ModelOracle) -> OracleRecord:
    """The record of a model-written oracle: its samples, majority, notes and tokens (TTC)."""
    return fresh.model_copy(update={
        "source": "model", "samples": asked.samples, "agreeing": asked.agreeing,
        "notes": [*asked.notes, *fresh.notes], "prompt_tokens": asked.prompt_tokens,
        "completion_tokens": asked.completion_tokens,
    })  # fmt: skip


def oracle_samples(config: RunConfig) -> int:
    """K for the oracle request: the first round's width, at most `MAX_SAMPLES` (each
    sample costs sandbox runs)."""
    return max(1, min(config.widths[0], MAX_SAMPLES))


def oracle_limits(config: RunConfig) -> Limits:
    """A brute force is slow by design: four times a candidate's limit, at least 10 s."""
    return Limits(timeout_s=max(10.0, 4 * config.limits.timeout_s))


def not_kept(asked: ModelOracle) -> list[str]:
    return ["no model-written oracle was kept: " + "; ".join(asked.notes)]


async def model_oracle_tests(
    problem: Problem, backend: Backend, sandbox: Sandbox, config: RunConfig
) -> tuple[Problem, OracleRecord | None, list[str]]:
    """`problem` with oracle tests from a model-written oracle (a replayed run: the recorded
    one), the record, and what was discarded or missing (the run's warnings)."""
    limits = oracle_limits(config)
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
        return with_tests, as_replayed(recorded, record), []
    asked = await ask_oracle(
        problem, backend, sandbox, k=oracle_samples(config), temperature=config.temperature,
        max_tokens=config.max_tokens, seed=config.seed, limits=limits)  # fmt: skip
    if not asked.kept:
        return problem, None, not_kept(asked)
    brute, generator = asked.programs()
    try:
        with_tests, record = await oracle_tests(problem, sandbox, brute, generator,
                                                count=config.oracle_inputs, limits=limits)  # fmt: skip
    except StressToolError as e:  # its generator or brute force failed beyond the checked inputs
        return problem, None, [f"the model-written oracle was discarded: {str(e).splitlines()[0]}"]
    said = [f"model-written oracle: {n}" for n in asked.notes]
    return with_tests, as_written(record, asked), said
