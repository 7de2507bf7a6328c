"""The scripted OpenAI-compatible server, exercised over real HTTP with plain httpx."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import (
    Drop,
    Error,
    Hang,
    Reply,
    ScriptedServer,
    by_round,
    count_tokens,
    cycle_replies,
    fail_first,
    prompt_tokens,
)

MODEL = "scripted-model"
MSGS = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Add 2 and 3."}]


def chat(srv: ScriptedServer, **kw: Any) -> httpx.Response:
    body = {"model": MODEL, "messages": MSGS, **kw}
    return httpx.post(f"{srv.base_url}/chat/completions", json=body, timeout=10)


def sse_events(resp: httpx.Response) -> Iterator[Any]:
    """Parsed `data:` payloads as they arrive ("[DONE]" stays a string)."""
    for line in resp.iter_lines():
        if line.startswith("data: "):
            payload = line[len("data: "):]
            yield payload if payload == "[DONE]" else json.loads(payload)


def test_models_lists_the_model_with_its_context_length() -> None:
    with ScriptedServer(model="m1", max_model_len=1234) as srv:
        data = httpx.get(f"{srv.base_url}/models").json()["data"]
    assert [(d["id"], d["max_model_len"]) for d in data] == [("m1", 1234)]
    assert srv.base_url.startswith("http://127.0.0.1:") and srv.base_url.endswith("/v1")


def test_n_choices_follow_the_script_and_usage_counts_every_choice() -> None:
    replies: list[Reply | str] = [Reply("five", "2 plus 3 is 5"), "it is 5", Reply("5", None)]
    with ScriptedServer(cycle_replies(replies)) as srv:
        r = chat(srv, n=3, seed=7, max_tokens=100, temperature=0.8)
    assert r.status_code == 200
    body = r.json()
    msgs = [c["message"] for c in body["choices"]]
    assert [m["content"] for m in msgs] == ["five", "it is 5", "5"]
    assert [m["reasoning_content"] for m in msgs] == ["2 plus 3 is 5", None, None]
    assert [c["index"] for c in body["choices"]] == [0, 1, 2]
    usage = body["usage"]
    assert usage["prompt_tokens"] == prompt_tokens(MSGS)
    assert usage["completion_tokens"] == (count_tokens("five 2 plus 3 is 5")
                                          + count_tokens("it is 5") + 1)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0
    assert srv.chat_requests[0]["seed"] == 7 and srv.calls == 1


@pytest.mark.parametrize("fields", [("reasoning",), ("reasoning", "reasoning_content")])
def test_reasoning_field_names_are_configurable(fields: tuple[str, ...]) -> None:
    with ScriptedServer(Reply("a", "why"), reasoning_fields=fields) as srv:
        msg = chat(srv).json()["choices"][0]["message"]
    assert all(msg[f] == "why" for f in fields)
    assert ("reasoning_content" in msg) == ("reasoning_content" in fields)


def test_streaming_interleaves_choices_and_finishes_each_at_its_latency() -> None:
    replies = [Reply("slow answer " * 5, "thinking hard", latency_s=0.4),
               Reply("fast answer " * 5, latency_s=0.1)]
    with ScriptedServer(cycle_replies(replies)) as srv:
        body = {"model": MODEL, "messages": MSGS, "n": 2, "stream": True,
                "stream_options": {"include_usage": True}}
        finished: dict[int, float] = {}
        text = {0: "", 1: ""}
        reasoning = {0: "", 1: ""}
        usage = None
        with httpx.stream("POST", f"{srv.base_url}/chat/completions", json=body) as r:
            t0 = time.monotonic()
            events = []
            for ev in sse_events(r):
                events.append(ev)
                if ev == "[DONE]":
                    continue
                if ev["usage"]:
                    usage = ev["usage"]
                for c in ev["choices"]:
                    text[c["index"]] += c["delta"].get("content") or ""
                    reasoning[c["index"]] += c["delta"].get("reasoning_content") or ""
                    if c["finish_reason"]:
                        finished[c["index"]] = time.monotonic() - t0
    assert text == {0: replies[0].content, 1: replies[1].content}
    assert reasoning[0] == "thinking hard"
    assert list(finished) == [1, 0]  # the fast choice finishes first
    assert finished[1] < 0.35 <= finished[0] + 0.05
    order = [c["index"] for ev in events if ev != "[DONE]" for c in ev["choices"]]
    assert order.index(1) < len(order) - 1 - order[::-1].index(0)  # deltas interleave
    assert events[-1] == "[DONE]" and events[-2]["choices"] == []
    assert usage is not None and usage["completion_tokens"] == sum(
        count_tokens(r.content) + count_tokens(r.reasoning or "") for r in replies)


def test_streaming_without_include_usage_sends_no_usage_chunk() -> None:
    with ScriptedServer("x y z") as srv, httpx.stream(
            "POST", f"{srv.base_url}/chat/completions",
            json={"model": MODEL, "messages": MSGS, "stream": True}) as r:
        events = list(sse_events(r))
    assert events[-1] == "[DONE]"
    assert all("usage" not in ev for ev in events[:-1])
    assert events[-2]["choices"][0]["finish_reason"] == "stop"


def test_non_streaming_waits_for_the_slowest_choice() -> None:
    replies = [Reply("a", latency_s=0.05), Reply("b", latency_s=0.3)]
    with ScriptedServer(cycle_replies(replies)) as srv:
        t0 = time.monotonic()
        r = chat(srv, n=2)
        assert time.monotonic() - t0 >= 0.3
    assert [c["message"]["content"] for c in r.json()["choices"]] == ["a", "b"]


def test_error_injection_and_retry_after() -> None:
    with ScriptedServer(fail_first(2, "fine", Error(429, "slow down", retry_after=1.5))) as srv:
        first, second, third = chat(srv), chat(srv), chat(srv)
    assert first.status_code == second.status_code == 429
    assert first.headers["retry-after"] == "1.5"
    assert first.json()["error"] == {"message": "slow down", "type": "RateLimitError",
                                     "param": None, "code": 429}
    assert third.status_code == 200 and third.json()["choices"][0]["message"]["content"] == "fine"
    assert srv.calls == 3


def test_fail_first_defaults_to_500() -> None:
    with ScriptedServer(fail_first(1, "ok")) as srv:
        assert chat(srv).status_code == 500
        assert chat(srv).status_code == 200


def test_context_length_error_matches_vllm() -> None:
    with ScriptedServer(max_model_len=100) as srv:
        p = prompt_tokens(MSGS)
        r = chat(srv, max_tokens=100)
        ok = chat(srv, max_completion_tokens=100 - p)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["type"] == "BadRequestError"
    assert err["message"].startswith(
        f"This model's maximum context length is 100 tokens. However, you requested "
        f"{p + 100} tokens ({p} in the messages, 100 in the completion).")
    assert ok.status_code == 200


def test_prompt_longer_than_the_window_is_rejected_even_when_clamping() -> None:
    long_msgs = [{"role": "user", "content": "word " * 200}]
    with ScriptedServer(max_model_len=100, context_overflow="clamp") as srv:
        clamped = chat(srv, max_tokens=10_000)
        r = httpx.post(f"{srv.base_url}/chat/completions",
                       json={"model": MODEL, "messages": long_msgs})
    assert clamped.status_code == 200
    assert r.status_code == 400
    assert "maximum context length is 100 tokens" in r.json()["error"]["message"]


def test_max_tokens_truncates_with_finish_reason_length() -> None:
    with ScriptedServer(Reply("one two three four", "r1 r2")) as srv:
        choice = chat(srv, max_tokens=4).json()["choices"][0]
    assert choice["finish_reason"] == "length"
    assert choice["message"]["reasoning_content"] == "r1 r2"
    assert choice["message"]["content"] == "one two"


def test_tokenize_agrees_with_usage() -> None:
    with ScriptedServer(max_model_len=777) as srv:
        usage = chat(srv).json()["usage"]
        by_msgs = httpx.post(f"{srv.root_url}/tokenize",
                             json={"model": MODEL, "messages": MSGS}).json()
        by_text = httpx.post(f"{srv.base_url}/tokenize",
                             json={"model": MODEL, "prompt": "def f(x): return x+1"}).json()
    assert by_msgs["count"] == usage["prompt_tokens"] == len(by_msgs["tokens"])
    assert by_msgs["max_model_len"] == 777
    assert by_text["count"] == 10 == count_tokens("def f(x): return x+1")


def test_tokenize_can_be_absent() -> None:
    with ScriptedServer(tokenize_paths=()) as srv:
        r = httpx.post(f"{srv.root_url}/tokenize", json={"model": MODEL, "prompt": "a"})
    assert r.status_code == 404


def test_api_key_is_enforced_when_configured() -> None:
    with ScriptedServer(api_key="sekret") as srv:
        body = {"model": MODEL, "messages": MSGS}
        url = f"{srv.base_url}/chat/completions"
        missing = httpx.post(url, json=body)
        wrong = httpx.post(url, json=body, headers={"Authorization": "Bearer nope"})
        right = httpx.post(url, json=body, headers={"Authorization": "Bearer sekret"})
        models = httpx.get(f"{srv.base_url}/models")
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert models.status_code == 401
    assert srv.requests[-2].headers["authorization"] == "Bearer sekret"


def test_unknown_model_is_404() -> None:
    with ScriptedServer() as srv:
        r = httpx.post(f"{srv.base_url}/chat/completions",
                       json={"model": "other", "messages": MSGS})
    assert r.status_code == 404 and "other" in r.json()["error"]["message"]


def test_servers_without_n_or_max_tokens_reject_them() -> None:
    with ScriptedServer(supports_n=False, accept_max_tokens=False) as srv:
        assert chat(srv, n=2).status_code == 400
        assert "max_completion_tokens" in chat(srv, max_tokens=5).json()["error"]["message"]
        assert chat(srv, n=1, max_completion_tokens=5).status_code == 200


@pytest.mark.parametrize("stream", [False, True])
def test_connection_drop(stream: bool) -> None:
    with ScriptedServer(cycle_replies([Reply("x " * 50, latency_s=0.2), Drop(after_s=0.1)])
                        ) as srv:
        with pytest.raises(httpx.TransportError):
            if stream:
                with httpx.stream("POST", f"{srv.base_url}/chat/completions",
                                  json={"model": MODEL, "messages": MSGS, "n": 2,
                                        "stream": True}) as r:
                    events = []
                    for ev in sse_events(r):
                        events.append(ev)
            else:
                chat(srv, n=2)
        assert chat(srv, n=1).status_code == 200  # the server itself keeps serving
    if stream:
        assert events and "[DONE]" not in events


def test_hang_with_headers_starts_a_stream_that_never_comes() -> None:
    with ScriptedServer(Hang(headers=True)) as srv:
        body = {"model": MODEL, "messages": MSGS, "stream": True}
        with httpx.stream("POST", f"{srv.base_url}/chat/completions", json=body,
                          timeout=httpx.Timeout(5, read=0.3)) as resp:
            assert resp.status_code == 200
            with pytest.raises(httpx.ReadTimeout):
                resp.read()
        calls = srv.calls
    assert calls == 1


def test_hang_without_headers_sends_nothing() -> None:
    with ScriptedServer(Hang()) as srv, pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{srv.base_url}/chat/completions", json={"model": MODEL, "messages": MSGS},
                   timeout=httpx.Timeout(5, read=0.3))
    assert not srv.running


def test_kill_cuts_open_requests_and_refuses_new_ones() -> None:
    with ScriptedServer(Hang()) as srv:
        errors: list[BaseException] = []

        def call() -> None:
            try:
                chat(srv)
            except httpx.HTTPError as e:
                errors.append(e)

        t = threading.Thread(target=call)
        t.start()
        for _ in range(1000):  # a guard against hanging, not a timing assertion
            if srv.calls:
                break
            time.sleep(0.01)
        srv.kill()
        t.join(10)
        for _ in range(1000):
            if not srv.running:
                break
            time.sleep(0.01)
        with pytest.raises(httpx.ConnectError):
            chat(srv)
    assert not t.is_alive() and len(errors) == 1
    assert isinstance(errors[0], httpx.RemoteProtocolError | httpx.ReadError)


def test_by_round_tells_synthesis_prompts_apart() -> None:
    responder = by_round(["first A", "first B"], "synth", final="final")
    synth_msgs = [{"role": "user", "content": "Q\n\nReference Responses:\nReference 1:\nx"}]
    with ScriptedServer(responder) as srv:
        first = [c["message"]["content"] for c in chat(srv, n=3).json()["choices"]]
        url = f"{srv.base_url}/chat/completions"
        synth = httpx.post(url, json={"model": MODEL, "messages": synth_msgs, "n": 2}).json()
        final = httpx.post(url, json={"model": MODEL, "messages": synth_msgs, "n": 1}).json()
    assert first == ["first A", "first B", "first A"]
    assert [c["message"]["content"] for c in synth["choices"]] == ["synth", "synth"]
    assert final["choices"][0]["message"]["content"] == "final"


def test_prefix_cache_reports_cached_tokens_for_a_repeated_prompt() -> None:
    msgs = [{"role": "user", "content": "token " * 100}]
    with ScriptedServer(prefix_cache_block=16) as srv:
        url = f"{srv.base_url}/chat/completions"
        a = httpx.post(url, json={"model": MODEL, "messages": msgs}).json()["usage"]
        b = httpx.post(url, json={"model": MODEL, "messages": msgs}).json()["usage"]
    assert a["prompt_tokens_details"]["cached_tokens"] == 0
    assert b["prompt_tokens_details"]["cached_tokens"] == (b["prompt_tokens"] - 1) // 16 * 16


def test_requests_are_recorded_from_many_threads() -> None:
    import concurrent.futures as cf

    with ScriptedServer("ok") as srv, cf.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda i: chat(srv, seed=i).status_code, range(24)))
    assert codes == [200] * 24
    assert srv.calls == 24
    assert sorted(r["seed"] for r in srv.chat_requests) == list(range(24))
    assert sorted(r.call_index for r in srv.requests if r.call_index is not None) == list(
        range(24))


def test_runs_as_a_process_with_a_script_file(tmp_path: Path) -> None:
    script = tmp_path / "replies.json"
    script.write_text(json.dumps(["one", {"content": "two", "reasoning": "hm"},
                                  {"error": 503, "message": "busy"}]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.scripted_server", "--port", "0",
         "--script", str(script), "--model", "proc-model"],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:") and base.endswith("/v1")
        url = f"{base}/chat/completions"
        body = {"model": "proc-model", "messages": MSGS, "n": 2}
        r = httpx.post(url, json=body, timeout=10).json()
        assert [c["message"]["content"] for c in r["choices"]] == ["one", "two"]
        assert r["choices"][1]["message"]["reasoning_content"] == "hm"
        assert httpx.post(url, json=body, timeout=10).status_code == 503
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
