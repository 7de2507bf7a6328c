"""A scripted OpenAI-compatible HTTP server on loopback: the only test double for a model.

It speaks the subset of vLLM's OpenAI server the project uses, over real HTTP, so the code
under test (engine, LSP server, CLI, editors, benchmarks) runs unchanged:

- ``GET /v1/models`` (``data[].id`` and ``max_model_len``), ``GET /health``;
- ``POST /v1/chat/completions`` with ``n``, ``seed``, ``max_tokens`` /
  ``max_completion_tokens``, ``temperature``, ``stream`` (SSE, per-choice deltas,
  ``finish_reason``, ``[DONE]``, a final usage chunk with ``stream_options.include_usage``)
  and ``usage`` (with ``prompt_tokens_details.cached_tokens``);
- ``POST /tokenize`` (and ``/v1/tokenize``) in vLLM's format.

What each choice says is decided by a *responder*: ``(request_json, choice_index,
call_index) -> Reply | Error | Drop | Hang``. ``call_index`` counts chat-completion calls
(from 0); an ``Error``, ``Drop`` or ``Hang`` returned for any choice applies to the whole
request. A responder may block (e.g. on a `threading.Event`) to hold a request open.
`kill()` stops the server the hard way: it refuses new connections and cuts open ones.

Tokenizer (documented so tests can compute expected numbers): a token is a match of the
regex ``\\w+|[^\\w\\s]``. Chat messages are rendered as ``<|role|>\\ncontent\\n`` per
message followed by the generation prompt ``<|assistant|>\\n``; prompt tokens are the tokens
of that rendering. A choice's completion tokens are the tokens of its reasoning plus those
of its content. ``/tokenize`` and ``usage`` use the same functions.

Run it in another process with::

    python -m tests.support.scripted_server --port 0 --script replies.json

where ``replies.json`` is a JSON list of replies (a string, or an object with ``content``,
``reasoning``, ``latency_s``, ``finish_reason``; or ``{"error": STATUS, "message": ...}``,
``{"drop": true, "after_s": S}``, ``{"hang": true, "headers": BOOL}``),
cycled over choices. The server prints its base URL on stdout once it accepts connections.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import re
import signal
import socket
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

TOKEN_RE = re.compile(r"\w+|[^\w\s]")
SYNTHESIS_MARKER = "Reference Responses:"


def tokenize(text: str) -> list[str]:
    """The server's tokenizer: regex ``\\w+|[^\\w\\s]`` matches."""
    return TOKEN_RE.findall(text)


def count_tokens(text: str) -> int:
    return len(TOKEN_RE.findall(text)) if text else 0


def token_ids(text: str) -> list[int]:
    """Stable ids (independent of PYTHONHASHSEED) so `/tokenize` output is reproducible."""
    return [zlib.crc32(t.encode()) % 50_000 for t in tokenize(text)]


def message_text(content: Any) -> str:
    """OpenAI content may be a string or a list of parts; only text parts count."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def render_chat(messages: Sequence[dict[str, Any]], add_generation_prompt: bool = True) -> str:
    """The server's chat template (see module docstring)."""
    text = "".join(f"<|{m.get('role', 'user')}|>\n{message_text(m.get('content'))}\n"
                   for m in messages)
    return text + ("<|assistant|>\n" if add_generation_prompt else "")


def prompt_tokens(messages: Sequence[dict[str, Any]]) -> int:
    return count_tokens(render_chat(messages))


def truncate_tokens(text: str, limit: int) -> str:
    """The prefix of `text` that ends with its `limit`-th token."""
    if limit <= 0:
        return ""
    for i, m in enumerate(TOKEN_RE.finditer(text)):
        if i == limit - 1:
            return text[: m.end()]
    return text


