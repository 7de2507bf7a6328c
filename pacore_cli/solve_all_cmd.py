"""`pacore solve PATH --all [--in-place | --output DIR]`: every stub of a module, package or
project, callees first (`pacore_core.multi_stub`), with progress lines saying which stub
waits on which, a table per stub at the end, and with `--json` one object with `stubs`.

Exit status: 0 only when every stub was solved (and the whole suite shows no regression),
1 otherwise, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pacore_cli import run_warnings
from pacore_cli.render import say_error
from pacore_cli.run_setup import (
    EXIT_SOLVED,
    EXIT_UNSOLVED,
    EXIT_USAGE,
    open_backend,
    open_sandbox,
    settings_from_args,
)
from pacore_cli.signals import run_async
from pacore_core.config import cli_flag
from pacore_core.errors import PacoreError, UsageError
from pacore_core.events import RoundStarted, RunFinished
from pacore_core.multi_stub.models import (
    MultiEvent,
    SolveAllReport,
    StubFinished,
    StubProgress,
    StubStarted,
    StubWaiting,
    SuiteFinished,
    SuiteRunning,
)
from pacore_core.multi_stub.orchestrator import SolveAll, make_plan
from pacore_core.multi_stub.writing import InPlace, Nowhere, OutputDir, ResultWriter


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    with run_warnings.capture():  # every warning printed also goes into the --json object
        try:
            _check_flags(args)
            return run_async(_solve_all(args, console))
        except UsageError as e:
            say_error(console, "pacore solve --all", str(e))
            if args.json:
                print(json.dumps(SolveAllReport(
                    status="error", root=str(args.problem), error=str(e),
                    warnings=run_warnings.collected()).model_dump(mode="json")))
            return EXIT_USAGE


def _check_flags(args: argparse.Namespace) -> None:
    for flag, value in (("--tests", args.tests), ("--record", args.record), ("--pool", args.pool)):
        if value is not None:
            raise UsageError(f"{flag} is not used with --all: each stub's tests are found across "
                             "the project by what they import (list more in [tool.pacore] "
                             "test_paths); solve one stub to use " + flag)
    if args.in_place and args.output is not None:
        raise UsageError("give --in-place (rewrite the files as stubs are solved) or --output "
                         "DIR (write the completed files there), not both")
    if args.output is not None and args.output.exists() and not args.output.is_dir():
        raise UsageError(f"--output {args.output} is a file: with --all it names a directory "
                         "that receives the completed modules")


async def _solve_all(args: argparse.Namespace, console: Console) -> int:
    settings = settings_from_args(args)
    try:
        plan = make_plan(args.problem)
    except PacoreError as e:
        raise UsageError(e.render(cli_flag)) from None
    if not plan.inventory.stubs:
        raise UsageError(f"no function stubs under {args.problem} (functions or methods whose "
                         "body is `...`, `pass`, `raise NotImplementedError` or only a docstring)")
    writer: ResultWriter = Nowhere()
    if args.in_place:
        writer = InPlace(plan.root, {rel: d.text for rel, d in plan.inventory.docs.items()})
    elif args.output is not None:
        writer = OutputDir(args.output)
    graph = plan.graph
    console.print(f"{len(plan.inventory.stubs)} stub(s) under {plan.root}, "
                  f"{len(graph.groups)} group(s) in call order", highlight=False)
    backend = open_backend(settings, args.replay)
    try:
        sandbox = open_sandbox(settings)
        try:
            report = await SolveAll(plan, backend=backend, sandbox=sandbox, settings=settings,
                                    writer=writer, on_event=ProgressLines(console),
                                    name_setting=cli_flag).run()
        finally:
            await sandbox.close()
    finally:
        await backend.close()
    console.print(report_table(report))
    if not args.in_place and args.output is None:
        console.print("nothing written: give --in-place or --output DIR to keep the code "
                      "(it is in the --json output too)", highlight=False)
    if args.json:
        report.warnings = [*run_warnings.collected(), *report.warnings]
        sys.stdout.write(json.dumps(report.model_dump(mode="json")) + "\n")
    return EXIT_SOLVED if report.status == "solved" else EXIT_UNSOLVED


class ProgressLines:
    """One line per step: waits (on which stubs), starts, rounds, results, the suite."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def __call__(self, event: MultiEvent) -> None:
        line = self._line(event)
        if line:
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def _line(self, event: MultiEvent) -> str | None:
        if isinstance(event, StubWaiting):
            return f"{event.stub}: waiting on {', '.join(event.on)}"
        if isinstance(event, StubStarted):
            with_ = f" (one problem with its cycle: {', '.join(event.cycle)})" if event.cycle else ""
            return f"{event.stub}: solving{with_}"
        if isinstance(event, StubProgress):
            e = event.event
            if isinstance(e, RoundStarted):
                return f"{event.stub}: round {e.round}/{e.rounds}, {e.k} trajectories"
            if isinstance(e, RunFinished):
                return f"{event.stub}: {e.status}, {e.passed}/{e.total} tests"
            return None
        if isinstance(event, StubFinished):
            o = event.outcome
            extra = f"; callee(s) not solved: {', '.join(o.failed_callees)}" \
                if o.failed_callees else ""
            where = f"; written to {o.written}" if o.written else ""
            err = f": {o.error}" if o.error and o.status != "solved" else ""
            return (f"{o.stub}: {o.status}{err} ({o.passed}/{o.total} tests, {o.ttc_tokens:,} "
                    f"tokens, {o.seconds:.1f}s){where}{extra}")
        if isinstance(event, SuiteRunning):
            return "running the project's whole test suite with the solved code in place"
        if isinstance(event, SuiteFinished):
            s = event.suite
            return (f"whole suite: {s.passed}/{s.total} passed (before: {s.baseline_passed}/"
                    f"{s.baseline_total}); regressions: {', '.join(s.regressions) or 'none'}")
        return None


