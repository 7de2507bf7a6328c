"""`pacore solve PROBLEM`: one PaCoRe run on a stub, a statement or a problem directory.

Exit status: 0 solved, 1 unsolved or the run failed (model server, sandbox), 2 usage or
input error (missing/malformed problem, no tests, incomplete settings).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from pacore_cli import run_warnings
from pacore_cli.render import SolveProgress, run_summary, say_error
from pacore_cli.run_setup import (
    EXIT_SOLVED,
    EXIT_UNSOLVED,
    EXIT_USAGE,
    add_model_flags,
    open_backend,
    open_sandbox,
    settings_from_args,
)
from pacore_cli.signals import run_async
from pacore_cli.solve_evidence import (
    add_evidence_flags,
    check_evidence_flags,
    check_oracle_target,
    start_pool,
    with_oracle,
)
from pacore_cli.solve_page import RunPage
from pacore_cli.solve_target import TargetError, load_target
from pacore_core.backends import Backend
from pacore_core.config import Settings, cli_flag
from pacore_core.engine import Engine
from pacore_core.errors import PacoreError, UsageError, run_failure
from pacore_core.files import atomic_write
from pacore_core.loaders.advice import TESTS_PLACEHOLDER
from pacore_core.problem import Problem
from pacore_core.record import OracleRecord, RunRecord, RunResult, TrajectoryPool
from sandbox.base import Sandbox


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "solve", help="solve one problem with PaCoRe",
        description="Solve a function stub (.py), a statement (.md/.txt) or a problem directory "
        "(problem.md + tests/NAME.in/.out or test_*.py). Exit 0 only when solved.",
    )
    p.add_argument("problem", type=Path, metavar="PROBLEM",
                   help="a stub FILE.py (FILE.py::name or FILE.py::Class.method picks one), a "
                   "statement, a problem directory; with --all a module, package or project")
    p.add_argument("--tests", type=Path, metavar="PATH", help="test file or directory")
    add_model_flags(p)
    p.add_argument("--record", type=Path, metavar="FILE", help="write the whole run record")
    p.add_argument("--pool", type=Path, metavar="FILE",
                   help="seed round 1 from cached trajectories (a pool file or a run record)")
    p.add_argument("--output", type=Path, metavar="FILE",
                   help="write the chosen program here (with --all: a DIR for the completed files)")
    p.add_argument("--html", type=Path, metavar="FILE",
                   help="write the run page (self-contained HTML), also when the run fails or is interrupted")
    p.add_argument("--all", action="store_true",
                   help="solve every stub under PROBLEM (a module, package or project), callees "
                   "first (docs/solve-all.md)")
    p.add_argument("--in-place", action="store_true",
                   help="with --all: write each implementation into its file as it is solved")
    add_evidence_flags(p)
    p.add_argument("--no-validate-input", action="store_true",
                   help="do not run a package's input validators on its tests first (docs/judge.md)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def error_object(message: str) -> dict[str, Any]:
    """The --json shape of a failure: every key of a result, status "error"."""
    return RunResult(status="error", error=message,
                     warnings=run_warnings.collected()).model_dump(mode="json")


def run(args: argparse.Namespace) -> int:
    if args.all:
        from pacore_cli import solve_all_cmd

        return solve_all_cmd.run(args)
    console = Console(stderr=True)
    if args.in_place:
        return _fail(args, console, "--in-place is for --all (a single solve writes with "
                     "--output FILE)", EXIT_USAGE)
    with run_warnings.capture():  # every warning printed also goes into the --json object
        try:
            return run_async(_solve(args, console))
        except UsageError as e:
            return _fail(args, console, str(e), EXIT_USAGE)


def _fail(args: argparse.Namespace, console: Console, message: str, code: int) -> int:
    say_error(console, "pacore solve", message)
    if args.json:
        print(json.dumps(error_object(message)))
    return code


async def _solve(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from_args(args)
    check_evidence_flags(args, settings)
    try:
        target = load_target(args, settings, solve_flag)
    except TargetError as e:
        raise UsageError(str(e)) from None
    problem = target.problem
    check_oracle_target(args, settings, problem)
    for note in target.notes:
        console.print(escape(note), highlight=False, soft_wrap=True)
    for path, flag in ((args.output, "--output"), (args.record, "--record"), (args.html, "--html")):
        if path is not None:
            check_writable(path, flag)
    pool = _load_pool(args.pool) if args.pool is not None else None
    pool = start_pool(args, problem, pool)
    args.page = RunPage(args.html, problem, settings) if args.html is not None else None
    backend = open_backend(settings, args.replay)
    try:
        sandbox = open_sandbox(settings)
        try:
            progress = SolveProgress(console)
            # built first: a template that does not load fails before the oracle spends tokens
            engine = Engine(backend, target.view(sandbox), settings.run, on_event=progress, pool=pool,
                            name_setting=cli_flag)  # fmt: skip
            await _validate_inputs(args, problem, sandbox)
            problem, oracle = await with_oracle(args, settings, problem, sandbox, target.view(sandbox),
                                                backend)
            result = await _run_engine(engine, problem, oracle, backend, progress, console, args.page)
            result.tally_costs()  # a model-written oracle's tokens are TTC too
        finally:
            await sandbox.close()
    finally:
        await backend.close()
    model = getattr(backend, "model", None) or settings.server.model
    return _report(args, console, problem, settings, (backend.name, model), result)


async def _validate_inputs(args: argparse.Namespace, problem: Problem, sandbox: Sandbox) -> None:
    """A package's input validators on its tests, before any round: invalid data is a usage
    error naming the file (pacore_core/input_validation.py)."""
    from pacore_core.input_validation import InvalidTestData, validate_inputs

    if problem.input_validators is None or getattr(args, "no_validate_input", False):
        return
    try:
        await validate_inputs(sandbox, problem)
    except InvalidTestData as e:
        raise UsageError(e.render(cli_flag)) from None


def solve_flag(key: str) -> str:
    """`cli_flag`, plus the tests' path that only `solve` takes (named in no-tests advice)."""
    return "--tests PATH" if key == TESTS_PLACEHOLDER else cli_flag(key)


