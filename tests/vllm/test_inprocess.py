"""The in-process vLLM backend and the whole engine on it, checked against vLLM's metrics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pacore_core.backends.base import BackendError, SampleRequest, Trajectory
from pacore_core.backends.vllm_backend import CONTEXT_ERROR, VLLMBackend, split_reasoning
from pacore_core.config import RunConfig
from pacore_core.engine import Engine
from pacore_core.events import Event, RoundCompacted
from pacore_core.problem import Problem
from sandbox import Sandbox
from tests.vllm.helpers import (
    LONG_STATEMENT,
    MAX_MODEL_LEN,
    delta,
    engine_metrics,
    sandbox_kind,
)

pytestmark = pytest.mark.vllm



async def collect(backend: VLLMBackend, request: SampleRequest) -> list[Trajectory]:
    return [t async for t in backend.sample(request)]


def test_split_reasoning_keeps_text_after_last_think() -> None:
    assert split_reasoning("<think>a</think>b</think>\nanswer") == ("a</think>b", "answer")
    assert split_reasoning("plain answer") == (None, "plain answer")


async def test_sample_uses_one_n_request_and_vllm_token_counts(vllm_backend: VLLMBackend) -> None:
    llm = vllm_backend.llm
    assert await vllm_backend.context_window() == MAX_MODEL_LEN
    text = "def f(x):\n    return x + 1\n" * 6
    before = engine_metrics(llm)
    trajs = await collect(vllm_backend, SampleRequest(
        messages=[{"role": "user", "content": text}], n=5, max_tokens=24, seed=7))
    after = engine_metrics(llm)

    assert sorted(t.index for t in trajs) == [0, 1, 2, 3, 4]
    assert all(t.ok for t in trajs)
    assert len({t.request_id for t in trajs}) == 1
    # one request carrying n=5 reached the engine
    assert delta(after, before, "vllm:request_params_n_count") == 1
    assert delta(after, before, "vllm:request_params_n_sum") == 5
    # prompt counted once, and equal to our chat-templated count with the real tokenizer
    prompt = await vllm_backend.count_tokens(text)
    assert [t.prompt_tokens for t in sorted(trajs, key=lambda t: t.index)] == [prompt, 0, 0, 0, 0]
    # vLLM counts the prompt once per sample in its metrics
    assert delta(after, before, "vllm:prompt_tokens_total") == 5 * prompt
    assert delta(after, before, "vllm:generation_tokens_total") == sum(
        t.completion_tokens for t in trajs)
    assert all(0 < t.completion_tokens <= 24 for t in trajs)
    assert len({t.content for t in trajs}) == 5, "n=5 samples should differ"


async def test_shared_engine_is_not_closed(vllm_backend: VLLMBackend, tiny_model: Path) -> None:
    shared = VLLMBackend(str(tiny_model), llm=vllm_backend.llm)
    assert await shared.context_window() == MAX_MODEL_LEN
    await shared.close()
    with pytest.raises(BackendError, match="closed"):
        await shared.context_window()
    trajs = await collect(vllm_backend, SampleRequest(
        messages=[{"role": "user", "content": "hello"}], n=2, max_tokens=4, seed=1))
    assert len(trajs) == 2 and all(t.ok for t in trajs)


async def test_prompt_over_context_yields_context_errors(vllm_backend: VLLMBackend) -> None:
    trajs = await collect(vllm_backend, SampleRequest(
        messages=[{"role": "user", "content": LONG_STATEMENT}], n=3, max_tokens=8))
    assert len(trajs) == 3
    for t in trajs:
        assert t.error is not None and t.error.startswith(CONTEXT_ERROR)
        assert "maximum context length" in t.error
        assert t.completion_tokens == 0


async def test_solve_on_random_model_is_unsolved_with_real_budget(
    vllm_backend: VLLMBackend, add_problem: Problem, code_sandbox: Sandbox,
) -> None:
    events: list[Event] = []
    config = RunConfig(rounds=[4, 6], max_tokens=64, seed=0)
    before = engine_metrics(vllm_backend.llm)
    result = await Engine(vllm_backend, code_sandbox, config, on_event=events.append).solve(
        add_problem)
    after = engine_metrics(vllm_backend.llm)

    # garbage text: no program anywhere, a clear "unsolved" report, no crash
    assert result.status == "unsolved", result.error
    assert result.error is None and result.code is None
    assert result.selected.source == "none" and result.verification.passed == 0
    assert "no candidate produced a program" in result.selected.reason
    assert result.context_window == MAX_MODEL_LEN

    # the widths reached vLLM: one request per round, with n = K
    assert [r.k for r in result.rounds] == [4, 6, 1]
    assert [len(r.trajectories) for r in result.rounds] == [4, 6, 1]
    assert delta(after, before, "vllm:request_params_n_count") == 3
    assert delta(after, before, "vllm:request_params_n_sum") == 11
    for r in result.rounds:
        for t in r.trajectories:
            assert t.ok and t.code is None
            assert t.code_problem is not None and "code block" in t.code_problem
            assert t.verification is not None and t.verification.verdict == "no_code"

    # our accounting equals vLLM's
    assert delta(after, before, "vllm:generation_tokens_total") == result.ttc_tokens
    per_round_prompt = [sum(t.prompt_tokens for t in r.trajectories) for r in result.rounds]
    assert result.prompt_tokens == sum(per_round_prompt)
    assert delta(after, before, "vllm:prompt_tokens_total") == sum(
        r.k * p for r, p in zip(result.rounds, per_round_prompt, strict=True))
    assert result.model_calls == 3

    # the context budget, enforced with the real tokenizer
    for r, prompt_tokens in zip(result.rounds, per_round_prompt, strict=True):
        assert prompt_tokens == await vllm_backend.count_tokens(r.prompt)
        assert r.input_tokens >= prompt_tokens
        assert prompt_tokens + config.max_tokens <= MAX_MODEL_LEN
        assert r.input_tokens + config.max_tokens <= MAX_MODEL_LEN
    # 6 random answers of 64 tokens cannot all fit in 512 tokens with the problem: cut
    cut_round = result.rounds[1]
    dropped = [i for c in cut_round.cuts if c.kind == "dropped" for i in c.indices]
    assert dropped, cut_round.cuts
    assert len(cut_round.messages) + len(dropped) == 6
    assert all(m in result.rounds[2].prompt for m in cut_round.messages)
    compacted = [e for e in events if isinstance(e, RoundCompacted)]
    assert [e.round for e in compacted] == [1, 2]
    assert compacted[1].dropped == len(dropped)


async def test_problem_longer_than_context_is_an_error_not_a_crash(
    vllm_backend: VLLMBackend, add_problem: Problem, code_sandbox: Sandbox,
) -> None:
    problem = add_problem.model_copy(update={"statement": LONG_STATEMENT})
    before = engine_metrics(vllm_backend.llm)
    result = await Engine(vllm_backend, code_sandbox, RunConfig(rounds=[2], max_tokens=64)).solve(
        problem)
    after = engine_metrics(vllm_backend.llm)
    assert result.status == "error"
    assert result.error is not None and "context" in result.error
    # refused before sampling: the real tokenizer said it cannot fit
    assert delta(after, before, "vllm:request_params_n_count") == 0


async def test_misconfigured_context_window_reports_vllm_rejection(
    vllm_backend: VLLMBackend, add_problem: Problem, code_sandbox: Sandbox,
) -> None:
    """A configured window larger than the model's: vLLM rejects, the run reports it."""
    problem = add_problem.model_copy(update={"statement": LONG_STATEMENT})
    config = RunConfig(rounds=[2], max_tokens=64, context_window=8192)
    result = await Engine(vllm_backend, code_sandbox, config).solve(problem)
    assert result.status == "error"
    assert result.error is not None
    assert "maximum context length" in result.error and CONTEXT_ERROR in result.error


