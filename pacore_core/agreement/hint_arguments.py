"""Argument tuples from type hints with hypothesis: small, edge-case-heavy values first.

Why small: disagreement between programs shows on empty lists, zero, negative numbers,
duplicates and one-element inputs far more often than on large random ones, and small
inputs keep every run fast and every message short. Types without a hint take the types
of the problem's own example calls; anything else falls back to `from_type`.
"""

from __future__ import annotations

import contextlib
import time
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from pacore_core.agreement.signatures import FunctionSignature, eval_annotation, literal_text

MAX_LIST = 6
ALPHABET = "abcxyzAB 019!"
MAX_DEPTH = 3


class _Enough(Exception):
    """Stops hypothesis once enough inputs were collected or the time budget is spent."""


def strategy_for(tp: Any, depth: int = 0, alphabet: str = ALPHABET) -> st.SearchStrategy[Any]:  # noqa: C901  (one flat dispatch, a branch per kind of type annotation)
    """A strategy of literal-representable values of type `tp`; strings draw from `alphabet`."""
    if depth > MAX_DEPTH:
        return st.none()
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is None or tp is type(None):
        return st.none()
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.one_of(st.sampled_from([0, 1, -1, 2, 3, 10, -7, 100]), st.integers(-10, 10),
                         st.integers(-1000, 1000))  # fmt: skip
    if tp is float:
        small = st.floats(-100, 100, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 2))
        return st.one_of(st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.5, -3.75]), small)
    if tp is str:
        return st.one_of(st.sampled_from(["", "a", "ab", "aba", "Hello World", " ", "abc def", "Aa1"]),
                         st.text(alphabet=alphabet, max_size=10))  # fmt: skip
    if tp is bytes:
        return st.binary(max_size=8)
    if tp is typing.Any:
        return strategy_for(int, depth, alphabet)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy_for(a, depth + 1, alphabet) for a in args))
    if origin in (list, Sequence, typing.Iterable, Sequence) or tp in (list,):
        return st.lists(strategy_for(args[0] if args else int, depth + 1, alphabet), max_size=MAX_LIST)
    if origin in (set, frozenset) or tp in (set, frozenset):
        inner = st.sets(_hashable(args[0] if args else int, depth + 1, alphabet), max_size=MAX_LIST)
        return inner if (origin or tp) is set else inner.map(frozenset)
    if origin is tuple or tp is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0], depth + 1, alphabet), max_size=MAX_LIST).map(tuple)
        if args:
            return st.tuples(*(strategy_for(a, depth + 1, alphabet) for a in args))
        return st.lists(strategy_for(int, depth + 1, alphabet), max_size=MAX_LIST).map(tuple)
    if origin in (dict, Mapping) or tp is dict:
        key, value = args if len(args) == 2 else (str, int)
        return st.dictionaries(
            _hashable(key, depth + 1, alphabet), strategy_for(value, depth + 1, alphabet), max_size=4
        )
    return st.from_type(tp)


def _hashable(tp: Any, depth: int, alphabet: str) -> st.SearchStrategy[Any]:
    return strategy_for(tp if tp in (int, str, bool, float, bytes) else int, depth, alphabet)


def type_of_value(value: Any) -> Any:
    """The type an example argument suggests (element types from the first element)."""
    if isinstance(value, bool | int | float | str | bytes) or value is None:
        return type(value) if value is not None else None
    if isinstance(value, list | set | frozenset):
        first = next(iter(value), 0)
        return {list: list, set: set, frozenset: frozenset}[type(value)][type_of_value(first)]  # type: ignore[index]
    if isinstance(value, tuple):
        return tuple[tuple(type_of_value(v) for v in value)] if value else tuple  # type: ignore[misc]
    if isinstance(value, dict):
        k, v = next(iter(value.items()), ("", 0))
        return dict[type_of_value(k), type_of_value(v)]  # type: ignore[misc]
    return int


def _example_alphabet(examples: list[tuple[Any, ...]]) -> str:
    """Characters of the strings in the example calls (brackets, digits, ...), plus a few
    defaults: random text in the problem's own alphabet reaches its interesting cases."""
    chars: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, str):
            chars.update(v)
        elif isinstance(v, list | tuple | set | frozenset):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)

    for e in examples:
        walk(e)
    return "".join(sorted(chars | set("ab "))) if chars else ALPHABET


def argument_strategy(
    sig: FunctionSignature, examples: list[tuple[Any, ...]]
) -> st.SearchStrategy[tuple[Any, ...]] | None:
    """Tuples for the positional parameters (defaults omitted); None if nothing is known."""
    params = [p for p in sig.positional() if not p.has_default]
    alphabet = _example_alphabet(examples)
    parts = []
    for i, p in enumerate(params):
        tp = eval_annotation(p.annotation)
        if tp is None:
            typed = [type_of_value(e[i]) for e in examples if len(e) > i]
            tp = typed[0] if typed else None
        if tp is None:
            return None
        parts.append(strategy_for(tp, alphabet=alphabet))
    return st.tuples(*parts)


def draw(strategy: st.SearchStrategy[tuple[Any, ...]], *, count: int, seed_value: int, budget_s: float,
         max_chars: int) -> list[str]:  # fmt: skip
    """Up to `count` distinct argument literals, the same ones for the same seed."""
    found: dict[str, None] = {}
    deadline = time.monotonic() + budget_s

    @settings(max_examples=max(count * 4, 20), database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=False)  # fmt: skip
    @seed(seed_value)
    @given(strategy)
    def collect(args: tuple[Any, ...]) -> None:
        text = literal_text(args)
        if text is not None and len(text) <= max_chars:
            found.setdefault(text)
        if len(found) >= count or time.monotonic() > deadline:
            raise _Enough

    with contextlib.suppress(_Enough):
        collect()
    return list(found)[:count]