def split_pieces(text: str, tokens_per_piece: int) -> list[str]:
    """Split `text` into pieces of `tokens_per_piece` tokens; concatenation gives `text`."""
    if not text:
        return []
    starts = [m.start() for m in TOKEN_RE.finditer(text)][::max(1, tokens_per_piece)]
    if not starts:
        return [text]
    starts[0] = 0
    bounds = [*starts, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds) if b > a]


# ----------------------------------------------------------------------------- script types


@dataclass(frozen=True)
class Reply:
    """One choice's answer. `latency_s` is when this choice finishes, from request arrival."""

    content: str
    reasoning: str | None = None
    latency_s: float = 0.0
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Error:
    """Answer the whole request with HTTP `status` after `after_s` seconds.

    The body is vLLM's error object ``{"error": {"message", "type", "param", "code"}}``.
    `retry_after` adds a ``Retry-After`` header (seconds).
    """

    status: int
    message: str = "injected error"
    after_s: float = 0.0
    retry_after: float | None = None
    type: str | None = None


@dataclass(frozen=True)
class Drop:
    """Close the connection mid-response after `after_s` seconds.

    Non-streaming: the status line, headers and half of the body are sent, then the socket
    is closed. Streaming: chunks due before `after_s` are sent, then the socket is closed.
    """

    after_s: float = 0.0


@dataclass(frozen=True)
class Hang:
    """Accept the request and never answer (until the server stops or is killed).

    With `headers` (streaming requests only) the status line and SSE headers are sent first,
    as a stuck vLLM does; without, not a byte is sent.
    """

    headers: bool = False


Outcome = Reply | Error | Drop | Hang
Responder = Callable[[dict[str, Any], int, int], Outcome]
ReplyLike = Reply | Error | Drop | Hang | str
_OUTCOMES = (Reply, Error, Drop, Hang)

_ERROR_TYPES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    404: "NotFoundError",
    408: "TimeoutError",
    429: "RateLimitError",
    500: "InternalServerError",
    502: "BadGatewayError",
    503: "ServiceUnavailableError",
}


def as_outcome(item: ReplyLike | dict[str, Any]) -> Outcome:
    """A string becomes `Reply(item)`; dicts follow the `--script` JSON format."""
    if isinstance(item, _OUTCOMES):
        return item
    if isinstance(item, str):
        return Reply(item)
    if isinstance(item, dict):
        if "error" in item:
            return Error(int(item["error"]), str(item.get("message", "injected error")),
                         float(item.get("after_s", 0.0)), item.get("retry_after"))
        if item.get("drop"):
            return Drop(float(item.get("after_s", 0.0)))
        if item.get("hang"):
            return Hang(bool(item.get("headers", False)))
        return Reply(str(item.get("content", "")), item.get("reasoning"),
                     float(item.get("latency_s", 0.0)), str(item.get("finish_reason", "stop")))
    raise TypeError(f"cannot script a reply from {item!r}")


def context_length_error(max_model_len: int, prompt: int, completion: int) -> Error:
    """vLLM's 400 for prompt + max_tokens over the context window (pre-0.10 wording)."""
    return Error(
        400,
        f"This model's maximum context length is {max_model_len} tokens. However, you "
        f"requested {prompt + completion} tokens ({prompt} in the messages, {completion} in "
        f"the completion). Please reduce the length of the messages or completion.",
        type="BadRequestError",
    )


def prompt_too_long_error(max_model_len: int, prompt: int) -> Error:
    """vLLM's 400 when the prompt alone does not fit (current wording)."""
    return Error(
        400,
        f"This model's maximum context length is {max_model_len} tokens. However, your "
        f"prompt contains {prompt} input tokens, which exceeds this limit even without any "
        f"output tokens. Please reduce the length of the input prompt.",
        type="BadRequestError",
    )


# ----------------------------------------------------------------------------- helpers


