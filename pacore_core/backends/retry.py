"""Retry policy and error parsing for HTTP model backends.

Kept apart from the backend so the rules (what is retried, how long to wait, how a
context-length error is read) are small, testable and reusable by any HTTP backend.

`TransientError` and `RequestRejected` are `BackendError`s that a backend raises and
handles within one request's attempts; what finally leaves a backend is a trajectory with
`error` set or a `BackendError` worded for the user.
"""

from __future__ import annotations

import json
import random
import re
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from pacore_core.errors import BackendError

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class TransientError(BackendError):
    """A failure worth another attempt: after `retry_after` s, or the policy's backoff.

    `unreachable`: no connection could be made (refused, unknown host, connect timeout);
    `no_answer`: the server accepted the request but sent nothing in time.
    """

    def __init__(
        self,
        message: str,
        retry_after: float | None = None,
        *,
        unreachable: bool = False,
        no_answer: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.unreachable = unreachable
        self.no_answer = no_answer


class RequestRejected(BackendError):
    """The server answered with a non-retryable HTTP status; `detail` is its own message."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status
        self.detail = detail


def error_message(resp: httpx.Response) -> str:
    """The server's error text: OpenAI/vLLM ``{"error": {"message"}}``, older vLLM
    ``{"message"}``, FastAPI ``{"detail"}``, or the raw body."""
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:500] or resp.reason_phrase
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
        for key in ("message", "detail"):
            if data.get(key):
                return str(data[key])
    return json.dumps(data)[:500]


def raise_for_status(resp: httpx.Response) -> None:
    """`TransientError` for retryable statuses, `RequestRejected` for the others."""
    message = error_message(resp)
    if resp.status_code in RETRYABLE_STATUS:
        raise TransientError(
            f"HTTP {resp.status_code}: {message}", parse_retry_after(resp.headers.get("retry-after"))
        )
    raise RequestRejected(resp.status_code, message)


def describe(e: BaseException) -> str:
    """A short cause; httpx hides "connection refused" deep in the exception chain."""
    seen: BaseException | None = e
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return f"unknown host ({seen})"
        seen = seen.__cause__ or seen.__context__
    return str(e) or type(e).__name__


@dataclass
class RetryPolicy:
    """Jittered exponential backoff ("equal jitter": half fixed, half random).

    Attempt `a` (0-based) waits ``min(max_s, base_s * 2**a) * uniform(0.5, 1)``, or the
    server's ``Retry-After`` when it gives one (capped at `max_retry_after_s`).
    """

    max_retries: int = 4
    base_s: float = 0.5
    max_s: float = 20.0
    max_retry_after_s: float = 120.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_retry_after_s))
        cap = min(self.max_s, self.base_s * (2**attempt))
        return cap * self.rng.uniform(0.5, 1.0)


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass(frozen=True)
class ContextOverflow:
    """What a context-length error says: the window and, when known, the prompt size."""

    max_model_len: int
    prompt_tokens: int | None

    def fitting_max_tokens(self) -> int | None:
        """The largest `max_tokens` that fits, or None if the prompt alone does not fit."""
        if self.prompt_tokens is None:
            return None
        room = self.max_model_len - self.prompt_tokens
        return room if room >= 1 else None


_WINDOW = re.compile(r"maximum context length is (\d+) tokens", re.I)
# vLLM < 0.10 and OpenAI: "you requested 5000 tokens (1000 in the messages, 4000 in the completion)"
_REQUESTED = re.compile(r"(\d+) in the messages, (\d+) in the completion", re.I)
# vLLM 0.10+: "... and your request has 1000 input tokens (4000 > 2048 - 1000)"
_INPUT = re.compile(r"request has (\d+) input tokens", re.I)
# prompt alone too long: "your prompt contains [at least] N input tokens" /
# "your messages resulted in N tokens" / "Input length (N) exceeds"
_PROMPT_TOO_LONG = re.compile(
    r"prompt contains (?:at least )?(\d+) input tokens|messages resulted in (\d+) tokens"
    r"|Input length \((\d+)\) exceeds",
    re.I,
)
_INPUT_LEN_WINDOW = re.compile(r"maximum context length \((\d+)\)", re.I)


def parse_context_overflow(message: str) -> ContextOverflow | None:
    """Read a 400 context-length error from vLLM (old and new wording) or OpenAI."""
    m = _WINDOW.search(message) or _INPUT_LEN_WINDOW.search(message)
    if m is None:
        return None
    window = int(m.group(1))
    if (r := _REQUESTED.search(message)) is not None:
        return ContextOverflow(window, int(r.group(1)))
    if (r := _INPUT.search(message)) is not None:
        return ContextOverflow(window, int(r.group(1)))
    if (r := _PROMPT_TOO_LONG.search(message)) is not None:
        prompt = next(int(g) for g in r.groups() if g is not None)
        return ContextOverflow(window, max(prompt, window))
    return ContextOverflow(window, None)


def wants_max_completion_tokens(message: str) -> bool:
    """The server refuses `max_tokens` and asks for `max_completion_tokens` (OpenAI o-series)."""
    low = message.lower()
    return "max_completion_tokens" in low and "max_tokens" in low.replace("max_completion_tokens", "")
