"""Ray scale-out benchmark (issue 11): rows per second on 1 vs 3 nodes, and the Ray path
against the in-process path on one node.

The scripted model answers every request after a fixed latency, so a row's time is mostly
waiting for the model (as with a real vLLM), and a small machine can show how rows spread.
Each node has the same concurrency (`--per-node` rows at once and as many sandbox slots);
every row is one `single` strategy run: one model request, then verification and scoring in
the real sandbox. Nodes are `ray.cluster_utils.Cluster` nodes on this machine, all inside a
network namespace with only loopback (the script re-runs itself under `unshare -n`).

Figures (no thresholds are asserted; targets from the issue are printed beside them):
- scaling efficiency = (rows/s on 3 nodes) / (3 x rows/s on 1 node), target >= 0.8;
- Ray overhead = (rows/s through Ray on 1 node) / (rows/s in-process), target >= 0.8.

Each run starts its own sandbox services (one actor and a warm pool per node), a fixed cost
that enough rows amortize: 96 rows by default (with 48, the 3-node run is short enough
that start-up shows in its rate).

Run: .venv/bin/python bench/bench_ray.py [--rows 96] [--latency 3] [--per-node 4]
     [--sandbox docker|local]   (root; needs the ray extra)
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


async def in_process(problems: list, server: ServerSettings, per_node: int, kind: str,
                     out: Path) -> float:
    s = settings(per_node, 1)
    backend = make_backend(server, config=s.run)
    sandbox = make_sandbox(kind, parallelism=per_node)  # type: ignore[arg-type]
    try:
        start = time.perf_counter()
        await run_bench(problems, s, backend=backend, sandbox=sandbox, out_dir=out,
                        meta=BenchMeta(dataset="bench-ray"))
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
    ap.add_argument("--rows", type=int, default=96)
    ap.add_argument("--latency", type=float, default=3.0, help="seconds per model request")
    ap.add_argument("--per-node", type=int, default=4, help="rows and sandbox slots per node")
    ap.add_argument("--sandbox", choices=["docker", "local"], default="docker")
    args = ap.parse_args()
    if os.environ.get(INSIDE) != "1":
        if shutil.which("unshare") is None:
            sys.exit("bench_ray needs `unshare` (util-linux) and root: Ray must stay on loopback")
        cmd = f"ip link set lo up && exec {sys.executable} {' '.join(map(str, sys.argv))}"
        sys.exit(subprocess.call(["unshare", "-n", "bash", "-c", cmd], env={**os.environ, INSIDE: "1"}))

    root = Path(tempfile.mkdtemp(prefix="pacore-bench-ray-"))
    try:
        write_dataset(root / "ds", n=args.rows)
        problems = directory_problems(root / "ds")
        warm = problems[: args.per_node * 3]
        with ScriptedServer(responder(args.latency)) as srv:
            server = ServerSettings(base_url=[srv.base_url], model=srv.model)
            t_local = asyncio.run(in_process(problems, server, args.per_node, args.sandbox,
                                             root / "local"))
            t1 = measure_cluster(1, problems, warm, server, args.per_node, args.sandbox, root)
            t3 = measure_cluster(3, problems, warm, server, args.per_node, args.sandbox, root)
        n = len(problems)
        r_local, r1, r3 = n / t_local, n / t1, n / t3
        ideal = n / ((n / args.per_node) * args.latency)
        print(f"rows: {n} (strategy single), model latency {args.latency:.1f} s per request, "
              f"{args.per_node} rows and sandbox slots per node, sandbox {args.sandbox}")
        print(f"in-process, 1 host : {t_local:6.1f} s  {r_local:5.2f} rows/s  "
              f"(latency-bound ideal {ideal:.2f})")
        print(f"Ray, 1 node        : {t1:6.1f} s  {r1:5.2f} rows/s")
        print(f"Ray, 3 nodes       : {t3:6.1f} s  {r3:5.2f} rows/s")
        print(f"scaling efficiency 3 vs 1 node : {r3 / (3 * r1):.2f}  (target >= 0.8)")
        print(f"Ray / in-process on one node   : {r1 / r_local:.2f}x (target >= 0.8x)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
