"""Run pages and benchmark reports: self-contained HTML (inline CSS and JS, no network).

`render_run` draws a run record; `render_bench` a benchmark directory. Kept apart from the
engine and the CLI: they hand over records and paths, this package only reads them.
"""

from pacore_view.run_page import render_run, write_run_page

__all__ = ["render_run", "write_run_page"]