def cycle_replies(replies: Iterable[ReplyLike | dict[str, Any]]) -> Responder:
    """Hand out `replies` in order, one per choice served, wrapping around.

    Choices of one request take consecutive items in choice order. Concurrent requests take
    items in arrival order. Thread-safe.
    """
    items = [as_outcome(r) for r in replies]
    if not items:
        raise ValueError("cycle_replies needs at least one reply")
    counter = itertools.count()
    lock = threading.Lock()

    def responder(_req: dict[str, Any], _choice: int, _call: int) -> Outcome:
        with lock:
            i = next(counter)
        return items[i % len(items)]

    return responder


def last_user_text(request: dict[str, Any]) -> str:
    msgs = [m for m in request.get("messages", []) if m.get("role") == "user"]
    return message_text(msgs[-1].get("content")) if msgs else ""


def is_synthesis(request: dict[str, Any]) -> bool:
    """A synthesis round's prompt carries the template's "Reference Responses:" header."""
    return SYNTHESIS_MARKER in last_user_text(request)


def reference_count(request: dict[str, Any]) -> int:
    """How many "Reference i:" entries the prompt holds (0 for a first-round prompt)."""
    return len(re.findall(r"^Reference \d+:", last_user_text(request), flags=re.M))


def _as_responder(spec: Responder | ReplyLike | Sequence[ReplyLike]) -> Responder:
    if callable(spec) and not isinstance(spec, _OUTCOMES):
        return spec
    if isinstance(spec, (*_OUTCOMES, str)):
        return cycle_replies([spec])
    return cycle_replies(spec)


def by_round(
    first: Responder | ReplyLike | Sequence[ReplyLike],
    synthesis: Responder | ReplyLike | Sequence[ReplyLike],
    final: Responder | ReplyLike | Sequence[ReplyLike] | None = None,
) -> Responder:
    """Answer first-round prompts with `first` and synthesis prompts with `synthesis`.

    Synthesis prompts are recognised by "Reference Responses:" in the last user message.
    If `final` is given it answers synthesis requests with ``n == 1`` (the final round when
    the client uses `n`); lists are cycled, each stage with its own counter.
    """
    first_r, synth_r = _as_responder(first), _as_responder(synthesis)
    final_r = _as_responder(final) if final is not None else None

    def responder(req: dict[str, Any], choice: int, call: int) -> Outcome:
        if not is_synthesis(req):
            return first_r(req, choice, call)
        if final_r is not None and int(req.get("n") or 1) == 1:
            return final_r(req, choice, call)
        return synth_r(req, choice, call)

    return responder


def fail_first(
    calls: int, responder: Responder | ReplyLike | Sequence[ReplyLike],
    error: Error | Drop | Hang | None = None,
) -> Responder:
    """Fail the first `calls` chat-completion calls with `error` (default HTTP 500)."""
    inner = _as_responder(responder)
    err: Error | Drop | Hang = error or Error(500, "injected failure")

    def wrapped(req: dict[str, Any], choice: int, call: int) -> Outcome:
        return err if call < calls else inner(req, choice, call)

    return wrapped


