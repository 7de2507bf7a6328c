"""`pacore stress SOLUTION --problem P` without `--brute`/`--gen`: the model writes what is
missing, with the same request and the same checks as a PaCoRe run's model-written oracle
(pacore_core/model_oracle.py): samples first, then a majority among the K samples."""

from __future__ import annotations

import argparse
from typing import Any

from pacore_cli.run_setup import open_backend
from pacore_core.config import Settings
from pacore_core.errors import UsageError
from pacore_core.model_oracle import ModelOracle, ask_oracle, oracle_samples
from pacore_core.problem import Problem
from pacore_core.stress import StressConfig, StressToolError, Tool
from sandbox.base import Sandbox
from sandbox.models import Candidate


def _what(missing: list[str]) -> str:
    return " and ".join(missing)


def check_model_can_write(args: argparse.Namespace, settings: Settings, missing: list[str]) -> None:
    """Refuse before any sandbox starts when nobody can write the missing programs."""
    if args.problem is None:
        raise UsageError(f"{_what(missing)} missing: give {_what(missing)}, or --problem P and a "
                         "model (--base-url URL --model NAME) so that the model writes it")  # fmt: skip
    server = settings.server
    if server.replay is not None or server.backend == "replay":
        raise UsageError(f"{_what(missing)} missing, and a replay cannot write programs: "
                         f"give {_what(missing)}")  # fmt: skip
    if server.backend == "openai" and not server.base_url:
        raise UsageError(f"{_what(missing)} missing and no model is configured to write it: give "
                         f"{_what(missing)}, or a model with --base-url URL (and --model NAME), "
                         "or set PACORE_BASE_URL")  # fmt: skip


async def model_writes(settings: Settings, problem: Problem, sandbox: Sandbox, brute: Candidate | None,
                       generator: Candidate | None, config: StressConfig) -> ModelOracle:  # fmt: skip
    """The model's brute force and/or generator (the user's given ones are kept as they are)."""
    if problem.mode != "io":
        raise UsageError("the model writes a brute force and a generator for stdin/stdout problems only")
    backend = open_backend(settings)
    try:
        run = settings.run
        written = await ask_oracle(problem, backend, sandbox, k=oracle_samples(run), brute=brute,
                                   generator=generator, temperature=run.temperature,
                                   max_tokens=run.max_tokens, seed=run.seed,
                                   limits=config.brute_limits)  # fmt: skip
    finally:
        await backend.close()
    if not written.kept:
        role: Tool = "brute" if brute is None else "generator"
        raise StressToolError("the model wrote no usable brute force and generator: "
                              + "; ".join(written.notes), program=role, seed=None)  # fmt: skip
    return written


def written_line(written: ModelOracle, missing: list[str]) -> str:
    agreed = f"{written.agreeing} of {written.samples} samples agreed"
    discarded = f"; {len(written.notes)} discarded" if written.notes else ""
    names = {"--brute FILE": "the brute force", "--gen FILE": "the generator"}
    return f"pacore stress: the model wrote {_what([names[m] for m in missing])} ({agreed}{discarded})"


def written_json(written: ModelOracle, args: argparse.Namespace) -> dict[str, Any]:
    """What the model wrote (only what the user did not give), and why others were dropped."""
    brute, generator = written.programs()
    return {
        "brute": None if args.brute is not None else brute.model_dump(),
        "generator": None if args.gen is not None else generator.model_dump(),
        "samples": written.samples,
        "agreeing": written.agreeing,
        "notes": written.notes,
    }
