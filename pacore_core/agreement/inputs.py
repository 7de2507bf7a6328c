"""Generated inputs for one problem: from type hints (hypothesis) and from the model (inputs
only, never outputs), validated, bounded, deterministic under a seed, made once per problem
and reused by every round; a replayed run takes the recorded inputs and asks no model.

Why the model writes inputs but not outputs: outputs would need the model to solve the
problem again (and be wrong as often); inputs only need it to read the format. Which
output is right is then decided by the candidates' agreement.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from contextlib import aclosing
from importlib import resources
from typing import Any

import jinja2
from pydantic import BaseModel, Field

from pacore_core.agreement.hint_arguments import argument_strategy, draw
from pacore_core.agreement.models import InputSet, ProbeInput
from pacore_core.agreement.signatures import (
    FunctionSignature,
    constructor_needs,
    example_calls,
    literal_text,
    parse_call,
    parse_signature,
)
from pacore_core.agreement.stdin_format import check_stdin, format_checks
from pacore_core.backends.base import Backend, BackendError, SampleRequest
from pacore_core.code_extract import strip_reasoning
from pacore_core.config import RunConfig
from pacore_core.problem import Problem
from sandbox.models import IOSuite

INPUTS_TEMPLATE = "agreement_inputs.j2"
_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)```", re.S)


class AgreementSettings(BaseModel):
    """Bounds on what agreement generates and runs (counts, sizes, time)."""

    typed_inputs: int = Field(default=24, ge=0, le=200, description="inputs drawn from type hints")
    model_inputs: int = Field(default=8, ge=0, le=100, description="inputs the model is asked for")
    max_input_chars: int = Field(default=400, ge=20)
    per_call_s: float = Field(default=2.0, gt=0, description="time limit of one call on one input")
    max_timeouts: int = Field(
        default=2, ge=1, description="timed-out calls after which a program's other inputs are skipped"
    )
    generate_s: float = Field(default=10.0, gt=0, description="time budget of drawing typed inputs")
    max_tokens: int = Field(default=1024, ge=64, description="model tokens for writing inputs")


def agreement_settings(config: RunConfig) -> AgreementSettings | None:
    """The bounds a run's configuration asks for, or None when agreement is off (`auto`
    gives them too: the engine decides per problem whether to use them)."""
    if config.agreement == "off":
        return None
    return AgreementSettings(typed_inputs=config.agreement_inputs, model_inputs=config.agreement_model_inputs)


class InputGenerator:
    """Makes (and caches, per problem and seed) the inputs candidates are compared on."""

    def __init__(self, settings: AgreementSettings, backend: Backend | None = None) -> None:
        self.settings = settings
        self.backend = backend
        self._cache: dict[str, InputSet] = {}
        source = resources.files("pacore_core.templates").joinpath(INPUTS_TEMPLATE).read_text()
        self._template = jinja2.Environment(
            undefined=jinja2.StrictUndefined, autoescape=False  # noqa: S701  (a prompt, not HTML)
        ).from_string(source)

    async def inputs(self, problem: Problem, *, seed: int, temperature: float = 0.7) -> InputSet:
        key = hashlib.sha256(f"{seed}\0{problem.statement}\0{problem.probe_entry_point}".encode()).hexdigest()
        if key not in self._cache:
            self._cache[key] = recorded_inputs(self.backend, problem) or await self._generate(
                problem, seed, temperature
            )
        return self._cache[key]

    async def _generate(self, problem: Problem, seed: int, temperature: float) -> InputSet:
        out = InputSet(seed=seed)
        if (why := no_fresh_instance(problem)) is not None:
            out.notes.append(why)  # every call would crash alike: no inputs, no model request
            return out
        sig = _signature(problem) if problem.mode == "function" else None
        if problem.mode == "function" and sig is None:
            out.notes.append(f"no signature of {problem.call_name} found: only model-written inputs are used")
        seen: set[str] = set()
        if sig is not None and self.settings.typed_inputs:
            examples = example_calls(problem.statement, sig.name, method=problem.method_of is not None)
            strategy = argument_strategy(sig, examples)
            if strategy is None:
                out.notes.append("parameters without type hints or examples: no inputs drawn from types")
            else:
                drawn = await asyncio.to_thread(
                    draw, strategy, count=self.settings.typed_inputs, seed_value=seed,
                    budget_s=self.settings.generate_s, max_chars=self.settings.max_input_chars,
                )  # fmt: skip
                for text in drawn:
                    seen.add(text)
                    out.inputs.append(ProbeInput(name=f"t{len(out.inputs)}", source="hypothesis", args=text))
        if self.settings.model_inputs and self.backend is not None and self.backend.name != "replay":
            await self._ask_model(self.backend, problem, sig, seed, temperature, out, seen)
        return out

    async def _ask_model(
        self, backend: Backend, problem: Problem, sig: FunctionSignature | None, seed: int,
        temperature: float, out: InputSet, seen: set[str],
    ) -> None:  # fmt: skip
        if problem.mode == "function" and sig is None:
            return
        prompt = self._template.render(
            statement=problem.statement, entry_point=problem.entry_point if sig else None,
            method_of=problem.method_of, count=self.settings.model_inputs,
        )  # fmt: skip
        request = SampleRequest(
            messages=[{"role": "user", "content": prompt}], n=1, round_index=0, temperature=temperature,
            max_tokens=self.settings.max_tokens, seed=seed + 7919,
        )  # fmt: skip
        text = ""
        try:
            async with aclosing(backend.sample(request)) as stream:
                async for traj in stream:
                    out.completion_tokens += traj.completion_tokens
                    out.prompt_tokens += traj.prompt_tokens
                    if traj.error is not None:
                        out.notes.append(f"the model could not write inputs: {traj.error}")
                    text = strip_reasoning(traj.content)
        except BackendError as e:  # agreement is an aid: the run goes on with typed inputs only
            out.notes.append(f"the model could not write inputs: {e}")
            return
        if sig is not None:
            self._function_inputs(text, sig, out, seen, method=problem.method_of is not None)
        else:
            self._stdin_inputs(text, problem, out, seen)

    def _function_inputs(
        self, text: str, sig: FunctionSignature, out: InputSet, seen: set[str], *, method: bool
    ) -> None:
        taken = rejected = 0
        for line in _calls(text, sig.name, method=method):
            args = _parse(line, sig)
            why = "not a call with literal arguments" if args is None else sig.accepts(args)
            literal = literal_text(args) if args is not None and why is None else None
            if why is None and literal is None:
                why = "the arguments cannot be written back as literals"
            if why is None and literal is not None and len(literal) > self.settings.max_input_chars:
                why = f"longer than {self.settings.max_input_chars} characters"
            if why is not None or literal is None:
                rejected += 1
                out.notes.append(f"model input {line[:80]!r} rejected: {why}")
                continue
            if literal in seen or taken >= self.settings.model_inputs:
                continue
            seen.add(literal)
            taken += 1
            out.inputs.append(ProbeInput(name=f"m{len(out.inputs)}", source="model", args=literal))
        if not taken and not rejected:
            out.notes.append("the model wrote no usable input calls")

    def _stdin_inputs(self, text: str, problem: Problem, out: InputSet, seen: set[str]) -> None:
        samples = (
            [t.input for t in problem.public_tests.tests] if isinstance(problem.public_tests, IOSuite) else []
        )
        rules = format_checks(samples)
        taken = 0
        for block in _blocks(text):
            data = block if block.endswith("\n") else block + "\n"
            why = check_stdin(data, rules, self.settings.max_input_chars)
            if why is not None:
                out.notes.append(f"model input {data[:60]!r} rejected: {why}")
                continue
            if data in seen or data in samples or taken >= self.settings.model_inputs:
                continue
            seen.add(data)
            taken += 1
            out.inputs.append(ProbeInput(name=f"m{len(out.inputs)}", source="model", stdin=data))
        if not taken:
            out.notes.append("the model wrote no usable stdin inputs")


def _signature(problem: Problem) -> FunctionSignature | None:
    if not problem.entry_point:
        return None
    for source in _sources(problem):
        sig = parse_signature(source, problem.entry_point, problem.method_of)
        if sig is not None:
            return sig
    return None


def _sources(problem: Problem) -> list[str]:
    """Where the stub is written: its signature, starter code (a method's: its class), and
    the statement's code blocks."""
    found = (problem.signature, problem.starter_code, *_code_blocks(problem.statement))
    return [s for s in found if s]


def no_fresh_instance(problem: Problem) -> str | None:
    """Why a method's inputs cannot be run (its class needs constructor arguments), or None.
    Why skip: each call is made on a fresh `Class()`; if that needs arguments, every
    candidate would crash alike on every input and agreement would only cost time."""
    if problem.method_of is None:
        return None
    for source in _sources(problem):
        needs = constructor_needs(source, problem.method_of)
        if needs is not None:
            if not needs:
                return None
            return (
                f"agreement skipped: `{problem.method_of}()` needs arguments ({', '.join(needs)}), "
                f"and each input calls `{problem.entry_point}` on a fresh instance made without any"
            )
    return None


def _code_blocks(text: str) -> list[str]:
    return [m.group(2) for m in _FENCE.finditer(text)]


def _blocks(text: str) -> list[str]:
    """Bodies of fenced blocks that are not code in a programming language."""
    return [
        m.group(2)
        for m in _FENCE.finditer(text)
        if m.group(1).lower() in ("", "text", "txt", "input", "plaintext")
    ]


def _calls(text: str, entry_point: str, *, method: bool = False) -> list[str]:
    """Candidate call texts: each line of the code blocks (or of the whole answer). A
    method's calls may name what they are called on (`Stack().push(1)`): that is dropped."""
    blocks = _code_blocks(text) or [text]
    lines = [ln.strip().removeprefix(">>>").strip() for b in blocks for ln in b.splitlines()]
    if method:
        on = re.compile(rf"^[\w.]+(?:\(\))?\.(?={re.escape(entry_point)}\()")
        lines = [on.sub("", ln, count=1) for ln in lines]
    return [ln for ln in lines if ln.startswith(f"{entry_point}(")]


def _parse(line: str, sig: FunctionSignature) -> tuple[Any, ...] | None:
    return parse_call(line, sig.name, sig)


def recorded_inputs(backend: Backend | None, problem: Problem) -> InputSet | None:
    """The inputs a replayed record used, so a replay runs the same probes with no model."""
    for record in getattr(backend, "records", None) or []:
        agreement = getattr(record.result, "agreement", None)
        if record.problem.statement == problem.statement and agreement is not None:
            return InputSet(inputs=list(agreement.inputs), notes=["inputs replayed from the run record"],
                            replayed=True)  # fmt: skip
    return None
