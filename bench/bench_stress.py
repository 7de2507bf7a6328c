"""Stress testing throughput: inputs per second through the sandbox against a plain
subprocess loop (what a contestant's shell loop costs), side by side in one run.

    python bench/bench_stress.py [--count N] [--rows docker,local,loop] [--language python|cpp]

Each input is three program runs (generator, brute force, solution), as in `pacore stress`.
Rows: `loop` runs the three as plain host subprocesses one input at a time (no isolation:
the floor); `local` and `docker` run `pacore_core.stress.StressRun` on that sandbox. The
ratio column is the row's inputs/s over the loop's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pacore_core.stress import StressConfig, StressRun
from sandbox import make_sandbox
from sandbox.models import Candidate

GEN = """import random, sys
r = random.Random(int(sys.argv[1]))
n = r.randint(1, 8)
print(n)
print(*[r.randint(-9, 9) for _ in range(n)])
"""
BRUTE = """n = int(input()); a = list(map(int, input().split()))
print(max(sum(a[i:j]) for i in range(n) for j in range(i + 1, n + 1)))
"""
SOLUTION_PY = """n = int(input()); a = list(map(int, input().split()))
best = cur = a[0]
for x in a[1:]:
    cur = max(x, cur + x); best = max(best, cur)
print(best)
"""
SOLUTION_CPP = """#include <cstdio>
int main() { int n; std::scanf("%d", &n); long best = -1000000, cur = 0;
  for (int i = 0; i < n; i++) { long x; std::scanf("%ld", &x);
    cur = cur + x > x ? cur + x : x; if (cur > best) best = cur; }
  std::printf("%ld\\n", best); }
"""


def loop(count: int, language: str) -> float:
    """The contestant's shell loop: gen, brute, solution as host subprocesses per input."""
    with tempfile.TemporaryDirectory() as d:
        Path(d, "gen.py").write_text(GEN)
        Path(d, "brute.py").write_text(BRUTE)
        if language == "cpp":
            Path(d, "sol.cpp").write_text(SOLUTION_CPP)
            subprocess.run(["g++", "-O2", "-o", f"{d}/sol", f"{d}/sol.cpp"], check=True)
            sol = [f"{d}/sol"]
        else:
            Path(d, "sol.py").write_text(SOLUTION_PY)
            sol = [sys.executable, f"{d}/sol.py"]
        start = time.perf_counter()
        for seed in range(1, count + 1):
            inp = subprocess.run([sys.executable, f"{d}/gen.py", str(seed)], capture_output=True,
                                 text=True, check=True).stdout  # fmt: skip
            want = subprocess.run([sys.executable, f"{d}/brute.py"], input=inp, capture_output=True,
                                  text=True, check=True).stdout  # fmt: skip
            got = subprocess.run(sol, input=inp, capture_output=True, text=True, check=True).stdout
            assert got.split() == want.split(), (seed, inp, want, got)
        return time.perf_counter() - start


async def sandboxed(kind: str, count: int, language: str) -> float:
    sandbox = make_sandbox(kind, parallelism=os.cpu_count() or 2)  # type: ignore[arg-type]
    code = SOLUTION_CPP if language == "cpp" else SOLUTION_PY
    run = StressRun(sandbox, Candidate(language=language, code=code),  # type: ignore[arg-type]
                    Candidate(code=BRUTE), Candidate(code=GEN),
                    StressConfig(count=count, parallel=os.cpu_count() or 2))  # fmt: skip
    try:
        start = time.perf_counter()
        result = await run.run()
        elapsed = time.perf_counter() - start
    finally:
        await sandbox.close()
    assert result.status == "passed" and result.inputs_run == count, result
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--rows", default="loop,local,docker")
    ap.add_argument("--language", choices=["python", "cpp"], default="python")
    args = ap.parse_args()
    rows = args.rows.split(",")
    if args.language == "cpp" and shutil.which("g++") is None:
        sys.exit("g++ is needed for --language cpp")
    load = os.getloadavg()
    print(f"stress throughput: {args.count} inputs, solution in {args.language}, "
          f"{os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    times: dict[str, float] = {}
    for row in rows:
        if row == "loop":
            times[row] = loop(args.count, args.language)
        else:
            asyncio.run(sandboxed(row, 8, args.language))  # warm-up: image, pool, interpreter
            times[row] = asyncio.run(sandboxed(row, args.count, args.language))
    base = args.count / times["loop"] if "loop" in times else None
    print(f"{'row':<8} {'seconds':>8} {'inputs/s':>9} {'vs loop':>8}")
    for row, seconds in times.items():
        rate = args.count / seconds
        ratio = f"{rate / base:.2f}" if base else "-"
        print(f"{row:<8} {seconds:>8.2f} {rate:>9.1f} {ratio:>8}")


if __name__ == "__main__":
    main()
