"""A directory dataset of stdin/stdout problems and its scripted model, for cluster runs.

Problem `mul-K` asks for n*K. Choice 0 answers well for odd K and wrongly for even K,
choice 1 always well: `single` passes exactly the odd problems and `best-of-2` all of them,
whatever node a row runs on, so cluster and single-process runs must agree row by row.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.support import Reply
from tests.support.scripted_server import is_synthesis, last_user_text

PROBLEMS = 12
STRATEGIES = "single,best-of-2"


def write_dataset(root: Path, n: int = PROBLEMS) -> list[str]:
    ids = []
    for k in range(1, n + 1):
        d = root / f"mul-{k:02d}"
        (d / "tests" / "hidden").mkdir(parents=True)
        (d / "problem.md").write_text(
            f"# Multiply [MUL-{k}]\n\nRead an integer n; print n*{k}.\n\n"
            f"## Sample Input\n\n```\n2\n```\n\n## Sample Output\n\n```\n{2 * k}\n```\n")
        (d / "tests" / "hidden" / "seven.in").write_text("7\n")
        (d / "tests" / "hidden" / "seven.out").write_text(f"{7 * k}\n")
        ids.append(d.name)
    return ids


def expected_pass(problem: str, strategy: str) -> bool:
    k = int(problem.split("-")[1])
    return strategy != "single" or k % 2 == 1


def responder(latency_s: float = 0.0, work: int = 0):  # type: ignore[no-untyped-def]
    """`work`: loop iterations every program spins before answering (real CPU time in the
    sandbox per test, for benchmarks whose rows should be bound by verification)."""
    spin = f"x = 0\nfor i in range({work}):\n    x ^= i\n" if work else ""

    def respond(req: dict[str, Any], choice: int, call: int) -> Reply:
        m = re.search(r"\[MUL-(\d+)\]", last_user_text(req))
        assert m is not None
        k = int(m.group(1))
        good = is_synthesis(req) or choice % 2 == 1 or k % 2 == 1
        body = f"print(int(input()) * {k})" if good else "print(int(input()) + 1)"
        return Reply(f"```python\n{spin}{body}\n```", latency_s=latency_s)
    return respond
