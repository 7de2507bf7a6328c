"""The input format a stdin problem's samples show, as checks a generated input must pass.

Why only simple rules: statements state formats in prose; what can be checked without
understanding the prose is what every sample agrees on: integer-only tokens, the token
count of the first line, and the "n, then n lines / n numbers" shape. A rule is used only
when all samples follow it, so a generated input is never rejected on a guess.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

_INT = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")

Check = Callable[[str], str | None]


def _lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip("\n").splitlines() if line.strip()]


def _all(pred: Callable[[list[list[str]]], bool], samples: list[list[list[str]]]) -> bool:
    return bool(samples) and all(pred(s) for s in samples)


def _first_is_count(lines: list[list[str]]) -> int | None:
    if lines and len(lines[0]) == 1 and _INT.fullmatch(lines[0][0]):
        return int(lines[0][0])
    return None


def format_checks(samples: list[str]) -> list[tuple[str, Check]]:
    """(rule, check) pairs every sample satisfies; a check returns why an input breaks it."""
    parsed = [_lines(s) for s in samples if s.strip()]
    rules: list[tuple[str, Check]] = []
    if _all(lambda s: _tokens_match(s, _INT), parsed):
        rules.append(("every token is an integer", lambda x: _token_check(x, _INT, "an integer")))
    elif _all(lambda s: _tokens_match(s, _NUMBER), parsed):
        rules.append(("every token is a number", lambda x: _token_check(x, _NUMBER, "a number")))
    widths = {len(s[0]) for s in parsed if s}
    if len(widths) == 1 and len(parsed) == len([s for s in parsed if s]):
        k = widths.pop()
        rules.append((f"the first line has {k} tokens", functools.partial(_width_check, k=k)))
    if _all(lambda s: _first_is_count(s) is not None and len(s) - 1 == _first_is_count(s), parsed):
        rules.append(("the first line counts the lines after it", _count_lines))
    elif _all(
        lambda s: _first_is_count(s) is not None and len(s) == 2 and len(s[1]) == _first_is_count(s), parsed
    ):
        rules.append(("the first line counts the tokens of the second", _count_tokens))
    return rules


def _tokens_match(lines: list[list[str]], pattern: re.Pattern[str]) -> bool:
    return all(pattern.fullmatch(t) for line in lines for t in line)


def _token_check(x: str, pattern: re.Pattern[str], what: str) -> str | None:
    return None if _tokens_match(_lines(x), pattern) else f"a token is not {what}"


def _width_check(x: str, k: int) -> str | None:
    ls = _lines(x)
    return None if ls and len(ls[0]) == k else f"the first line must have {k} tokens"


def _count_lines(x: str) -> str | None:
    ls = _lines(x)
    n = _first_is_count(ls)
    if n is None or len(ls) - 1 != n:
        return "the first line must be the number of lines that follow"
    return None


def _count_tokens(x: str) -> str | None:
    ls = _lines(x)
    n = _first_is_count(ls)
    if n is None or len(ls) != 2 or len(ls[1]) != n:
        return "the first line must be the number of tokens on the second line"
    return None


def check_stdin(text: str, rules: list[tuple[str, Check]], max_chars: int) -> str | None:
    """None if the input is usable, else why not."""
    if not text.strip():
        return "the input is empty"
    if len(text) > max_chars:
        return f"the input has {len(text)} characters (at most {max_chars})"
    for _, check in rules:
        why = check(text)
        if why is not None:
            return why
    return None
