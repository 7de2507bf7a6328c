"""OpenAI backend overhead (issue 10/14): what assembling a wide round costs on the client.

A zero-latency scripted server answers one ``n=32`` request with 32 answers of about 2,000
tokens each, streamed in deltas of 4 tokens (about 16,000 SSE events) or as one JSON body.
Figures: median wall time per round over the repeats, and client time per 1,000 SSE events
(the round minus a bare httpx read of the same stream, measured side by side). Also the
same round spread over two endpoints with ``use_n`` off (32 single requests).

Run: .venv/bin/python bench/bench_backend.py [--repeats N]
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

from pacore_core.backends.base import SampleRequest
from pacore_core.backends.openai_backend import OpenAIBackend
from tests.support import Reply, ScriptedServer

K = 32
ANSWER = "```python\n" + "\n".join(f"x_{i} = compute({i}, {i + 1})" for i in range(220)) + "\n```"
MESSAGES = [{"role": "user", "content": "Write the program."}]


async def backend_round(urls: list[str], model: str, *, stream: bool, use_n: bool = True) -> float:
    b = OpenAIBackend(urls, model, stream=stream, use_n=use_n, max_concurrency=K)
    request = SampleRequest(messages=MESSAGES, n=K)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    got = [t async for t in b.sample(request)]
    wall = time.perf_counter() - t0
    await b.close()
    assert len(got) == K and all(t.ok for t in got)
    return wall


async def bare_stream(url: str, model: str) -> tuple[float, int]:
    body = {"model": model, "messages": MESSAGES, "n": K, "stream": True,
            "stream_options": {"include_usage": True}}
    async with httpx.AsyncClient(timeout=60) as client:
        t0 = time.perf_counter()
        events = 0
        async with client.stream("POST", f"{url}/chat/completions", json=body) as resp:
            async for raw in resp.aiter_bytes():
                events += raw.count(b"data:")
        return time.perf_counter() - t0, events


async def main(repeats: int) -> None:
    with ScriptedServer(Reply(ANSWER)) as a, ScriptedServer(Reply(ANSWER)) as b:
        rows: dict[str, list[float]] = {"stream": [], "bare": [], "json": [], "two endpoints": []}
        events = 0
        split = [0, 0]
        for _ in range(repeats):
            rows["stream"].append(await backend_round([a.base_url], a.model, stream=True))
            bare, events = await bare_stream(a.base_url, a.model)
            rows["bare"].append(bare)
            rows["json"].append(await backend_round([a.base_url], a.model, stream=False))
            before = (a.calls, b.calls)
            rows["two endpoints"].append(
                await backend_round([a.base_url, b.base_url], a.model, stream=True, use_n=False))
            split[0] += a.calls - before[0]
            split[1] += b.calls - before[1]
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"K={K}, answer {len(ANSWER)} chars, {events} SSE events per streamed round, "
          f"median of {repeats}")
    print(f"  streamed round (n={K})         {med['stream'] * 1000:8.1f} ms")
    print(f"  bare httpx read of the stream  {med['bare'] * 1000:8.1f} ms")
    print(f"  client cost per 1,000 events   {(med['stream'] - med['bare']) * 1e6 / events:8.1f} ms")
    print(f"  JSON round (n={K})             {med['json'] * 1000:8.1f} ms")
    print(f"  two endpoints, {K} single requests {med['two endpoints'] * 1000:6.1f} ms "
          f"(requests per endpoint over all repeats: {split[0]}, {split[1]})")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    asyncio.run(main(p.parse_args().repeats))
