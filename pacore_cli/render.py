"""Terminal rendering: live progress of engine events, and summary tables, on stderr.

On a terminal the progress is a live display (bars per round, best score, tokens); when
stderr is not a terminal (CI, pipes) each event becomes one plain log line instead.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from pacore_bench.harness import BenchRow, StrategySummary
from pacore_core.events import (
    CandidateVerified,
    Event,
    ModelRetrying,
    RoundCompacted,
    RoundStarted,
    RunFinished,
    RunStarted,
    TrajectoryFinished,
)
from pacore_core.progress import ProgressState
from pacore_core.record import RunResult
from sandbox.models import judge_name


class SolveProgress:
    """An engine `on_event` sink; use as a context manager around the run. What the events
    mean is the shared `ProgressState`; this class only draws it (and logs each event)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live_mode = console.is_terminal
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            console=console,
        )
        self._tasks: dict[tuple[int, str], TaskID] = {}
        self._live: Live | None = None
        self.state = ProgressState()

    @property
    def status(self) -> str:
        """The live line's last part: the round, a retry under way, or the run's status."""
        state = self.state
        if state.phase == "finished":
            return state.status
        if state.notice:
            return f"round {state.round}: {state.notice}"
        return f"round {state.round}/{state.rounds}" if state.round else "starting"

    def __rich__(self) -> RenderableType:
        passed, total = self.state.best_passed, self.state.best_total
        line = Text.assemble(
            ("best ", "dim"), (f"{passed}/{total} tests", "bold green" if total and
                               passed == total else "bold"),
            ("   tokens ", "dim"), (f"{self.state.tokens:,}", "bold"),
            ("   ", ""), (self.status, "cyan"),
        )
        return Group(self.progress, line)

    def __enter__(self) -> SolveProgress:
        if self.live_mode:
            self._live = Live(self, console=self.console, refresh_per_second=8, transient=False)
            self._live.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __call__(self, event: Event) -> None:
        self.state.apply(event)
        if isinstance(event, RunStarted):
            widths = ", ".join(map(str, event.widths))
            self._log(f"run {event.problem_id}: widths [{widths}], context window "
                      f"{event.context_window or 'unknown'}")
        elif isinstance(event, RoundStarted):
            for kind in ("sampled", "verified"):
                self._tasks[(event.round, kind)] = self.progress.add_task(
                    f"round {event.round}/{event.rounds} {kind}", total=event.k)
            self._log(f"round {event.round}/{event.rounds}: sampling {event.k} "
                      f"trajectories (input {event.input_tokens:,} tokens)")
        elif isinstance(event, TrajectoryFinished):
            self._advance(event.round, "sampled")
            err = f" error: {event.error}" if event.error else ""
            self._log(f"round {event.round}: trajectory {event.index} arrived "
                      f"({event.done}/{event.k}, {event.completion_tokens} tokens){err}")
        elif isinstance(event, CandidateVerified):
            self._advance(event.round, "verified")
            self._log(f"round {event.round}: candidate {event.index} {judge_name(event.verdict)} "
                      f"{event.passed}/{event.total} (best so far {event.best_passed}/"
                      f"{event.best_total})")
        elif isinstance(event, RoundCompacted):
            self._log(f"round {event.round}: {event.messages} reference messages (merged "
                      f"{event.merged}, trimmed {event.trimmed}, dropped {event.dropped})")
        elif isinstance(event, ModelRetrying):  # shown live too: a stalled server must be visible
            self.console.print(f"round {event.round}: {event.endpoint}: {event.describe()}",
                               markup=False, highlight=False)
        elif isinstance(event, RunFinished):
            self._log(f"finished: {event.status}, {event.passed}/{event.total} tests, "
                      f"{event.ttc_tokens:,} TTC tokens, answer from {event.selected_from}")

    def _advance(self, round_index: int, kind: str) -> None:
        task = self._tasks.get((round_index, kind))
        if task is not None:
            self.progress.advance(task)

    def _log(self, text: str) -> None:
        if not self.live_mode:
            self.console.print(text, markup=False, highlight=False)


