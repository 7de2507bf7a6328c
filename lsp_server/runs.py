"""The server's runs, for their pages: the solves of this session (live while they run) and
the last records kept under `<workspace>/.pacore/runs/` (bounded, git-ignored), so a page can
be rebuilt after the editor restarts.

Why pages are rendered here and not in the editors: one renderer (`pacore_view`, Pygments at
render time) serves VS Code's webview, Neovim and the browser alike.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from pacore_core.config import RunConfig
from pacore_core.engine import Engine
from pacore_core.errors import EditorError
from pacore_core.files import DataFileError, atomic_write
from pacore_core.problem import Problem
from pacore_core.record import RunRecord, RunResult

log = logging.getLogger("pacore.lsp")

KEEP_RUNS = 20  # records kept under .pacore/runs/ (the oldest go first)
RUNS_DIR = Path(".pacore") / "runs"
IGNORE_ALL = "# written by PaCoRe: run records, results; nothing here belongs in version control\n*\n"


class RunPageArgs(BaseModel):
    """The optional argument of `pacore.runPage`."""

    solveId: str | None = Field(default=None, description="a run of `pacore.runs`; default the latest")
    since: int | None = Field(default=None, description="the version the client shows: no page "
                              "is sent while the run has not changed since")
    write: bool = Field(default=False, description="also write the page beside the run's record "
                        "and return its path (editors that open it in a browser)")


class RunPage(BaseModel):
    """What `pacore.runPage` returns."""

    solveId: str
    function: str
    state: str = Field(description="`running`, `finished` or `interrupted`")
    version: int = Field(description="changes whenever the run does; send it back as `since`")
    html: str | None = Field(description="the self-contained page; null when unchanged since `since`")
    path: str | None = Field(default=None, description="where the page was written, with `write`")


class RunEntry(BaseModel):
    """One run of `pacore.runs`, newest first."""

    solveId: str
    function: str
    state: str
    started: str


@dataclass
class Run:
    solve_id: str
    function: str
    root: Path
    problem: Problem
    config: RunConfig
    backend: str
    model: str | None
    engine: Engine | None = None
    state: str = "running"
    version: int = 0
    record: RunRecord | None = None
    path: Path | None = None  # the saved record
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    cache: tuple[int, str] | None = None

    def current(self) -> RunRecord:
        if self.record is not None:
            return self.record
        snap = self.engine.snapshot() if self.engine is not None else None
        return RunRecord(backend=self.backend, model=self.model, config=self.config,
                         problem=self.problem, result=snap or RunResult(status="unsolved"))


class RunStore:
    """This session's runs by solve id, newest last."""

    def __init__(self, keep: int = KEEP_RUNS) -> None:
        self.keep = keep
        self.runs: dict[str, Run] = {}

    def start(self, run: Run) -> Run:
        self.runs[run.solve_id] = run
        finished = [r.solve_id for r in self.runs.values() if r.state != "running"]
        for old in finished[: max(len(self.runs) - self.keep, 0)]:  # on disk, listed as `file:`
            del self.runs[old]
        return run

    def changed(self, solve_id: str) -> None:
        """An engine event: the page is out of date."""
        run = self.runs.get(solve_id)
        if run is not None:
            run.version += 1

    async def finish(self, solve_id: str, result: RunResult | None, state: str = "finished",
                     error: str | None = None) -> None:
        """Fix the run's record (the engine's snapshot when it did not finish, with `error`)
        and keep it on disk."""
        run = self.runs.get(solve_id)
        if run is None or run.record is not None:
            return
        if result is None:
            snap = run.engine.snapshot() if run.engine is not None else None
            result = snap or RunResult(status="error")
            result.status = "error"
            result.error = error or result.error or ("cancelled" if state == "interrupted" else "failed")
        run.record = RunRecord(backend=run.backend, model=run.model, config=run.config,
                               problem=run.problem, result=result)
        run.engine, run.state, run.version = None, state, run.version + 1
        try:
            run.path = await asyncio.to_thread(save_record, run.root, run.record, solve_id, self.keep)
        except OSError as e:  # the page stays available in this session
            log.warning("could not keep the record of %s under %s: %s", solve_id, run.root / RUNS_DIR, e)

    def entries(self, root: Path | None) -> list[RunEntry]:
        """This session's runs, then records kept from earlier sessions; newest first."""
        out = [RunEntry(solveId=r.solve_id, function=r.function, state=r.state, started=r.started)
               for r in reversed(self.runs.values())]
        kept = {r.path for r in self.runs.values() if r.path is not None}
        if root is not None and (root / RUNS_DIR).is_dir():
            for path in sorted((root / RUNS_DIR).glob("*.json"), reverse=True):
                if path not in kept:
                    out.append(RunEntry(solveId=f"file:{path.name}", function=path.stem.split("--")[-1],
                                        state="finished", started=path.stem[:15]))
        return out

    async def page(self, args: RunPageArgs, root: Path | None) -> RunPage | None:
        """The page of a run (default the latest), unless the client shows its current version."""
        from pacore_view import render_run

        solve_id = args.solveId or next(reversed(self.runs), None)
        if solve_id is None:
            return None
        if solve_id.startswith("file:"):
            return await self._page_of_file(solve_id, root, args)
        run = self.runs.get(solve_id)
        if run is None:
            raise EditorError(f"no run {solve_id!r}: ask `pacore.runs` for the runs this server knows")
        if args.since is not None and args.since == run.version and not args.write:
            return RunPage(solveId=solve_id, function=run.function, state=run.state, version=run.version,
                           html=None)
        version = run.version
        if run.cache is not None and run.cache[0] == version:
            html = run.cache[1]
        elif run.state == "running":  # the engine's records are read here, between its steps
            html = render_run(run.current(), state="running")
        else:
            html = await asyncio.to_thread(render_run, run.current(), state=run.state)
        run.cache = (version, html)
        path = None
        if args.write:
            target = run.path.with_suffix(".html") if run.path else run.root / RUNS_DIR / f"{solve_id}.html"
            path = str(await asyncio.to_thread(_write, target, html))
        return RunPage(solveId=solve_id, function=run.function, state=run.state, version=version,
                       html=None if args.write else html, path=path)

    async def _page_of_file(self, solve_id: str, root: Path | None, args: RunPageArgs) -> RunPage:
        from pacore_view import render_run

        name = solve_id.removeprefix("file:")
        if root is None or "/" in name or "\\" in name or not name.endswith(".json"):
            raise EditorError(f"no run {solve_id!r}")
        path = root / RUNS_DIR / name
        try:
            record = await asyncio.to_thread(RunRecord.load, path)
        except DataFileError as e:
            raise EditorError(str(e)) from None
        html = await asyncio.to_thread(render_run, record)
        written = None
        if args.write:
            written = str(await asyncio.to_thread(_write, path.with_suffix(".html"), html))
        return RunPage(solveId=solve_id, function=record.problem.entry_point or record.problem.id,
                       state="finished", version=0, html=None if args.write else html, path=written)


def _write(path: Path, html: str) -> Path:
    atomic_write(path, html)
    return path


def save_record(root: Path, record: RunRecord, solve_id: str, keep: int) -> Path:
    """`<root>/.pacore/runs/<time>--<solve>--<function>.json`; the oldest beyond `keep` go
    (with their pages). `.pacore/` ignores itself in git."""
    runs = root / RUNS_DIR
    runs.mkdir(parents=True, exist_ok=True)
    ignore = root / ".pacore" / ".gitignore"
    if not ignore.exists():
        atomic_write(ignore, IGNORE_ALL)
    name = record.problem.entry_point or record.problem.id
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    path = runs / f"{stamp}--{solve_id}--{name}.json"
    record.save(path)
    records = sorted(runs.glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name))
    for old in records[: max(len(records) - keep, 0)]:
        old.unlink(missing_ok=True)
        old.with_suffix(".html").unlink(missing_ok=True)
    return path
