"""Compaction's first step: the conclusion's program, validated with tree-sitter."""

from __future__ import annotations

from pacore_core.code_extract import extract_code, normalised_form, strip_reasoning, validate
from pacore_core.compaction import trim_middle


def test_reasoning_up_to_the_last_think_tag_is_dropped() -> None:
    text = "<think>a</think> still thinking </think>Answer\n```python\nx = 1\n```"
    assert strip_reasoning(text).startswith("Answer")


def test_last_block_of_the_language_wins_over_untagged_and_other_languages() -> None:
    text = "```python\nx = 1\n```\n```cpp\nint x;\n```\n```\ny = 2\n```\n```py\nz = 3\n```\n"
    assert extract_code(text, "python") == "z = 3\n"
    assert extract_code(text, "cpp") == "int x;\n"
    assert extract_code("```\nq = 1\n```", "python") == "q = 1\n"
    assert extract_code("no code here", "python") is None
    assert extract_code("```python\ndef f():\n    return 1", "python") == "def f():\n    return 1\n"


def test_validation_names_the_problem() -> None:
    assert validate("def f(:\n    pass\n", "python", "f") == "syntax error: missing ) at line 1, column 7"
    assert validate("def g():\n    pass\n", "python", "f") == "the code does not define function `f`"
    assert validate("@cache\nasync def f():\n    pass\n", "python", "f") is None
    assert validate("int main() {", "cpp", None) is None  # the compiler judges C++


def test_normalised_form_ignores_comments_docstrings_parentheses_and_layout() -> None:
    a = 'def f(a, b):\n    """Sum."""\n    # add\n    return a + b\n'
    b = "def f(a,b):\n    return (a+b)\n"
    c = "def f(a, b):\n    return a - b\n"
    assert normalised_form(a, "python") == normalised_form(b, "python")
    assert normalised_form(a, "python") != normalised_form(c, "python")
    assert normalised_form("int x; // c\n", "cpp") == normalised_form("int  x;  /* d */", "cpp")


def test_trim_middle_keeps_head_and_tail() -> None:
    text = "HEAD" + "x" * 1000 + "TAIL"
    out = trim_middle(text, 100)
    assert out.startswith("HEAD") and out.endswith("TAIL") and "chars trimmed" in out
    assert len(out) < 160
    assert trim_middle("short", 100) == "short"