def run_summary(result: RunResult, problem_id: str) -> Table:
    """Per-round table with the outcome in the caption."""
    table = Table(title=f"PaCoRe: {problem_id}", title_justify="left")
    for col in ("round", "K", "trajectories", "programs", "passing", "tokens", "wall s"):
        table.add_column(col, justify="right" if col != "round" else "left")
    for r in result.rounds:
        ok = [t for t in r.trajectories if t.error is None]
        programs = [t for t in r.trajectories if t.code is not None]
        passing = [t for t in programs if t.verification is not None and t.verification.ok]
        table.add_row(
            str(r.round) + (" (pool)" if r.seeded_from_pool else ""), str(r.k),
            f"{len(ok)}/{len(r.trajectories)}", str(len(programs)), str(len(passing)),
            f"{sum(t.completion_tokens for t in r.trajectories):,}", f"{r.wall_s:.1f}",
        )
    v = result.verification
    colour = {"solved": "green", "unsolved": "yellow", "error": "red"}[result.status]
    lines = [
        f"[bold {colour}]{result.status}[/]: {v.judge} {v.passed}/{v.total} tests"
        + (f" (public {v.public.passed}/{v.public.total})" if v.public else "")
        + (f" (hidden {v.hidden.passed}/{v.hidden.total})" if v.hidden else ""),
        f"answer: {result.selected.source}"
        + (f", {result.selected.reason}" if result.selected.reason else "")
        + f"; selection used {result.selection_tests} tests",
        f"TTC tokens {result.ttc_tokens:,}, prompt tokens {result.prompt_tokens:,}, "
        f"model calls {result.model_calls}, largest input {result.max_input_tokens:,}"
        + (f"/{result.context_window:,}" if result.context_window else "")
        + f", wall {result.wall_s:.1f}s, sandbox {result.sandbox_s:.1f}s",
    ]
    caught = sum(1 for r in result.rounds for t in r.trajectories
                 if t.verification is not None and t.verification.verdict == "tampered")  # fmt: skip
    if caught:
        lines.append(f"[red]{caught} candidate(s) tampered with the tests[/] (refused, never chosen)")
    if result.assurance:
        hint = ""
        if result.agreement is None and result.assurance.startswith("passed samples"):
            hint = (" [dim](wrong programs pass samples too: `--agreement` compares the candidates"
                    " on generated inputs)[/]")
        lines.insert(1, f"assurance: {result.assurance}{hint}")
    if result.agreement is not None:
        a = result.agreement
        lines.append(f"agreement: {a.used_inputs} generated inputs used ({len(a.dropped)} dropped), "
                     f"{len(a.clusters)} behaviour clusters over {a.candidates} candidates, "
                     f"decided by {a.decided_by}")
    if result.replayed:
        lines.append("[bold]completions were replayed from a recorded run (no model)[/]")
    if result.error:
        lines.append(f"[red]error: {result.error}[/]")
    lines.extend(f"[yellow]warning: {w}[/]" for w in result.warnings)
    table.caption = "\n".join(lines)
    table.caption_justify = "left"
    return table


def bench_summary(summaries: list[StrategySummary], title: str = "pacore bench") -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("strategy", "problems", "runs", "errors", "pass@1", "TTC tokens",
                "model calls", "wall s", "sandbox s"):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    for s in summaries:
        table.add_row(
            s.strategy, str(s.problems), str(s.rows), str(s.errors),
            f"{100 * s.pass_at_1:.1f}%", f"{s.ttc_tokens:,.0f}", f"{s.model_calls:.1f}",
            f"{s.wall_s:.2f}", f"{s.sandbox_s:.2f}",
        )
    return table


def bench_row_line(row: BenchRow, skipped: bool) -> str:
    if skipped:
        return f"skip {row.problem} {row.strategy} #{row.repeat} (already in results)"
    outcome = "error: " + (row.error or "") if row.status == "error" else (
        ("pass" if row.passed else "fail") + (f" ({row.judge})" if row.judge else ""))
    return (f"{row.problem} {row.strategy} #{row.repeat}: {outcome} "
            f"({row.score_passed}/{row.score_total} {row.scored_on}, {row.ttc_tokens:,} tokens, "
            f"{row.model_calls} calls, {row.wall_s:.2f}s)")


def say_error(console: Console, prog: str, message: str) -> None:
    """One error line: the message verbatim (no markup, e.g. `[tool.pacore]`; no wrapping)."""
    console.print(f"[bold red]{prog}:[/] {escape(message)}", highlight=False, soft_wrap=True)
