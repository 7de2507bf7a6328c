"""Stub targeting and splicing on real tree-sitter parses (no server)."""

from __future__ import annotations

import random

import pytest

from lsp_server.edits import plan_final_edit
from lsp_server.settings import parse_settings
from pacore_core.project.splice import SpliceError, splice, standalone_text
from pacore_core.project.targeting import ParsedDocument, all_stubs, stub_at
from pacore_core.project.workspace_tests import discover, module_name
from tests.lsp.conftest import MODULE, TESTS, line_of, make_workspace


def test_stub_kinds_and_qualnames() -> None:
    doc = ParsedDocument.parse(MODULE)
    names = {t.qualname: t for t in all_stubs(doc)}
    assert set(names) == {"add", "Stack.push", "fetch", "fib", "outer.inner", "lonely", "square",
                          "slow"}
    assert names["fetch"].is_async
    assert names["fib"].decorators == ["@functools.lru_cache(maxsize=None)"]
    assert names["Stack.push"].class_name == "Stack"
    assert names["outer.inner"].class_name is None
    assert names["add"].docstring is not None and ">>> add(1, 2)" in names["add"].docstring


def test_incremental_parse_matches_full_parse() -> None:
    rng = random.Random(7)
    text = MODULE
    doc = ParsedDocument.parse(text)
    for _ in range(60):
        a = rng.randrange(len(text))
        b = min(len(text), a + rng.randrange(12))
        text = text[:a] + rng.choice(["", "x", "\n", "def q():\n    ...\n", "é", "😀"]) + text[b:]
        doc = ParsedDocument.parse(text, previous=doc)
        assert str(doc.tree.root_node) == str(ParsedDocument.parse(text).tree.root_node)
    # A version held by a solve keeps its own tree when newer versions are parsed.
    held = ParsedDocument.parse(MODULE)
    before = str(held.tree.root_node)
    ParsedDocument.parse("x = 1\n" + MODULE, previous=held)
    assert str(held.tree.root_node) == before and stub_at(held, line_of(MODULE, "def add("), 5)


def test_position_on_decorator_and_outside() -> None:
    doc = ParsedDocument.parse(MODULE)
    t = stub_at(doc, line_of(MODULE, "@functools"), 2)
    assert t is not None and t.qualname == "fib"
    assert stub_at(doc, line_of(MODULE, "def done("), 4) is None
    assert stub_at(doc, 0, 0) is None


def test_non_ascii_positions_use_utf16() -> None:
    src = 'def f(s="😀😀"): ...\n'
    doc = ParsedDocument.parse(src)
    # Character 14 (UTF-16) is after the emoji; it is still inside the function.
    assert stub_at(doc, 0, 14) is not None
    assert doc.position(len(src.encode()) - 1) == (0, len('def f(s="😀😀"): ...') + 2)
    utf8 = ParsedDocument.parse(src, encoding="utf-8")
    assert utf8.position(len(src.encode()) - 1) == (0, len(src.encode()) - 1)


def test_splice_method_keeps_signature_docstring_and_adds_imports() -> None:
    doc = ParsedDocument.parse(MODULE)
    t = stub_at(doc, line_of(MODULE, "def push("), 8)
    assert t is not None
    r = splice(doc, t, "import collections\n\ndef push(self, x: int) -> int:\n"
                       "    '''Other doc.'''\n    self.items.append(x)\n    return len(self.items)\n")
    assert "import math\nimport collections\n" in r.module_text
    assert ('    def push(self, x):\n        """Push x and return the new size."""\n'
            "        self.items.append(x)\n        return len(self.items)\n") in r.module_text
    assert "Other doc" not in r.module_text
    compile(r.module_text, "m.py", "exec")
    no_doc = splice(doc, t, "def push(self, x):\n    '''Other doc.'''\n    return 1\n",
                    keep_docstring=False)
    assert "        '''Other doc.'''\n        return 1\n" in no_doc.module_text
    assert "Push x and return" not in no_doc.module_text


def test_splice_helpers_and_multiline_strings() -> None:
    src = "import os\n\n\nclass A:\n    def m(self):\n        ...\n"
    doc = ParsedDocument.parse(src)
    t = stub_at(doc, 4, 8)
    assert t is not None
    cand = ('def _helper():\n    return """a\n  b"""\n\n\nclass A:\n    def m(self):\n'
            "        return _helper()\n")
    r = splice(doc, t, cand)
    assert 'def _helper():\n    return """a\n  b"""\n\n\nclass A:' in r.module_text
    assert "    def m(self):\n        return _helper()\n" in r.module_text
    assert "def m(self):\n    return _helper()" in standalone_text(r)
    ns: dict[str, object] = {}
    exec(compile(r.module_text, "m.py", "exec"), ns)


def test_splice_rejects_missing_function_and_bad_syntax() -> None:
    doc = ParsedDocument.parse(MODULE)
    t = stub_at(doc, line_of(MODULE, "def add("), 5)
    assert t is not None
    with pytest.raises(SpliceError, match="no function named `add`"):
        splice(doc, t, "def plus(a, b):\n    return a + b\n")
    with pytest.raises(SpliceError, match="not valid Python"):
        splice(doc, t, "def add(a, b)\n    return a + b\n")


def test_final_edit_resplices_when_only_elsewhere_changed() -> None:
    doc = ParsedDocument.parse(MODULE)
    t = stub_at(doc, line_of(MODULE, "def add("), 5)
    assert t is not None
    code = "def add(a, b):\n    return a + b\n"
    elsewhere = ParsedDocument.parse(MODULE.replace("return x + 1", "return x + 2"))
    plan = plan_final_edit(doc, 1, t, elsewhere, 2, code, keep_docstring=True)
    assert plan.result is not None and "return x + 2" in plan.result.module_text
    edited = ParsedDocument.parse(MODULE.replace("Return a + b.", "Sum."))
    stale = plan_final_edit(doc, 1, t, edited, 2, code, keep_docstring=True)
    assert stale.result is None and "edited during the solve" in (stale.stale_reason or "")


def test_discovery_finds_referencing_tests(tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = make_workspace(tmp_path)
    found = discover(root, "pkg/mathx.py", "add", docstring=">>> add(1, 2)\n3")
    assert found.node_ids == ["tests/test_mathx.py::test_add",
                              "tests/test_mathx.py::test_add_negative"]
    assert found.doctest is not None and "def test_add" in found.sources["tests/test_mathx.py"]
    push = discover(root, "pkg/mathx.py", "push")
    assert push.node_ids == ["tests/test_mathx.py::TestStack::test_push"]
    extra = discover(root, "pkg/mathx.py", "lonely", test_paths=["tests/test_mathx.py::test_fib",
                                                                 "tests/missing.py"])
    assert extra.node_ids == ["tests/test_mathx.py::test_fib"]
    assert extra.missing == ["tests/missing.py"]
    assert module_name("src/pkg/mod.py") == "pkg.mod"
    assert "fib" in TESTS


def test_settings_validation_keeps_good_keys() -> None:
    s, problems = parse_settings({"PACORE": 1}, {"pacore": {"rounds": "8,2", "preset": "x",
                                                            "keepDocstring": False}})
    assert s.run.rounds == [8, 2] and s.preset == "low" and s.editor.keep_docstring is False
    assert any("pacore.preset" in p for p in problems)
    assert s.run.widths == [8, 2, 1]
