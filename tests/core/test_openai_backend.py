"""OpenAIBackend against the scripted OpenAI-compatible server over real HTTP."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from pacore_core.backends.base import BackendError, SampleRequest, Trajectory
from pacore_core.backends.openai_backend import OpenAIBackend
from pacore_core.backends.retry import RetryPolicy, parse_context_overflow, parse_retry_after
from pacore_core.tokens import estimate_tokens
from tests.support import (
    Drop,
    Error,
    Reply,
    ScriptedServer,
    count_tokens,
    cycle_replies,
    fail_first,
    prompt_tokens,
)

MESSAGES = [{"role": "user", "content": "Write add(a, b) in Python."}]
REPLIES = [Reply("```python\ndef add(a, b):\n    return a + b\n```", "think about sums"),
           Reply("return a - b", None),
           Reply("def add(a, b): return sum([a, b])", "lists work too, I guess"),
           Reply("no idea")]


def fast_retry(n: int = 3) -> RetryPolicy:
    return RetryPolicy(max_retries=n, base_s=0.01, max_s=0.02)


def backend(srv: ScriptedServer, **kw: Any) -> OpenAIBackend:
    kw.setdefault("retry", fast_retry())
    return OpenAIBackend(srv.base_url, srv.model, **kw)


def request(n: int, **kw: Any) -> SampleRequest:
    return SampleRequest(messages=MESSAGES, n=n, **kw)  # type: ignore[arg-type]


async def collect(b: OpenAIBackend, req: SampleRequest) -> list[Trajectory]:
    try:
        return [t async for t in b.sample(req)]
    finally:
        await b.close()


def expected_completion(r: Reply) -> int:
    return count_tokens(r.content) + count_tokens(r.reasoning or "")


async def test_one_request_with_n_k() -> None:
    with ScriptedServer(cycle_replies(REPLIES)) as srv:
        trajs = await collect(backend(srv), request(4, seed=5, max_tokens=300, temperature=0.7))
        reqs = srv.chat_requests
    assert len(reqs) == 1
    assert (reqs[0]["n"], reqs[0]["seed"], reqs[0]["max_tokens"], reqs[0]["temperature"]) == (
        4, 5, 300, 0.7)
    by_index = {t.index: t for t in trajs}
    assert sorted(by_index) == [0, 1, 2, 3]
    assert [by_index[i].content for i in range(4)] == [r.content for r in REPLIES]
    assert all(t.ok and t.finish_reason == "stop" for t in trajs)
    assert len({t.request_id for t in trajs}) == 1


async def test_k_single_requests_with_seeds_when_n_is_off() -> None:
    with ScriptedServer(cycle_replies([Reply("x", latency_s=0.15)])) as srv:
        b = backend(srv, use_n=False, max_concurrency=2)
        trajs = await collect(b, request(4, seed=10))
        reqs = srv.chat_requests
        arrivals = sorted(r.received_at for r in srv.requests)
    assert [r["n"] for r in reqs] == [1, 1, 1, 1]
    assert sorted(r["seed"] for r in reqs) == [10, 11, 12, 13]
    assert sorted(t.index for t in trajs) == [0, 1, 2, 3]
    assert len({t.request_id for t in trajs}) == 4
    # at most two requests in flight: the third arrives only after the first answered
    assert arrivals[2] - arrivals[0] >= 0.14


async def test_falls_back_to_single_requests_when_n_is_rejected() -> None:
    with ScriptedServer(cycle_replies(REPLIES), supports_n=False) as srv:
        b = backend(srv)
        first = [t async for t in b.sample(request(3, seed=1))]
        calls_after_first = srv.calls
        second = await collect(b, request(2, seed=1))
        reqs = srv.chat_requests
    assert all(t.ok for t in first + second)
    assert sorted(t.index for t in first) == [0, 1, 2]
    assert calls_after_first == 4  # the rejected n=3 request, then three single requests
    assert sorted(r["seed"] for r in reqs[1:4]) == [1, 2, 3]
    assert [r["n"] for r in reqs[4:]] == [1, 1]  # remembered: no second n>1 attempt


async def test_streaming_yields_each_choice_when_it_finishes() -> None:
    replies = [Reply("slow " * 20, "hmm " * 10, latency_s=0.8),
               Reply("fast " * 20, latency_s=0.05), Reply("medium " * 20, latency_s=0.2)]
    with ScriptedServer(cycle_replies(replies)) as srv:
        b = backend(srv, stream=True)
        t0 = time.monotonic()
        arrivals: list[tuple[int, float]] = []
        async for t in b.sample(request(3)):
            arrivals.append((t.index, time.monotonic() - t0))
        await b.close()
        body = srv.chat_requests[0]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert [i for i, _ in arrivals] == [1, 2, 0]
    assert arrivals[0][1] < 0.5 < 0.8 <= arrivals[-1][1] + 0.05


async def test_non_streaming_delivers_when_the_slowest_is_done() -> None:
    replies = [Reply("slow", latency_s=0.4), Reply("fast", latency_s=0.0)]
    with ScriptedServer(cycle_replies(replies)) as srv:
        b = backend(srv)
        t0 = time.monotonic()
        firsts = []
        async for _ in b.sample(request(2)):
            firsts.append(time.monotonic() - t0)
        await b.close()
    assert min(firsts) >= 0.4


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_reasoning_is_read_from_either_field(field: str, stream: bool) -> None:
    with ScriptedServer(cycle_replies(REPLIES[:2]), reasoning_fields=(field,)) as srv:
        trajs = await collect(backend(srv, stream=stream), request(2))
    by_index = {t.index: t for t in trajs}
    assert by_index[0].reasoning == "think about sums"
    assert by_index[0].content == REPLIES[0].content  # reasoning is not in the content
    assert by_index[1].reasoning is None


@pytest.mark.parametrize("stream", [False, True])
async def test_usage_sums_equal_the_server_usage(stream: bool) -> None:
    with ScriptedServer(cycle_replies(REPLIES)) as srv:
        trajs = await collect(backend(srv, stream=stream), request(4))
    completion = sum(expected_completion(r) for r in REPLIES)
    assert sum(t.completion_tokens for t in trajs) == completion
    assert sum(t.prompt_tokens for t in trajs) == prompt_tokens(MESSAGES)
    assert sum(1 for t in trajs if t.prompt_tokens) == 1  # the prompt is counted once
    assert all(t.completion_tokens > 0 for t in trajs)


async def test_exact_usage_counts_each_choice_with_the_server_tokenizer() -> None:
    with ScriptedServer(cycle_replies(REPLIES)) as srv:
        trajs = await collect(backend(srv, exact_usage=True), request(4))
    by_index = {t.index: t for t in trajs}
    assert [by_index[i].completion_tokens for i in range(4)] == [
        expected_completion(r) for r in REPLIES]


async def test_single_requests_carry_exact_usage_and_cached_tokens() -> None:
    msgs = [{"role": "user", "content": "long shared prefix " * 40}]
    with ScriptedServer(cycle_replies(REPLIES)) as srv:
        b = backend(srv, use_n=False, max_concurrency=1)
        trajs = await collect(b, SampleRequest(messages=msgs, n=2))  # type: ignore[arg-type]
    by_index = {t.index: t for t in trajs}
    assert [by_index[i].completion_tokens for i in range(2)] == [
        expected_completion(r) for r in REPLIES[:2]]
    assert [t.prompt_tokens for t in trajs] == [prompt_tokens(msgs)] * 2
    assert sorted(t.cached_tokens for t in trajs)[0] == 0
    assert sorted(t.cached_tokens for t in trajs)[1] > 0  # the second hit the prefix cache


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_retries_transient_errors_then_succeeds(status: int) -> None:
    with ScriptedServer(fail_first(2, REPLIES[0], Error(status, "busy"))) as srv:
        trajs = await collect(backend(srv), request(2))
        calls = srv.calls
    assert calls == 3
    assert [t.ok for t in trajs] == [True, True]


async def test_retry_after_is_respected() -> None:
    with ScriptedServer(fail_first(1, "ok", Error(429, "slow down", retry_after=0.3))) as srv:
        b = backend(srv, retry=RetryPolicy(max_retries=2, base_s=0.001, max_s=0.001))
        t0 = time.monotonic()
        trajs = await collect(b, request(1))
        elapsed = time.monotonic() - t0
    assert trajs[0].ok and elapsed >= 0.3


@pytest.mark.parametrize("stream", [False, True])
async def test_dropped_connection_is_retried(stream: bool) -> None:
    with ScriptedServer(fail_first(1, REPLIES[0], Drop(after_s=0.05))) as srv:
        trajs = await collect(backend(srv, stream=stream), request(2))
        calls = srv.calls
    assert calls == 2 and all(t.ok for t in trajs)


async def test_stream_drop_retries_only_the_unfinished_choices() -> None:
    def responder(req: dict[str, Any], choice: int, call: int) -> Reply | Drop:
        if call == 0:
            return Reply("early bird", latency_s=0.02) if choice == 0 else Drop(after_s=0.2)
        return Reply("second try")

    with ScriptedServer(responder) as srv:
        trajs = await collect(backend(srv, stream=True), request(2))
        ns = [r["n"] for r in srv.chat_requests]
    assert ns == [2, 1]
    assert sorted((t.index, t.content) for t in trajs) == [(0, "early bird"), (1, "second try")]


async def test_context_length_error_shrinks_max_tokens() -> None:
    with ScriptedServer(cycle_replies(REPLIES), max_model_len=300) as srv:
        trajs = await collect(backend(srv), request(2, max_tokens=4096))
        sent = [r["max_tokens"] for r in srv.chat_requests]
    assert sent == [4096, 300 - prompt_tokens(MESSAGES)]
    assert all(t.ok for t in trajs)


async def test_prompt_too_long_fails_the_trajectories_without_raising() -> None:
    huge = [{"role": "user", "content": "word " * 400}]
    with ScriptedServer(max_model_len=100) as srv:
        trajs = await collect(backend(srv), SampleRequest(messages=huge, n=2))  # type: ignore[arg-type]
        calls = srv.calls
    assert calls == 1
    assert len(trajs) == 2 and all(t.error and "maximum context length" in t.error for t in trajs)


async def test_uses_max_completion_tokens_when_the_server_asks() -> None:
    with ScriptedServer(accept_max_tokens=False) as srv:
        b = backend(srv)
        await collect(b, request(1, max_tokens=50))
        reqs = srv.chat_requests
    assert "max_tokens" in reqs[0]
    assert reqs[1]["max_completion_tokens"] == 50 and "max_tokens" not in reqs[1]


async def test_partial_failure_yields_errored_trajectories() -> None:
    def responder(req: dict[str, Any], choice: int, call: int) -> Reply | Error:
        return Error(500, "this seed always crashes") if req.get("seed") == 7 else Reply("fine")

    with ScriptedServer(responder) as srv:
        trajs = await collect(backend(srv, use_n=False, retry=fast_retry(2)), request(3, seed=6))
        calls = srv.calls
    by_index = {t.index: t for t in trajs}
    assert sorted(by_index) == [0, 1, 2]
    assert by_index[0].ok and by_index[2].ok
    err = by_index[1].error or ""
    assert "HTTP 500" in err and "this seed always crashes" in err and srv.base_url in err
    assert calls == 2 + 3  # two good requests, one failing request tried three times


async def test_timeout_is_an_errored_trajectory() -> None:
    with ScriptedServer(Reply("late", latency_s=1.0)) as srv:
        trajs = await collect(backend(srv, timeout_s=0.2, retry=fast_retry(0)), request(1))
    assert trajs[0].error is not None and "timed out" in trajs[0].error


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_server_raises_backend_error_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    b = OpenAIBackend(url, "m", retry=fast_retry())
    with pytest.raises(BackendError) as info:
        await collect(b, request(2))
    msg = info.value.render(lambda key: f"--{key.replace('_', '-')}")
    assert url in msg and "connection refused" in msg and "--base-url" in msg
    assert info.value.setting == "base_url" and "PACORE_" not in msg


async def test_api_key_is_sent_and_a_missing_key_is_explained() -> None:
    with ScriptedServer("ok", api_key="sekret") as srv:
        trajs = await collect(backend(srv, api_key="sekret"), request(1))
        assert srv.requests[-1].headers["authorization"] == "Bearer sekret"
        with pytest.raises(BackendError) as info:
            await collect(backend(srv), request(1))
    assert trajs[0].ok
    assert "401" in str(info.value) and info.value.setting == "api_key"
    assert "pacore.apiKey" in info.value.render(lambda key: "pacore.apiKey" if key == "api_key" else key)


async def test_unknown_model_names_the_served_models() -> None:
    with ScriptedServer(model="served-model") as srv:
        b = OpenAIBackend(srv.base_url, "other-model", retry=fast_retry())
        with pytest.raises(BackendError) as info:
            await collect(b, request(1))
    assert "other-model" in str(info.value) and "served-model" in str(info.value)
    assert info.value.setting == "model"


async def test_context_window_comes_from_models_and_is_cached() -> None:
    with ScriptedServer(max_model_len=2048) as srv:
        b = backend(srv)
        assert await b.context_window() == 2048
        assert await b.context_window() == 2048
        await b.close()
        model_calls = [r for r in srv.requests if r.path == "/v1/models"]
    assert len(model_calls) == 1


@pytest.mark.parametrize("paths, used", [(("/tokenize", "/v1/tokenize"), "/tokenize"),
                                          (("/v1/tokenize",), "/v1/tokenize")])
async def test_count_tokens_uses_the_server_tokenizer(paths: tuple[str, ...], used: str) -> None:
    text = "def add(a, b):\n    return a + b  # sum of two numbers"
    with ScriptedServer(tokenize_paths=paths) as srv:
        b = backend(srv)
        n = await b.count_tokens(text)
        again = await b.count_tokens(text)
        await b.count_tokens("other text")
        await b.close()
        tok_paths = [r.path for r in srv.requests if r.path.endswith("/tokenize")]
    assert n == again == count_tokens(text) != estimate_tokens(text)
    assert tok_paths[-1] == used
    assert tok_paths.count(used) == 2  # cached repeat; the working path is remembered


async def test_count_tokens_falls_back_to_the_estimate() -> None:
    text = "x" * 70
    with ScriptedServer(tokenize_paths=()) as srv:
        b = backend(srv)
        assert await b.count_tokens(text) == estimate_tokens(text) == 20
        assert await b.count_tokens("y" * 7) == 2
        await b.close()
        tok_calls = [r for r in srv.requests if r.path.endswith("/tokenize")]
    assert len(tok_calls) == 2  # both paths tried once, then never again


def test_context_overflow_messages_of_vllm_and_openai() -> None:
    old = ("This model's maximum context length is 2048 tokens. However, you requested 5000 "
           "tokens (1000 in the messages, 4000 in the completion). Please reduce the length.")
    new = ("'max_tokens' or 'max_completion_tokens' is too large: 4000. This model's maximum "
           "context length is 2048 tokens and your request has 1000 input tokens "
           "(4000 > 2048 - 1000).")
    prompt = ("This model's maximum context length is 2048 tokens. However, your prompt "
              "contains 3000 input tokens, which exceeds this limit even without any output "
              "tokens. Please reduce the length of the input prompt.")
    assert (o := parse_context_overflow(old)) is not None and o.fitting_max_tokens() == 1048
    assert (o := parse_context_overflow(new)) is not None and o.fitting_max_tokens() == 1048
    assert (o := parse_context_overflow(prompt)) is not None and o.fitting_max_tokens() is None
    assert parse_context_overflow("model not found") is None
    assert parse_retry_after("2.5") == 2.5 and parse_retry_after(None) is None
