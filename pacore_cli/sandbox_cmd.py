"""`pacore sandbox run|build`: run one candidate against tests; build the sandbox images."""

from __future__ import annotations

import argparse
import ast
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, cast, get_args

from pydantic import ValidationError

from pacore_cli.signals import run_async
from pacore_core.config import Settings, cli_flag
from pacore_core.errors import PacoreError, ProblemError, UsageError
from pacore_core.sandbox_setup import sandbox_from_settings
from sandbox import (
    Candidate,
    CheckSuite,
    IOSuite,
    IOTest,
    Limits,
    PytestSuite,
    Sandbox,
    TestStatus,
    TestSuite,
    Verdict,
    languages,
)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("sandbox", help="run candidates in the sandbox; build images")
    sub = parser.add_subparsers(dest="sandbox_command", required=True, metavar="ACTION")

    run_p = sub.add_parser("run", help="run one program against tests, print the verdict")
    run_p.add_argument("--language", choices=languages.names(), default=None,
                       help="default: from the --code file's extension, else python")  # fmt: skip
    run_p.add_argument("--code", type=Path, required=True, help="the candidate's source file")
    tests = run_p.add_mutually_exclusive_group(required=True)
    tests.add_argument(
        "--problem", type=Path,
        help="judge against a whole problem as `pacore solve` reads it: a Kattis/ICPC package, a "
        "directory (with checker.<ext>/interactor.<ext>) or a statement; public then hidden tests",
    )  # fmt: skip
    tests.add_argument(
        "--tests", type=Path,
        help="pytest file importing `solution`, HumanEval file defining check(candidate), "
        "or a JSON list of {input, output}",
    )  # fmt: skip
    tests.add_argument(
        "--io-dir", type=Path, help="directory of NAME.in / NAME.out pairs (or a JSON list file)"
    )
    run_p.add_argument("--no-validate-input", action="store_true",
                       help="with --problem: do not run the package's input validators on its tests "
                       "first (docs/judge.md)")  # fmt: skip
    run_p.add_argument("--entry-point", help="function passed to check() (default: last def)")
    run_p.add_argument("--backend", choices=["docker", "local"], default=None,
                       help="default: `sandbox` in [tool.pacore], $PACORE_SANDBOX, or docker")  # fmt: skip
    run_p.add_argument("--timeout", type=float, default=None, help="seconds per test (> 0)")
    run_p.add_argument("--memory-mb", type=int, default=None, help="memory per test in MB (>= 32)")
    run_p.add_argument(
        "--output-kb", type=int, default=None,
        help="stdout cap per test in KB (raised to a margin over the largest expected output)",
    )  # fmt: skip
    run_p.add_argument("--comparison", choices=["exact", "whitespace", "float"], default="whitespace")
    run_p.add_argument("--image", default=None, help="sandbox image (docker backend)")
    run_p.add_argument("--runtime", default=None,
                       help="runc, or runsc for gVisor (env PACORE_SANDBOX_RUNTIME)")  # fmt: skip
    run_p.add_argument("--json", action="store_true", help="print one JSON object")

    build_p = sub.add_parser("build", help="build the sandbox image (skipped when present)")
    build_p.add_argument(
        "--from-registry", action="store_true",
        help="base on debian:bookworm-slim from a registry instead of debootstrap",
    )  # fmt: skip
    build_p.add_argument("--tag", default=None, help="image tag (default pacore-sandbox:latest)")
    build_p.add_argument("--requirements", type=Path, default=None,
                         help="pip requirements layered over the image (needs network at build)")  # fmt: skip
    build_p.add_argument("--force", action="store_true", help="rebuild even when present")
    build_p.add_argument("--rebuild-base", action="store_true", help="also rebuild the base")
    parser.set_defaults(run=run)


