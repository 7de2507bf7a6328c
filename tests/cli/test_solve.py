"""`pacore solve` end to end: the console script, the scripted server, the Docker sandbox."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import clean_env, pacore
from tests.support import Reply, ScriptedServer, is_synthesis

ROMAN_STUB = '''def to_roman(n: int) -> str:
    """Write 1 <= n <= 3999 in Roman numerals.

    >>> to_roman(1994)
    'MCMXCIV'
    """
    raise NotImplementedError
'''
ROMAN_TESTS = '''from roman import to_roman


def test_example():
    assert to_roman(1994) == "MCMXCIV"


def test_small():
    assert [to_roman(i) for i in (1, 4, 9)] == ["I", "IV", "IX"]


def test_largest():
    assert to_roman(3999) == "MMMCMXCIX"
'''
ROMAN_GOOD = '''Done.
```python
def to_roman(n: int) -> str:
    out = ""
    for value, sym in [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                       (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                       (4, "IV"), (1, "I")]:
        while n >= value:
            out += sym
            n -= value
    return out
```'''
ROMAN_BAD = "```python\ndef to_roman(n: int) -> str:\n    return 'I' * n\n```"

SUM_STATEMENT = """# Sum

Read `n`, then `n` integers; print their sum.

## Sample Input

```
3
1 2 3
```

## Sample Output

```
6
```
"""
SUM_WRONG = "```python\nprint(0)\n```"

CPP_STATEMENT = """---
language: cpp
---
# Maximum

Read `n` and `n` integers; print the largest.

