"""Per-trajectory token counts that sum to the server's usage.

``usage.completion_tokens`` of an ``n>1`` response is the total over its choices (vLLM gives
no per-choice counts). The total is attributed to choices in proportion to a per-choice
weight, with largest-remainder rounding so the trajectories' sum equals the server's usage
exactly: the choice's own ``usage`` if a server provides one, else (with exact counting) the
server's ``/tokenize`` count of its text, else the chars/3.5 estimate (non-streaming) or the
number of content deltas received (streaming; vLLM sends about one token per delta). The
prompt (and its cached part) is counted once per request: on its first trajectory, or, when
streaming, on the trajectory that completes the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from pacore_core.backends.base import Trajectory
from pacore_core.backends.sse import AssembledChoice
from pacore_core.tokens import estimate_tokens

Counter = Callable[[str], Awaitable[int]]


def largest_remainder(total: int, weights: list[int]) -> list[int]:
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


def estimated_weight(ch: AssembledChoice) -> int:
    """Reasoning and content estimated separately, as a tokenizer would count them."""
    return estimate_tokens("".join(ch.reasoning)) + estimate_tokens(ch.text)


async def attribute(choices: list[AssembledChoice], total: int | None, *,
                    count: Counter | None = None) -> list[int]:
    """Per-choice completion tokens summing to the server's `total` (module docstring).

    `count` (the server's tokenizer) weighs choices exactly; without it the estimate does.
    """
    if all(c.own_completion_tokens is not None for c in choices):
        return [int(c.own_completion_tokens or 0) for c in choices]
    if total is None:
        return [estimated_weight(c) for c in choices]
    if len(choices) == 1:
        return [int(total)]
    if count is not None:
        parts = [part for c in choices for part in ("".join(c.reasoning), c.text)]
        counted = await asyncio.gather(*(count(part) for part in parts))
        weights = [a + b for a, b in zip(counted[::2], counted[1::2], strict=True)]
    else:
        weights = [estimated_weight(c) for c in choices]
    return largest_remainder(int(total), weights)


def stream_remainder(usage: dict[str, Any], attributed: int, held: AssembledChoice) -> int:
    """The held-back last choice of a stream gets what the usage total leaves over."""
    total = usage.get("completion_tokens")
    return max(0, int(total) - attributed) if total is not None else held.provisional_tokens()


def to_trajectory(
    index: int,
    ch: AssembledChoice,
    completion_tokens: int,
    usage: dict[str, Any] | None,
    *,
    elapsed: float,
    request_id: str,
) -> Trajectory:
    """A finished choice as a trajectory; `usage` is given to the one that carries the prompt."""
    details = (usage or {}).get("prompt_tokens_details") or {}
    return Trajectory(
        index=index,
        content=ch.text,
        reasoning=ch.reasoning_text,
        finish_reason=ch.finish_reason,
        completion_tokens=completion_tokens,
        prompt_tokens=int((usage or {}).get("prompt_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or 0),
        latency_s=elapsed,
        request_id=request_id,
    )
