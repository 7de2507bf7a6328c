"""`pacore stress SOLUTION --brute BRUTE --gen GEN`: look for an input where the solution
and a brute force disagree, as contestants do with a shell loop, but in the sandbox.

Exit status: 1 when a counterexample is found (the smallest one is shown), 0 when none was
(with how many inputs ran), 2 for usage errors and for a broken generator or brute force
(named as such: never blamed on the solution).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pacore_cli.config_flags import add_config_flags
from pacore_cli.run_setup import open_sandbox, settings_from_args
from pacore_cli.signals import run_async
from pacore_cli.solve_evidence import program_file
from pacore_cli.stress_model import check_model_can_write, model_writes, written_json, written_line
from pacore_core.config import cli_flag
from pacore_core.errors import PacoreError, UsageError
from pacore_core.loaders import load_problem
from pacore_core.loaders.judge_files import read_program
from pacore_core.model_oracle import ModelOracle
from pacore_core.problem import Problem
from pacore_core.stress import StressConfig, StressResult, StressRun, StressToolError
from sandbox import languages
from sandbox.models import IOSuite, JudgeProgram, Limits

EXIT_NONE_FOUND, EXIT_FOUND, EXIT_USAGE = 0, 1, 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "stress", help="compare a solution with a brute force on generated inputs",
        description="GEN gets a seed as its first argument and prints one input; BRUTE and "
        "SOLUTION read it on stdin. Exit 1 with the smallest counterexample, 0 when none.",
    )  # fmt: skip
    p.add_argument("solution", type=Path, metavar="SOLUTION", help="the program under test")
    p.add_argument("--brute", type=Path, default=None, metavar="FILE",
                   help="a slow but obviously correct program (the oracle); without it, with "
                   "--problem and a model, the model writes one")  # fmt: skip
    p.add_argument("--gen", type=Path, default=None, metavar="FILE",
                   help="input generator: seed as argv[1], one input on stdout; without it, with "
                   "--problem and a model, the model writes one")  # fmt: skip
    p.add_argument("--count", type=int, default=1000, help="inputs to try (default 1000)")
    p.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--max-found", type=int, default=3,
                   help="stop after this many counterexamples (the smallest is shown)")
    p.add_argument("--seed", type=int, default=1, help="first seed (default 1)")
    p.add_argument("--problem", type=Path, default=None,
                   help="a problem (statement or directory): its samples check the brute force "
                   "first, its comparison and time limit apply")  # fmt: skip
    p.add_argument("--checker", type=Path, default=None, metavar="FILE",
                   help="checker for problems that accept any valid answer, testlib convention "
                   "(`checker INPUT OUTPUT ANSWER`, exit 0 accepted); default: the problem's")  # fmt: skip
    p.add_argument("--comparison", choices=["exact", "whitespace", "float"], default=None,
                   help="how outputs are compared (default: the problem's, else whitespace)")
    p.add_argument("--time-limit", type=float, default=None, metavar="S",
                   help="seconds per input for the solution (default 5, or the problem's)")
    p.add_argument("--language", choices=languages.names(), default=None,
                   help="language of SOLUTION (default: from its extension)")
    add_config_flags(p, only=["sandbox", "sandbox_runtime", "image", "sandbox_parallelism", "base_url",
                              "model", "backend", "preset", "rounds"])  # fmt: skip
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def error_object(message: str) -> dict[str, Any]:
    """The --json shape of a failure."""
    return {"status": "error", "error": message, "inputs_run": 0, "counterexample": None}


def _checker(args: argparse.Namespace, samples: IOSuite | None) -> JudgeProgram | None:
    if args.checker is None:
        return samples.checker if samples is not None else None
    if not args.checker.exists():
        raise UsageError(f"checker {args.checker} does not exist")
    try:
        return read_program(args.checker, "testlib")
    except PacoreError as e:
        raise UsageError(e.render(cli_flag)) from None


def _config(args: argparse.Namespace, samples: IOSuite | None, problem_limit: float | None) -> StressConfig:
    if args.count < 1:
        raise UsageError(f"--count must be at least 1 (got {args.count})")
    if args.seconds is not None and args.seconds <= 0:
        raise UsageError(f"--seconds must be positive (got {args.seconds})")
    if args.max_found < 1:
        raise UsageError(f"--max-found must be at least 1 (got {args.max_found})")
    limit = args.time_limit or problem_limit or 5.0
    if limit <= 0:
        raise UsageError(f"--time-limit must be positive (got {limit})")
    comparison = args.comparison or (samples.comparison if samples else "whitespace")
    return StressConfig(
        count=args.count, seconds=args.seconds, max_found=args.max_found, first_seed=args.seed,
        comparison=comparison, float_tolerance=samples.float_tolerance if samples else 1e-6,
        checker=_checker(args, samples),
        limits=Limits(timeout_s=limit), brute_limits=Limits(timeout_s=max(10.0, 4 * limit)),
    )  # fmt: skip


def _problem(path: Path) -> tuple[Problem, IOSuite]:
    try:
        problem = load_problem(path, language="python")
    except PacoreError as e:
        raise UsageError(e.render(cli_flag)) from None
    suites = [s for _, s in problem.suites() if isinstance(s, IOSuite)]
    if not suites:
        raise UsageError(f"{path} has no stdin/stdout samples to check the brute force with")
    samples = IOSuite(tests=[t for s in suites for t in s.tests], comparison=suites[0].comparison,
                      float_tolerance=suites[0].float_tolerance, checker=suites[0].checker)  # fmt: skip
    return problem, samples


def run(args: argparse.Namespace) -> int:
    try:
        return run_async(_stress(args))
    except UsageError as e:
        return _fail(args, str(e))
    except StressToolError as e:
        return _fail(args, str(e), extra={"broken": e.program, "seed": e.seed})


def _fail(args: argparse.Namespace, message: str, extra: dict[str, Any] | None = None) -> int:
    print(f"pacore stress: {message}", file=sys.stderr)
    if args.json:
        print(json.dumps({**error_object(message), **(extra or {})}))
    return EXIT_USAGE


async def _stress(args: argparse.Namespace) -> int:
    solution = program_file(args.solution, "solution", args.language)
    brute = program_file(args.brute, "brute force") if args.brute is not None else None
    generator = program_file(args.gen, "generator") if args.gen is not None else None
    problem, samples = _problem(args.problem) if args.problem is not None else (None, None)
    settings = settings_from_args(args)
    missing = [flag for flag, given in (("--brute FILE", brute), ("--gen FILE", generator)) if given is None]
    if missing:
        check_model_can_write(args, settings, missing)
    config = _config(args, samples, None)
    sandbox = open_sandbox(settings)
    written: ModelOracle | None = None
    try:
        if (brute is None or generator is None) and problem is not None:  # checked: --problem given
            written = await model_writes(settings, problem, sandbox, brute, generator, config)
            brute, generator = written.programs()
            if not args.json:
                print(written_line(written, missing), file=sys.stderr)
        if brute is None or generator is None:
            raise UsageError("a brute force and a generator are needed: give --brute FILE --gen FILE")
        session = StressRun(sandbox, solution, brute, generator, config)
        if samples is not None:
            await session.check_brute(samples)
        result = await session.run(progress=None if args.json else _progress)
    finally:
        await sandbox.close()
    if not args.json:
        print(file=sys.stderr)
    _report(args, result, written)
    return EXIT_FOUND if result.status == "counterexample" else EXIT_NONE_FOUND


def _progress(inputs_run: int, found: int) -> None:
    print(f"\rpacore stress: {inputs_run} inputs, {found} counterexample(s)", end="", file=sys.stderr)


def _report(args: argparse.Namespace, result: StressResult, written: ModelOracle | None) -> None:
    if args.json:
        payload = result.model_dump(mode="json")
        if written is not None:
            payload["written_by_model"] = written_json(written, args)
        print(json.dumps(payload))
        return
    found = result.counterexample
    if found is None:
        print(f"no counterexample in {result.inputs_run} inputs ({result.seconds:.1f}s)")
        return
    print(f"counterexample (seed {found.seed}; {result.counterexamples_found} found in "
          f"{result.inputs_run} inputs, smallest shown): {found.verdict}"
          + (f" ({found.message})" if found.message else ""))  # fmt: skip
    for title, text in (("input", found.input), ("expected (brute force)", found.expected),
                        ("got (solution)", found.got)):  # fmt: skip
        print(f"--- {title}")
        print(text.rstrip("\n") if text else "(nothing)")
