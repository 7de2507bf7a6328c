"""Built-in checkers for stdin/stdout tests, run on the host after the candidate.

exact, whitespace (token lines), float (symmetric tolerance, the historical mode),
float_abs_rel (DMOJ's `floats` and Kattis's default validator: a number is right within an
absolute error OR an error relative to the answer), unordered (the same tokens in any
order, DMOJ's `unordered`) and yes_no (tokens equal ignoring case: YES / Yes / yes).
A problem whose answers are not unique brings its own checker program instead
(`IOSuite.checker`, run inside the sandbox).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sandbox.models import Comparison, IOSuite


@dataclass(frozen=True)
class Rule:
    """How the token modes compare; built from a suite's fields."""

    mode: Comparison = "whitespace"
    tolerance: float = 1e-6
    abs_tol: float | None = None
    rel_tol: float | None = None
    case_sensitive: bool = True

    @classmethod
    def of(cls, suite: IOSuite) -> Rule:
        return cls(suite.comparison, suite.float_tolerance, suite.float_abs_tolerance,
                   suite.float_rel_tolerance, suite.case_sensitive)  # fmt: skip


def _finite_equal(a: float, b: float) -> bool | None:
    """NaN and infinities match only themselves (DMOJ lets a NaN through)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return None


def _tokens_equal_float(got: str, want: str, tol: float) -> bool:
    if got == want:
        return True
    try:
        a, b = float(got), float(want)
    except ValueError:
        return False
    special = _finite_equal(a, b)
    if special is not None:
        return special
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def _tokens_equal_abs_rel(got: str, want: str, rule: Rule) -> bool:
    """A number of the answer: |got - want| <= abs, or <= rel * |want|; other tokens equal."""
    try:
        b = float(want)
    except ValueError:
        return _text_equal(got, want, rule.case_sensitive)
    try:
        a = float(got)
    except ValueError:
        return False
    special = _finite_equal(a, b)
    if special is not None:
        return special
    abs_tol = rule.tolerance if rule.abs_tol is None else rule.abs_tol
    rel_tol = rule.tolerance if rule.rel_tol is None else rule.rel_tol
    return abs(a - b) <= abs_tol or abs(a - b) <= rel_tol * abs(b)


def _text_equal(got: str, want: str, case_sensitive: bool) -> bool:
    return got == want if case_sensitive else got.lower() == want.lower()


def _token_lines(text: str) -> list[list[str]]:
    return [t for t in (line.split() for line in text.strip().splitlines()) if t]


def outputs_match(
    actual: str, expected: str, mode: Comparison = "whitespace", float_tolerance: float = 1e-6,
    rule: Rule | None = None,
) -> bool:
    """exact: byte-equal up to a trailing newline; whitespace: equal token lines; float:
    whitespace-split tokens with numbers within the tolerance; the others as the module says."""
    rule = rule or Rule(mode, float_tolerance)
    mode = rule.mode
    if mode == "exact":
        return actual.rstrip("\n") == expected.rstrip("\n")
    if mode == "whitespace":
        got, want = _token_lines(actual), _token_lines(expected)
        if rule.case_sensitive:
            return got == want
        return [[t.lower() for t in line] for line in got] == [[t.lower() for t in line] for line in want]
    got_tokens, want_tokens = actual.split(), expected.split()
    if len(got_tokens) != len(want_tokens):
        return False
    if mode == "unordered":
        if not rule.case_sensitive:
            got_tokens, want_tokens = [t.lower() for t in got_tokens], [t.lower() for t in want_tokens]
        return sorted(got_tokens) == sorted(want_tokens)
    pairs = zip(got_tokens, want_tokens, strict=True)
    if mode == "yes_no":
        return all(g.lower() == w.lower() for g, w in pairs)
    if mode == "float_abs_rel":
        return all(_tokens_equal_abs_rel(g, w, rule) for g, w in pairs)
    if not rule.case_sensitive:
        return all(_tokens_equal_float(g.lower(), w.lower(), rule.tolerance) for g, w in pairs)
    return all(_tokens_equal_float(g, w, rule.tolerance) for g, w in pairs)
