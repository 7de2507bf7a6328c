"""Shortening test text shown to the model, with a note of what was cut.

Why: public tests are pasted into the statement, and one big test (a 1.5 MB `big.in`)
made the problem alone larger than the model's context, so nothing could be solved. The
model sees the head of a long input or expected output, whole lines where possible, and a
note such as "input of 1.5 MB, first 2 of 200001 lines shown"; every test still runs.
"""

from __future__ import annotations

SHOWN_TESTS_CHARS = 8000
"""Characters of public test text shown in a statement at most (about 2,000-3,000 tokens,
which leaves room for the statement and the answer in an 8k-token context)."""
MIN_SHOWN_CHARS = 200
"""Each shown input or output keeps at least this much, however many tests share the budget."""


def size_text(text: str) -> str:
    """`1.5 MB`, `12.3 KB` or `512 bytes`: the UTF-8 size of `text`."""
    n = len(text.encode("utf-8", "replace"))
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


def excerpt(text: str, budget: int, what: str, *, partial_line: bool = True
            ) -> tuple[str, str | None]:
    """`text` itself when it fits in `budget` characters; else its first whole lines that fit,
    then the head of the next line (with `partial_line`, or when no whole line fits), and a
    note naming `what` was cut and how much is shown."""
    if len(text) <= budget:
        return text, None
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) > budget:
            break
        kept.append(line)
        used += len(line)
    size = size_text(text)
    room = budget - used
    if kept and (room < 40 or not partial_line):  # too little left to show anything useful of the next line
        return "".join(kept), f"{what} of {size}, first {len(kept)} of {len(lines)} lines shown"
    head = lines[len(kept)][:room].rstrip("\n")
    cut = f"first {len(kept)} of {len(lines)} lines and " if kept else ""
    return ("".join(kept) + head + " ...\n",
            f"{what} of {size}, {cut}the first {len(head)} characters of line {len(kept) + 1} shown")


def shown_block(text: str, budget: int, what: str) -> str:
    """`text` shortened to `budget` with its note as the block's last line, for free text."""
    short, note = excerpt(text, budget, what, partial_line=False)  # code: whole lines
    return short if note is None else f"{short.rstrip()}\n[... {note}]"