# ----------------------------------------------------------------------------- server


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    call_index: int | None = None  # set for chat completions
    received_at: float = field(default=0.0)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr access logs
        return

    # --- plumbing

    def _send_json(self, status: int, obj: Any, extra: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _send_error_obj(self, err: Error) -> None:
        body = {"error": {"message": err.message,
                          "type": err.type or _ERROR_TYPES.get(err.status, "Error"),
                          "param": None, "code": err.status}}
        extra = {"Retry-After": f"{err.retry_after:g}"} if err.retry_after is not None else {}
        self._send_json(err.status, body, extra)

    def _read_body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return {"__invalid_json__": raw.decode(errors="replace")}
        return data if isinstance(data, dict) else {"__invalid_json__": data}

    def _authorized(self) -> bool:
        key = self.server.scripted.api_key
        if key is None:
            return True
        return self.headers.get("Authorization", "") == f"Bearer {key}"

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # --- routes

    def _dead(self) -> bool:
        """After `kill()`: drop anything that still gets through until the socket closes."""
        if self.server.scripted._stopping.is_set():
            self._drop()
            return True
        return False

    def do_GET(self) -> None:
        if self._dead():
            return
        srv = self.server.scripted
        path = self.path.split("?", 1)[0]
        srv._record(self, path, None, None)
        if path == "/health":
            self._send_json(200, {})
            return
        if not self._authorized():
            self._send_json(401, {"error": "Unauthorized"})
            return
        if path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [{
                "id": srv.model, "object": "model", "created": srv.created,
                "owned_by": "vllm", "root": srv.model, "parent": None,
                "max_model_len": srv.max_model_len, "permission": []}] + [
                {"id": m, "object": "model", "created": srv.created, "owned_by": "vllm"}
                for m in srv.extra_models]})
            return
        self._send_json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        if self._dead():
            return
        srv = self.server.scripted
        path = self.path.split("?", 1)[0]
        body = self._read_body()
        call = srv._next_call() if path == "/v1/chat/completions" else None
        srv._record(self, path, body, call)
        if not self._authorized():
            self._send_json(401, {"error": "Unauthorized"})
            return
        if body is None or "__invalid_json__" in body:
            self._send_error_obj(Error(400, "request body must be a JSON object"))
            return
        if path == "/v1/chat/completions":
            assert call is not None
            self._chat(body, call)
        elif path in srv.tokenize_paths:
            self._tokenize(body)
        else:
            self._send_json(404, {"detail": "Not Found"})

    def _tokenize(self, body: dict[str, Any]) -> None:
        srv = self.server.scripted
        if "messages" in body:
            text = render_chat(body["messages"], bool(body.get("add_generation_prompt", True)))
        else:
            text = str(body.get("prompt", ""))
        ids = token_ids(text)
        self._send_json(200, {"count": len(ids), "max_model_len": srv.max_model_len,
                              "tokens": ids, "token_strs": None})

    def _chat(self, body: dict[str, Any], call: int) -> None:
        srv = self.server.scripted
        t0 = time.monotonic()
        if body.get("model") != srv.model:
            self._send_error_obj(Error(404, f"The model `{body.get('model')}` does not exist.",
                                       type="NotFoundError"))
            return
        n = int(body.get("n") or 1)
        if n > 1 and not srv.supports_n:
            self._send_error_obj(Error(400, "n > 1 is not supported by this server"))
            return
        if "max_tokens" in body and not srv.accept_max_tokens:
            self._send_error_obj(Error(
                400, "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead."))
            return
        messages = body.get("messages") or []
        rendered = render_chat(messages)
        n_prompt = count_tokens(rendered)
        if n_prompt > srv.max_model_len:
            self._send_error_obj(prompt_too_long_error(srv.max_model_len, n_prompt))
            return
        requested = body.get("max_completion_tokens") or body.get("max_tokens")
        if requested is not None and n_prompt + int(requested) > srv.max_model_len:
            if srv.context_overflow == "error":
                self._send_error_obj(
                    context_length_error(srv.max_model_len, n_prompt, int(requested)))
                return
            requested = srv.max_model_len - n_prompt
        limit = int(requested) if requested is not None else srv.max_model_len - n_prompt

        try:
            outcomes = [srv.responder(body, i, call) for i in range(n)]
        except Exception as e:  # a broken script must show up in the test, not hang it
            self._send_error_obj(Error(500, f"responder raised {type(e).__name__}: {e}"))
            return
        failure = next((o for o in outcomes if not isinstance(o, Reply)), None)
        if isinstance(failure, Hang):
            self._hang(failure, bool(body.get("stream")))
            return
        if isinstance(failure, Error):
            _sleep_until(t0 + failure.after_s)
            self._send_error_obj(failure)
            return
        memo: dict[Reply, tuple[Reply, int]] = {}  # scripts repeat replies: count each once
        limited = [memo.setdefault(o, _limit_reply(o, limit)) if o not in memo else memo[o]
                   for o in outcomes if isinstance(o, Reply)]
        replies = [r for r, _ in limited]
        completion = [c for _, c in limited]
        drop_at = t0 + failure.after_s if isinstance(failure, Drop) else None
        cached = srv._cached_tokens(rendered, n_prompt)
        usage = {"prompt_tokens": n_prompt, "completion_tokens": sum(completion),
                 "total_tokens": n_prompt + sum(completion),
                 "prompt_tokens_details": {"cached_tokens": cached}}
        rid = f"chatcmpl-{uuid.uuid4().hex[:16]}"
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self._stream(rid, replies, t0, drop_at, usage if include_usage else None)
        else:
            self._complete(rid, replies, t0, drop_at, usage)

    def _hang(self, hang: Hang, stream: bool) -> None:
        """Hold the request open, sending nothing (or only headers), until the server stops."""
        if hang.headers and stream:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
        self.server.scripted._stopping.wait()
        self._drop()

    def _message(self, r: Reply) -> dict[str, Any]:
        msg: dict[str, Any] = {"role": "assistant", "content": r.content, "tool_calls": []}
        for f in self.server.scripted.reasoning_fields:
            msg[f] = r.reasoning
        return msg

    def _complete(self, rid: str, replies: list[Reply], t0: float, drop_at: float | None,
                  usage: dict[str, Any]) -> None:
        srv = self.server.scripted
        done = t0 + max((r.latency_s for r in replies), default=0.0)
        obj = {"id": rid, "object": "chat.completion", "created": int(time.time()),
               "model": srv.model,
               "choices": [{"index": i, "message": self._message(r), "logprobs": None,
                            "finish_reason": r.finish_reason, "stop_reason": None}
                           for i, r in enumerate(replies)],
               "usage": usage}
        data = json.dumps(obj).encode()
        if drop_at is not None and drop_at <= done:
            _sleep_until(drop_at)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self._drop()
            return
        _sleep_until(done)
        self._send_json(200, obj)

    def _stream(self, rid: str, replies: list[Reply], t0: float, drop_at: float | None,
                usage: dict[str, Any] | None) -> None:
        srv = self.server.scripted
        created = int(time.time())
        rfield = srv.reasoning_fields[0] if srv.reasoning_fields else None

        head = (f'data: {{"id": "{rid}", "object": "chat.completion.chunk", '
                f'"created": {created}, "model": {json.dumps(srv.model)}, '
                '"choices": [{"index": ')
        tail = ', "usage": null}\n\n' if usage is not None else "}\n\n"

        def chunk(choice: int, delta_json: str, finish: str = "null") -> bytes:
            # formatted by hand: thousands of chunks per request at K=32 must stay cheap
            return (f'{head}{choice}, "delta": {delta_json}, "logprobs": null, '
                    f'"finish_reason": {finish}}}]{tail}').encode()

        deltas_of: dict[Reply, list[str]] = {}  # scripts repeat replies: encode each once

        def deltas(r: Reply) -> list[str]:
            if r not in deltas_of:
                pieces: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
                if r.reasoning and rfield is not None:
                    pieces += [{rfield: p} for p in split_pieces(r.reasoning, srv.stream_tokens)]
                pieces += [{"content": p} for p in split_pieces(r.content, srv.stream_tokens)]
                deltas_of[r] = [json.dumps(p) for p in pieces]
            return deltas_of[r]

        # (due time, choice, seq, payload): deltas spread evenly, finish exactly at latency
        events: list[tuple[float, int, int, bytes]] = []
        for i, r in enumerate(replies):
            encoded = deltas(r)
            for j, delta_json in enumerate(encoded):
                due = r.latency_s * j / len(encoded)
                events.append((due, i, j, chunk(i, delta_json)))
            events.append((r.latency_s, i, len(encoded),
                           chunk(i, "{}", json.dumps(r.finish_reason))))
        events.sort(key=lambda e: (e[0], e[1], e[2]))

        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def write(payload: bytes) -> None:
            self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")

        batch: list[bytes] = []
        batch_due = 0.0
        for due, _, _, payload in events:
            if drop_at is not None and t0 + due >= drop_at:
                break
            if batch and due > batch_due:
                _sleep_until(t0 + batch_due)
                write(b"".join(batch))
                batch = []
            batch.append(payload)
            batch_due = due
        if drop_at is not None:
            if batch:
                _sleep_until(t0 + batch_due)
                write(b"".join(batch))
            _sleep_until(drop_at)
            self._drop()
            return
        if usage is not None:
            final = {"id": rid, "object": "chat.completion.chunk", "created": created,
                     "model": srv.model, "choices": [], "usage": usage}
            batch.append(b"data: " + json.dumps(final).encode() + b"\n\n")
        batch.append(b"data: [DONE]\n\n")
        _sleep_until(t0 + batch_due)
        write(b"".join(batch))
        self.wfile.write(b"0\r\n\r\n")


