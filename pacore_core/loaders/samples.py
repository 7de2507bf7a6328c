"""Sample tests in a statement: fenced blocks labelled Input / Output, paired in order.

A block's label is the nearest non-blank line above it (within three lines): `Input`,
`Sample Input 1`, `**Example 2 output**`, `## 1. Sample Input 1` (a leading number, as
numbered headings have, is allowed). An input block pairs with the next output block.

Why the notes: a block that looks like a sample but is not used (an input with no output
after it, an output with no input before it, or a block under a heading that mentions
input/output in words the parser does not read) used to be dropped without a word, so a
statement with two samples ran on one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sandbox.models import IOTest

_FENCE_OPEN = re.compile(r"^\s*(```+|~~~+)")
_LABEL = re.compile(
    r"(?:\d+\s+)?(?:(?:sample|example)s?\s*(?:test\s*)?(?:case\s*)?#?\d*\s*)?(input|output)\s*#?\d*"
)
_HEADING = re.compile(r"^\s*(?:#{1,6}\s|\*\*|__)")
_MENTIONS = re.compile(r"\b(input|output)s?\b", re.I)


@dataclass
class Samples:
    """The pairs found, and a note for every block that looked like a sample but was not used."""

    tests: list[IOTest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Block:
    line: int  # 1-based line of the opening fence
    label: str | None  # "input", "output" or None
    heading: str | None  # the nearest heading above, as written
    text: str


def label_kind(line: str) -> str | None:
    """`input` or `output` when the line is a sample label, else None."""
    norm = re.sub(r"[#*_`>:\-.()\[\]]", " ", line).strip().lower()
    norm = re.sub(r"\s+", " ", norm)
    m = _LABEL.fullmatch(norm)
    return m.group(1) if m else None


def _blocks(markdown: str) -> list[_Block]:
    lines = markdown.splitlines()
    blocks: list[_Block] = []
    heading: str | None = None
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m:
            if _HEADING.match(lines[i]):
                heading = lines[i].strip()
            i += 1
            continue
        fence = m.group(1)
        label = None
        for j in range(i - 1, max(-1, i - 4), -1):
            if lines[j].strip():
                label = label_kind(lines[j])
                break
        start = i + 1
        content: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            content.append(lines[i])
            i += 1
        i += 1
        blocks.append(_Block(start, label, heading, "\n".join(content) + "\n"))
    return blocks


def read_samples(markdown: str) -> Samples:
    """The sample pairs of a statement, with a note for each block left unpaired."""
    found = Samples()
    pending: _Block | None = None
    unused: list[tuple[_Block, str]] = []
    for block in _blocks(markdown):
        if block.label == "input":
            if pending is not None:
                unused.append((pending, "an input block with no output block after it"))
            pending = block
        elif block.label == "output":
            if pending is None:
                unused.append((block, "an output block with no input block before it"))
                continue
            found.tests.append(IOTest(name=f"sample{len(found.tests) + 1}", input=pending.text,
                                      expected=block.text))
            pending = None
        elif block.heading is not None and _MENTIONS.search(block.heading):
            unused.append((block, "the line above it is not read as an Input or Output label"))
    if pending is not None:
        unused.append((pending, "an input block with no output block after it"))
    for block, why in sorted(unused, key=lambda u: u[0].line):
        under = f" under {block.heading!r}" if block.heading else ""
        found.notes.append(
            f"the fenced block at line {block.line}{under} is not used as a sample ({why}); "
            "put a line such as 'Sample Input 1' or 'Sample Output 1' right above each block")
    return found


def parse_samples(markdown: str) -> list[IOTest]:
    """Fenced blocks labelled Input/Output by the nearest non-blank line above them."""
    return read_samples(markdown).tests
