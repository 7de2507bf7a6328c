"""Regenerate examples/demo/record.json: a real `pacore solve` run whose model is scripted.

The completions below are what a model might write (three flawed, one right); everything
else in the record (sandbox verdicts, compaction, prompts, tokens) comes from the real run.
Usage: .venv/bin/python scripts/make_demo_record.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import Reply, ScriptedServer, by_round  # noqa: E402

NO_TOUCH = '''The intervals must be sorted first, then merged when they overlap.
```python
def merge_intervals(intervals):
    merged = []
    for start, end in sorted(intervals):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
```'''
UNSORTED = '''Walk the list once and extend the last interval while they overlap.
```python
def merge_intervals(intervals):
    merged = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
```'''
CORRECT = '''Sort by start, then extend the last merged interval while the next one starts at or
before its end (touching intervals merge too).
```python
def merge_intervals(intervals):
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
```'''
CRASHES = '''```python
def merge_intervals(intervals):
    intervals = sorted(intervals)
    merged = [intervals[0]]
    for start, end in intervals[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
```'''
FINAL = '''Reference 3 is the only one that passed every test. References 1 and 2 fail because they
do not merge touching intervals or do not sort; reference 4 crashes on an empty list.
Combining the sort with an inclusive overlap check and an empty-safe loop:
```python
def merge_intervals(intervals):
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            last_start, last_end = merged[-1]
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged
```'''


def main() -> int:
    first = [
        Reply(NO_TOUCH, reasoning="Overlap means start < previous end... I think."),
        Reply(UNSORTED, reasoning="The input is probably sorted already."),
        Reply(CORRECT, reasoning="Touching intervals [1,4] and [4,5] should merge, so use <=."),
        Reply(CRASHES, reasoning="Start from the first interval."),
    ]
    final = Reply(FINAL, reasoning="Compare the verification blocks: only one passed 5/5.")
    demo = ROOT / "examples" / "demo"
    with ScriptedServer(by_round(first, final), model="demo-coder-7b") as srv:
        cmd = [
            str(ROOT / ".venv" / "bin" / "pacore"), "solve", str(demo / "merge_intervals.py"),
            "--tests", str(demo / "test_merge_intervals.py"), "--preset", "low",
            "--base-url", srv.base_url, "--model", srv.model, "--record", str(demo / "record.json"),
        ]
        return subprocess.call(cmd, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
