"""Ray scale-out benchmark (issues 11, 26): rows per second on 1 vs 3 nodes, and the Ray
path against the in-process path on one node.

Rows are bound by verification, not by waiting: the scripted model answers at once
(`--latency`, default 0) with a program that spins `--work` loop iterations (about 0.2 s of
CPU here by default) before answering, and each row runs it in the real sandbox on the
sample (selection) and the hidden test (scoring). So a row's time is sandbox work, and
what Ray adds or spreads shows. Each node has the same concurrency (`--per-node` rows at
once and as many sandbox slots); every row is one `single` strategy run. Nodes are
`ray.cluster_utils.Cluster` nodes on this machine, all inside a network namespace with only
loopback (the script re-runs itself under `unshare -n`).

Both sides are warmed up the same way before they are timed: a first batch of rows runs
through the same sandbox (in-process) or the same driver and row workers (Ray) untimed.

Figures (no thresholds are asserted; targets from the issue are printed beside them):
- scaling efficiency = (rows/s on 3 nodes) / (3 x rows/s on 1 node), target >= 0.8. All
  nodes share this machine's CPUs, so with CPU-bound rows it cannot exceed
  min(3 x per-node, CPUs) / (3 x min(per-node, CPUs)); that ceiling is printed beside it;
- Ray overhead = (rows/s through Ray on 1 node) / (rows/s in-process), target >= 0.8.

Run: .venv/bin/python bench/bench_ray.py [--rows 48] [--work 2000000] [--per-node 1]
     [--latency 0] [--sandbox docker|local]   (root; needs the ray extra)
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

from pacore_bench.datasets import directory_problems
from pacore_bench.harness import BenchMeta, BenchSettings, run_bench
from pacore_bench.ray_runner import RayBenchOptions, run_bench_on_ray
from pacore_bench.strategies import parse_strategies
from pacore_core.backends import make_backend
from pacore_core.config import RunConfig, ServerSettings
from sandbox import make_sandbox
from tests.ray.dataset import responder, write_dataset
from tests.support import ScriptedServer

INSIDE = "PACORE_BENCH_RAY_NETNS"


def settings(per_node: int, nodes: int) -> BenchSettings:
    return BenchSettings(strategies=parse_strategies("single"), run=RunConfig(max_concurrency=64),
                         concurrency=per_node * nodes, sandbox_concurrency=per_node * nodes)


async def in_process(problems: list, warm: list, server: ServerSettings, per_node: int, kind: str,
                     out: Path) -> float:
    s = settings(per_node, 1)
    backend = make_backend(server, config=s.run)
    sandbox = make_sandbox(kind, parallelism=per_node)  # type: ignore[arg-type]
    meta = BenchMeta(dataset="bench-ray")
    try:
        # warmed up as the Ray runs are: the same sandbox (its pool) and backend, untimed
        await run_bench(warm, s, backend=backend, sandbox=sandbox, out_dir=out / "warm", meta=meta)
        start = time.perf_counter()
        await run_bench(problems, s, backend=backend, sandbox=sandbox, out_dir=out / "timed", meta=meta)
        return time.perf_counter() - start
    finally:
        await sandbox.close()
        await backend.close()


async def on_ray(problems: list, server: ServerSettings, per_node: int, nodes: int, kind: str,
                 out: Path, address: str) -> float:
    s = settings(per_node, nodes)
    options = RayBenchOptions(address=address, sandbox_kind=kind, rows_per_cpu=1)
    start = time.perf_counter()
    await run_bench_on_ray(problems, s, server=server, replay=None, out_dir=out,
                           meta=BenchMeta(dataset="bench-ray"), options=options)
    return time.perf_counter() - start


def measure_cluster(nodes: int, problems: list, warm: list, server: ServerSettings,
                    per_node: int, kind: str, root: Path) -> float:
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": per_node, "resources": {"pacore_sandbox": 1}, "include_dashboard": False})
    try:
        for _ in range(nodes - 1):
            cluster.add_node(num_cpus=per_node, resources={"pacore_sandbox": 1})
        cluster.wait_for_nodes()
        # one driver job for both runs, so the timed run reuses warm row workers
        ray.init(address=cluster.address, log_to_driver=False, namespace="pacore")
        try:
            asyncio.run(on_ray(warm, server, per_node, nodes, kind, root / f"warm{nodes}",
                               cluster.address))
            return asyncio.run(on_ray(problems, server, per_node, nodes, kind, root / f"ray{nodes}",
                                      cluster.address))
        finally:
            ray.shutdown()
    finally:
        cluster.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=48)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds per model request")
    ap.add_argument("--work", type=int, default=2_000_000,
                    help="loop iterations each program spins per test (sandbox CPU per row)")
    ap.add_argument("--per-node", type=int, default=1, help="rows and sandbox slots per node")
    ap.add_argument("--sandbox", choices=["docker", "local"], default="docker")
    args = ap.parse_args()
    if os.environ.get(INSIDE) != "1":
        if shutil.which("unshare") is None:
            sys.exit("bench_ray needs `unshare` (util-linux) and root: Ray must stay on loopback")
        cmd = f"ip link set lo up && exec {sys.executable} {' '.join(map(str, sys.argv))}"
        sys.exit(subprocess.call(["unshare", "-n", "bash", "-c", cmd], env={**os.environ, INSIDE: "1"}))

    root = Path(tempfile.mkdtemp(prefix="pacore-bench-ray-"))
    try:
        write_dataset(root / "ds", n=args.rows + args.per_node * 3)
        every = directory_problems(root / "ds")
        warm, problems = every[: args.per_node * 3], every[args.per_node * 3 :]
        with ScriptedServer(responder(args.latency, args.work)) as srv:
            server = ServerSettings(base_url=[srv.base_url], model=srv.model)
            t_local = asyncio.run(in_process(problems, warm, server, args.per_node, args.sandbox,
                                             root / "local"))
            t1 = measure_cluster(1, problems, warm, server, args.per_node, args.sandbox, root)
            t3 = measure_cluster(3, problems, warm, server, args.per_node, args.sandbox, root)
        n = len(problems)
        r_local, r1, r3 = n / t_local, n / t1, n / t3
        cpus = os.cpu_count() or 1
        ceiling = min(3 * args.per_node, cpus) / (3 * min(args.per_node, cpus))
        print(f"rows: {n} (strategy single, each verified on its sample and scored on a hidden test), "
              f"programs spin {args.work} iterations per test, model latency {args.latency:.1f} s, "
              f"{args.per_node} rows and sandbox slots per node, sandbox {args.sandbox}, {cpus} CPUs")
        print(f"in-process, 1 host : {t_local:6.1f} s  {r_local:5.2f} rows/s  (warmed up)")
        print(f"Ray, 1 node        : {t1:6.1f} s  {r1:5.2f} rows/s  (warmed up)")
        print(f"Ray, 3 nodes       : {t3:6.1f} s  {r3:5.2f} rows/s  (warmed up)")
        print(f"scaling efficiency 3 vs 1 node : {r3 / (3 * r1):.2f}  (target >= 0.8; "
              f"this machine's CPU ceiling {ceiling:.2f})")
        print(f"Ray / in-process on one node   : {r1 / r_local:.2f}x (target >= 0.8x)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
