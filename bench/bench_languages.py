"""Sandbox time per candidate for a 20-test stdin/stdout problem, per language.

    python bench/bench_languages.py [--runtime runc|runsc] [--backend docker|local]
                                    [--repeats N] [--languages python,cpp,...]

Each candidate is compiled once and then run on the 20 tests (tests/support/programs.py's
Maximum problem). Prints per language (medians over repeats): wall time per candidate, the
20 tests' own time (as the runner measured each), the rest (compiling once, unpacking,
the round trip), and the round trip of a program that does not compile (the compiler
stopping at its first error). Warm pool, one candidate at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Candidate, IOSuite, IOTest, Limits, languages, make_sandbox
from tests.support.programs import MAXIMUM, maximum_tests

PYTHON_MAXIMUM = "n, *v = map(int, open(0).read().split())\nprint(max(v[:n]))\n"


async def _measure(args: argparse.Namespace) -> None:
    kw = {"runtime": args.runtime} if args.backend == "docker" else {}
    sandbox = make_sandbox(args.backend, parallelism=1, **kw)
    suite = IOSuite(tests=[IOTest(name=f"t{i:02d}", input=inp, expected=out)
                           for i, (inp, out) in enumerate(maximum_tests(20))])  # fmt: skip
    limits = Limits(timeout_s=5.0, memory_mb=512)
    print(f"backend {args.backend}" + (f" ({args.runtime})" if kw else "")
          + f", 20 tests per candidate, {args.repeats} repeats (median)")  # fmt: skip
    print(f"{'language':<8} {'verdict':<9} {'candidate s':>11} {'tests s':>7} "
          f"{'build+rest s':>12} {'per test ms':>11} {'compile error s':>15}")  # fmt: skip
    try:
        for name in args.languages.split(","):
            spec = languages.get(name)
            good = PYTHON_MAXIMUM if name == "python" else MAXIMUM[name].good
            walls, tests_ms = [], []
            verdict = "?"
            await sandbox.run(Candidate(language=name, code=good), suite, limits)  # warm-up
            for _ in range(args.repeats):
                start = time.perf_counter()
                v = await sandbox.run(Candidate(language=name, code=good), suite, limits)
                walls.append(time.perf_counter() - start)
                tests_ms.append(1000 * statistics.mean(t.duration_s for t in v.tests))
                verdict = v.judge
            compile_s = 0.0
            if spec.compiled:
                samples = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    await sandbox.run(Candidate(language=name, code=MAXIMUM[name].broken),
                                      suite, limits)  # fmt: skip
                    samples.append(time.perf_counter() - start)
                compile_s = statistics.median(samples)
            wall = statistics.median(walls)
            per_test = statistics.median(tests_ms)
            tests_s = 20 * per_test / 1000
            print(f"{name:<8} {verdict:<9} {wall:>11.2f} {tests_s:>7.2f} {wall - tests_s:>12.2f} "
                  f"{per_test:>11.1f} {compile_s:>15.2f}")  # fmt: skip
    finally:
        await sandbox.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["docker", "local"], default="docker")
    parser.add_argument("--runtime", choices=["runc", "runsc"], default="runc")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--languages", default=",".join(languages.names()))
    asyncio.run(_measure(parser.parse_args()))


if __name__ == "__main__":
    main()
