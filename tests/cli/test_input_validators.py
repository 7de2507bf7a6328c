"""A Kattis package's input validators run on its test data before any program is judged
(`pacore sandbox run --problem`, `pacore solve`): invalid data is the problem's error (exit
2) naming the file and the validator's words, with per-group arguments, a C++ validator
with its header, and `--no-validate-input` to judge anyway."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pacore_core.loaders import load_problem
from tests.cli.conftest import pacore
from tests.support import Reply, ScriptedServer
from tests.support.judge_problems import SPLIT_GOOD, fenced, write_split_kattis

# `--max N` from the group's testdata.yaml; stderr says why it rejects
RANGE_PY = """import sys
args = sys.argv[1:]
top = int(args[args.index('--max') + 1]) if '--max' in args else 10 ** 18
n = int(sys.stdin.read())
if not 0 <= n <= top:
    print(f'n={n} is outside [0, {top}]', file=sys.stderr)
    sys.exit(43)
sys.exit(42)
"""
CHECKS_H = """#include <cctype>
#include <string>
inline bool one_number_line(const std::string &s) {
  if (s.size() < 2 || s.back() != '\\n') return false;
  for (size_t i = 0; i + 1 < s.size(); i++) if (!std::isdigit((unsigned char)s[i])) return false;
  return true;
}
"""
ONE_LINE_CPP = """#include <iostream>
#include <iterator>
#include "checks.h"
int main() {
  std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (!one_number_line(s)) { std::cerr << "not one line holding a number\\n"; return 43; }
  return 42;
}
"""


def _package(root: Path, top: int) -> Path:
    """Split N with two input validators: a Python one (a file, legacy folder name) taking
    `--max` from data/secret/testdata.yaml, and a C++ one with its header (a folder)."""
    d = write_split_kattis(root)
    (d / "input_format_validators").mkdir()
    (d / "input_format_validators" / "range.py").write_text(RANGE_PY)
    one_line = d / "input_validators" / "one_line"
    one_line.mkdir(parents=True)
    (one_line / "checks.h").write_text(CHECKS_H)
    (one_line / "one_line.cpp").write_text(ONE_LINE_CPP)
    (d / "data" / "secret" / "testdata.yaml").write_text(f"input_validator_flags: --max {top}\n")
    return d


def test_the_loader_reads_validators_and_each_tests_arguments(tmp_path: Path) -> None:
    problem = load_problem(_package(tmp_path, 100), language="python")
    spec = problem.input_validators
    assert spec is not None and set(spec.programs) == {"range", "one_line"}
    assert spec.programs["one_line"].main == "one_line.cpp" and "checks.h" in spec.programs["one_line"].files
    assert spec.programs["range"].convention == "kattis_input"
    assert spec.args["secret/02-big"] == {"range": ["--max", "100"], "one_line": ["--max", "100"]}
    assert "sample/1" not in spec.args  # the sample group has no arguments
    assert spec.files["secret/02-big"].endswith("data/secret/02-big.in")


@pytest.mark.docker
def test_sandbox_run_validates_the_test_data_first(tmp_path: Path, docker_ready: None) -> None:
    (tmp_path / "good.py").write_text(SPLIT_GOOD)
    valid = _package(tmp_path / "valid", 10**9)
    ok = pacore(["sandbox", "run", "--problem", valid, "--code", "good.py", "--json"], cwd=tmp_path)
    assert ok.code == 0 and json.loads(ok.stdout)["verdict"] == "passed", (ok.stdout, ok.stderr)

    too_big = _package(tmp_path / "too_big", 100)  # 02-big holds 10^9
    out = pacore(["sandbox", "run", "--problem", too_big, "--code", "good.py", "--json"], cwd=tmp_path)
    assert out.code == 2, (out.stdout, out.stderr)
    error = json.loads(out.stdout)["error"]
    assert "data/secret/02-big.in: invalid test data" in error and "'range'" in error, error
    assert "n=1000000000 is outside [0, 100]" in error and "--no-validate-input" in error
    anyway = pacore(["sandbox", "run", "--problem", too_big, "--code", "good.py", "--json",
                     "--no-validate-input"], cwd=tmp_path)  # fmt: skip
    assert anyway.code == 0 and json.loads(anyway.stdout)["verdict"] == "passed", anyway.stderr

    malformed = _package(tmp_path / "malformed", 10**9)
    (malformed / "data" / "sample" / "1.in").write_text("5 \n")  # a trailing space
    bad = pacore(["sandbox", "run", "--problem", malformed, "--code", "good.py", "--json"], cwd=tmp_path)
    assert bad.code == 2, (bad.stdout, bad.stderr)
    error = json.loads(bad.stdout)["error"]
    assert "data/sample/1.in: invalid test data" in error and "'one_line'" in error, error
    assert "not one line holding a number" in error


@pytest.mark.docker
def test_solve_refuses_invalid_test_data_before_any_round(tmp_path: Path, docker_ready: None) -> None:
    def responder(_req: dict[str, Any], _choice: int, _call: int) -> Reply:
        return Reply(fenced(SPLIT_GOOD))

    with ScriptedServer(responder) as srv:
        out = pacore(["solve", _package(tmp_path, 100), "--rounds", "2", "--base-url", srv.base_url,
                      "--model", srv.model, "--json"], cwd=tmp_path)  # fmt: skip
        asked = len(srv.chat_requests)
    assert out.code == 2, (out.stdout, out.stderr)
    obj = json.loads(out.stdout)
    assert obj["status"] == "error" and "data/secret/02-big.in: invalid test data" in obj["error"]
    assert asked == 0  # no model call was spent on a problem whose data is wrong
