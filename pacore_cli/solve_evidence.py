"""`pacore solve --brute B --gen G` (oracle tests) and `--start FILE` (repair my program).

Kept apart from `solve_cmd` so that the run itself reads the same with or without them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pacore_cli import run_warnings
from pacore_core.backends.base import Backend
from pacore_core.config import Settings
from pacore_core.errors import UsageError
from pacore_core.function_oracle import BRUTE_SUFFIX, OracleError, function_oracle, module_brute
from pacore_core.model_function_oracle import model_function_oracle_tests
from pacore_core.model_oracle import model_oracle_tests
from pacore_core.oracle import oracle_tests
from pacore_core.problem import Problem
from pacore_core.project.selection import split_selector
from pacore_core.record import OracleRecord, TrajectoryPool
from pacore_core.repair import seeded_pool
from pacore_core.stress import StressToolError
from sandbox import languages
from sandbox.base import Sandbox
from sandbox.models import Candidate, Language, Limits


def add_evidence_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--brute", type=Path, metavar="FILE",
                   help="a slow but obviously correct program: with --gen, its outputs on "
                   "generated inputs become oracle tests (it must pass the samples first)")  # fmt: skip
    p.add_argument("--gen", type=Path, metavar="FILE",
                   help="input generator for the oracle: a seed as argv[1], one input on stdout")
    p.add_argument("--start", type=Path, metavar="FILE",
                   help="your own (wrong) program: round 1 starts from it and its failures, so "
                   "PaCoRe repairs it rather than rewriting from scratch")  # fmt: skip


def program_file(path: Path, role: str, language: Language | None = None) -> Candidate:
    """A program given on the command line, its language from the extension."""
    if not path.is_file():
        raise UsageError(f"{role} {path} does not exist")
    lang = language or languages.by_extension(path.suffix)
    if lang is None:
        known = ", ".join(sorted(ext for spec in languages.registry().values() for ext in spec.extensions))
        raise UsageError(f"{role} {path}: cannot tell its language from "
                         f"{path.suffix or 'no extension'!r} (known: {known})")  # fmt: skip
    try:
        return Candidate(language=lang, code=path.read_text())
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{role} {path} cannot be read: {e}") from None


def check_evidence_flags(args: argparse.Namespace, settings: Settings) -> None:
    """Refuse contradictory oracle flags before any token is spent (what depends on the
    problem: `check_oracle_target`)."""
    if args.gen is not None and args.brute is None:
        raise UsageError("--gen needs --brute: the oracle runs the brute force on the generator's inputs")


def check_oracle_target(args: argparse.Namespace, settings: Settings, problem: Problem) -> None:
    """A stdin/stdout oracle needs a generator; a function stub's draws its inputs itself.
    `--oracle on` without a brute force: the model writes one (a method's: not supported)."""
    if args.brute is None:
        if settings.run.oracle == "on" and problem.method_of is not None:
            raise UsageError(f"--oracle on: `{problem.method_of}.{problem.entry_point}` is a method, and "
                             "a brute force is supported for module-level functions only; give "
                             "--oracle auto or off")  # fmt: skip
        return
    if problem.mode == "io" and args.gen is None:
        raise UsageError("--brute needs --gen for a stdin/stdout problem: the oracle runs the brute "
                         "force on the generator's inputs")  # fmt: skip
    if problem.mode == "function" and args.gen is not None:
        raise UsageError(f"--gen is for stdin/stdout problems: the inputs of a function stub "
                         f"(`{problem.entry_point}`) are drawn from its type hints; drop --gen")  # fmt: skip


async def with_oracle(args: argparse.Namespace, settings: Settings, problem: Problem,
                      sandbox: Sandbox, view: Sandbox | None = None, backend: Backend | None = None,
                      ) -> tuple[Problem, OracleRecord | None]:  # fmt: skip
    """The problem with oracle tests when a brute force is given (and oracle is not off);
    without one, the model's for a stdin/stdout problem (`_model_oracle`). `view`: the
    sandbox as the problem's candidates see it (a stub spliced into its module)."""
    if settings.run.oracle == "off":
        return problem, None
    if problem.mode == "function" and (args.brute is not None or _beside(args, problem) is not None):
        return await _function_oracle(args, settings, problem, sandbox, view)
    if args.brute is None:
        where = (view or sandbox) if problem.mode == "function" else sandbox  # a stub: in its module
        return await _model_oracle(settings, problem, where, backend)
    brute = program_file(args.brute, "brute force")
    gen = program_file(args.gen, "generator")
    limit = max(10.0, 4 * settings.run.limits.timeout_s)
    try:
        return await oracle_tests(problem, sandbox, brute, gen, count=settings.run.oracle_inputs,
                                  limits=Limits(timeout_s=limit))  # fmt: skip
    except StressToolError as e:
        raise UsageError(str(e)) from None


async def _function_oracle(args: argparse.Namespace, settings: Settings, problem: Problem,
                           sandbox: Sandbox, view: Sandbox | None,
                           ) -> tuple[Problem, OracleRecord]:  # fmt: skip
    """A stub's oracle: the brute force (a Python function, `--brute FILE` or `<stub>_brute`
    beside the stub) on inputs drawn from its signature."""
    beside = _beside(args, problem) if args.brute is None else None
    brute = Candidate(code=beside) if beside is not None else program_file(args.brute, "brute force")
    where = args.brute if beside is None else f"`{problem.entry_point}{BRUTE_SUFFIX}`"
    if brute.language != "python":
        raise UsageError(f"brute force {args.brute}: a function stub's brute force is a Python "
                         f"function with the stub's signature, not {brute.language}")  # fmt: skip
    limit = max(10.0, 4 * settings.run.limits.timeout_s)
    try:
        oracle = await function_oracle(problem, view or sandbox, brute.code,
                                       count=settings.run.oracle_inputs, seed=settings.run.seed or 0,
                                       limits=Limits(timeout_s=limit))  # fmt: skip
    except OracleError as e:
        raise UsageError(f"brute force {where}: {e}") from None
    for note in oracle.notes:
        run_warnings.warn(note)
    return problem.model_copy(update={"oracle_tests": oracle.suite}), oracle.record


def _beside(args: argparse.Namespace, problem: Problem) -> str | None:
    """The `<stub>_brute` function written in the stub's own file, if any."""
    if problem.entry_point is None or problem.method_of is not None:
        return None
    path, _ = split_selector(args.problem)
    try:
        return module_brute(path.read_text(encoding="utf-8"), problem.entry_point)
    except (OSError, UnicodeDecodeError):
        return None


async def _model_oracle(settings: Settings, problem: Problem, sandbox: Sandbox,
                        backend: Backend | None) -> tuple[Problem, OracleRecord | None]:  # fmt: skip
    """`on`: the model writes the oracle (a stub's: a brute-force function); `auto`: only
    when weak tests alone choose (a statement's samples, a stub's doctests): a kept oracle is
    then used, none kept leaves the run as it was, without a warning."""
    mode = settings.run.oracle
    if backend is None or problem.method_of is not None or (mode == "auto" and not problem.weak_verification):
        return problem, None
    written = model_function_oracle_tests if problem.mode == "function" else model_oracle_tests
    with_tests, record, notes = await written(problem, backend, sandbox, settings.run)
    if record is not None or mode == "on":
        for note in notes:
            run_warnings.warn(note)
    return with_tests, record


def start_pool(
    args: argparse.Namespace, problem: Problem, pool: TrajectoryPool | None
) -> TrajectoryPool | None:
    """Round 1 begins with the user's program as one of its trajectories (verified like the
    others, so its failures are in the message the synthesis sees)."""
    if args.start is None:
        return pool
    mine = program_file(args.start, "--start program", problem.language)
    if mine.language != problem.language:
        raise UsageError(f"--start {args.start} is {mine.language}, the problem is solved in "
                         f"{problem.language}: give --language {mine.language}")  # fmt: skip
    return seeded_pool(problem.id, problem.language, mine.code, pool)
