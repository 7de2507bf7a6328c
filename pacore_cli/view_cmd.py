"""`pacore view RECORD [-o FILE.html]`: a run record (or a benchmark directory) as one
self-contained HTML page.

Exit status: 0 page written, 2 usage or input error (missing or malformed record, unwritable
output).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import webbrowser
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from pacore_core.config import cli_flag
from pacore_core.errors import PacoreError
from pacore_core.record import RunRecord

EXIT_OK, EXIT_USAGE = 0, 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "view", help="one self-contained HTML page of a recorded run or a benchmark",
        description="Writes one HTML file (inline CSS and JS, nothing fetched when viewed) of a "
        "run record (`pacore solve --record`) or of a `pacore bench --out` directory. Without -o "
        "it is written beside the record (RECORD.html, or DIR/report.html) and opened in the "
        "default browser when there is one.",
    )
    p.add_argument("record", type=Path, metavar="RECORD", help="run record (.json) or bench directory")
    p.add_argument("-o", "--output", type=Path, metavar="FILE.html", help="where to write the page")
    p.add_argument("--no-open", action="store_true", help="do not open a browser")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=run)


def error_object(message: str) -> dict[str, Any]:
    return {"status": "error", "error": message, "path": None}


def default_output(source: Path) -> Path:
    if source.is_dir():
        return source / "report.html"
    if source.suffix == ".json":
        return source.with_suffix(".html")
    return source.with_name(source.name + ".html")


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    source: Path = args.record
    out: Path = args.output or default_output(source)
    try:
        if out.is_dir():
            raise PacoreError(f"-o {out} is a directory: give a file name, e.g. {out / 'run.html'}")
        if source.is_dir():
            from pacore_view.bench_page import write_bench_report

            path = write_bench_report(source, out)
        else:
            from pacore_view import write_run_page

            path = write_run_page(RunRecord.load(source), out)
    except PacoreError as e:
        return _fail(args, console, e.render(cli_flag))
    except OSError as e:
        return _fail(args, console, f"cannot write {out}: {e.strerror or e}")
    size = path.stat().st_size
    console.print(f"wrote {path} ({size / 1024:.0f} KB)", highlight=False)
    opened = False
    if args.output is None and not args.no_open and not args.json:
        opened = open_in_browser(path)
    if args.json:
        sys.stdout.write(json.dumps({"status": "ok", "path": str(path), "bytes": size,
                                     "opened": opened}) + "\n")
    return EXIT_OK


def open_in_browser(path: Path) -> bool:
    """Open the page when this machine has a browser to show it (never on a headless box)."""
    graphical = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if sys.platform.startswith("linux") and not graphical:
        return False
    try:
        return webbrowser.open(path.resolve().as_uri())
    except webbrowser.Error:
        return False


def _fail(args: argparse.Namespace, console: Console, message: str) -> int:
    console.print(f"[bold red]pacore view:[/] {escape(message)}", highlight=False, soft_wrap=True)
    if args.json:
        sys.stdout.write(json.dumps(error_object(message)) + "\n")
    return EXIT_USAGE
