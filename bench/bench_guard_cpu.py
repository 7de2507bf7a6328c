"""CPU time per HumanEval candidate inside one sandbox container, jobs sent one at a time.

    python bench/bench_guard_cpu.py [--limit N] [--rounds N] [--before-image IMAGE] [--modes ...]

Why a second measure beside bench_sandbox.py's throughput: on a shared, loaded machine a
batch's wall time swings by 2x from one run to the next, while the CPU a container spends
on the same jobs barely moves. Each mode starts one warm container (the pool's own
`WarmContainer`: same limits, same attached stream), sends every HumanEval canonical
solution as a job, one at a time, and reads the container's cgroup CPU counter
(`cpuacct.usage`, cgroup v1, or `cpu.stat`'s `usage_usec`, v2) before and after: the
supervisor, its forks and the candidates' own code, nothing of the host.

Modes: `data` (today's image, checks reduced to data mode), `inprocess` (today's image, the
same checks kept in process under the guard, as bench_sandbox's `runc-inprocess`), `before`
(the image of bench/before_image.py: in-process checks, no guard), `unguarded` (today's image,
in-process checks with the guard off: the forgery tests' positive-control flag, so the guard's
own share shows apart from the rest of what changed). Rounds are interleaved, in
reverse order every other round; the table shows each round and the median, and the ratios
to `before` as a ratio of medians, of minima (load only adds CPU) and as the median of
each round's own ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sandbox import _in_process, _jobs

from sandbox import Limits
from sandbox.container import ContainerSpec, WarmContainer
from sandbox.images import IMAGE
from sandbox.jobs import build_job, verdict_from_response


def cgroup_cpu_ns(container_id: str) -> int:
    """The container's CPU time so far, from the host's cgroup file system."""
    for path in (f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage",
                 f"/sys/fs/cgroup/cpu,cpuacct/docker/{container_id}/cpuacct.usage"):  # fmt: skip
        if Path(path).exists():
            return int(Path(path).read_text())
    for path in (f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/cpu.stat",
                 f"/sys/fs/cgroup/docker/{container_id}/cpu.stat"):  # fmt: skip
        if Path(path).exists():
            for line in Path(path).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) * 1000
    raise SystemExit(f"no cgroup CPU counter found for container {container_id[:12]}")


def measure(image: str, jobs: list[tuple[Any, Any]], unguarded: bool = False) -> dict[str, float]:
    import docker

    limits = Limits()
    client = docker.from_env()
    spec = ContainerSpec.from_limits(image, limits, None)
    warm = WarmContainer(client, spec)
    try:
        payloads = [(build_job(c, s, limits, workdir="/tmp/job"), s) for c, s in jobs]
        for job, _ in payloads:
            if unguarded:  # the forgery tests' positive-control flag: the harness without the guard
                job["unguarded"] = True
        time.sleep(0.5)  # the supervisor's start-up settles before the counter is read
        cpu0, wall0 = cgroup_cpu_ns(warm.id), time.monotonic()
        passed = 0
        for job, suite in payloads:
            response = warm.request(job, 60.0, 60.0)
            passed += verdict_from_response(response, suite, backend="docker", duration_s=0.0).ok
        wall = time.monotonic() - wall0
        cpu = (cgroup_cpu_ns(warm.id) - cpu0) / 1e9
    finally:
        warm.destroy()
    n = len(jobs)
    return {"cpu_ms": 1000 * cpu / n, "wall_ms": 1000 * wall / n, "passed": passed, "n": n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="first N problems only")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="before,inprocess,data")
    parser.add_argument("--image", default=IMAGE)
    parser.add_argument("--before-image", default="pacore-sandbox:before")
    args = parser.parse_args()
    jobs = _jobs(args.limit)
    modes = {
        "before": (args.before_image, _in_process(jobs)),
        "inprocess": (args.image, _in_process(jobs)),
        "data": (args.image, jobs),
        "unguarded": (args.image, _in_process(jobs)),
    }
    wanted = [m for m in args.modes.split(",") if m]
    rows: dict[str, list[dict[str, float]]] = {m: [] for m in wanted}
    for round_ in range(args.rounds):
        for mode in wanted if round_ % 2 == 0 else wanted[::-1]:  # ABBA: a load trend hits all alike
            image, mode_jobs = modes[mode]
            rows[mode].append(measure(image, mode_jobs, unguarded=mode == "unguarded"))
    print(f"HumanEval canonical solutions, {len(jobs)} jobs sent one at a time to one container; "
          "CPU = the container's cgroup counter")  # fmt: skip
    print(f"{'mode':<11}{'passed':>8}{'CPU ms/job, each round':>34}{'median':>9}{'min':>7}"
          f"{'wall ms/job median':>20}")  # fmt: skip
    for mode, runs in rows.items():
        cpus = " ".join(f"{r['cpu_ms']:6.2f}" for r in runs)
        print(f"{mode:<11}{int(runs[0]['passed']):>5}/{int(runs[0]['n']):<3}{cpus:>33}"
              f"{statistics.median(r['cpu_ms'] for r in runs):>9.2f}{min(r['cpu_ms'] for r in runs):>7.2f}"
              f"{statistics.median(r['wall_ms'] for r in runs):>20.2f}")  # fmt: skip
    if "before" in rows:
        base = statistics.median(r["cpu_ms"] for r in rows["before"])
        for mode in wanted:
            if mode != "before":
                ratio = statistics.median(r["cpu_ms"] for r in rows[mode]) / base
                # each round's ratio (its modes ran back to back): the load moves less within a round
                paired = [r["cpu_ms"] / b["cpu_ms"] for r, b in zip(rows[mode], rows["before"], strict=True)]
                # a shared machine only ever adds CPU (contention): the least of the rounds is the
                # figure it disturbed least
                least = min(r["cpu_ms"] for r in rows[mode]) / min(r["cpu_ms"] for r in rows["before"])
                each = " ".join(f"{p:.2f}" for p in paired)
                print(f"{mode} / before (CPU per job) = {ratio:.2f} (medians), {least:.2f} (minima); "
                      f"each round: {each}, median {statistics.median(paired):.2f}")


if __name__ == "__main__":
    main()
