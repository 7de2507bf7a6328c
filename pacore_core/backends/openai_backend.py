"""OpenAI-compatible chat completions backend (vLLM's `vllm serve` and compatible servers).

A round of K trajectories is one request with ``n=K`` when the server supports it (vLLM
does), else K single requests with seeds ``seed+i`` under a concurrency limit; the backend
switches to single requests by itself when a server rejects ``n``. Choices are assembled in
`sse`, their token counts attributed in `usage`, counted with the server's tokenizer in
`tokenizer`; with several endpoints, `endpoints` picks one per request.

Time limits. Streaming, the first token (and every later chunk) must arrive within
`first_token_timeout_s`: a server that accepts a request and never answers is noticed in
a minute, while a long answer that keeps streaming is limited only by `timeout_s`, the
overall limit per request. Without streaming nothing arrives before the whole answer, so
`timeout_s` is the only limit.

Failures. Connection errors, timeouts, dropped connections, 429 and 5xx are retried with
jittered exponential backoff (``Retry-After`` respected), each retry announced as a
`ModelRetrying` event; with several endpoints the request first moves to another one. A
context-length 400 shrinks ``max_tokens`` to what fits and retries. A server that wants
``max_completion_tokens`` gets it. A trajectory that still fails is yielded with ``error``
set. `BackendError` is raised when no server can be used at all (unreachable, 401/403,
unknown model or endpoint, every endpoint down), with a message naming the URL and the
cause, and a fix naming the setting to change.

Model calls are counted honestly (`base.count_model_calls`): every request that reached a
server is either the `request_id` of the trajectories it delivered (or failed) or is
charged once, as `failed_requests`, to a trajectory of the same call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import httpx

from pacore_core.backends.base import BackendError, SampleRequest, Trajectory
from pacore_core.backends.calls import ModelCall, Sampling, counted_chunks
from pacore_core.backends.endpoints import Endpoint, EndpointPool
from pacore_core.backends.retry import (
    RequestRejected,
    RetryPolicy,
    TransientError,
    describe,
    parse_context_overflow,
    raise_for_status,
    wants_max_completion_tokens,
)
from pacore_core.backends.sse import AssembledChoice, StreamAssembler, choices_from_json, iter_stream
from pacore_core.backends.tokenizer import ServerTokenizer, server_root
from pacore_core.backends.usage import attribute, stream_remainder, to_trajectory
from pacore_core.events import EventSink

log = logging.getLogger(__name__)

_MAX_SHRINKS = 3
_CONNECT_TIMEOUT_S = 10.0


class OpenAIBackend:
    """Samples trajectories from one or several OpenAI-compatible ``/chat/completions`` endpoints."""

    name = "openai"

    def __init__(
        self,
        base_url: str | Sequence[str],
        model: str,
        api_key: str | None = None,
        *,
        use_n: bool = True,
        stream: bool = False,
        max_concurrency: int = 16,
        timeout_s: float = 1800.0,
        first_token_timeout_s: float = 60.0,
        max_retries: int = 4,
        client: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        exact_usage: bool = False,
        endpoints: EndpointPool | None = None,
    ) -> None:
        urls = [base_url] if isinstance(base_url, str) else list(base_url)
        self.endpoints = endpoints or EndpointPool(urls)
        self.model = model
        self.api_key = api_key
        self.use_n = use_n
        self.stream = stream
        self.max_concurrency = max_concurrency
        self.timeout_s = timeout_s
        self.first_token_timeout_s = first_token_timeout_s
        self.exact_usage = exact_usage
        self.retry = retry or RetryPolicy(max_retries=max_retries)
        # streaming: the read limit is the wait for the first token and between chunks
        read = min(first_token_timeout_s, timeout_s) if stream else timeout_s
        self._http_timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, _CONNECT_TIMEOUT_S), read=read)
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=self._http_timeout,
            limits=httpx.Limits(
                max_connections=max_concurrency + 8, max_keepalive_connections=max_concurrency + 8
            ),
        )
        self._sem = asyncio.Semaphore(max_concurrency)
        self._tokenizer = ServerTokenizer(self._client, model, lambda: self.root_url, self._headers)
        self._n_supported: bool | None = None
        self._length_param = "max_tokens"
        self._context_window: int | None = None

    # -- URLs and headers --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The endpoint, or the endpoints separated by commas (for messages)."""
        return ", ".join(self.endpoints.urls)

    @property
    def root_url(self) -> str:
        """The server root of an endpoint that is up: vLLM serves `/tokenize` there, outside `/v1`."""
        up = self.endpoints.up() or self.endpoints.endpoints
        return server_root(up[0].url)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    # -- Backend protocol ------------------------------------------------------------------

    async def sample(
        self, request: SampleRequest, on_event: EventSink | None = None
    ) -> AsyncGenerator[Trajectory, None]:
        """Yield the `request.n` trajectories as each finishes; see the module docstring."""
        if request.n <= 0:
            return
        sampling = Sampling(request, time.monotonic(), on_event)
        if request.n > 1 and self.use_n and self._n_supported is not False:
            calls = [ModelCall(sampling, list(range(request.n)), request.seed, request.max_tokens)]
        else:
            whole = ModelCall(sampling, [], request.seed, request.max_tokens)
            calls = [whole.single(i) for i in range(request.n)]

        async def run(call: ModelCall) -> None:
            try:
                await self._run_call(call)
            except Exception as e:  # handed to the consumer, which raises it
                await sampling.queue.put(e)
            finally:
                await sampling.queue.put(None)

        tasks = [asyncio.create_task(run(c)) for c in calls]
        succeeded = 0
        try:
            pending = len(tasks)
            while pending:
                item = await sampling.queue.get()
                if item is None:
                    pending -= 1
                elif isinstance(item, BaseException):
                    raise item
                else:
                    succeeded += item.ok
                    yield item
            if sampling.unreachable and succeeded == 0:
                raise self._unreachable_error(sampling.causes[0] if sampling.causes else "?")
            for traj in sampling.unreachable:
                yield traj
            if succeeded == 0 and len(self.endpoints) > 1 and self.endpoints.all_down():
                raise BackendError(
                    f"all {len(self.endpoints)} model endpoints are down: {self.endpoints.describe()}",
                    setting="base_url",
                    fix="start the servers, or remove the ones that are gone from {base_url}",
                )
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def context_window(self) -> int | None:
        """`max_model_len` of this model from ``GET /v1/models`` (cached once known)."""
        if self._context_window is not None:
            return self._context_window
        for ep in self.endpoints.up() or self.endpoints.endpoints:
            try:
                resp = await self._client.get(f"{ep.url}/models", headers=self._headers())
                resp.raise_for_status()
                data = resp.json().get("data") or []
            except (httpx.HTTPError, ValueError, AttributeError) as e:
                log.warning("could not read the context window from %s/models: %s", ep.url, e)
                continue
            for entry in data:
                if entry.get("id") == self.model and entry.get("max_model_len"):
                    self._context_window = int(entry["max_model_len"])
                    return self._context_window
            return None
        return None

    async def count_tokens(self, text: str) -> int:
        """Tokens of `text` by the server's ``/tokenize``; the chars/3.5 estimate without it."""
        return await self._tokenizer.count(text)

    async def close(self) -> None:
        if self._own_client:
            await self._client.aclose()

    # -- one logical call, its attempts ------------------------------------------------------

    async def _run_call(self, call: ModelCall) -> None:
        """Obtain the trajectories of `call` with as many attempts as the policy allows."""
        while call.remaining:
            delivered = call.delivered
            call.tries += 1
            try:
                async with self._sem:
                    with self.endpoints.lease() as ep:
                        call.endpoint = ep
                        await self._attempt(call, ep)
                if call.remaining:
                    raise TransientError(
                        f"the response ended before {len(call.remaining)} of its choices finished"
                    )
            except TransientError as e:
                if not e.unreachable and call.delivered == delivered:
                    call.uncharged += 1
                if not await self._after_transient(call, e):
                    return
            except RequestRejected as e:
                call.uncharged += 1
                if not await self._after_rejected(call, e):
                    return

    async def _after_transient(self, call: ModelCall, e: TransientError) -> bool:
        """Move to another endpoint or wait and try again (True), or give up on the call."""
        ep = call.endpoint
        if ep is not None:
            self.endpoints.failed(ep, str(e), rest_s=e.retry_after)
            if self.endpoints.up() and call.failovers < len(self.endpoints) - 1:
                call.failovers += 1
                log.warning("%s: %s; sending the request to another endpoint", ep.url, e)
                return True
        call.failovers = 0
        never_reached = e.unreachable and not self.endpoints.ever_reached
        retries = min(self.retry.max_retries, 1) if never_reached else self.retry.max_retries
        if call.retries < retries:
            delay = self.retry.delay(call.retries, e.retry_after)
            call.retries += 1
            await call.announce_retry(e, attempts=retries + 1, delay=delay, url=self._url(call))
            await asyncio.sleep(delay)
            return True
        errored = call.give_up(str(e), url=self._url(call), reached=not e.unreachable)
        if never_reached:  # held back: one clear error if nothing else succeeds
            call.sampling.causes.append(str(e))
            call.sampling.unreachable.extend(errored)
        else:
            for t in errored:
                await call.deliver(t)
        return False

    def _url(self, call: ModelCall) -> str:
        return call.endpoint.url if call.endpoint else self.base_url

    async def _after_rejected(self, call: ModelCall, e: RequestRejected) -> bool:
        """Adapt the request and try again (True), or fail the call's trajectories."""
        url = self._url(call)
        if e.status in (401, 403):
            raise BackendError(
                f"the model server at {url} refused the request (HTTP {e.status}: {e.detail})",
                setting="api_key",
                fix="set {api_key} to the key the server was started with (vLLM's --api-key)",
            ) from None
        if e.status == 404:
            raise await self._not_found_error(url, e.detail) from None
        if e.status == 400 and self._length_param == "max_tokens" and wants_max_completion_tokens(e.detail):
            self._length_param = "max_completion_tokens"
            return True
        overflow = parse_context_overflow(e.detail) if e.status == 400 else None
        if overflow is not None:
            fitting = overflow.fitting_max_tokens()
            if fitting is not None and fitting < call.max_tokens and call.shrinks < _MAX_SHRINKS:
                log.info(
                    "context window %d: shrinking max_tokens %d -> %d",
                    overflow.max_model_len,
                    call.max_tokens,
                    fitting,
                )
                call.max_tokens, call.shrinks = fitting, call.shrinks + 1
                return True
        elif e.status == 400 and len(call.remaining) > 1:
            log.info(
                "%s rejected n=%d (%s); sending single requests instead", url, len(call.remaining), e.detail
            )
            self._n_supported = False
            await asyncio.gather(*(self._run_call(c) for c in call.split()))
            return False
        for t in call.give_up(str(e), url=url, reached=True):
            await call.deliver(t)
        return False

    # -- one HTTP request --------------------------------------------------------------------

    def _payload(self, call: ModelCall) -> dict[str, Any]:
        request = call.sampling.request
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(request.messages),
            "temperature": request.temperature,
            "top_p": request.top_p,
            self._length_param: call.max_tokens,
            "n": len(call.remaining),
        }
        if call.seed is not None:
            body["seed"] = call.seed
        if self.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    async def _attempt(self, call: ModelCall, ep: Endpoint) -> None:
        """One HTTP request for the trajectories still missing; delivers each finished one."""
        indices = list(call.remaining)
        body = self._payload(call)
        url = f"{ep.url}/chat/completions"
        call.chunks = 0
        try:
            async with asyncio.timeout(self.timeout_s):
                if self.stream:
                    async with self._client.stream(
                        "POST", url, json=body, headers=self._headers(), timeout=self._http_timeout
                    ) as resp:
                        if resp.status_code != 200:
                            await resp.aread()
                            raise_for_status(resp)
                        self.endpoints.succeeded(ep)
                        await self._read_stream(resp, indices, call)
                else:
                    resp = await self._client.post(
                        url, json=body, headers=self._headers(), timeout=self._http_timeout
                    )
                    if resp.status_code != 200:
                        raise_for_status(resp)
                    self.endpoints.succeeded(ep)
                    await self._read_response(resp, indices, call)
        except TimeoutError:
            what = "complete answer" if call.chunks else "answer"
            raise TransientError(
                f"timed out: no {what} within {self.timeout_s:g} s", no_answer=True
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            raise TransientError(describe(e), unreachable=True) from None
        except httpx.ReadTimeout:
            raise TransientError(self._read_timeout_reason(call), no_answer=True) from None
        except httpx.TimeoutException as e:
            raise TransientError(f"timed out ({describe(e)})") from None
        except httpx.TransportError as e:
            raise TransientError(f"connection lost: {describe(e)}") from None

    def _read_timeout_reason(self, call: ModelCall) -> str:
        if not self.stream:
            return f"timed out: no answer within {self.timeout_s:g} s"
        limit = min(self.first_token_timeout_s, self.timeout_s)
        if call.chunks == 0:
            return f"timed out: no token within {limit:g} s"
        return f"timed out: the stream stopped for {limit:g} s after {call.chunks} chunks"

    async def _read_response(self, resp: httpx.Response, indices: list[int], call: ModelCall) -> None:
        try:
            data = resp.json()
        except ValueError:
            raise TransientError(f"malformed response: {resp.text[:200]!r}") from None
        choices = choices_from_json(data)
        usage = data.get("usage") or {}
        order = sorted(i for i in choices if i < len(indices))
        counts = await attribute(
            [choices[i] for i in order],
            usage.get("completion_tokens"),
            count=self.count_tokens if self.exact_usage else None,
        )
        elapsed = time.monotonic() - call.sampling.started
        rid = data.get("id") or f"{call.request_id}-{call.tries}"
        for pos, (i, n_tokens) in enumerate(zip(order, counts, strict=True)):
            traj = to_trajectory(
                indices[i], choices[i], n_tokens, usage if pos == 0 else None, elapsed=elapsed, request_id=rid
            )
            await call.deliver(traj)

    async def _read_stream(self, resp: httpx.Response, indices: list[int], call: ModelCall) -> None:
        state = StreamAssembler(len(indices), f"{call.request_id}-{call.tries}")
        started = call.sampling.started
        attributed = 0
        async for ready in iter_stream(counted_chunks(resp.aiter_bytes(), call), state):
            for i in ready:
                ch = state.choices[i]
                n_tokens = ch.provisional_tokens()
                traj = to_trajectory(
                    indices[i], ch, n_tokens, None, elapsed=time.monotonic() - started, request_id=state.rid
                )
                await call.deliver(traj)
                attributed += n_tokens
        if state.held is None:
            return  # incomplete stream: the caller retries the choices still missing
        held: AssembledChoice = state.choices[state.held]
        traj = to_trajectory(
            indices[state.held],
            held,
            stream_remainder(state.usage, attributed, held),
            state.usage or None,
            elapsed=state.held_at - started,
            request_id=state.rid,
        )
        await call.deliver(traj)

    # -- errors ------------------------------------------------------------------------------

    def _unreachable_error(self, cause: str) -> BackendError:
        where = (
            f"model server at {self.base_url}"
            if len(self.endpoints) == 1
            else f"any of the {len(self.endpoints)} model servers ({self.endpoints.describe()})"
        )
        return BackendError(
            f"cannot reach {where}: {cause}",
            setting="base_url",
            fix=(
                f"start vLLM (`vllm serve {self.model}`) or set {{base_url}} to a running "
                "OpenAI-compatible server"
            ),
        )

    async def _not_found_error(self, url: str, detail: str) -> BackendError:
        if "model" not in detail.lower():
            return BackendError(
                f"{url}/chat/completions does not exist (HTTP 404: {detail})",
                setting="base_url",
                fix="set {base_url} to the OpenAI API root of the server, e.g. http://127.0.0.1:8000/v1",
            )
        served: list[str] = []
        with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError, TypeError):
            resp = await self._client.get(f"{url}/models", headers=self._headers())
            served = [str(m.get("id")) for m in resp.json().get("data") or []]
        hint = f" It serves: {', '.join(served)}." if served else ""
        return BackendError(
            f"the model server at {url} does not serve model {self.model!r} (HTTP 404: {detail}).{hint}",
            setting="model",
            fix="set {model} to a served model name",
        )