def test_cli_solve_json_with_inprocess_backend(
    tiny_model: Path, problem_dir: Path, tmp_path: Path,
) -> None:
    """`pacore solve --backend vllm`: its own engine in the CLI process, settings from
    `[tool.pacore]` (the context window becomes the engine's max_model_len)."""
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.pacore]\ncontext_window = {MAX_MODEL_LEN}\nmax_tokens = 48\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pacore_cli.main", "solve", str(problem_dir / "add.py"),
         "--tests", str(problem_dir / "test_add.py"), "--backend", "vllm",
         "--model", str(tiny_model), "--rounds", "3", "--sandbox", sandbox_kind(), "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=400,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert out["status"] == "unsolved" and out["code"] is None and out["error"] is None
    assert out["selected"]["source"] == "none" and out["verification"]["passed"] == 0
    assert "no candidate produced a program" in out["selected"]["reason"]
    assert out["context_window"] == MAX_MODEL_LEN
    assert [r["k"] for r in out["rounds"]] == [3, 1]
    trajs = [t for r in out["rounds"] for t in r["trajectories"]]
    assert len(trajs) == 4
    assert all(0 < t["completion_tokens"] <= 48 for t in trajs)
    assert out["ttc_tokens"] == sum(t["completion_tokens"] for t in trajs)
    assert out["model_calls"] == 2
    assert [sum(t["prompt_tokens"] for t in r["trajectories"]) > 0 for r in out["rounds"]] == [
        True, True]


def test_without_vllm_the_package_imports_and_names_the_extra() -> None:
    """Where vLLM is absent (simulated: the import fails), the error says what to install."""
    code = (
        "import asyncio, sys\n"
        "sys.modules['vllm'] = None\n"
        "from pacore_core.backends.vllm_backend import VLLMBackend\n"
        "from pacore_core.backends.base import BackendError\n"
        "try:\n"
        "    asyncio.run(VLLMBackend('some/model').context_window())\n"
        "except BackendError as e:\n"
        "    print(e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'pacore-code[vllm]'" in proc.stdout
