"""The context budget: |x| + sum|m_i| + generation reserve <= context window, enforced."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pacore_core.compaction import COUNTS, FULL, MessageGroup
from pacore_core.errors import ContextBudgetError
from pacore_core.record import Cut

# Chat templates wrap the user text in a few special tokens the plain count does not see.
CHAT_TEMPLATE_MARGIN = 16
MIN_GENERATION_TOKENS = 64

Counter = Callable[[str], Awaitable[int]]




@dataclass
class FittedInput:
    prompt: str
    messages: list[str]
    input_tokens: int
    max_tokens: int
    cuts: list[Cut]
    sources: list[list[int]]  # the trajectories behind each message, in the same order


async def fit_to_window(
    groups: list[MessageGroup],
    *,
    render_message: Callable[[MessageGroup, int], str],
    build_prompt: Callable[[list[str]], str],
    count: Counter,
    window: int | None,
    reserve: int,
) -> FittedInput:
    """Trim error text first, then drop the weakest messages, until the round input fits.

    Counts use the model's tokenizer through `count`; every cut is recorded.
    """
    level = FULL
    kept = list(groups)
    cuts: list[Cut] = []

    def messages() -> list[str]:
        return [render_message(g, level) for g in kept]

    prompt = build_prompt(messages())
    used = await count(prompt) + CHAT_TEMPLATE_MARGIN
    if window is None:
        return FittedInput(prompt, messages(), used, reserve, cuts, [list(g.indices) for g in kept])

    while used + reserve > window:
        if kept and level < COUNTS:
            level += 1
            shorter = build_prompt(messages())
            new_used = await count(shorter) + CHAT_TEMPLATE_MARGIN
            cuts.append(
                Cut(
                    kind="trimmed",
                    indices=[i for g in kept for i in g.indices],
                    detail=f"error details shortened to level {level} ("
                    + ("short errors, no tracebacks" if level == 1 else "test counts only")
                    + ")",
                    tokens_saved=max(used - new_used, 0),
                )
            )
            prompt, used = shorter, new_used
            continue
        if kept:
            await _drop_weakest(kept, level, render_message, count, used + reserve - window, cuts)
            prompt = build_prompt(messages())
            used = await count(prompt) + CHAT_TEMPLATE_MARGIN
            continue
        room = window - used
        if room < MIN_GENERATION_TOKENS:
            raise ContextBudgetError(
                f"the problem alone takes {used} tokens of the model's {window}-token context, "
                f"leaving {room} for the answer: shorten the problem or use a model with a "
                "longer context (max_model_len)"
            )
        cuts.append(
            Cut(
                kind="trimmed",
                indices=[],
                tokens_saved=reserve - room,
                detail=f"generation reserve reduced from {reserve} to {room} tokens",
            )
        )
        reserve = room
    return FittedInput(prompt, messages(), used, reserve, cuts, [list(g.indices) for g in kept])


async def _drop_weakest(
    kept: list[MessageGroup],
    level: int,
    render_message: Callable[[MessageGroup, int], str],
    count: Counter,
    overflow: int,
    cuts: list[Cut],
) -> None:
    """Drop messages weakest first (no code, fewest tests passed, longest) to cover overflow."""
    texts = [render_message(g, level) for g in kept]
    sizes = await asyncio.gather(*(count(t) for t in texts))
    order = sorted(range(len(kept)), key=lambda i: (kept[i].has_code, kept[i].score, -sizes[i]))
    freed = 0
    dropped: set[int] = set()
    for i in order:
        if freed >= overflow:
            break
        dropped.add(i)
        freed += sizes[i] + 4  # "Reference N:" and separators
        g = kept[i]
        cuts.append(
            Cut(
                kind="dropped",
                indices=list(g.indices),
                detail=f"dropped message of trajectories {g.indices} (public score {g.score:.2f})",
                tokens_saved=sizes[i],
            )
        )
    kept[:] = [g for i, g in enumerate(kept) if i not in dropped]
