"""Built-in checkers (sandbox/compare.py): DMOJ/Kattis float rule, unordered tokens,
case-insensitive yes/no, Kattis's case-insensitive default; each can reject."""

from __future__ import annotations

import pytest

from sandbox.compare import Rule, outputs_match


@pytest.mark.parametrize(
    ("got", "want", "ok"),
    [
        ("1.0000001", "1", True),  # absolute error 1e-7
        ("1000000.5", "1000000", True),  # relative error 5e-7 of the answer
        ("1000002", "1000000", False),  # 2e-6 relative, 2 absolute
        ("0.000002", "0", False),  # no relative slack around zero
        ("abc 0.5", "abc 0.5000001", True),  # words must be equal, numbers close
        ("abd 0.5", "abc 0.5", False),
        ("nan", "1", False),  # DMOJ lets a NaN through; not here
        ("inf", "inf", True),
        ("x", "1", False),
        ("1 2", "1", False),
    ],
)
def test_float_abs_rel_is_relative_to_the_answer(got: str, want: str, ok: bool) -> None:
    assert outputs_match(got, want, rule=Rule("float_abs_rel", 1e-6)) is ok


def test_float_abs_rel_separate_tolerances() -> None:
    rule = Rule("float_abs_rel", abs_tol=0.0, rel_tol=1e-3)
    assert outputs_match("1000.9", "1000", rule=rule)
    assert not outputs_match("0.0001", "0", rule=rule)  # relative only: zero must be exact


def test_unordered_and_yes_no() -> None:
    assert outputs_match("3 1 2\n", "1\n2\n3\n", rule=Rule("unordered"))
    assert not outputs_match("3 1 1", "1 2 3", rule=Rule("unordered"))
    assert outputs_match("Yes\nNO\n", "YES\nno\n", rule=Rule("yes_no"))
    assert not outputs_match("Yes", "no", rule=Rule("yes_no"))
    assert not outputs_match("Yes yes", "yes", rule=Rule("yes_no"))


def test_case_insensitive_tokens_for_kattis_default() -> None:
    assert outputs_match("POSSIBLE 3", "possible 3", rule=Rule("whitespace", case_sensitive=False))
    assert not outputs_match("POSSIBLE 3", "possible 3", rule=Rule("whitespace"))
