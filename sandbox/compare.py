"""Output comparison for stdin/stdout tests: exact, whitespace-tolerant, float-tolerant."""

from __future__ import annotations

import math

from sandbox.models import Comparison


def _tokens_equal_float(got: str, want: str, tol: float) -> bool:
    if got == want:
        return True
    try:
        a, b = float(got), float(want)
    except ValueError:
        return False
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def outputs_match(
    actual: str, expected: str, mode: Comparison = "whitespace", float_tolerance: float = 1e-6
) -> bool:
    """exact: byte-equal up to a trailing newline; whitespace: equal token lines;
    float: whitespace-split tokens with numbers compared within the tolerance."""
    if mode == "exact":
        return actual.rstrip("\n") == expected.rstrip("\n")
    if mode == "whitespace":
        got = [line.split() for line in actual.strip().splitlines()]
        want = [line.split() for line in expected.strip().splitlines()]
        return [t for t in got if t] == [t for t in want if t]
    got_tokens, want_tokens = actual.split(), expected.split()
    if len(got_tokens) != len(want_tokens):
        return False
    return all(
        _tokens_equal_float(g, w, float_tolerance) for g, w in zip(got_tokens, want_tokens, strict=True)
    )
