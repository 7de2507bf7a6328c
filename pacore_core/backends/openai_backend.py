"""OpenAI-compatible chat completions backend (vLLM's `vllm serve` and compatible servers).

A round of K trajectories is one request with ``n=K`` when the server supports it (vLLM
does), else K single requests with seeds ``seed+i`` under a concurrency limit; the backend
switches to single requests by itself when a server rejects ``n``.

Token accounting. ``usage.completion_tokens`` of an ``n>1`` response is the total over its
choices (vLLM gives no per-choice counts). The total is attributed to choices in proportion
to a per-choice weight, with largest-remainder rounding so the trajectories' sum equals the
server's usage exactly: the choice's own ``usage`` if a server provides one, else (with
``exact_usage=True``) the server's ``/tokenize`` count of its text, else the chars/3.5
estimate (non-streaming) or the number of content deltas received (streaming; vLLM sends
about one token per delta). The prompt (and its cached part) is counted once per request:
on its first trajectory, or, when streaming, on the trajectory that completes the request
(usage only arrives at the end of a stream).

Failures. Connection errors, timeouts, dropped connections, 429 and 5xx are retried with
jittered exponential backoff (``Retry-After`` respected). A context-length 400 shrinks
``max_tokens`` to what fits and retries. A server that wants ``max_completion_tokens`` gets
it. A trajectory that still fails is yielded with ``error`` set. `BackendError` is raised
when the server cannot be used at all (unreachable, 401/403, unknown model or endpoint),
with a message naming the URL, the cause and the fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from pacore_core.backends.base import BackendError, SampleRequest, Trajectory
from pacore_core.backends.retry import (
    RETRYABLE_STATUS,
    RetryPolicy,
    parse_context_overflow,
    parse_retry_after,
    wants_max_completion_tokens,
)
from pacore_core.tokens import estimate_tokens

log = logging.getLogger(__name__)

_TOKEN_CACHE_SIZE = 4096
_MAX_SHRINKS = 3


class _Retryable(Exception):
    """A transient failure: retry after `retry_after` (or the policy's backoff)."""

    def __init__(self, message: str, retry_after: float | None = None,
                 unreachable: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.unreachable = unreachable


class _HTTPStatusError(Exception):
    """A non-retryable HTTP error with the server's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


@dataclass
class _Choice:
    """A choice being assembled from a response or a stream."""

    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    deltas: int = 0
    finish_reason: str | None = None
    own_completion_tokens: int | None = None


Emit = Callable[[Trajectory], Awaitable[None]]


class _StreamState:
    """Assembles the choices of one SSE stream; the request's last choice is held back
    until the usage chunk so the per-trajectory counts can sum to the server's total."""

    def __init__(self, n: int, request_id: str) -> None:
        self.n = n
        self.rid = request_id
        self.choices: dict[int, _Choice] = {}
        self.usage: dict[str, Any] = {}
        self.finished = 0
        self.ready: list[int] = []
        self.held: int | None = None
        self.held_at = 0.0
        self.attributed = 0
        self.done = False

    @staticmethod
    def provisional(ch: _Choice) -> int:
        """About one token per delta (vLLM), or the estimate when deltas are unknown."""
        return ch.deltas or estimate_tokens("".join(ch.content))

    def take_ready(self) -> list[int]:
        ready, self.ready = self.ready, []
        return ready

    def feed(self, payload: bytes) -> None:
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
            raise _Retryable(f"server error mid-stream: {msg}")
        self.rid = chunk.get("id") or self.rid
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for c in chunk.get("choices") or ():
            i = int(c.get("index", 0))
            if i >= self.n:
                continue
            ch = self.choices.get(i) or self.choices.setdefault(i, _Choice())
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


class OpenAIBackend:
    """Samples trajectories from an OpenAI-compatible ``/chat/completions`` endpoint."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        use_n: bool = True,
        stream: bool = False,
        max_concurrency: int = 16,
        timeout_s: float = 600.0,
        max_retries: int = 4,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        exact_usage: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.use_n = use_n
        self.stream = stream
        self.max_concurrency = max_concurrency
        self.timeout_s = timeout_s
        self.exact_usage = exact_usage
        self.retry = retry or RetryPolicy(max_retries=max_retries)
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
            limits=httpx.Limits(max_connections=max_concurrency + 8,
                                max_keepalive_connections=max_concurrency + 8),
        )
        self._sem = asyncio.Semaphore(max_concurrency)
        # a separate limit: counting must not wait behind long generations holding `_sem`
        self._tokenize_sem = asyncio.Semaphore(8)
        self._n_supported: bool | None = None
        self._token_param = "max_tokens"
        self._ever_reached = False
        self._context_window: int | None = None
        self._tokenize_url: str | None = None
        self._tokenizer_missing = False
        self._counter_logged = False
        self._token_cache: OrderedDict[str, int] = OrderedDict()

    # -- URLs and headers --------------------------------------------------------------------

    @property
    def root_url(self) -> str:
        """The server root: vLLM serves `/tokenize` there, outside `/v1`."""
        return self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    # -- Backend protocol ------------------------------------------------------------------

    async def sample(self, request: SampleRequest) -> AsyncGenerator[Trajectory, None]:
        """Yield the `request.n` trajectories as each finishes; see the module docstring."""
        if request.n <= 0:
            return
        started = time.monotonic()
        queue: asyncio.Queue[Trajectory | Exception | None] = asyncio.Queue()
        unreachable: list[Trajectory] = []
        causes: list[str] = []
        succeeded = 0

        async def emit(traj: Trajectory) -> None:
            await queue.put(traj)

        async def run(indices: list[int], seed: int | None) -> None:
            try:
                await self._run_plan(request, indices, seed, started, emit, unreachable, causes)
            except Exception as e:  # handed to the consumer, which raises it
                await queue.put(e)
            finally:
                await queue.put(None)

        if request.n > 1 and self.use_n and self._n_supported is not False:
            plans = [(list(range(request.n)), request.seed)]
        else:
            plans = [([i], None if request.seed is None else request.seed + i)
                     for i in range(request.n)]
        tasks = [asyncio.create_task(run(idx, seed)) for idx, seed in plans]
        try:
            pending = len(tasks)
            while pending:
                item = await queue.get()
                if item is None:
                    pending -= 1
                elif isinstance(item, Exception):
                    raise item
                else:
                    succeeded += item.ok
                    yield item
            if unreachable and succeeded == 0:
                raise BackendError(self._unreachable_message(causes[0] if causes else "?"))
            for traj in unreachable:
                yield traj
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def context_window(self) -> int | None:
        """`max_model_len` of this model from ``GET /v1/models`` (cached once known)."""
        if self._context_window is not None:
            return self._context_window
        try:
            resp = await self._client.get(f"{self.base_url}/models", headers=self._headers())
            resp.raise_for_status()
            data = resp.json().get("data") or []
        except (httpx.HTTPError, ValueError, AttributeError) as e:
            log.warning("could not read the context window from %s/models: %s", self.base_url, e)
            return None
        for entry in data:
            if entry.get("id") == self.model and entry.get("max_model_len"):
                self._context_window = int(entry["max_model_len"])
                return self._context_window
        return None

    async def count_tokens(self, text: str) -> int:
        """Tokens of `text` by the server's ``/tokenize``; the chars/3.5 estimate without it."""
        if not text:
            return 0
        if (cached := self._token_cache.get(text)) is not None:
            self._token_cache.move_to_end(text)
            return cached
        count = await self._tokenize(text)
        if count is None:
            return estimate_tokens(text)
        self._token_cache[text] = count
        if len(self._token_cache) > _TOKEN_CACHE_SIZE:
            self._token_cache.popitem(last=False)
        return count

    async def close(self) -> None:
        if self._own_client:
            await self._client.aclose()

    # -- tokenizer ---------------------------------------------------------------------------

    async def _tokenize(self, text: str) -> int | None:
        if self._tokenizer_missing:
            return None
        candidates = ([self._tokenize_url] if self._tokenize_url else
                      list(dict.fromkeys([f"{self.root_url}/tokenize",
                                          f"{self.base_url}/tokenize"])))
        body = {"model": self.model, "prompt": text, "add_special_tokens": False}
        for url in candidates:
            try:
                async with self._tokenize_sem:
                    resp = await self._client.post(url, json=body, headers=self._headers())
            except httpx.HTTPError as e:
                log.debug("tokenize at %s failed: %s", url, e)
                return None  # transient: estimate this once, try the server again next time
            if resp.status_code == 200:
                try:
                    count = int(resp.json()["count"])
                except (ValueError, KeyError, TypeError):
                    continue
                if self._tokenize_url is None:
                    self._tokenize_url = url
                    log.info("token counts: the model's tokenizer via POST %s", url)
                return count
            if resp.status_code not in (404, 405, 501):
                log.debug("tokenize at %s: HTTP %s", url, resp.status_code)
                return None
        self._tokenizer_missing = True
        log.warning("token counts: %s has no /tokenize endpoint; using the estimate "
                    "ceil(chars / 3.5) from pacore_core.tokens", self.root_url)
        return None

    # -- sampling ----------------------------------------------------------------------------

    async def _run_plan(self, request: SampleRequest, indices: list[int], seed: int | None,
                        started: float, emit: Emit, unreachable: list[Trajectory],
                        causes: list[str]) -> None:
        """Obtain the trajectories `indices` with as many attempts as the policy allows."""
        remaining = list(indices)
        max_tokens = request.max_tokens
        attempt = shrinks = 0
        request_id = f"req-{uuid.uuid4().hex[:12]}"

        async def emit_done(traj: Trajectory) -> None:
            remaining.remove(traj.index)
            await emit(traj)

        while remaining:
            try:
                async with self._sem:
                    await self._attempt(request, list(remaining), seed, max_tokens, started,
                                        request_id, emit_done)
                if remaining:
                    raise _Retryable(f"the response ended before {len(remaining)} of its "
                                     "choices finished")
            except _Retryable as e:
                retries = self.retry.max_retries if self._ever_reached or not e.unreachable \
                    else min(self.retry.max_retries, 1)  # never reached: fail fast
                if attempt >= retries:
                    errored = [self._failed(i, str(e), request_id) for i in remaining]
                    if e.unreachable and not self._ever_reached:
                        causes.append(str(e))
                        unreachable.extend(errored)
                    else:
                        for t in errored:
                            await emit(t)
                    return
                await asyncio.sleep(self.retry.delay(attempt, e.retry_after))
                attempt += 1
            except _HTTPStatusError as e:
                if e.status in (401, 403):
                    raise BackendError(
                        f"the model server at {self.base_url} refused the request "
                        f"(HTTP {e.status}: {e.message}). Set PACORE_API_KEY (LSP setting "
                        "`apiKey`) to the key the server was started with (`--api-key`)."
                    ) from None
                if e.status == 404:
                    raise BackendError(await self._not_found_message(e.message)) from None
                if e.status == 400 and self._token_param == "max_tokens" and \
                        wants_max_completion_tokens(e.message):
                    self._token_param = "max_completion_tokens"
                    continue
                overflow = parse_context_overflow(e.message) if e.status == 400 else None
                if overflow is not None:
                    fitting = overflow.fitting_max_tokens()
                    if fitting is not None and fitting < max_tokens and shrinks < _MAX_SHRINKS:
                        log.info("context window %d: shrinking max_tokens %d -> %d",
                                 overflow.max_model_len, max_tokens, fitting)
                        max_tokens, shrinks = fitting, shrinks + 1
                        continue
                elif e.status == 400 and len(remaining) > 1:
                    log.info("%s rejected n=%d (%s); sending single requests instead",
                             self.base_url, len(remaining), e.message)
                    self._n_supported = False
                    await asyncio.gather(*(
                        self._run_plan(request.model_copy(update={"max_tokens": max_tokens}),
                                       [i], None if seed is None else seed + i, started,
                                       emit, unreachable, causes)
                        for i in remaining))
                    return
                for i in list(remaining):
                    await emit(self._failed(i, str(e), request_id))
                return

    def _failed(self, index: int, error: str, request_id: str) -> Trajectory:
        return Trajectory(index=index, error=f"{error} (server {self.base_url})",
                          request_id=request_id)

    def _payload(self, request: SampleRequest, n: int, seed: int | None,
                 max_tokens: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model, "messages": list(request.messages),
            "temperature": request.temperature, "top_p": request.top_p,
            self._token_param: max_tokens, "n": n,
        }
        if seed is not None:
            body["seed"] = seed
        if self.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    async def _attempt(self, request: SampleRequest, indices: list[int], seed: int | None,
                       max_tokens: int, started: float, request_id: str, emit: Emit) -> None:
        """One HTTP request for the trajectories `indices`; emits each finished one."""
        body = self._payload(request, len(indices), seed, max_tokens)
        url = f"{self.base_url}/chat/completions"
        try:
            if self.stream:
                async with self._client.stream("POST", url, json=body,
                                               headers=self._headers()) as resp:
                    if resp.status_code != 200:
                        await resp.aread()
                        self._raise_for(resp)
                    self._ever_reached = True
                    await self._read_stream(resp, indices, started, request_id, emit)
            else:
                resp = await self._client.post(url, json=body, headers=self._headers())
                if resp.status_code != 200:
                    self._raise_for(resp)
                self._ever_reached = True
                await self._read_response(resp, indices, started, request_id, emit)
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            raise _Retryable(_describe(e), unreachable=True) from None
        except httpx.TimeoutException as e:
            raise _Retryable(f"timed out after {self.timeout_s:g} s ({_describe(e)})") from None
        except httpx.TransportError as e:
            raise _Retryable(f"connection lost: {_describe(e)}") from None

    def _raise_for(self, resp: httpx.Response) -> None:
        message = _error_message(resp)
        if resp.status_code in RETRYABLE_STATUS:
            raise _Retryable(f"HTTP {resp.status_code}: {message}",
                             parse_retry_after(resp.headers.get("retry-after")))
        raise _HTTPStatusError(resp.status_code, message)

    async def _read_response(self, resp: httpx.Response, indices: list[int], started: float,
                             request_id: str, emit: Emit) -> None:
        try:
            data = resp.json()
            raw_choices = data["choices"]
        except (ValueError, KeyError, TypeError):
            raise _Retryable(f"malformed response: {resp.text[:200]!r}") from None
        choices: dict[int, _Choice] = {}
        for c in raw_choices:
            i = int(c.get("index", 0))
            msg = c.get("message") or {}
            ch = _Choice(finish_reason=c.get("finish_reason"))
            ch.content.append(msg.get("content") or "")
            reasoning = msg.get("reasoning_content") or msg.get("reasoning")
            if reasoning:
                ch.reasoning.append(reasoning)
            own = (c.get("usage") or {}).get("completion_tokens")
            ch.own_completion_tokens = int(own) if own is not None else None
            choices[i] = ch
        usage = data.get("usage") or {}
        order = sorted(i for i in choices if i < len(indices))
        counts = await self._attribute(
            [choices[i] for i in order], usage.get("completion_tokens"),
            weigh=lambda ch: estimate_tokens("".join(ch.reasoning))
            + estimate_tokens("".join(ch.content)))
        elapsed = time.monotonic() - started
        rid = data.get("id") or request_id
        for pos, (i, n_tokens) in enumerate(zip(order, counts, strict=True)):
            await emit(self._trajectory(indices[i], choices[i], n_tokens,
                                        usage if pos == 0 else None, elapsed, rid))

    async def _read_stream(self, resp: httpx.Response, indices: list[int], started: float,
                           request_id: str, emit: Emit) -> None:
        state = _StreamState(len(indices), request_id)
        buf = b""
        # raw network chunks are split here rather than with aiter_lines: at K=32 a stream
        # has thousands of events and per-line async iteration would dominate the cost
        async for raw in resp.aiter_bytes():
            *lines, buf = (buf + raw).split(b"\n")
            for line in lines:
                if line.startswith(b"data:"):
                    state.feed(line[5:].strip())
            for i in state.take_ready():
                ch = state.choices[i]
                await emit(self._trajectory(indices[i], ch, state.provisional(ch), None,
                                            time.monotonic() - started, state.rid))
                state.attributed += state.provisional(ch)
            if state.done:
                break
        if buf.startswith(b"data:"):
            state.feed(buf[5:].strip())
        if state.held is None:
            return  # incomplete stream: the caller retries the choices still missing
        ch = state.choices[state.held]
        total = state.usage.get("completion_tokens")
        n_tokens = (max(0, int(total) - state.attributed) if total is not None
                    else state.provisional(ch))
        await emit(self._trajectory(indices[state.held], ch, n_tokens, state.usage or None,
                                    state.held_at - started, state.rid))

    async def _attribute(self, choices: list[_Choice], total: int | None,
                         weigh: Callable[[_Choice], int]) -> list[int]:
        """Per-choice completion tokens summing to the server's `total` (module docstring)."""
        if all(c.own_completion_tokens is not None for c in choices):
            return [int(c.own_completion_tokens or 0) for c in choices]
        if total is None:
            return [weigh(c) for c in choices]
        if len(choices) == 1:
            return [int(total)]
        if self.exact_usage:
            counted = await asyncio.gather(*(
                self.count_tokens(part) for c in choices
                for part in ("".join(c.reasoning), "".join(c.content))))
            weights = [a + b for a, b in zip(counted[::2], counted[1::2], strict=True)]
        else:
            weights = [weigh(c) for c in choices]
        return _largest_remainder(int(total), weights)

    def _trajectory(self, index: int, ch: _Choice, completion_tokens: int,
                    usage: dict[str, Any] | None, elapsed: float, rid: str) -> Trajectory:
        reasoning = "".join(ch.reasoning) or None
        details = (usage or {}).get("prompt_tokens_details") or {}
        return Trajectory(
            index=index, content="".join(ch.content), reasoning=reasoning,
            finish_reason=ch.finish_reason, completion_tokens=completion_tokens,
            prompt_tokens=int((usage or {}).get("prompt_tokens") or 0),
            cached_tokens=int(details.get("cached_tokens") or 0),
            latency_s=elapsed, request_id=rid,
        )

    # -- messages ----------------------------------------------------------------------------

    def _unreachable_message(self, cause: str) -> str:
        return (f"cannot reach model server at {self.base_url}: {cause}. Start vLLM "
                f"(`vllm serve {self.model}`, or `python -m vllm.entrypoints.openai.api_server "
                f"--model {self.model}`) or set PACORE_BASE_URL to a running "
                "OpenAI-compatible server.")

    async def _not_found_message(self, message: str) -> str:
        if "model" not in message.lower():
            return (f"{self.base_url}/chat/completions does not exist (HTTP 404: {message}). "
                    "PACORE_BASE_URL must be the OpenAI API root of the server, e.g. "
                    "http://127.0.0.1:8000/v1.")
        served: list[str] = []
        with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError, TypeError):
            resp = await self._client.get(f"{self.base_url}/models", headers=self._headers())
            served = [str(m.get("id")) for m in resp.json().get("data") or []]
        hint = f" It serves: {', '.join(served)}." if served else ""
        return (f"the model server at {self.base_url} does not serve model {self.model!r} "
                f"(HTTP 404: {message}).{hint} Set PACORE_MODEL (LSP setting `model`) to a "
                "served model name.")


def _largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights`; integer parts that sum to `total`."""
    if not weights:
        return []
    wsum = sum(max(0, w) for w in weights)
    if wsum == 0:
        weights, wsum = [1] * len(weights), len(weights)
    shares = [total * max(0, w) / wsum for w in weights]
    parts = [int(s) for s in shares]
    order = sorted(range(len(shares)), key=lambda i: shares[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _error_message(resp: httpx.Response) -> str:
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


def _describe(e: BaseException) -> str:
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
