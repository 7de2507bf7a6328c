"""Choices assembled from a chat-completions answer: a whole JSON body or an SSE stream.

A stream of ``n`` choices interleaves per-choice deltas; each choice is complete at its
``finish_reason``. The request's last choice to finish is held back until the usage chunk
(which only arrives at the end of a stream) so per-trajectory counts can sum to the
server's total (see `pacore_core.backends.usage`).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from pacore_core.backends.retry import TransientError
from pacore_core.tokens import estimate_tokens


@dataclass
class AssembledChoice:
    """A choice being assembled from a response or a stream."""

    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    deltas: int = 0
    finish_reason: str | None = None
    own_completion_tokens: int | None = None

    @property
    def text(self) -> str:
        return "".join(self.content)

    @property
    def reasoning_text(self) -> str | None:
        return "".join(self.reasoning) or None

    def provisional_tokens(self) -> int:
        """About one token per delta (vLLM), or the estimate when deltas are unknown."""
        return self.deltas or estimate_tokens(self.text)


def choices_from_json(data: Any) -> dict[int, AssembledChoice]:
    """The choices of a non-streaming response body, by index; malformed bodies are transient."""
    try:
        raw_choices = data["choices"]
        choices: dict[int, AssembledChoice] = {}
        for c in raw_choices:
            msg = c.get("message") or {}
            ch = AssembledChoice(finish_reason=c.get("finish_reason"))
            ch.content.append(msg.get("content") or "")
            reasoning = msg.get("reasoning_content") or msg.get("reasoning")
            if reasoning:
                ch.reasoning.append(reasoning)
            own = (c.get("usage") or {}).get("completion_tokens")
            ch.own_completion_tokens = int(own) if own is not None else None
            choices[int(c.get("index", 0))] = ch
    except (KeyError, TypeError, ValueError, AttributeError):
        raise TransientError(f"malformed response: {json.dumps(data)[:200]!r}") from None
    return choices


class StreamAssembler:
    """Assembles the choices of one SSE stream of `n` choices."""

    def __init__(self, n: int, request_id: str) -> None:
        self.n = n
        self.rid = request_id
        self.choices: dict[int, AssembledChoice] = {}
        self.usage: dict[str, Any] = {}
        self.finished = 0
        self.ready: list[int] = []
        self.held: int | None = None
        self.held_at = 0.0
        self.done = False
        self._buf = b""

    def take_ready(self) -> list[int]:
        """Choices finished since the last call, except the held-back last one."""
        ready, self.ready = self.ready, []
        return ready

    def feed_bytes(self, raw: bytes) -> None:
        """Feed raw network bytes; complete ``data:`` lines are parsed, the rest buffered.

        Raw chunks are split here rather than with an async line iterator: at K=32 a stream
        has thousands of events and per-line async iteration would dominate the cost.
        """
        *lines, self._buf = (self._buf + raw).split(b"\n")
        for line in lines:
            if line.startswith(b"data:"):
                self.feed(line[5:].strip())

    def close(self) -> None:
        """The stream ended: parse a last line that had no newline."""
        if self._buf.startswith(b"data:"):
            self.feed(self._buf[5:].strip())
        self._buf = b""

    def feed(self, payload: bytes) -> None:
        """One ``data:`` payload (a JSON chunk or ``[DONE]``)."""
        if payload == b"[DONE]":
            self.done = True
            return
        try:
            chunk = json.loads(payload)
        except ValueError:
            return
        if "error" in chunk and not chunk.get("choices"):
            err = chunk["error"]
            msg = err.get("message", err) if isinstance(err, dict) else err
            raise TransientError(f"server error mid-stream: {msg}")
        self.rid = chunk.get("id") or self.rid
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for c in chunk.get("choices") or ():
            i = int(c.get("index", 0))
            if i >= self.n:
                continue
            ch = self.choices.get(i) or self.choices.setdefault(i, AssembledChoice())
            delta = c.get("delta") or {}
            text = delta.get("content") or ""
            reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
            if text or reasoning:
                ch.deltas += 1
                ch.content.append(text)
                ch.reasoning.append(reasoning)
            if c.get("finish_reason") and ch.finish_reason is None:
                ch.finish_reason = c["finish_reason"]
                self.finished += 1
                if self.finished == self.n:
                    self.held, self.held_at = i, time.monotonic()
                else:
                    self.ready.append(i)


async def iter_stream(chunks: AsyncIterator[bytes], assembler: StreamAssembler) -> AsyncIterator[list[int]]:
    """Feed `chunks` to `assembler`; yield the choices that became ready after each chunk."""
    async for raw in chunks:
        assembler.feed_bytes(raw)
        ready = assembler.take_ready()
        if ready:
            yield ready
        if assembler.done:
            break
    assembler.close()

