"""The backend's pure parts without a network: SSE assembly, usage attribution, call counts."""

from __future__ import annotations

import json

import pytest

from pacore_core.backends.base import Trajectory, count_model_calls
from pacore_core.backends.retry import TransientError
from pacore_core.backends.sse import AssembledChoice, StreamAssembler, choices_from_json
from pacore_core.backends.usage import attribute, largest_remainder, stream_remainder


def chunk(index: int, content: str = "", finish: str | None = None, **extra: object) -> bytes:
    body = {"id": "cmpl-1", "choices": [{"index": index, "delta": {"content": content},
                                         "finish_reason": finish}], **extra}
    return b"data: " + json.dumps(body).encode() + b"\n\n"


@pytest.mark.parametrize(("total", "weights", "parts"), [
    (10, [1, 1, 1], [4, 3, 3]),  # equal remainders: the earliest gets the extra unit
    (7, [0, 0], [4, 3]),  # no weight at all: split evenly
    (100, [5, 1, 94], [5, 1, 94]),  # exact shares
    (10, [1, 2], [3, 7]),  # 3.33 / 6.67: the larger remainder gets the unit
    (5, [-3, 2], [0, 5]),  # a negative weight counts as none
    (3, [], []),
])
def test_largest_remainder_splits_by_weight(total: int, weights: list[int], parts: list[int]) -> None:
    assert largest_remainder(total, weights) == parts


async def test_attribution_prefers_own_usage_then_weights() -> None:
    own = [AssembledChoice(content=["a"], own_completion_tokens=3),
           AssembledChoice(content=["b"], own_completion_tokens=4)]
    assert await attribute(own, 100) == [3, 4]
    plain = [AssembledChoice(content=["x" * 35]), AssembledChoice(content=["x" * 70])]
    assert await attribute(plain, 30) == [10, 20]

    async def count(text: str) -> int:
        return len(text.split())

    words = [AssembledChoice(content=["one two three"]), AssembledChoice(content=["four"])]
    assert await attribute(words, 8, count=count) == [6, 2]


def test_stream_holds_back_the_last_choice_until_the_usage_chunk() -> None:
    state = StreamAssembler(2, "local-id")
    raw = chunk(0, "hel") + chunk(1, "wor") + chunk(0, "lo", "stop") + chunk(1, "ld", "stop")
    cut = len(raw) // 2 + 3  # network chunks split lines anywhere
    state.feed_bytes(raw[:cut])
    state.feed_bytes(raw[cut:])
    assert state.take_ready() == [0] and state.held == 1
    state.feed_bytes(b'data: {"choices": [], "usage": {"completion_tokens": 9}}\n\ndata: [DONE]')
    state.close()
    assert state.done and state.usage == {"completion_tokens": 9} and state.rid == "cmpl-1"
    assert state.choices[0].text == "hello" and state.choices[1].text == "world"
    assert stream_remainder(state.usage, 4, state.choices[1]) == 5


def test_an_error_inside_a_stream_is_transient() -> None:
    with pytest.raises(TransientError, match="server error mid-stream: engine died"):
        StreamAssembler(1, "x").feed_bytes(b'data: {"error": {"message": "engine died"}}\n')


def test_a_malformed_body_is_transient() -> None:
    with pytest.raises(TransientError, match="malformed response"):
        choices_from_json({"choices": "nope"})


def test_model_calls_count_answered_and_failed_requests() -> None:
    trajs = [
        Trajectory(index=0, request_id="a", failed_requests=2),
        Trajectory(index=1, request_id="a"),
        Trajectory(index=2, request_id="b"),
        Trajectory(index=3, request_id="pool"),
        Trajectory(index=4, error="connection refused"),  # never reached a server
        Trajectory(index=5, error="HTTP 500", request_id="c", failed_requests=4),
    ]
    assert count_model_calls(trajs) == 2 + 2 + 1 + 4
