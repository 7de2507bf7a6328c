"""`pacore bench`: PaCoRe against single sample, best-of-N and self-consistency.

Exit status: 0 when every (problem, strategy, repeat) ran, 1 when some ended in an error
(rerun to retry them; finished rows are skipped), 2 usage or input error.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from pacore_bench import require_bench_extra
from pacore_bench.datasets import load_dataset, select
from pacore_bench.harness import (
    PLOT,
    BenchError,
    BenchMeta,
    BenchRow,
    BenchSettings,
    StrategySummary,
    run_bench,
)
from pacore_bench.plot import plot_scaling
from pacore_bench.strategies import parse_strategies
from pacore_cli.render import bench_row_line, bench_summary
from pacore_cli.run_setup import (
    EXIT_USAGE,
    add_model_flags,
    check_docker,
    open_backend,
    open_sandbox,
    settings_from_args,
)
from pacore_cli.signals import run_async
from pacore_core.config import Settings, cli_flag
from pacore_core.errors import PacoreError, UsageError
from pacore_core.problem import Problem
from pacore_core.prompting import Templates
from pacore_core.sandbox_setup import node_sandbox
from pacore_view.bench_page import write_bench_report

DEFAULT_STRATEGIES = "single,best-of-8,self-consistency-8,pacore-low"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "bench", help="compare PaCoRe with its baselines on a dataset",
        description="Runs each strategy on the same problems and model; selection uses public "
        "tests only, hidden tests only score. Writes results.jsonl, summary.json and a PNG "
        "of pass@1 against TTC tokens to --out; a rerun resumes.",
    )
    p.add_argument("--dataset", required=True,
                   help="humaneval | lcb:FILE (LiveCodeBench JSONL) | dir:DIR (solve-format problems)")
    p.add_argument("--strategies", default=DEFAULT_STRATEGIES,
                   help="comma-separated: single, best-of-N, self-consistency-N, "
                   f"pacore-low|medium|high, pacore:K1,K2 (default {DEFAULT_STRATEGIES})")
    p.add_argument("--repeats", type=int, default=1, help="runs per problem and strategy")
    p.add_argument("--limit", type=int, help="only the first N problems")
    p.add_argument("--problems", help="comma-separated problem ids")
    p.add_argument("--out", type=Path, help="output directory (default bench-results/DATASET)")
    p.add_argument("--concurrency", type=int, default=4,
                   help="problems/strategies run at once; also caps model requests")
    p.add_argument("--sandbox-concurrency", type=int,
                   help="sandbox runs at once (default: --concurrency)")
    p.add_argument("--seed", type=int, default=0, help="base seed; rows derive theirs from it")
    p.add_argument("--hide-examples", action="store_true",
                   help="strategies get no public tests (the prompt still shows the examples): "
                   "selection by tests is impossible, agreement and synthesis still work")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    p.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="run each row as a task on a Ray cluster (extra pacore-code[ray]): `auto` "
                   "for the cluster running here, HOST:PORT or ray://HOST:10001; without ADDRESS "
                   "the ray_address setting, else a local Ray is started")
    p.add_argument("--rows-per-cpu", type=int, default=4,
                   help="with --ray: rows at once per node CPU (rows mostly wait on the model)")
    add_model_flags(p)
    p.set_defaults(run=run)


def default_out(dataset: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", dataset.replace(":", "-")).strip("-")
    return Path("bench-results") / (slug or "dataset")


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    try:
        return run_async(_bench(args, console))
    except UsageError as e:
        console.print(f"[bold red]pacore bench:[/] {escape(str(e))}", highlight=False,
                      soft_wrap=True)
        return EXIT_USAGE


async def _bench(args: argparse.Namespace, console: Console) -> int:
    try:
        require_bench_extra()
    except BenchError as e:
        raise UsageError(str(e)) from None
    for flag in ("repeats", "concurrency"):
        if getattr(args, flag) < 1:
            raise UsageError(f"--{flag} must be at least 1")
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit must be at least 1")
    try:
        strategies = parse_strategies(args.strategies)
    except ValueError as e:
        raise UsageError(str(e)) from None
    settings = settings_from_args(args, max_concurrency=args.concurrency)
    try:  # statements phrased by the user's `template_dir`, as `pacore solve` does
        problems = load_dataset(args.dataset, language=args.language or "python",
                                templates=Templates(settings.run.template_dir))
        ids = [i.strip() for i in args.problems.split(",") if i.strip()] if args.problems else None
        problems = select(problems, ids=ids, limit=args.limit)
    except PacoreError as e:  # a dataset, or a template_dir, that is not usable
        raise UsageError(e.render(cli_flag)) from None
    out_dir: Path = args.out or default_out(args.dataset)
    bench_settings = BenchSettings(
        strategies=strategies, run=settings.run, repeats=args.repeats, seed=args.seed,
        concurrency=args.concurrency,
        sandbox_concurrency=args.sandbox_concurrency or args.concurrency,
        hide_examples=args.hide_examples,
    )
    meta = BenchMeta(dataset=args.dataset, model=settings.server.model, seed=args.seed,
                     hide_examples=args.hide_examples)
    console.print(f"bench {args.dataset}: {len(problems)} problems x {len(strategies)} "
                  f"strategies x {args.repeats} repeats -> {out_dir}", highlight=False)
    errors = 0

    def on_row(row: BenchRow, skipped: bool) -> None:
        nonlocal errors
        errors += row.status == "error" and not skipped
        console.print(bench_row_line(row, skipped), highlight=False, markup=False)

    if args.ray is not None:
        summaries, backend_name = await _bench_on_ray(args, problems, bench_settings, settings,
                                                      out_dir, meta, console, on_row)
        return _finish(args, console, summaries, out_dir, meta, backend_name, errors)
    backend = open_backend(settings, args.replay)
    try:
        sandbox = open_sandbox(settings)
        try:
            summaries = await run_bench(problems, bench_settings, backend=backend,
                                        sandbox=sandbox, out_dir=out_dir, meta=meta,
                                        on_row=on_row)
        except BenchError as e:
            raise UsageError(str(e)) from None
        finally:
            await sandbox.close()
    finally:
        await backend.close()
    return _finish(args, console, summaries, out_dir, meta, backend.name, errors)


def _finish(args: argparse.Namespace, console: Console, summaries: list[StrategySummary],
            out_dir: Path, meta: BenchMeta, backend_name: str, errors: int) -> int:
    plot = plot_scaling(summaries, out_dir / PLOT, title=f"{args.dataset} ({meta.model or backend_name})")
    report = write_bench_report(out_dir)
    console.print(bench_summary(summaries, title=f"pacore bench {args.dataset}"))
    console.print(f"results: {out_dir / 'results.jsonl'}\nplot: {plot}\nreport: {report}", highlight=False)
    if args.json:
        print(json.dumps({**_summary_json(summaries, out_dir, plot), "report": str(report)}))
    return 1 if errors else 0


async def _bench_on_ray(args: argparse.Namespace, problems: list[Problem], bench: BenchSettings,
                        settings: Settings, out_dir: Path, meta: BenchMeta, console: Console,
                        on_row: Callable[[BenchRow, bool], None]) -> tuple[list[StrategySummary], str]:
    """Rows as Ray tasks; the model settings are checked here, before any task starts."""
    try:
        from pacore_bench.ray_runner import RayBenchOptions, run_bench_on_ray
        from pacore_cli.bench_progress import ClusterProgressView
        from sandbox.ray_cluster import require_ray

        require_ray()
    except PacoreError as e:
        raise UsageError(e.render(cli_flag)) from None
    if args.rows_per_cpu < 1:
        raise UsageError("--rows-per-cpu must be at least 1")
    backend = open_backend(settings, args.replay)  # a bad model setting fails now, not per row
    backend_name = backend.name
    await backend.close()
    server = settings.server
    kind, node_options = node_sandbox(settings)
    if kind == "docker":  # here, as on every node; the runtime is each node's own to check
        check_docker(server.image, None)
    options = RayBenchOptions(address=args.ray or server.ray_address, sandbox_kind=kind,
                              rows_per_cpu=args.rows_per_cpu, sandbox_options=node_options)
    try:
        with ClusterProgressView(console) as view:
            summaries = await run_bench_on_ray(
                problems, bench, server=server, replay=args.replay, out_dir=out_dir, meta=meta,
                options=options, on_row=on_row, on_progress=view)
    except PacoreError as e:
        raise UsageError(e.render(cli_flag)) from None
    return summaries, backend_name


def _summary_json(summaries: list[StrategySummary], out_dir: Path, plot: Path) -> dict[str, object]:
    return {"out": str(out_dir), "plot": str(plot),
            "strategies": [s.model_dump() for s in summaries]}
