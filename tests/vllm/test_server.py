"""The whole pipeline against a real `vllm serve` on loopback, through the OpenAI backend.

vLLM's own Prometheus counters (`/metrics`) are the ground truth: they show how many
requests arrived with which `n`, and how many tokens the engine really processed.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pacore_core.backends.base import SampleRequest
from pacore_core.backends.openai_backend import OpenAIBackend
from pacore_core.config import RunConfig
from pacore_core.engine import Engine
from pacore_core.problem import Problem
from sandbox import Sandbox
from tests.vllm.helpers import (
    LONG_STATEMENT,
    MAX_MODEL_LEN,
    SERVED_NAME,
    VLLMServer,
    delta,
    sandbox_kind,
)

pytestmark = pytest.mark.vllm


def templated_tokens(server: VLLMServer, prompt: str) -> int:
    """vLLM's own count of a one-message chat prompt (chat template applied)."""
    resp = httpx.post(f"{server.root_url}/tokenize", json={
        "model": SERVED_NAME, "messages": [{"role": "user", "content": prompt}],
        "add_generation_prompt": True,
    }, timeout=30)
    resp.raise_for_status()
    return int(resp.json()["count"])


async def test_pipeline_over_server_widths_tokens_budget(
    vllm_server: VLLMServer, add_problem: Problem, code_sandbox: Sandbox,
) -> None:
    backend = OpenAIBackend(vllm_server.base_url, SERVED_NAME, use_n=True)
    config = RunConfig(rounds=[4, 6], max_tokens=64, seed=0)
    before = vllm_server.metrics()
    try:
        assert await backend.context_window() == MAX_MODEL_LEN
        result = await Engine(backend, code_sandbox, config).solve(add_problem)
    finally:
        await backend.close()
    after = vllm_server.metrics()

    assert result.status == "unsolved", result.error
    assert result.code is None and result.selected.source == "none"
    assert [r.k for r in result.rounds] == [4, 6, 1]
    assert [len(r.trajectories) for r in result.rounds] == [4, 6, 1]
    for r in result.rounds:
        assert all(t.ok and t.code is None and t.code_problem for t in r.trajectories)
        assert len({t.request_id for t in r.trajectories}) == 1, "one n=K request per round"

    # the widths reached vLLM as n=K: three requests carrying 4 + 6 + 1 samples
    assert delta(after, before, "vllm:request_params_n_count") == 3
    assert delta(after, before, "vllm:request_params_n_sum") == 11
    # token accounting equals what the engine processed
    assert delta(after, before, "vllm:generation_tokens_total") == result.ttc_tokens
    per_round_prompt = [sum(t.prompt_tokens for t in r.trajectories) for r in result.rounds]
    assert result.prompt_tokens == sum(per_round_prompt)
    assert delta(after, before, "vllm:prompt_tokens_total") == sum(
        r.k * p for r, p in zip(result.rounds, per_round_prompt, strict=True))
    # the budget held with the real tokenizer, and it had to cut
    for r, p in zip(result.rounds, per_round_prompt, strict=True):
        assert p == templated_tokens(vllm_server, r.prompt)
        assert p + config.max_tokens <= MAX_MODEL_LEN
    assert any(c.kind == "dropped" for c in result.rounds[1].cuts), result.rounds[1].cuts


async def test_separate_requests_mode_sends_k_requests(vllm_server: VLLMServer) -> None:
    backend = OpenAIBackend(vllm_server.base_url, SERVED_NAME, use_n=False)
    before = vllm_server.metrics()
    try:
        trajs = [t async for t in backend.sample(SampleRequest(
            messages=[{"role": "user", "content": "def f(x):"}], n=3, max_tokens=8, seed=5))]
    finally:
        await backend.close()
    after = vllm_server.metrics()
    assert sorted(t.index for t in trajs) == [0, 1, 2] and all(t.ok for t in trajs)
    assert delta(after, before, "vllm:request_params_n_count") == 3
    assert delta(after, before, "vllm:request_params_n_sum") == 3
    assert delta(after, before, "vllm:generation_tokens_total") == sum(
        t.completion_tokens for t in trajs)


async def test_context_errors_over_http_end_the_run_cleanly(
    vllm_server: VLLMServer, add_problem: Problem, code_sandbox: Sandbox,
) -> None:
    problem = add_problem.model_copy(update={"statement": LONG_STATEMENT})
    backend = OpenAIBackend(vllm_server.base_url, SERVED_NAME, max_retries=1)
    try:
        before = vllm_server.metrics()
        refused = await Engine(backend, code_sandbox, RunConfig(rounds=[2], max_tokens=64)).solve(
            problem)
        after = vllm_server.metrics()
        # a window larger than the model's: the server rejects, the run says why
        rejected = await Engine(backend, code_sandbox, RunConfig(
            rounds=[2], max_tokens=64, context_window=8192)).solve(problem)
    finally:
        await backend.close()
    assert refused.status == "error" and refused.error and "context" in refused.error
    assert delta(after, before, "vllm:request_params_n_count") == 0
    assert rejected.status == "error" and rejected.error
    assert "context length" in rejected.error.lower(), rejected.error


def test_cli_solve_json_against_server(
    vllm_server: VLLMServer, problem_dir: Path, tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pacore]\nmax_tokens = 64\n")
    before = vllm_server.metrics()
    proc = subprocess.run(
        [sys.executable, "-m", "pacore_cli.main", "solve", str(problem_dir / "add.py"),
         "--tests", str(problem_dir / "test_add.py"), "--base-url", vllm_server.base_url,
         "--model", SERVED_NAME, "--rounds", "3", "--sandbox", sandbox_kind(), "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    after = vllm_server.metrics()
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "unsolved" and out["code"] is None
    assert out["context_window"] == MAX_MODEL_LEN
    assert [r["k"] for r in out["rounds"]] == [3, 1]
    assert [len(r["trajectories"]) for r in out["rounds"]] == [3, 1]
    assert delta(after, before, "vllm:request_params_n_sum") == 4
    assert delta(after, before, "vllm:generation_tokens_total") == out["ttc_tokens"]


def test_server_stops_without_leftover_processes(vllm_server: VLLMServer) -> None:
    """Runs last in this module: stopping kills the api server and its engine processes."""
    assert vllm_server.proc.poll() is None
    leftover = vllm_server.stop()
    assert leftover == []
    assert vllm_server.proc.returncode is not None
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", vllm_server.port),
                                                          timeout=2):
        pass