def _load_pool(path: Path) -> TrajectoryPool:
    try:
        return TrajectoryPool.load(path)
    except PacoreError as e:  # missing or malformed: the message names the file and field
        raise UsageError(e.render(cli_flag)) from None


async def _run_engine(engine: Engine, problem: Problem, oracle: OracleRecord | None, backend: Backend,
                      progress: SolveProgress, console: Console, page: RunPage | None = None,
                      ) -> RunResult:  # fmt: skip
    if page is not None:
        page.attach(engine)
    with progress:
        try:
            result = await engine.solve(problem, oracle)
        except Exception as e:
            cause = run_failure(e)
            if cause is None:
                raise
            result = RunResult(status="error", language=problem.language, error=cause.render(cli_flag),
                               oracle=oracle)  # fmt: skip
        except BaseException:  # Ctrl-C, SIGTERM: the page shows what was done
            if page is not None and (failed := page.write(None, "interrupted")) is not None:
                say_error(console, "pacore solve", failed)
            raise
    result.replayed = result.replayed or backend.name == "replay"
    return result


def check_writable(path: Path, flag: str) -> None:
    """Refuse before any token is spent a path the result could not be written to."""
    if path.is_dir():
        raise UsageError(f"{flag} {path} is a directory: give a file name, e.g. "
                         f"{path / ('run.json' if flag == '--record' else 'solution.py')}")
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"{flag} {path}: cannot create its directory, {ancestor} is a file")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: {ancestor} is not writable")


def _write_outputs(args: argparse.Namespace, problem: Problem, settings: Settings,
                   who: tuple[str, str | None], result: RunResult) -> list[str]:
    """Write the record and the program; what could not be written, one message each."""
    failed: list[str] = []
    if args.record is not None:
        try:
            args.record.parent.mkdir(parents=True, exist_ok=True)
            RunRecord(backend=who[0], model=who[1], config=settings.run, problem=problem,
                      result=result).save(args.record)
        except OSError as e:
            failed.append(f"could not write the run record to {args.record}: {e.strerror or e}")
    if getattr(args, "page", None) is not None and (page_failed := args.page.write(result)) is not None:
        failed.append(page_failed)
    if args.output is not None and result.code is not None:
        try:
            atomic_write(args.output, result.code)
        except OSError as e:
            failed.append(f"could not write the program to {args.output}: {e.strerror or e}")
    return failed


def _report(args: argparse.Namespace, console: Console, problem: Problem, settings: Settings,
            who: tuple[str, str | None], result: RunResult) -> int:
    failed = _write_outputs(args, problem, settings, who, result)
    console.print(run_summary(result, problem.id))
    if getattr(args, "html", None) is not None and not any(str(args.html) in f for f in failed):
        console.print(f"run page: {args.html}", highlight=False)
    if args.output is not None and not any(str(args.output) in f for f in failed):
        console.print(f"wrote {args.output}" if result.code is not None
                      else f"no program to write to {args.output}", highlight=False)
    if result.status == "error" and result.error:
        say_error(console, "pacore solve", result.error)
    for message in failed:
        say_error(console, "pacore solve", message)
    if args.json:
        payload = result.model_dump(mode="json")
        payload["warnings"] = run_warnings.with_collected(result.warnings)
        payload["problem"] = problem.id
        if failed:
            payload["write_errors"] = failed
        sys.stdout.write(json.dumps(payload) + "\n")
    elif failed and result.code is not None:
        console.print("the program, so that it is not lost:", highlight=False)
        sys.stdout.write(result.code.rstrip("\n") + "\n")
    if failed:
        return EXIT_UNSOLVED
    return EXIT_SOLVED if result.status == "solved" else EXIT_UNSOLVED
