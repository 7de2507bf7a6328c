"""The benchmark report (`report.html` beside `summary.json`) and each row's run page.

The report is one self-contained page: the pass@1-vs-TTC plot inline (the bench's PNG as a
data URI), the summary table, and a problem x strategy grid whose cells link to the row's
run page under `runs/` (written as each row finishes, with its run record beside it).
"""

from __future__ import annotations

import base64
import logging
import os
import re
import secrets
import zlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from pacore_bench.harness import (
    META,
    PLOT,
    RESULTS,
    SUMMARY,
    BenchMeta,
    BenchRow,
    StrategySummary,
    latest,
    load_rows,
)
from pacore_core.files import DataFileError, atomic_write
from pacore_view.run_page import environment, write_run_page

RUNS = "runs"
REPORT = "report.html"
log = logging.getLogger("pacore.view")


def row_slug(row: BenchRow) -> str:
    """A file name per (problem, strategy, repeat): readable, and unique by its checksum."""
    key = f"{row.problem}\0{row.strategy}\0{row.repeat}"
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{row.problem}--{row.strategy}--{row.repeat}")[:120]
    return f"{readable}-{zlib.crc32(key.encode()):08x}"


def save_row_run(out_dir: Path, row: BenchRow) -> None:
    """Write `runs/SLUG.json` (the run record) and `runs/SLUG.html` (its page); set `row.page`.

    A page that cannot be written leaves the row without one (logged): the benchmark's
    figures matter more than its pictures."""
    if row.record is None:
        return
    slug = row_slug(row)
    try:
        row.record.save(out_dir / RUNS / f"{slug}.json")
        write_run_page(row.record, out_dir / RUNS / f"{slug}.html")
    except Exception as e:  # a picture must never cost the benchmark a row
        log.warning("could not write the run page of %s: %s", slug, e)
        return
    row.page = f"{RUNS}/{slug}.html"


@dataclass
class Cell:
    rows: list[BenchRow]


def _summaries(out_dir: Path) -> list[StrategySummary]:
    path = out_dir / SUMMARY
    if not path.is_file():
        return []
    try:
        return TypeAdapter(list[StrategySummary]).validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError) as e:
        raise DataFileError(f"{path} is not a bench summary: {e}") from None


def _meta(out_dir: Path) -> BenchMeta | None:
    try:
        return BenchMeta.model_validate_json((out_dir / META).read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        return None


def _plot(out_dir: Path) -> str | None:
    path = out_dir / PLOT
    try:
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    except OSError:
        return None


def render_bench(out_dir: Path, written_to: Path | None = None) -> str:
    """The report of the bench directory `out_dir` (results.jsonl, summary.json, the PNG);
    links to the rows' pages are relative to where it is `written_to`."""
    if not (out_dir / RESULTS).is_file():
        raise DataFileError(f"{out_dir} holds no {RESULTS}: give a `pacore bench --out` directory")
    rows = sorted(latest(load_rows(out_dir / RESULTS)).values(), key=lambda r: r.repeat)
    summaries = _summaries(out_dir)
    strategies = [s.strategy for s in summaries if s.rows]
    problems: list[str] = []
    grid: dict[tuple[str, str], Cell] = {}
    for r in rows:
        if r.problem not in problems:
            problems.append(r.problem)
        if r.strategy not in strategies:
            strategies.append(r.strategy)
        grid.setdefault((r.problem, r.strategy), Cell([])).rows.append(r)
    for r in rows:  # a page only where the file is there (an older bench has none)
        if r.page is not None and not (out_dir / r.page).is_file():
            r.page = None
    base = (written_to or out_dir / REPORT).parent
    solved = {s: sum(1 for r in rows if r.strategy == s and r.passed) for s in strategies}
    return environment().get_template("bench.html.j2").render(
        out_dir=str(out_dir), meta=_meta(out_dir), summaries=summaries, strategies=strategies,
        problems=problems, grid=grid, rows=rows, solved=solved, plot=_plot(out_dir),
        nonce=secrets.token_urlsafe(16), errors=sum(r.status == "error" for r in rows),
        href=lambda page: Path(os.path.relpath(out_dir / page, base)).as_posix(),
    )


def write_bench_report(out_dir: Path, path: Path | None = None) -> Path:
    path = path or out_dir / REPORT
    atomic_write(path, render_bench(out_dir, path))
    return path