Sample input:
```
3
4 9 2
```
Sample output:
```
9
```
"""
CPP_GOOD = """```cpp
#include <iostream>
int main() { long long n, x, best = -(1LL << 62); std::cin >> n;
  for (long long i = 0; i < n; ++i) { std::cin >> x; if (x > best) best = x; }
  std::cout << best << "\\n"; }
```"""

RESULT_KEYS = {"status", "code", "verification", "rounds", "ttc_tokens", "error"}


def write_roman(tmp: Path) -> Path:
    (tmp / "roman.py").write_text(ROMAN_STUB)
    (tmp / "test_roman.py").write_text(ROMAN_TESTS)
    return tmp / "roman.py"


def server_args(srv: ScriptedServer) -> list[str]:
    return ["--base-url", srv.base_url, "--model", srv.model]


def assert_result_shape(obj: dict[str, Any]) -> None:
    assert obj.keys() >= RESULT_KEYS
    assert {"verdict", "passed", "total"} <= obj["verification"].keys()
    assert isinstance(obj["rounds"], list)
    assert isinstance(obj["ttc_tokens"], int)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- runs


@pytest.mark.docker
def test_stub_solved_from_best_candidate_with_json_output_and_progress(
    tmp_path: Path, docker_ready: None
) -> None:
    stub = write_roman(tmp_path)
    # choice 1 of round 1 is right; the final synthesis is wrong: verified selection.
    with ScriptedServer(lambda req, choice, call: Reply(
            ROMAN_BAD if is_synthesis(req) or choice % 2 == 0 else ROMAN_GOOD)) as srv:
        out = pacore(["solve", stub, "--rounds", "2", *server_args(srv), "--json",
                      "--output", tmp_path / "answer" / "roman_solved.py"], cwd=tmp_path)
        calls = srv.calls
    assert out.code == 0, out.stderr
    obj = json.loads(out.stdout)
    assert_result_shape(obj)
    assert obj["status"] == "solved"
    assert obj["verification"]["verdict"] == "passed"
    assert obj["verification"]["passed"] == obj["verification"]["total"] == 3
    assert [r["k"] for r in obj["rounds"]] == [2, 1]
    assert [len(r["trajectories"]) for r in obj["rounds"]] == [2, 1]
    assert obj["selected"]["source"] == "candidate"
    assert obj["ttc_tokens"] == sum(t["completion_tokens"] for r in obj["rounds"]
                                    for t in r["trajectories"]) > 0
    assert calls == 2  # one n=2 request, then the final n=1 round
    assert (tmp_path / "answer" / "roman_solved.py").read_text() == obj["code"]
    assert "'MCMXCIV'" not in obj["code"] and "for value, sym in" in obj["code"]
    assert "round 1/2: sampling 2 trajectories" in out.stderr
    assert "candidate 1 accepted 3/3" in out.stderr  # judged as a judge names it
    assert "PaCoRe: roman" in out.stderr  # the summary table


@pytest.mark.docker
def test_io_statement_unsolved_exits_1(tmp_path: Path, docker_ready: None) -> None:
    (tmp_path / "sum.md").write_text(SUM_STATEMENT)
    with ScriptedServer(Reply(SUM_WRONG)) as srv:
        out = pacore(["solve", "sum.md", "--preset", "low", *server_args(srv), "--json"],
                     cwd=tmp_path)
    assert out.code == 1, out.stderr
    obj = json.loads(out.stdout)
    assert_result_shape(obj)
    assert obj["status"] == "unsolved"
    assert obj["verification"]["verdict"] == "failed"
    assert (obj["verification"]["passed"], obj["verification"]["total"]) == (0, 1)
    assert [r["k"] for r in obj["rounds"]] == [4, 1]


@pytest.mark.docker
def test_cpp_directory_with_hidden_tests(tmp_path: Path, docker_ready: None) -> None:
    d = tmp_path / "maximum"
    (d / "tests" / "hidden").mkdir(parents=True)
    (d / "problem.md").write_text(CPP_STATEMENT)
    (d / "tests" / "neg.in").write_text("2\n-5 -3\n")
    (d / "tests" / "neg.out").write_text("-3\n")
    (d / "tests" / "hidden" / "big.in").write_text("4\n1000000000000 -1 7 999999999999\n")
    (d / "tests" / "hidden" / "big.out").write_text("1000000000000\n")
    with ScriptedServer(Reply(CPP_GOOD)) as srv:
        out = pacore(["solve", d, "--rounds", "2", *server_args(srv), "--json",
                      "--output", tmp_path / "max.cpp"], cwd=tmp_path)
        prompts = [r["messages"][-1]["content"] for r in srv.chat_requests]
    assert out.code == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["status"] == "solved" and obj["language"] == "cpp"
    assert obj["verification"]["public"] == {"passed": 2, "total": 2}
    assert obj["verification"]["hidden"] == {"passed": 1, "total": 1}
    assert "#include <iostream>" in (tmp_path / "max.cpp").read_text()
    assert "C++17" in prompts[0] and "1000000000000" not in prompts[0]
    assert "Reference Responses:" in prompts[1]


@pytest.mark.docker
def test_record_then_replay_without_a_model(tmp_path: Path, docker_ready: None) -> None:
    stub = write_roman(tmp_path)
    with ScriptedServer(Reply(ROMAN_GOOD)) as srv:
        first = pacore(["solve", stub, "--rounds", "2", *server_args(srv), "--json",
                        "--record", "run.json"], cwd=tmp_path)
    assert first.code == 0, first.stderr
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["result"]["status"] == "solved" and record["problem"]["id"] == "roman"
    again = pacore(["solve", stub, "--rounds", "2", "--replay", "run.json", "--json"],
                   cwd=tmp_path)
    assert again.code == 0, again.stderr
    a, b = json.loads(first.stdout), json.loads(again.stdout)
    assert b["code"] == a["code"] and b["ttc_tokens"] == a["ttc_tokens"]
    assert b["replayed"] is True
    assert "replayed" in again.stderr


# ---------------------------------------------------------------- errors


def test_missing_problem_is_a_usage_error_with_json(tmp_path: Path) -> None:
    out = pacore(["solve", "nope.md", "--json"], cwd=tmp_path)
    assert out.code == 2
    assert "nope.md does not exist" in out.stderr
    obj = json.loads(out.stdout)
    assert_result_shape(obj)
    assert obj["status"] == "error" and "does not exist" in obj["error"]
    assert obj["code"] is None and obj["rounds"] == [] and obj["ttc_tokens"] == 0


def test_malformed_problems_and_missing_tests(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n    ...\n")
    out = pacore(["solve", "broken.py"], cwd=tmp_path)
    assert out.code == 2 and "not valid Python" in out.stderr
    (tmp_path / "nostub.py").write_text("def f():\n    return 1\n")
    out = pacore(["solve", "nostub.py"], cwd=tmp_path)
    assert out.code == 2 and "no function stub found" in out.stderr
    (tmp_path / "bare.md").write_text("# Task\n\nPrint 42.\n")
    out = pacore(["solve", "bare.md"], cwd=tmp_path)
    assert out.code == 2 and "no tests found" in out.stderr and "--tests PATH" in out.stderr
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "problem.md").write_text(SUM_STATEMENT)
    (tmp_path / "half" / "tests").mkdir()
    (tmp_path / "half" / "tests" / "a.in").write_text("1\n5\n")
    out = pacore(["solve", "half"], cwd=tmp_path)
    assert out.code == 2 and "a.in has no matching a.out" in out.stderr
    (tmp_path / "sum.md").write_text(SUM_STATEMENT)  # a valid problem: only --rounds is wrong
    out = pacore(["solve", "sum.md", "--rounds", "0,x"], cwd=tmp_path)
    assert out.code == 2 and "does not exist" not in out.stderr
    assert "--rounds" in out.stderr and "must be positive integers" in out.stderr, out.stderr


def test_unconfigured_model_says_how_to_configure(tmp_path: Path) -> None:
    (tmp_path / "sum.md").write_text(SUM_STATEMENT)
    out = pacore(["solve", "sum.md", "--json", "--output", "out.py"], cwd=tmp_path)
    assert out.code == 2
    assert "no model server configured" in out.stderr
    assert "--base-url" in out.stderr and "--replay" in out.stderr  # the core's keys, as flags
    assert "{base_url}" not in out.stderr and "base_url" not in out.stderr
    assert json.loads(out.stdout)["status"] == "error"
    assert not (tmp_path / "out.py").exists()


@pytest.mark.docker
def test_model_defaults_to_the_endpoints_only_model(tmp_path: Path, docker_ready: None) -> None:
    stub = write_roman(tmp_path)
    with ScriptedServer(Reply(ROMAN_GOOD)) as srv:
        out = pacore(["solve", stub, "--rounds", "2", "--json"], cwd=tmp_path,
                     env=clean_env(PACORE_BASE_URL=srv.base_url))
        models = {r["model"] for r in srv.chat_requests}
    assert out.code == 0, out.stderr
    assert json.loads(out.stdout)["status"] == "solved"
    assert models == {"scripted-model"}


def test_no_model_and_several_served_names_them(tmp_path: Path) -> None:
    (tmp_path / "sum.md").write_text(SUM_STATEMENT)
    with ScriptedServer(Reply(SUM_WRONG), extra_models=["other-model"]) as srv:
        out = pacore(["solve", "sum.md", "--base-url", srv.base_url, "--json"], cwd=tmp_path)
        assert srv.chat_requests == []
    assert out.code == 2
    assert "serves 2 models: scripted-model, other-model" in out.stderr
    assert "set --model to one of them" in out.stderr
    assert "serves 2 models" in json.loads(out.stdout)["error"]


def test_doctor_accepts_the_endpoints_only_model(tmp_path: Path) -> None:
    with ScriptedServer(Reply("ok")) as srv:
        out = pacore(["doctor", "--json", "--base-url", srv.base_url], cwd=tmp_path)
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert checks["model endpoint"]["ok"], checks["model endpoint"]
    assert "scripted-model (no model set" in checks["model endpoint"]["message"]


@pytest.mark.docker
def test_doctor_reads_pacore_sandbox_image(tmp_path: Path, docker_ready: None) -> None:
    with ScriptedServer(Reply("ok")) as srv:
        out = pacore(["doctor", "--json"], cwd=tmp_path,
                     env=clean_env(PACORE_SANDBOX_IMAGE="pacore-sandbox-absent:test",
                                   PACORE_BASE_URL=srv.base_url, PACORE_MODEL=srv.model))
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert "pacore-sandbox-absent:test" in checks["sandbox image"]["message"], checks
    assert not checks["sandbox image"]["ok"] and out.code == 1


@pytest.mark.docker
def test_unreachable_server_is_an_error_naming_it(tmp_path: Path, docker_ready: None) -> None:
    (tmp_path / "sum.md").write_text(SUM_STATEMENT)
    (tmp_path / "pyproject.toml").write_text("[tool.pacore]\nmax_retries = 0\n")
    port = free_port()
    out = pacore(["solve", "sum.md", "--base-url", f"http://127.0.0.1:{port}/v1", "--model",
                  "m", "--json", "--output", "out.py"], cwd=tmp_path)
    assert out.code == 1, out.stderr
    obj = json.loads(out.stdout)
    assert_result_shape(obj)
    assert obj["status"] == "error"
    assert f"127.0.0.1:{port}" in obj["error"]
    assert f"127.0.0.1:{port}" in out.stderr
    assert not (tmp_path / "out.py").exists()


@pytest.mark.docker
def test_missing_sandbox_image_is_a_usage_error(tmp_path: Path, docker_ready: None) -> None:
    (tmp_path / "sum.md").write_text(SUM_STATEMENT)
    with ScriptedServer(Reply(SUM_WRONG)) as srv:
        out = pacore(["solve", "sum.md", *server_args(srv)], cwd=tmp_path,
                     env=clean_env(PACORE_SANDBOX_IMAGE="pacore-sandbox-absent:test"))
        assert srv.calls == 0
    assert out.code == 2
    assert "pacore-sandbox-absent:test" in out.stderr and "pacore sandbox build" in out.stderr
