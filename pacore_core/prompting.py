"""The prompting function P(x, M): the problem alone, or the synthesis template over M."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import jinja2

PAPER_TEMPLATE = "synthesis.j2"
CODE_TEMPLATE = "synthesis_code.j2"


def load_template(path: Path | None = None, *, with_verdicts: bool = True) -> jinja2.Template:
    """A user file overrides the bundled templates (paper's Table 6, or its code variant)."""
    if path is not None:
        try:
            source = Path(path).read_text()
        except OSError as e:
            raise ValueError(f"cannot read synthesis template {path}: {e.strerror}") from None
    else:
        name = CODE_TEMPLATE if with_verdicts else PAPER_TEMPLATE
        source = resources.files("pacore_core.templates").joinpath(name).read_text()
    env = jinja2.Environment(keep_trailing_newline=False, undefined=jinja2.StrictUndefined)
    try:
        return env.from_string(source)
    except jinja2.TemplateSyntaxError as e:
        raise ValueError(f"synthesis template has a syntax error at line {e.lineno}: {e}") from None


def build_prompt(problem: str, messages: Sequence[str], template: jinja2.Template) -> str:
    """P(x, M). With M empty the problem itself, unmodified."""
    if not messages:
        return problem
    return template.render(original_prompt=problem, ref_responses=list(messages))
