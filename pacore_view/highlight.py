"""Syntax highlighting at render time (Pygments), so the page fetches nothing when viewed."""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.lexers.special import TextLexer
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True, classprefix="hl-")


@lru_cache(maxsize=16)
def _lexer(language: str) -> Lexer:
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)  # registry names are Pygments'
    except ClassNotFound:
        return TextLexer(stripnl=False, ensurenl=False)


@lru_cache(maxsize=512)
def code_html(code: str, language: str) -> Markup:
    """The program as highlighted HTML; Pygments escapes the text, so a candidate's
    `<script>` stays text. Cached: merged duplicates, the answer and its trajectory, and a
    live page redrawn every second highlight each program once."""
    return Markup(highlight(code, _lexer(language), _FORMATTER))  # noqa: S704  (Pygments escapes)


@lru_cache(maxsize=1)
def css() -> str:
    """The token colours, light and dark."""
    light = HtmlFormatter(style="default", classprefix="hl-").get_style_defs(".code")
    dark = HtmlFormatter(style="monokai", classprefix="hl-").get_style_defs(".dark .code")
    return light + "\n" + dark
