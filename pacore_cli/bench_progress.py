"""Live view of a benchmark on a Ray cluster: rows done / running / pending, load per node.

On a terminal it is a rich live table; otherwise (CI, pipes) one plain line whenever the
counts change, at most every few seconds, so logs stay short.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from pacore_bench.ray_runner import ClusterProgress

PLAIN_EVERY_S = 5.0


def progress_view(p: ClusterProgress) -> RenderableType:
    head = Text(f"rows: {p.done + p.skipped}/{p.total} done ({p.skipped} from an earlier run), "
                f"{p.running} running, {p.pending} pending")
    table = Table(title=None, show_edge=False, pad_edge=False)
    for col in ("node", "rows done", "sandbox runs", "sandbox slots"):
        table.add_column(col, justify="left" if col == "node" else "right")
    for label, n in sorted(p.nodes.items()):
        table.add_row(label, str(n.rows_done), str(n.sandbox_running), str(n.sandbox_capacity))
    return Group(head, table)


class ClusterProgressView:
    """An `on_progress` sink; use as a context manager around the run."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live: Live | None = Live(console=console, refresh_per_second=4, transient=False) \
            if console.is_terminal else None
        self._last_line = ""
        self._last_time = 0.0

    def __enter__(self) -> ClusterProgressView:
        if self.live is not None:
            self.live.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.live is not None:
            self.live.__exit__(kind, exc, tb)

    def __call__(self, p: ClusterProgress) -> None:
        if self.live is not None:
            self.live.update(progress_view(p))
            return
        loads = ", ".join(f"{label} {n.rows_done} rows {n.sandbox_running}/{n.sandbox_capacity} sandbox"
                          for label, n in sorted(p.nodes.items()))
        line = (f"cluster: {p.done + p.skipped}/{p.total} rows done, {p.running} running, "
                f"{p.pending} pending; {loads}")
        now = time.monotonic()
        finished = p.running == 0 and p.pending == 0
        if line != self._last_line and (finished or now - self._last_time >= PLAIN_EVERY_S):
            self._last_line, self._last_time = line, now
            self.console.print(line, highlight=False, markup=False)
