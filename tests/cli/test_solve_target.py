"""Which stub `pacore solve FILE.py` solves, and how: a method stub in a lone file, a
`FILE.py::NAME` selector, and a package whose tests live in `tests/` (project mode, like the
editor: a copy of the project, tests found by what they import, no `--tests` needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import pacore
from tests.support import ScriptedServer
from tests.support.stub_projects import (
    TEXTSTATS_CODE,
    asked_for,
    code_responder,
    textstats_project,
    write_files,
)

SHAPES = '''"""Shapes."""


class Rect:
    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h

    def area(self) -> int:
        """Width times height."""
        ...

    def perimeter(self) -> int:
        """Twice the sum of width and height."""
        raise NotImplementedError


def unit() -> Rect:
    """A 1 by 1 square."""
    ...
'''
SHAPES_TESTS = '''from shapes import Rect


def test_area():
    assert Rect(2, 3).area() == 6
    assert Rect(0, 5).area() == 0
'''
PERIMETER_TESTS = '''import shapes


def test_perimeter():
    assert shapes.Rect(2, 3).perimeter() == 10
'''
SHAPES_CODE = {
    "Rect.area": "def area(self) -> int:\n    return self.w * self.h\n",
    "Rect.perimeter": "class Rect:\n    def perimeter(self) -> int:\n"
                      "        return 2 * (self.w + self.h)\n",
}


def args(srv: ScriptedServer) -> list[str]:
    return ["--rounds", "1", "--base-url", srv.base_url, "--model", srv.model, "--json"]


@pytest.mark.docker
def test_method_stubs_in_a_lone_file_first_or_by_name(tmp_path: Path, docker_ready: None) -> None:
    write_files(tmp_path, {"shapes.py": SHAPES, "test_shapes.py": SHAPES_TESTS,
                           "test_perimeter.py": PERIMETER_TESTS})
    with ScriptedServer(code_responder(SHAPES_CODE)) as srv:
        first = pacore(["solve", "shapes.py", *args(srv)], cwd=tmp_path)
        picked = pacore(["solve", "shapes.py::Rect.perimeter", "--tests", "test_perimeter.py",
                         *args(srv)], cwd=tmp_path)
        asked = asked_for(srv.chat_requests)
    assert first.code == 0, first.stderr
    obj = json.loads(first.stdout)
    assert obj["status"] == "solved" and "self.w * self.h" in obj["code"]
    assert obj["problem"] == "shapes.Rect.area"
    assert (obj["verification"]["passed"], obj["verification"]["total"]) == (1, 1)
    assert picked.code == 0, picked.stderr  # the method came back inside its class
    again = json.loads(picked.stdout)
    assert "2 * (self.w + self.h)" in again["code"]
    assert asked == ["Rect.area", "Rect.area", "Rect.perimeter", "Rect.perimeter"]
    assert (tmp_path / "shapes.py").read_text() == SHAPES  # nothing written without --output


def test_unknown_stub_name_lists_the_stubs(tmp_path: Path) -> None:
    write_files(tmp_path, {"shapes.py": SHAPES, "test_shapes.py": SHAPES_TESTS})
    out = pacore(["solve", "shapes.py::Rect.volume", "--json"], cwd=tmp_path)
    assert out.code == 2
    error = json.loads(out.stdout)["error"]
    assert "no stub named `Rect.volume`" in error
    assert "Rect.area, Rect.perimeter, unit" in error


@pytest.mark.docker
def test_package_with_tests_dir_is_solved_in_its_project(tmp_path: Path,
                                                         docker_ready: None) -> None:
    root = textstats_project(tmp_path / "proj")
    with ScriptedServer(code_responder(TEXTSTATS_CODE)) as srv:
        found = pacore(["solve", "textstats/core.py", *args(srv)], cwd=root)
        given = pacore(["solve", "textstats/core.py::words", "--tests", "tests/test_core.py",
                        *args(srv)], cwd=root)
    assert found.code == 0, found.stderr
    obj = json.loads(found.stdout)
    assert obj["status"] == "solved" and obj["problem"] == "textstats.core.words"
    assert (obj["verification"]["passed"], obj["verification"]["total"]) == (1, 1)
    assert "project mode" in found.stderr and "tests/test_core.py" in found.stderr
    # --tests names a file: all of its tests run; only the stubs' callers fail
    assert given.code == 1, given.stderr
    with_file = json.loads(given.stdout)
    names = {t["name"]: t["status"] for t in with_file["verification"]["tests"]}
    assert names["tests/test_core.py::test_words"] == "passed"
    assert names["tests/test_core.py::test_unrelated"] == "passed"
    assert "ModuleNotFoundError" not in given.stdout
