"""Test support: the scripted OpenAI-compatible server (the only model double)."""

from tests.support.scripted_server import (
    Drop,
    Error,
    Hang,
    RecordedRequest,
    Reply,
    Responder,
    ScriptedServer,
    by_round,
    context_length_error,
    count_tokens,
    cycle_replies,
    fail_first,
    is_synthesis,
    prompt_tokens,
    reference_count,
    render_chat,
)

__all__ = [
    "Drop",
    "Error",
    "Hang",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ScriptedServer",
    "by_round",
    "context_length_error",
    "count_tokens",
    "cycle_replies",
    "fail_first",
    "is_synthesis",
    "prompt_tokens",
    "reference_count",
    "render_chat",
]