def _io_tests_from_json(path: Path) -> list[IOTest]:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if not isinstance(data, list):
        raise UsageError(f"{path}: expected a JSON list of {{input, output}} objects")
    if not data:
        raise UsageError(f"{path}: the test list is empty; give at least one {{input, output}} object")
    tests = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or "input" not in item or "output" not in item:
            raise UsageError(f"{path}: item {i} lacks input/output")
        tests.append(IOTest(name=str(item.get("name", f"test{i + 1}")),
                            input=str(item["input"]), expected=str(item["output"])))  # fmt: skip
    return tests


def _io_tests_from_dir(path: Path) -> list[IOTest]:
    if path.is_file():
        return _io_tests_from_json(path)
    if not path.is_dir():
        raise UsageError(f"{path}: no such directory")
    tests = []
    for inp in sorted(path.glob("*.in")):
        out = inp.with_suffix(".out")
        if not out.exists():
            raise UsageError(f"{inp}: no matching {out.name}")
        tests.append(IOTest(name=inp.stem, input=inp.read_text(), expected=out.read_text()))
    if not tests:
        raise UsageError(f"{path}: no NAME.in / NAME.out pairs")
    return tests


def _last_def(code: str) -> str | None:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return names[-1] if names else None


def _is_check_file(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    funcs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return "check" in funcs and not any(f.startswith("test") for f in funcs)


def build_suite(args: argparse.Namespace, code: str) -> TestSuite:
    if args.io_dir is not None:
        return IOSuite(tests=_io_tests_from_dir(args.io_dir), comparison=args.comparison)
    path: Path = args.tests
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.suffix == ".json":
        return IOSuite(tests=_io_tests_from_json(path), comparison=args.comparison)
    source = path.read_text()
    if _is_check_file(source):
        entry = args.entry_point or _last_def(code)
        if not entry:
            raise UsageError("cannot tell the entry point: pass --entry-point NAME")
        return CheckSuite(test_code=source, entry_point=entry)
    return PytestSuite(files={path.name: source})


_LIMIT_FLAGS = {"timeout_s": "--timeout", "memory_mb": "--memory-mb", "output_kb": "--output-kb"}


def _settings(args: argparse.Namespace) -> Settings:
    """Defaults < [tool.pacore] < PACORE_* < these flags, as for every other command."""
    from pacore_cli.config_flags import load_cli_settings

    overrides = {"sandbox": args.backend, "sandbox_runtime": args.runtime, "image": args.image}
    return load_cli_settings({k: v for k, v in overrides.items() if v is not None})


def _limits(args: argparse.Namespace, base: Limits) -> Limits:
    """The configured limits with the flags on top; an impossible value is a usage error."""
    given = {"timeout_s": args.timeout, "memory_mb": args.memory_mb, "output_kb": args.output_kb}
    try:
        return Limits.model_validate(
            {**base.model_dump(), **{k: v for k, v in given.items() if v is not None}}
        )
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else "?"
            problems.append(f"{_LIMIT_FLAGS.get(key, key)}: {err['msg'].lower()} (got {err['input']!r})")
        raise UsageError("; ".join(problems)) from None


def _make_sandbox(settings: Settings) -> Sandbox:
    return sandbox_from_settings(settings, one_candidate=True)  # `ray` too: Docker here


async def _run_once(settings: Settings, limits: Limits, candidate: Candidate, suite: TestSuite) -> Verdict:
    sandbox = _make_sandbox(settings)
    try:
        return await sandbox.run(candidate, suite, limits)
    finally:
        await sandbox.close()


def _language(args: argparse.Namespace) -> str:
    """--language, else the source file's extension (the registry's), else python."""
    return str(args.language or languages.by_extension(args.code.suffix) or languages.DEFAULT)


async def _judge_problem(settings: Settings, limits: Limits, args: argparse.Namespace, code: str) -> Verdict:
    """The contestant's check before submitting: every test of the problem (public first),
    with the problem's checker/interactor and limits; the first failing test's verdict."""
    from pacore_core.input_validation import validate_inputs
    from pacore_core.loaders import load_problem
    from pacore_core.verification import verify_code

    problem = load_problem(args.problem, language=_language(args))
    if problem.limits is not None:  # a flag given on the command line beats the problem's limit
        override = {"time_s": None} if args.timeout is not None else {}
        override |= {"memory_mb": None} if args.memory_mb is not None else {}
        problem = problem.model_copy(update={"limits": problem.limits.model_copy(update=override)})
    sandbox = _make_sandbox(settings)
    try:
        if not args.no_validate_input:  # invalid test data is the problem's error (exit 2)
            await validate_inputs(sandbox, problem)
        result = await verify_code(sandbox, problem, code, limits)
    finally:
        await sandbox.close()
    known = result.verdict in get_args(TestStatus)
    verdict = cast(TestStatus, result.verdict) if known else "sandbox_error"
    return Verdict(verdict=verdict, passed=result.passed, total=result.total, tests=result.tests,
                   compile_output=result.compile_output, duration_s=result.duration_s,
                   backend=getattr(sandbox, "name", ""))  # fmt: skip


def _print_human(verdict: Verdict) -> None:
    print(f"verdict: {verdict.judge}  ({verdict.passed}/{verdict.total} passed, "
          f"{verdict.duration_s:.2f}s, {verdict.backend})")  # fmt: skip
    if verdict.compile_output:
        print(verdict.compile_output)
    for test in verdict.tests:
        line = f"  {test.judge:<18} {test.name}  {test.duration_s:.3f}s"
        if test.message:
            line += f"  {test.message.splitlines()[0][:120]}"
        print(line)


def error_object(message: str) -> dict[str, Any]:
    """The --json shape of a failure (printed by the entry point): a verdict's keys."""
    return {"status": "error", "verdict": "error", "error": message, "passed": 0, "total": 0, "tests": []}


def _fail(args: argparse.Namespace, message: str, code: int) -> int:
    print(f"pacore sandbox run: {message}", file=sys.stderr)
    return code


def _run(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
        limits = _limits(args, settings.run.limits)
        code = args.code.read_text()
        suite = build_suite(args, code) if args.problem is None else None
        if args.problem is not None:
            from pacore_core.loaders import load_problem

            load_problem(args.problem, language=_language(args))  # fail early: exit 2
    except PacoreError as exc:
        return _fail(args, exc.render(cli_flag), 2)
    except (OSError, UsageError, ValueError) as exc:
        return _fail(args, str(exc), 2)
    try:
        if suite is None:
            verdict = run_async(_judge_problem(settings, limits, args, code))
        else:
            candidate = Candidate(language=_language(args), code=code)
            verdict = run_async(_run_once(settings, limits, candidate, suite))
    except ProblemError as exc:  # the package's test data or its validator (input_validation)
        return _fail(args, exc.render(cli_flag), 2)
    except PacoreError as exc:  # the sandbox is not set up (engine, image, runtime)
        return _fail(args, exc.render(cli_flag), 2 if exc.setting else 1)
    if args.json:
        print(json.dumps(verdict.model_dump(mode="json")))
    else:
        _print_human(verdict)
    return 0 if verdict.ok else 1


def _build(args: argparse.Namespace) -> int:
    import docker

    from sandbox.images import IMAGE, ImageError, build_image, ensure_image

    image = args.tag or IMAGE
    start = time.monotonic()
    try:
        client = docker.from_env()
        if args.force or args.rebuild_base or args.requirements:
            build_image(client, image, from_registry=args.from_registry,
                        rebuild_base=args.rebuild_base, requirements=args.requirements)  # fmt: skip
            outcome = "built"
        else:
            outcome = ensure_image(client, image, from_registry=args.from_registry)
    except ImageError as exc:
        print(f"pacore sandbox build: {exc}", file=sys.stderr)
        return 1
    except docker.errors.DockerException as exc:
        print(f"pacore sandbox build: Docker unavailable: {exc}", file=sys.stderr)
        return 1
    print(f"{image}: {outcome} ({time.monotonic() - start:.1f}s)")
    return 0


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.sandbox_command == "build":
        return _build(args)
    return _run(args)
