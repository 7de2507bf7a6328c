"""Engine benchmarks (issue 2): orchestration overhead per round, and verification overlap.

1. Overhead at K=32 against a zero-latency scripted server: one engine round (sample 32,
   extract, validate, compact, budget) minus a bare HTTP request for the same n=32,
   measured side by side. The problem has no tests, so no sandbox time is included.
2. Overlap: per-choice latencies injected (streamed, so each trajectory lands at its own
   time), every candidate verified in the real sandbox. Ratio = round wall time /
   (slowest trajectory + one verification). 1.0 means verification hides under generation.

Run: .venv/bin/python bench/bench_engine.py [--sandbox docker|local] [--repeats N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pacore_core.backends.openai_backend import OpenAIBackend
from pacore_core.config import RunConfig
from pacore_core.engine import Engine
from pacore_core.problem import Problem
from pacore_core.statement import function_statement
from sandbox import make_sandbox
from sandbox.models import PytestSuite
from tests.support import Reply, ScriptedServer

K = 32
PROGRAMS = [
    f"Reasoning done.\n```python\ndef f(x):\n    y = x * {i}\n    return y + {i % 5}\n```" for i in range(K)
]
TESTS = (
    "from solution import f\n\n"
    "def test_zero():\n    assert f(0) == 0\n\n"
    "def test_one():\n    assert f(1) >= 0\n"
)


def problem(with_tests: bool) -> Problem:
    return Problem(
        id="bench",
        statement=function_statement("def f(x):\n    ...\n", "f"),
        entry_point="f",
        public_tests=PytestSuite(files={"test_f.py": TESTS}) if with_tests else None,
    )


async def overhead(repeats: int) -> None:
    replies = [Reply(p) for p in PROGRAMS]
    with ScriptedServer(lambda req, choice, call: replies[choice % K]) as srv:
        backend = OpenAIBackend(srv.base_url, srv.model)
        engine = Engine(backend, sandbox=make_sandbox("local"), config=RunConfig(rounds=[K]))
        body = {
            "model": srv.model,
            "messages": [{"role": "user", "content": problem(False).statement}],
            "n": K,
            "max_tokens": 4096,
        }
        rounds, raws = [], []
        async with httpx.AsyncClient() as client:
            for _ in range(3):  # warm-up
                await engine.run_round(problem(False), [], K, 1)
                await client.post(f"{srv.base_url}/chat/completions", json=body)
            for _ in range(repeats):
                t = time.perf_counter()
                rec = await engine.run_round(problem(False), [], K, 1)
                rounds.append(time.perf_counter() - t)
                assert len(rec.trajectories) == K and all(tr.code for tr in rec.trajectories)
                t = time.perf_counter()
                r = await client.post(f"{srv.base_url}/chat/completions", json=body)
                raws.append(time.perf_counter() - t)
                assert len(r.json()["choices"]) == K
        await backend.close()
    ov = [(a - b) * 1000 for a, b in zip(rounds, raws, strict=True)]
    print(
        f"[overhead] K={K}, {repeats} rounds: engine round p50 {statistics.median(rounds) * 1000:.1f} ms, "
        f"bare n={K} request p50 {statistics.median(raws) * 1000:.1f} ms"
    )
    print(
        f"[overhead] orchestration overhead per round: p50 {statistics.median(ov):.1f} ms, "
        f"max {max(ov):.1f} ms (target < 20 ms)"
    )


async def overlap(sandbox_kind: str, repeats: int) -> None:
    k = 8
    latencies = [0.4 + 0.2 * i for i in range(k)]  # slowest 1.8 s
    replies = [Reply(PROGRAMS[i], latency_s=latencies[i]) for i in range(k)]
    sb = make_sandbox(sandbox_kind, parallelism=4)  # type: ignore[arg-type]
    try:
        with ScriptedServer(lambda req, choice, call: replies[choice % k]) as srv:
            backend = OpenAIBackend(srv.base_url, srv.model, stream=True)
            engine = Engine(backend, sb, RunConfig(rounds=[k], stream=True))
            p = problem(True)
            await engine.verify(p, "def f(x):\n    return x\n")  # warm the sandbox
            singles = []
            for i in range(5):
                t = time.perf_counter()
                v = await engine.verify(p, f"def f(x):\n    return x * {i}\n")
                singles.append(time.perf_counter() - t)
                assert v.total == 2
            one_verify = statistics.median(singles)
            ratios = []
            for _ in range(repeats):
                t = time.perf_counter()
                rec = await engine.run_round(p, [], k, 1)
                wall = time.perf_counter() - t
                assert all(tr.verification and tr.verification.total == 2 for tr in rec.trajectories)
                ratios.append(wall / (max(latencies) + one_verify))
            await backend.close()
    finally:
        await sb.close()
    print(
        f"[overlap] {sandbox_kind} sandbox, K={k}, latencies {latencies[0]:.1f}..{max(latencies):.1f} s, "
        f"one verification p50 {one_verify * 1000:.0f} ms"
    )
    print(
        f"[overlap] round wall / (slowest trajectory + one verification): "
        f"p50 {statistics.median(ratios):.3f}, max {max(ratios):.3f} (target <= 1.15)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sandbox", default="docker", choices=["docker", "local"])
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    asyncio.run(overhead(args.repeats))
    asyncio.run(overlap(args.sandbox, max(3, args.repeats // 5)))


if __name__ == "__main__":
    main()
