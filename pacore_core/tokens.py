"""Token estimates for when no tokenizer is reachable.

The estimate is deliberately conservative: ``ceil(len(text) / 3.5)``. BPE tokenizers of
current code models average about 3.5-4.5 characters per token on English and Python, so
dividing by 3.5 over-counts slightly, which errs on the side of fitting the context window.
It is used only when the server has no ``/tokenize`` endpoint and no in-process tokenizer
is available; the backends log once when they fall back to it.
"""

from __future__ import annotations

import math

CHARS_PER_TOKEN = 3.5


def estimate_tokens(text: str) -> int:
    """Approximate token count of `text` (``ceil(chars / 3.5)``; 0 for empty text)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0
