"""`pacore sandbox run|build` through the sub-command's own parser (as main.py wires it)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from pacore_cli import sandbox_cmd
from tests.conftest import require_docker


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="pacore")
    sandbox_cmd.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.run(args))


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out  # exactly one JSON object
    return dict(json.loads(out[0]))


def test_run_io_dir(tmp_path: Path, backend: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = tmp_path / "sol.py"
    code.write_text("a, b = map(int, input().split())\nprint(a + b)\n")
    io = tmp_path / "io"
    io.mkdir()
    for name, inp, out in [("a", "1 2", "3"), ("b", "2 2", "4"), ("c", "5 5", "11")]:
        (io / f"{name}.in").write_text(inp + "\n")
        (io / f"{name}.out").write_text(out + "\n")
    rc = _main(["sandbox", "run", "--code", str(code), "--io-dir", str(io),
                "--backend", backend, "--json"])  # fmt: skip
    data = _json(capsys)
    assert rc == 1
    assert data["verdict"] == "failed" and data["passed"] == 2 and data["total"] == 3
    assert [t["name"] for t in data["tests"]] == ["a", "b", "c"]
    assert {"name", "status", "duration_s", "stdout", "stderr"} <= set(data["tests"][0])


def test_run_json_list_cpp(tmp_path: Path, backend: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = tmp_path / "sol.cpp"
    code.write_text('#include <cstdio>\nint main(){int n;scanf("%d",&n);printf("%d\\n",n*n);}\n')
    tests = tmp_path / "tests.json"
    tests.write_text(json.dumps([{"input": "3\n", "output": "9\n"}, {"input": "4", "output": "16"}]))
    rc = _main(["sandbox", "run", "--language", "cpp", "--code", str(code), "--tests",
                str(tests), "--backend", backend, "--timeout", "5", "--json"])  # fmt: skip
    data = _json(capsys)
    assert rc == 0 and data["verdict"] == "passed" and data["total"] == 2


def test_run_pytest_and_humaneval_files(
    tmp_path: Path, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = tmp_path / "solution.py"
    code.write_text("def helper():\n    return 1\n\ndef inc(x):\n    return x + helper()\n")
    pyt = tmp_path / "test_inc.py"
    pyt.write_text("from solution import inc\n\ndef test_inc():\n    assert inc(1) == 2\n")
    he = tmp_path / "he_tests.py"
    he.write_text("def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(2) == 4\n")
    assert _main(["sandbox", "run", "--code", str(code), "--tests", str(pyt),
                  "--backend", backend, "--json"]) == 0  # fmt: skip
    assert _json(capsys)["tests"][0]["name"] == "test_inc.py::test_inc"
    assert _main(["sandbox", "run", "--code", str(code), "--tests", str(he),
                  "--backend", backend, "--memory-mb", "256", "--json"]) == 1  # fmt: skip
    data = _json(capsys)
    assert data["tests"][0]["name"] == "inc"  # the last def is the entry point
    assert data["tests"][0]["status"] == "failed"
    assert data["tests"][0]["expected"] == "4" and data["tests"][0]["actual"] == "3"


def test_run_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = tmp_path / "sol.py"
    code.write_text("print(1)\n")
    assert _main(["sandbox", "run", "--code", str(code), "--io-dir", str(tmp_path / "nope"),
                  "--json"]) == 2  # fmt: skip
    assert "no such directory" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--timeout", "0"], "--timeout: input should be greater than 0"),
        (["--timeout", "-1"], "--timeout: input should be greater than 0"),
        (["--memory-mb", "0"], "--memory-mb: input should be greater than or equal to 32"),
        (["--memory-mb", "1"], "--memory-mb: input should be greater than or equal to 32"),
        (["--output-kb", "0"], "--output-kb: input should be greater than or equal to 1"),
    ],
)
def test_impossible_limits_are_usage_errors(
    tmp_path: Path, flags: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = tmp_path / "sol.py"
    code.write_text("print(int(input()) + 1)\n")
    tests = tmp_path / "t.json"
    tests.write_text(json.dumps([{"input": "1\n", "output": "2\n"}]))
    from pacore_cli.main import main

    rc = main(["sandbox", "run", "--code", str(code), "--tests", str(tests), "--backend", "local",
               "--json", *flags])  # fmt: skip
    assert rc == 2
    captured = capsys.readouterr()
    assert said in captured.err
    out = json.loads(captured.out)  # --json: one object, errors too
    assert out["verdict"] == "error" and said in out["error"]


def test_empty_test_list_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = tmp_path / "sol.py"
    code.write_text("print(1)\n")
    tests = tmp_path / "t.json"
    tests.write_text("[]")
    assert _main(["sandbox", "run", "--code", str(code), "--tests", str(tests), "--backend", "local"]) == 2
    assert "the test list is empty" in capsys.readouterr().err


def test_output_kb_raises_the_answer_cap(
    tmp_path: Path, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--output-kb is honoured for stdout; a test of a pytest suite printing 600 KB."""
    code = tmp_path / "solution.py"
    code.write_text("def f():\n    print('x' * 600_000)\n    return 1\n")
    pyt = tmp_path / "test_f.py"
    pyt.write_text("from solution import f\n\ndef test_f():\n    assert f() == 1\n")
    base = ["sandbox", "run", "--code", str(code), "--tests", str(pyt), "--backend", backend, "--json"]
    assert _main(base) == 1
    data = _json(capsys)
    assert data["tests"][0]["status"] == "output_limit"
    assert "stdout exceeded the output limit of 256 KB" in data["tests"][0]["message"]
    assert _main([*base, "--output-kb", "1024"]) == 0
    assert _json(capsys)["verdict"] == "passed"


@pytest.mark.docker
def test_unregistered_runtime_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_docker()
    code = tmp_path / "sol.py"
    code.write_text("print(int(input()) + 1)\n")
    tests = tmp_path / "t.json"
    tests.write_text(json.dumps([{"input": "1\n", "output": "2\n"}]))
    rc = _main(["sandbox", "run", "--code", str(code), "--tests", str(tests), "--backend", "docker",
                "--runtime", "pacore-no-such-runtime"])  # fmt: skip
    assert rc == 2
    err = capsys.readouterr().err
    assert "no container runtime 'pacore-no-such-runtime'" in err and "--runtime" in err


@pytest.mark.docker
def test_build_is_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    require_docker()
    assert _main(["sandbox", "build"]) == 0
    assert "present" in capsys.readouterr().out
