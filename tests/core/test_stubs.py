"""One definition of a stub, shared by `pacore solve` and the language server."""

from __future__ import annotations

import pytest

from pacore_core.stubs import is_stub_function

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
