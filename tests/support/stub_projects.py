"""Small projects with several stubs (written into a temp dir by the tests that use them), and
a scripted-model responder that answers each prompt with the code of the stub it asks for.

`textstats`: a package plus `tests/`, three stubs calling each other (`top_k` -> `word_freq`
-> `words`), each implementation correct only once its callees are implemented.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tests.support.scripted_server import Reply, last_user_text

TEXTSTATS_CORE = '''"""Word statistics."""
from collections import Counter


def words(text: str) -> list[str]:
    """The words of `text`: lower-cased runs of letters, in order."""
    ...


def word_freq(text: str) -> dict[str, int]:
    """How often each word occurs in `text`, as `words` splits it."""
    ...


def top_k(text: str, k: int) -> list[tuple[str, int]]:
    """The `k` most frequent words by `word_freq`, most frequent first, ties alphabetical."""
    ...


# a trailing comment, kept byte for byte
'''

TEXTSTATS_TESTS = '''from textstats.core import top_k, word_freq, words


def test_words():
    assert words("Hello, hello world!") == ["hello", "hello", "world"]


def test_word_freq():
    assert word_freq("a b A") == {"a": 2, "b": 1}


def test_top_k():
    assert top_k("b a b c a b", 2) == [("b", 3), ("a", 2)]


def test_unrelated():
    assert 1 + 1 == 2
'''

TEXTSTATS_CODE = {
    "words": "import re\n\n\ndef words(text: str) -> list[str]:\n"
             "    return re.findall('[a-z]+', text.lower())\n",
    # Correct only once `words` is implemented (a stub returns None: Counter(None) fails).
    "word_freq": "def word_freq(text: str) -> dict[str, int]:\n"
                 "    return dict(Counter(words(text)))\n",
    "top_k": "def top_k(text: str, k: int) -> list[tuple[str, int]]:\n"
             "    freq = word_freq(text)\n"
             "    return sorted(freq.items(), key=lambda p: (-p[1], p[0]))[:k]\n",
}


def write_files(root: Path, files: Mapping[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def textstats_project(root: Path) -> Path:
    """A fresh project: pyproject.toml, textstats/{__init__,core}.py, tests/test_core.py."""
    return write_files(root, {
        "pyproject.toml": '[project]\nname = "textstats"\nversion = "0.1"\n',
        "textstats/__init__.py": "",
        "textstats/core.py": TEXTSTATS_CORE,
        "tests/test_core.py": TEXTSTATS_TESTS,
    })


_ONE = re.compile(r"Implement the function `([\w.]+)`")
_MANY = re.compile(r"The functions ((?:`[\w.]+`(?:, )?)+) call each other")


def fenced(code: str) -> str:
    return f"Here it is.\n\n```python\n{code}```\n"


def code_responder(code: Mapping[str, str], *, latency_s: float = 0.0
                   ) -> Callable[[dict[str, Any], int, int], Reply]:
    """Answer with `code[qualname]` for the stub the prompt asks for (for a cycle, every
    member's code in one block); an unknown name gets a program that defines nothing useful."""

    def answer(request: dict[str, Any], _choice: int, _call: int) -> Reply:
        text = last_user_text(request)
        many = _MANY.search(text)
        if many is not None:
            names = re.findall(r"`([\w.]+)`", many.group(1))
            return Reply(fenced("\n\n".join(code.get(n, "") for n in names)), latency_s=latency_s)
        one = _ONE.search(text)
        name = one.group(1) if one else ""
        return Reply(fenced(code.get(name, "def nothing():\n    return None\n")),
                     latency_s=latency_s)

    return answer


def asked_for(requests: list[dict[str, Any]]) -> list[str]:
    """The stub each chat request asked for, in arrival order."""
    out = []
    for r in requests:
        m = _MANY.search(last_user_text(r)) or _ONE.search(last_user_text(r))
        out.append(m.group(1) if m else "?")
    return out
