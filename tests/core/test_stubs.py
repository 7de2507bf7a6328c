"""One definition of a stub, shared by `pacore solve` and the language server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pacore_core.stubs import STUB_DEFINITION, is_stub_function

STUBS = [
    "def f(x):\n    ...\n",
    "def f(x):\n    pass\n",
    "def f(x):\n    raise NotImplementedError\n",
    "def f(x):\n    raise NotImplementedError('later')\n",
    'def f(x):\n    """Only a docstring."""\n',
    'def f(x):\n    """Doc."""\n    # TODO: implement\n',
    "async def f(x):\n    # TODO\n    ...\n",
    "@cache\ndef f(x):\n    pass\n",
]
NOT_STUBS = [
    "def f(x):\n    return x\n",
    "def f(x):\n    # TODO: speed up\n    return x\n",
    "def f(x):\n    raise ValueError('no')\n",
    'def f(x):\n    """Doc."""\n    print(x)\n    ...\n',
]


@pytest.mark.parametrize("source", STUBS)
def test_stub_bodies(source: str) -> None:
    assert is_stub_function(source)


@pytest.mark.parametrize("source", NOT_STUBS)
def test_implemented_bodies(source: str) -> None:
    assert not is_stub_function(source)


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("doc", ["README.md", "docs/editors.md", "docs/lsp-protocol.md"])
def test_docs_state_the_one_stub_definition(doc: str) -> None:
    text = " ".join((ROOT / doc).read_text().split())
    assert f"whose body is {STUB_DEFINITION}" in text
    assert "TODO comment" not in text and "TODO/FIXME" not in text


def test_a_comment_alone_is_not_a_body() -> None:
    # what the README once promised: Python refuses it, so no editor can offer it as a stub
    assert not is_stub_function("def f(x):\n    # TODO\n")