def _limit_reply(r: Reply, limit: int) -> tuple[Reply, int]:
    """Cut reasoning, then content, to `limit` completion tokens (finish_reason "length").

    Returns the reply as sent and its completion tokens."""
    n_reason = count_tokens(r.reasoning or "")
    total = n_reason + count_tokens(r.content)
    if total <= limit:
        return r, total
    if n_reason >= limit:
        return Reply("", truncate_tokens(r.reasoning or "", limit), r.latency_s, "length"), limit
    cut = Reply(truncate_tokens(r.content, limit - n_reason), r.reasoning, r.latency_s, "length")
    return cut, limit


def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        time.sleep(delay)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int], scripted: ScriptedServer) -> None:
        self.scripted = scripted
        self.open_connections: set[socket.socket] = set()
        self.conn_lock = threading.Lock()
        super().__init__(addr, _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self.conn_lock:
            self.open_connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.conn_lock:
                self.open_connections.discard(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (timeouts, cancelled runs, `kill()`) is not a server error."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def cut_connections(self) -> None:
        with self.conn_lock:
            conns = list(self.open_connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class ScriptedServer:
    """The scripted server; a context manager that serves in a background thread.

    >>> with ScriptedServer(cycle_replies(["hello"])) as srv:
    ...     srv.base_url  # "http://127.0.0.1:PORT/v1"
    """

    def __init__(
        self,
        responder: Responder | ReplyLike | Sequence[ReplyLike] | None = None,
        *,
        model: str = "scripted-model",
        extra_models: Sequence[str] = (),
        max_model_len: int = 8192,
        api_key: str | None = None,
        reasoning_fields: Sequence[str] = ("reasoning_content",),
        supports_n: bool = True,
        accept_max_tokens: bool = True,
        context_overflow: Literal["error", "clamp"] = "error",
        tokenize_paths: Sequence[str] = ("/tokenize", "/v1/tokenize"),
        stream_tokens: int = 4,
        prefix_cache_block: int = 16,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: Path | None = None,
    ) -> None:
        self.responder: Responder = _as_responder(
            responder if responder is not None else Reply("ok"))
        self.model = model
        self.extra_models = tuple(extra_models)  # listed by /v1/models besides `model`
        self.max_model_len = max_model_len
        self.api_key = api_key
        self.reasoning_fields = tuple(reasoning_fields)
        self.supports_n = supports_n
        self.accept_max_tokens = accept_max_tokens
        self.context_overflow = context_overflow
        self.tokenize_paths = tuple(tokenize_paths)
        self.stream_tokens = stream_tokens
        self.prefix_cache_block = prefix_cache_block
        self.created = int(time.time())
        self.log_path = log_path
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._calls = 0
        self._seen_prompts: list[str] = []
        self._httpd: _HTTPServer | None = None
        self._bound_port: int | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()  # releases `Hang` requests

    # --- lifecycle

    def start(self) -> ScriptedServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer((self._host, self._port), self)
        self._bound_port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="scripted-openai-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def kill(self) -> None:
        """Die like a crashed server: new connections are refused, open ones are cut.

        Safe to call from a responder (the handler thread is not the serving thread)."""
        httpd = self._httpd
        if httpd is None:
            return
        self._stopping.set()  # handlers drop what arrives until the socket is closed
        httpd.cut_connections()
        threading.Thread(target=self.stop, name="scripted-server-kill", daemon=True).start()

    @property
    def running(self) -> bool:
        """True until `stop()` (or `kill()`) has finished."""
        return self._httpd is not None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses

    @property
    def port(self) -> int:
        """The bound port (still known after `stop()`, for messages and assertions)."""
        if self._bound_port is None:
            raise RuntimeError("ScriptedServer has not been started")
        return self._bound_port

    @property
    def root_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    # --- what happened

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """Bodies of the chat-completion requests, in arrival order."""
        return [r.body or {} for r in self.requests if r.path == "/v1/chat/completions"]

    @property
    def calls(self) -> int:
        """Chat-completion calls received so far."""
        with self._lock:
            return self._calls

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._calls = 0
            self._seen_prompts.clear()

    # --- used by the handler

    def _next_call(self) -> int:
        with self._lock:
            self._calls += 1
            return self._calls - 1

    def _record(self, h: BaseHTTPRequestHandler, path: str, body: dict[str, Any] | None,
                call: int | None) -> None:
        rec = RecordedRequest(h.command, path, {k.lower(): v for k, v in h.headers.items()},
                              body, call, time.monotonic())
        with self._lock:
            self._requests.append(rec)
        self._log(rec)

    def _cached_tokens(self, rendered: str, total: int) -> int:
        """Prefix caching like vLLM: the tokens of the longest prefix shared with an earlier
        prompt, in whole blocks of `prefix_cache_block`; the last token is always computed."""
        block = self.prefix_cache_block
        if block <= 0:
            return 0
        with self._lock:
            best = max((_common_prefix_len(prev, rendered) for prev in self._seen_prompts),
                       default=0)
            self._seen_prompts.append(rendered)
            del self._seen_prompts[:-64]
        if best == 0:
            return 0
        shared = count_tokens(rendered[:best])
        if best < len(rendered):
            shared -= 1  # the token straddling the divergence point is not shared
        return (max(0, min(shared, total - 1)) // block) * block

    def _log(self, rec: RecordedRequest) -> None:
        if self.log_path is not None:
            with self._lock, self.log_path.open("a") as f:
                f.write(json.dumps({"method": rec.method, "path": rec.path,
                                    "body": rec.body}) + "\n")


def _common_prefix_len(a: str, b: str) -> int:
    """Binary search on slices: C-speed comparisons, so long prompts stay cheap."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Scripted OpenAI-compatible server for tests.")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--script", type=Path, help="JSON list of replies, cycled")
    p.add_argument("--model", default="scripted-model")
    p.add_argument("--max-model-len", type=int, default=8192)
    p.add_argument("--api-key")
    p.add_argument("--reasoning-field", action="append",
                   help="reasoning_content and/or reasoning (default reasoning_content)")
    p.add_argument("--log", type=Path, help="append each request as a JSON line here")
    args = p.parse_args(argv)
    replies: list[Any] = json.loads(args.script.read_text()) if args.script else ["ok"]
    if not isinstance(replies, list) or not replies:
        p.error("--script must hold a non-empty JSON list of replies")
    srv = ScriptedServer(cycle_replies(replies), model=args.model,
                         max_model_len=args.max_model_len, api_key=args.api_key,
                         reasoning_fields=args.reasoning_field or ("reasoning_content",),
                         host=args.host, port=args.port, log_path=args.log)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with srv:
        print(srv.base_url, flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(_main())
