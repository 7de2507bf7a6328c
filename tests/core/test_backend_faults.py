"""A model server that hangs, fails or fails late: bounded waits, visible retries, honest counts.

Every limit here is configured short (fractions of a second) so the tests assert what
happened, never how long it took.
"""

from __future__ import annotations

from typing import Any

import pytest

from pacore_core.backends.base import SampleRequest, Trajectory, count_model_calls
from pacore_core.backends.openai_backend import OpenAIBackend
from pacore_core.backends.retry import RetryPolicy
from pacore_core.events import Event, ModelRetrying
from tests.support import Error, Hang, Reply, ScriptedServer, fail_first

MESSAGES = [{"role": "user", "content": "Write add(a, b) in Python."}]


def fast_retry(n: int) -> RetryPolicy:
    return RetryPolicy(max_retries=n, base_s=0.01, max_s=0.02)


async def run(b: OpenAIBackend, n: int, events: list[Event] | None = None) -> list[Trajectory]:
    request = SampleRequest(messages=MESSAGES, n=n, round_index=1)  # type: ignore[arg-type]
    try:
        return [t async for t in b.sample(request, on_event=events.append if events is not None else None)]
    finally:
        await b.close()


@pytest.mark.parametrize("headers", [False, True])
async def test_a_server_that_never_answers_a_stream_is_noticed_at_the_first_token_limit(
    headers: bool,
) -> None:
    events: list[Event] = []
    with ScriptedServer(Hang(headers=headers)) as srv:
        b = OpenAIBackend(srv.base_url, srv.model, stream=True, first_token_timeout_s=0.3,
                          timeout_s=60, retry=fast_retry(2))
        trajs = await run(b, 2, events)
        calls = srv.calls
    assert calls == 3 == count_model_calls(trajs)  # the first attempt and two retries
    assert [t.ok for t in trajs] == [False, False]
    err = trajs[0].error or ""
    assert "no token within 0.3 s" in err and srv.base_url in err and "after 3 attempts" in err
    retries = [e for e in events if isinstance(e, ModelRetrying)]
    assert [(e.attempt, e.attempts) for e in retries] == [(2, 3), (3, 3)]
    assert all(e.no_answer and e.round == 1 and e.trajectories == 2 for e in retries)
    assert retries[0].describe() == (
        "no answer yet (timed out: no token within 0.3 s), retrying (2/3)")


async def test_without_streaming_the_overall_limit_bounds_a_hang() -> None:
    with ScriptedServer(Hang()) as srv:
        b = OpenAIBackend(srv.base_url, srv.model, timeout_s=0.3, retry=fast_retry(0))
        trajs = await run(b, 1)
    assert trajs[0].error is not None and "no answer within 0.3 s" in trajs[0].error


async def test_a_stream_that_keeps_coming_is_cut_at_the_overall_limit() -> None:
    slow = Reply("word " * 400, latency_s=30.0)  # a delta every ~0.3 s, done after 30 s
    with ScriptedServer(slow, stream_tokens=4) as srv:
        b = OpenAIBackend(srv.base_url, srv.model, stream=True, first_token_timeout_s=10,
                          timeout_s=0.5, retry=fast_retry(0))
        trajs = await run(b, 1)
    assert trajs[0].error is not None and "no complete answer within 0.5 s" in trajs[0].error


async def test_a_hang_then_an_answer_recovers_and_says_so() -> None:
    events: list[Event] = []
    with ScriptedServer(fail_first(1, "fine", Hang())) as srv:
        b = OpenAIBackend(srv.base_url, srv.model, stream=True, first_token_timeout_s=0.3,
                          retry=fast_retry(4))
        trajs = await run(b, 1, events)
        calls = srv.calls
    assert calls == 2 and trajs[0].ok and trajs[0].content == "fine"
    assert [(e.attempt, e.attempts) for e in events if isinstance(e, ModelRetrying)] == [(2, 5)]
    assert count_model_calls(trajs) == 2  # the hung request is a model call too


async def test_http_500_retries_are_announced_and_every_request_is_counted() -> None:
    events: list[Event] = []
    with ScriptedServer(Error(500, "engine crashed")) as srv:
        b = OpenAIBackend(srv.base_url, srv.model, retry=fast_retry(4))
        trajs = await run(b, 2, events)
        calls = srv.calls
    assert calls == 5
    assert count_model_calls(trajs) == 5  # "model calls 0" was the bug
    retries = [e for e in events if isinstance(e, ModelRetrying)]
    assert [e.attempt for e in retries] == [2, 3, 4, 5]
    assert not retries[0].no_answer
    assert retries[0].describe() == "model request failed (HTTP 500: engine crashed), retrying (2/5)"


@pytest.mark.parametrize("stream", [False, True])
async def test_failed_then_answered_requests_add_up_to_the_calls_received(stream: bool) -> None:
    with ScriptedServer(fail_first(2, "ok", Error(503, "busy"))) as srv:
        b = OpenAIBackend(srv.base_url, srv.model, stream=stream, retry=fast_retry(4))
        trajs = await run(b, 3)
        calls = srv.calls
    assert count_model_calls(trajs) == calls == 3


async def test_a_rejected_n_request_is_counted_once() -> None:
    with ScriptedServer("ok", supports_n=False) as srv:
        b = OpenAIBackend(srv.base_url, srv.model, retry=fast_retry(1))
        trajs = await run(b, 3)
        calls = srv.calls
    assert calls == 4 and count_model_calls(trajs) == 4


def _no_events(_: Any) -> None:  # a sink that must not be called
    raise AssertionError("no retry expected")


async def test_no_retry_events_on_the_happy_path() -> None:
    with ScriptedServer("ok") as srv:
        b = OpenAIBackend(srv.base_url, srv.model, stream=True, retry=fast_retry(2))
        request = SampleRequest(messages=MESSAGES, n=2)  # type: ignore[arg-type]
        trajs = [t async for t in b.sample(request, on_event=_no_events)]
        await b.close()
    assert all(t.ok for t in trajs)


async def test_an_unreachable_endpoint_is_not_a_model_call() -> None:
    with ScriptedServer("ok") as good:
        dead = ScriptedServer("never").start()
        dead_url = dead.base_url
        dead.stop()
        b = OpenAIBackend([good.base_url, dead_url], good.model, use_n=False, retry=fast_retry(1))
        trajs = await run(b, 4)
        calls = good.calls
    assert all(t.ok for t in trajs) and count_model_calls(trajs) == calls == 4


async def test_a_prompt_that_never_fits_is_one_call() -> None:
    huge = [{"role": "user", "content": "word " * 400}]
    with ScriptedServer(max_model_len=100) as srv:
        b = OpenAIBackend(srv.base_url, srv.model, retry=fast_retry(2))
        request = SampleRequest(messages=huge, n=2)  # type: ignore[arg-type]
        trajs = [t async for t in b.sample(request)]
        await b.close()
    assert srv.calls == 1 == count_model_calls(trajs) and not any(t.ok for t in trajs)
