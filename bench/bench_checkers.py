"""Checker overhead per test: a 20-test stdin/stdout problem judged by plain comparison,
by the built-in checkers (host side), and by checker programs run in the sandbox after
the candidate (Python and C++, testlib and Kattis conventions), plus interactive tests.

    python bench/bench_checkers.py [--tests 20] [--repeats 5] [--runtime runc|runsc]

Each row runs the same correct Python program `repeats` times in a warm Docker sandbox
(one container, reused), on 1 test and on `tests` tests, and prints the sandbox's own time
per candidate (median), the fixed part per candidate (round trip, and the checker's build:
compiled once per candidate), the marginal time per test, and its overhead over plain
comparison (the checker laid out afresh and run after each test).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Candidate, IOSuite, IOTest, Limits, make_sandbox
from sandbox.models import JudgeProgram
from tests.support.judge_problems import (
    GUESS_GOOD,
    GUESS_INTERACTOR_PY,
    SPLIT_GOOD,
    TESTLIB_CHECKER_CPP,
    VALIDATE_CPP,
    VALIDATE_H,
)

PY_TESTLIB = """import sys
inp, out, ans = (open(p).read() for p in sys.argv[1:4])
n = int(inp)
a, b = map(int, out.split())
sys.exit(0 if a >= 0 and b >= 0 and a + b == n else 1)
"""


def rows(n: int) -> dict[str, tuple[str, IOSuite]]:
    split = [IOTest(name=f"t{i:02d}", input=f"{i * 37}\n", expected=f"{i * 37} 0\n") for i in range(n)]
    guess = [IOTest(name=f"g{i:02d}", input=f"{1 + (i * 13) % 100}\n", expected="\n") for i in range(n)]
    return {
        "plain (whitespace)": (SPLIT_GOOD, IOSuite(tests=split)),
        "built-in unordered": (SPLIT_GOOD, IOSuite(tests=split, comparison="unordered")),
        "built-in float_abs_rel": (SPLIT_GOOD, IOSuite(tests=split, comparison="float_abs_rel")),
        "python testlib checker": (SPLIT_GOOD, IOSuite(tests=split, checker=JudgeProgram(
            convention="testlib", language="python", main="c.py", files={"c.py": PY_TESTLIB}))),
        "c++ testlib checker": (SPLIT_GOOD, IOSuite(tests=split, checker=JudgeProgram(
            convention="testlib", language="cpp", main="checker.cpp",
            files={"checker.cpp": TESTLIB_CHECKER_CPP}))),
        "c++ kattis validator": (SPLIT_GOOD, IOSuite(tests=split, checker=JudgeProgram(
            convention="kattis", language="cpp", main="validate.cpp",
            files={"validate.cpp": VALIDATE_CPP, "validate.h": VALIDATE_H}))),
        "interactive (python interactor)": (GUESS_GOOD, IOSuite(tests=guess, interactor=JudgeProgram(
            convention="kattis", language="python", main="i.py", files={"i.py": GUESS_INTERACTOR_PY}))),
    }  # fmt: skip


async def _median_s(sandbox: Any, name: str, code: str, suite: IOSuite, repeats: int) -> float:
    limits = Limits(timeout_s=5)
    times = []
    for _ in range(repeats):
        verdict = await sandbox.run(Candidate(code=code), suite, limits)
        if verdict.verdict != "passed":
            raise SystemExit(f"{name}: {verdict.verdict} {verdict.tests[:1]}")
        times.append(verdict.duration_s)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--runtime", default="runc")
    args = parser.parse_args()
    sandbox = make_sandbox("docker", parallelism=1, warm=1, runtime=args.runtime)
    n = args.tests
    try:
        print(f"{n} tests per candidate, {args.repeats} candidates per row, {args.runtime}, "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"{'row':34} {'s/candidate':>12} {'fixed s':>8} {'ms/test':>8} {'overhead ms/test':>17}")
        one, many = rows(1), rows(n)
        base = 0.0
        for name in many:
            t1 = await _median_s(sandbox, name, *one[name], args.repeats)
            tn = await _median_s(sandbox, name, *many[name], args.repeats)
            per_test = (tn - t1) / (n - 1)  # the marginal test: what a checker adds per test
            fixed = t1 - per_test  # per candidate: the round trip and the checker's build
            if name.startswith("plain"):
                base = per_test
            over = 1000 * (per_test - base)
            print(f"{name:34} {tn:12.3f} {fixed:8.3f} {1000 * per_test:8.1f} {over:17.1f}")
    finally:
        await sandbox.close()


if __name__ == "__main__":
    asyncio.run(main())
