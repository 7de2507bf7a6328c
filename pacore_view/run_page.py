"""The run page: one self-contained HTML file (inline CSS and JS, no network) of a run record.

Everything shown is escaped by the template (jinja2 autoescape) or by Pygments: programs,
model text and test output are untrusted, a candidate printing `<script>` stays text. A
Content-Security-Policy with a per-page nonce lets only the page's own script run.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from html import escape
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from pacore_core.files import atomic_write
from pacore_core.record import RunRecord
from pacore_view.highlight import code_html, css
from pacore_view.model import Bar, RunView, build
from sandbox.models import judge_name

ROW_H, LEFT, WIDTH = 9, 70, 1000


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("pacore_view", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=False, lstrip_blocks=False)
    env.globals["highlight"] = code_html
    env.globals["judge"] = judge_name  # "wrong answer", "time limit exceeded": what people read
    env.globals["cluster_name"] = lambda n: chr(ord("A") + n) if n < 26 else f"C{n}"
    return env


def status_of(view: RunView) -> str:
    if view.state != "finished":
        return view.state
    return view.record.result.status


def timeline_svg(bars: list[Bar], span_s: float) -> Markup:
    """Each trajectory a row: sampling (light) then verification (its verdict's colour)."""
    if not bars:
        return Markup('<p class="quiet">Nothing arrived yet.</p>')
    span = max(span_s, max(b.verified for b in bars), 1e-3)
    scale = (WIDTH - LEFT - 10) / span
    height = len(bars) * ROW_H + 24
    parts = [f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="timeline of the run">']
    for tick in _ticks(span):
        x = LEFT + tick * scale
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 16}"/>'
                     f'<text x="{x:.1f}" y="{height - 4}" text-anchor="middle">{tick:g} s</text>')
    last_round = ""
    for n, b in enumerate(bars):
        y = n * ROW_H
        round_label = b.label.split(" ")[0]
        if round_label != last_round:
            parts.append(f'<text x="4" y="{y + ROW_H - 1}">{escape(round_label)}</text>')
            last_round = round_label
        gx, gw = LEFT + b.start * scale, max((b.arrived - b.start) * scale, 1)
        vx, vw = LEFT + b.arrived * scale, max((b.verified - b.arrived) * scale, 1.5)
        title = (f"{b.label}: arrived at {b.arrived:.2f} s, verified at {b.verified:.2f} s "
                 f"({b.verdict})")
        parts.append(f'<a href="#{escape(b.card)}"><title>{escape(title)}</title>'
                     f'<rect class="gen" x="{gx:.1f}" y="{y + 1}" width="{gw:.1f}" height="{ROW_H - 2}"/>'
                     f'<rect class="ver v-{escape(b.verdict)}" x="{vx:.1f}" y="{y + 1}" width="{vw:.1f}" '
                     f'height="{ROW_H - 2}"/></a>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (numbers, and text through escape() above)


def _ticks(span: float) -> list[float]:
    step = next((s for s in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600)
                 if span / s <= 10), 7200)
    return [round(i * step, 3) for i in range(int(span / step) + 1)]


def render_run(record: RunRecord, *, state: str = "finished") -> str:
    """The page of `record`; `state` is "running" or "interrupted" for a run not finished."""
    view = build(record, state)
    return environment().get_template("run.html.j2").render(
        view=view, status=status_of(view), nonce=secrets.token_urlsafe(16),
        pygments_css=Markup(css()),  # noqa: S704  (Pygments' own style sheet)
        timeline=timeline_svg(view.bars, view.span_s),
        trajectories=sum(len(r.cards) for r in view.rounds),
    )


def write_run_page(record: RunRecord, path: Path, *, state: str = "finished") -> Path:
    """Render and write atomically (a reader never sees half a page)."""
    atomic_write(path, render_run(record, state=state))
    return path
