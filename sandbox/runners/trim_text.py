"""Head+tail trimming, the one copy: the start of an output explains, the end shows where
it died. Stdlib only: the in-sandbox runners import it from their folder and the host
imports it as `sandbox.runners.trim_text`, so both sides cut text the same way."""

from __future__ import annotations

DEFAULT_CAP = 4000


def trim(text: str | None, cap: int = DEFAULT_CAP) -> str:
    """Keep at most `cap` characters: the head and the tail, with a marker between."""
    if not text:
        return ""
    if len(text) <= cap:
        return text
    head = cap // 2
    tail = cap - head
    return f"{text[:head]}\n... [{len(text) - cap} chars trimmed] ...\n{text[-tail:] if tail else ''}"