def report_table(report: SolveAllReport) -> Table:
    table = Table(title=f"PaCoRe --all: {report.root}", title_justify="left")
    for col in ("order", "stub", "status", "assurance", "tests", "tokens", "seconds", "written"):
        table.add_column(col, justify="right" if col in ("order", "tokens", "seconds") else "left")
    colour = {"solved": "green", "unsolved": "yellow", "error": "red", "cancelled": "red"}
    for o in report.stubs:
        table.add_row(str(o.order), escape(o.stub), f"[{colour[o.status]}]{o.status}[/]",
                      escape(o.assurance or (o.error or "")[:80]), f"{o.passed}/{o.total}",
                      f"{o.ttc_tokens:,}", f"{o.seconds:.1f}", escape(o.written or "-"))
    t = report.totals
    lines = [f"[bold]{t.solved}/{t.stubs} solved[/], {t.ttc_tokens:,} TTC tokens, "
             f"wall {t.wall_s:.1f}s"]
    for o in report.stubs:
        if o.failed_callees:
            lines.append(f"{escape(o.stub)} ran with unsolved callee(s): "
                         f"{escape(', '.join(o.failed_callees))}")
        if o.error and o.status != "solved":
            lines.append(f"[red]{escape(o.stub)}: {escape(o.error)}[/]")
    if report.suite is not None:
        s = report.suite
        lines.append(f"whole suite: {s.passed}/{s.total} passed (before {s.baseline_passed}/"
                     f"{s.baseline_total})" + (f"; [red]regressions: "
                                               f"{escape(', '.join(s.regressions))}[/]"
                                               if s.regressions else "; no regression"))
        if s.error:
            lines.append(f"[yellow]whole suite: {escape(s.error)}[/]")
    lines.extend(f"[yellow]skipped: {escape(s)}[/]" for s in report.skipped)
    table.caption = "\n".join(lines)
    table.caption_justify = "left"
    return table
