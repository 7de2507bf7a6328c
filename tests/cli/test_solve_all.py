"""`pacore solve PATH --all`: every stub of a package, callees first, through the console
script, the scripted model server and the Docker sandbox."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import pacore
from tests.support import Reply, ScriptedServer
from tests.support.scripted_server import last_user_text
from tests.support.stub_projects import (
    TEXTSTATS_CODE,
    TEXTSTATS_CORE,
    asked_for,
    code_responder,
    textstats_project,
    write_files,
)


def args(srv: ScriptedServer) -> list[str]:
    return ["--rounds", "1", "--base-url", srv.base_url, "--model", srv.model, "--json"]


def filled(text: str, bodies: dict[str, str]) -> str:
    """`text` with the `...` body under each named def replaced (what --in-place must write)."""
    for name, body in bodies.items():
        head = text.index(f"def {name}(")
        at = text.index("    ...\n", head)
        text = text[:at] + body + text[at + len("    ...\n"):]
    return text


def first_asked(requests: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(asked_for(requests)))


@pytest.mark.docker
def test_textstats_in_place_callees_first(tmp_path: Path, docker_ready: None) -> None:
    root = textstats_project(tmp_path / "proj")
    with ScriptedServer(code_responder(TEXTSTATS_CODE)) as srv:
        out = pacore(["solve", "textstats", "--all", "--in-place", *args(srv)], cwd=root)
        asked = asked_for(srv.chat_requests)
    assert out.code == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["status"] == "solved"
    stubs = {s["function"]: s for s in report["stubs"]}
    assert [s["function"] for s in report["stubs"]] == ["words", "word_freq", "top_k"]
    assert [stubs[n]["order"] for n in ("words", "word_freq", "top_k")] == [1, 2, 3]
    assert stubs["word_freq"]["waited_on"] == ["textstats/core.py::words"]
    assert all(s["status"] == "solved" and s["passed"] == s["total"] == 1 for s in stubs.values())
    assert all(s["written"] == "textstats/core.py" and s["ttc_tokens"] > 0 for s in stubs.values())
    assert report["totals"]["solved"] == report["totals"]["stubs"] == 3
    # each caller was asked for only after its callees were solved (rounds of 1 + final 1)
    assert asked == ["words", "words", "word_freq", "word_freq", "top_k", "top_k"]
    # the whole suite: before, only the unrelated test passed; after, all of them, no regression
    suite = report["suite"]
    assert (suite["baseline_passed"], suite["passed"], suite["total"]) == (1, 4, 4)
    assert suite["regressions"] == []
    # every byte but the bodies (and the import the implementation needed) as it was
    expected = filled(TEXTSTATS_CORE, {
        "words": "    return re.findall('[a-z]+', text.lower())\n",
        "word_freq": "    return dict(Counter(words(text)))\n",
        "top_k": "    freq = word_freq(text)\n"
                 "    return sorted(freq.items(), key=lambda p: (-p[1], p[0]))[:k]\n",
    }).replace("from collections import Counter\n", "from collections import Counter\nimport re\n")
    assert (root / "textstats" / "core.py").read_text() == expected
    assert "textstats/core.py::top_k: waiting on textstats/core.py::" in out.stderr
    assert "whole suite: 4/4 passed" in out.stderr


MATHY = {
    "pyproject.toml": '[project]\nname = "mathy"\nversion = "0.1"\n',
    "mathy/__init__.py": "",
    "mathy/parity.py": '''def is_even(n: int) -> bool:
    """Whether n >= 0 is even: True for 0, else `is_odd` of n - 1."""
    ...


def is_odd(n: int) -> bool:
    """Whether n >= 0 is odd: False for 0, else `is_even` of n - 1."""
    ...
''',
    "mathy/arith.py": '''def mul(a: int, b: int) -> int:
    """a times b."""
    ...
''',
    "mathy/shapes.py": '''from mathy.arith import mul


class Rect:
    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h

    def area(self) -> int:
        """`mul` of the width and the height."""
        ...
''',
    "tests/test_mathy.py": '''from mathy.arith import mul
from mathy.parity import is_even, is_odd
from mathy.shapes import Rect


def test_parity():
    assert is_even(4) and is_odd(3) and not is_even(5) and not is_odd(0)


def test_mul():
    assert mul(3, 4) == 12


def test_area():
    assert Rect(2, 3).area() == 6
''',
}
MATHY_CODE = {
    "is_even": "def is_even(n: int) -> bool:\n    return True if n == 0 else is_odd(n - 1)\n",
    "is_odd": "def is_odd(n: int) -> bool:\n    return False if n == 0 else is_even(n - 1)\n",
    "mul": "def mul(a: int, b: int) -> int:\n    return a * b\n",
    "Rect.area": "def area(self) -> int:\n    return mul(self.w, self.h)\n",
}


@pytest.mark.docker
def test_cycle_as_one_problem_and_a_method_after_its_callee(tmp_path: Path,
                                                            docker_ready: None) -> None:
    root = write_files(tmp_path / "proj", MATHY)
    with ScriptedServer(code_responder(MATHY_CODE)) as srv:
        out = pacore(["solve", ".", "--all", "--output", tmp_path / "done", *args(srv)],
                     cwd=root)
        asked = first_asked(srv.chat_requests)
    assert out.code == 0, out.stderr
    report = json.loads(out.stdout)
    stubs = {s["function"]: s for s in report["stubs"]}
    assert all(s["status"] == "solved" for s in stubs.values()), report
    assert stubs["is_even"]["cycle"] == ["mathy/parity.py::is_even", "mathy/parity.py::is_odd"]
    assert stubs["is_odd"]["cycle"] == stubs["is_even"]["cycle"]
    assert "`is_even`, `is_odd`" in asked  # one prompt for both
    assert (stubs["mul"]["order"], stubs["Rect.area"]["order"]) == (1, 2)
    assert stubs["Rect.area"]["waited_on"] == ["mathy/arith.py::mul"]
    assert asked.index("Rect.area") > asked.index("mul")
    done = tmp_path / "done" / "mathy"
    assert "return mul(self.w, self.h)" in (done / "shapes.py").read_text()
    assert "is_odd(n - 1)" in (done / "parity.py").read_text()
    assert (root / "mathy" / "parity.py").read_text() == MATHY["mathy/parity.py"]  # untouched
    assert report["suite"]["regressions"] == [] and report["suite"]["passed"] == 3


CALC = {
    "setup.cfg": "[metadata]\nname = calc\n",
    "calc/__init__.py": "",
    "calc/ops.py": '''def parse(s: str) -> int:
    """The integer written in `s`."""
    ...


def total(items: list[str]) -> int:
    """The sum of `parse` over the items."""
    ...


def double(x: int) -> int:
    """Twice x."""
    ...
''',
    "tests/test_ops.py": '''from calc.ops import double, parse, total


def test_parse():
    assert parse("12") == 12


def test_total():
    assert total(["1", "2"]) == 3


def test_double():
    assert double(4) == 8
''',
}
CALC_CODE = {
    "parse": "def parse(s: str) -> int:\n    return 0\n",  # never right
    "total": "def total(items: list[str]) -> int:\n    return sum(parse(s) for s in items)\n",
    "double": "def double(x: int) -> int:\n    return 2 * x\n",
}


@pytest.mark.docker
def test_unsolvable_callee_does_not_stop_the_others(tmp_path: Path, docker_ready: None) -> None:
    root = write_files(tmp_path / "proj", CALC)
    with ScriptedServer(code_responder(CALC_CODE)) as srv:
        out = pacore(["solve", "calc/ops.py", "--all", "--in-place", *args(srv)], cwd=root)
    assert out.code == 1, out.stderr
    report = json.loads(out.stdout)
    assert report["status"] == "unsolved"
    stubs = {s["function"]: s for s in report["stubs"]}
    assert (stubs["parse"]["status"], stubs["double"]["status"]) == ("unsolved", "solved")
    assert stubs["total"]["status"] == "unsolved"  # attempted, against parse's stub
    assert stubs["total"]["failed_callees"] == ["calc/ops.py::parse"]
    assert stubs["total"]["total"] == 1 and stubs["total"]["ttc_tokens"] > 0
    text = (root / "calc" / "ops.py").read_text()
    assert "return 2 * x" in text and "return 0" not in text  # only the solved one written
    assert text.count("    ...\n") == 2
    assert "ran with unsolved callee(s): calc/ops.py::parse" in out.stderr


@pytest.mark.docker
def test_file_changed_during_the_run_is_not_overwritten(tmp_path: Path,
                                                        docker_ready: None) -> None:
    root = textstats_project(tmp_path / "proj")
    core = root / "textstats" / "core.py"
    answer = code_responder(TEXTSTATS_CODE)
    edited = threading.Event()

    def user_edits_meanwhile(req: dict[str, Any], choice: int, call: int) -> Reply:
        if "`word_freq`" in last_user_text(req) and not edited.is_set():
            edited.set()  # the user saves the file while word_freq is being solved
            core.write_text(core.read_text() + "\nUSER_LINE = 1\n")
        return answer(req, choice, call)

    with ScriptedServer(user_edits_meanwhile) as srv:
        out = pacore(["solve", "textstats/core.py", "--all", "--in-place", *args(srv)],
                     cwd=root)
    assert out.code == 0, out.stderr
    report = json.loads(out.stdout)
    stubs = {s["function"]: s for s in report["stubs"]}
    text = core.read_text()
    assert "re.findall" in text and text.endswith("\nUSER_LINE = 1\n")  # words went in first
    assert "Counter(words(text))" not in text
    for name in ("word_freq", "top_k"):
        path = root / ".pacore" / "results" / f"core.{name}.py"
        assert stubs[name]["written"] == f".pacore/results/core.{name}.py"
        assert f"def {name}(" in path.read_text()


def test_usage_errors_name_the_flag(tmp_path: Path) -> None:
    root = textstats_project(tmp_path / "proj")
    both = pacore(["solve", "textstats", "--all", "--in-place", "--output", "x", "--json"],
                  cwd=root)
    tests = pacore(["solve", "textstats", "--all", "--tests", "tests", "--json"], cwd=root)
    (root / "empty").mkdir()
    none = pacore(["solve", "empty", "--all", "--json"], cwd=root)
    assert (both.code, tests.code, none.code) == (2, 2, 2)
    assert "not both" in json.loads(both.stdout)["error"]
    assert "--tests is not used with --all" in json.loads(tests.stdout)["error"]
    assert "no function stubs under empty" in json.loads(none.stdout)["error"]
