"""`pacore solve stub.py --brute brute.py`: a function stub's oracle (a Python brute force with
the stub's signature, called on inputs drawn from its type hints, its answers compared as data
on the host). The console script, the scripted model server, the Docker sandbox."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import pacore, solve_json
from tests.support import ScriptedServer, by_round
from tests.support.max_subarray import BRUTE_BODY, RIGHT, STUB, WRONG, user_test
from tests.support.scripted_server import is_synthesis, last_user_text

TESTS = user_test("maxsub")
BRUTE = "def slow(nums: list[int]) -> int:\n" + BRUTE_BODY


def fence(code: str) -> str:
    return f"```python\n{code}```"


def _files(d: Path, brute: str = BRUTE) -> None:
    (d / "maxsub.py").write_text(STUB)
    (d / "test_maxsub.py").write_text(TESTS)
    (d / "brute.py").write_text(brute)


def test_a_stub_brute_force_overrules_a_wrong_synthesis_passing_my_tests(tmp_path: Path,
                                                                          docker_ready: None) -> None:
    _files(tmp_path)
    script = by_round([fence(WRONG), fence(RIGHT), fence(WRONG), fence(WRONG)], fence(WRONG))
    with ScriptedServer(script) as srv:
        plain = solve_json("maxsub.py", tmp_path, srv)
        with_oracle = solve_json("maxsub.py", tmp_path, srv, "--brute", "brute.py")
        prompts = [last_user_text(r) for r in srv.chat_requests if is_synthesis(r)]
    # without the oracle the wrong synthesis passes my test and is the answer
    assert plain["status"] == "solved" and "best = cur = 0" in plain["code"], plain["_stderr"]
    # with it: the right program, chosen because the final one disagreed with the brute force
    assert with_oracle["_exit"] == 0, with_oracle["_stderr"]
    assert with_oracle["status"] == "solved"
    assert "best = cur = nums[0]" in with_oracle["code"]
    assert "disagreed with the brute force" in with_oracle["selected"]["reason"]
    oracle = with_oracle["verification"]["oracle"]
    n = oracle["total"]
    assert oracle["passed"] == n and n >= 10
    assert with_oracle["assurance"] == f"passed your tests + matched the brute force on {n} generated inputs"
    record = with_oracle["oracle"]
    assert record["brute_function"] == "slow" and record["generator"] is None
    assert record["checked_on_samples"] == 1  # it passed my test before it was trusted
    assert record["inputs"] == n
    # the empty list (where the brute force raises) was dropped, and said so
    assert any("max_subarray([])" in w and "raised ValueError" in w for w in with_oracle["warnings"])
    # every oracle test is labelled as such in the report
    names = [t["name"] for t in with_oracle["verification"]["tests"]]
    assert sum(name.startswith("oracle:input ") for name in names) == n
    # the synthesis prompt shows where a wrong program disagrees: the call and both answers
    shown = prompts[-1]
    assert f"Oracle: matched the brute force on all {n} generated inputs." in shown  # the right one
    assert "generated inputs (the brute force is slow but trusted" in shown
    assert "input:           'max_subarray([" in shown
    assert "this program:    '0'" in shown  # an all-negative input: the empty run's 0


def test_a_stub_brute_force_failing_my_tests_is_refused(tmp_path: Path, docker_ready: None) -> None:
    _files(tmp_path, brute="def max_subarray(nums: list[int]) -> int:\n    return sum(nums)\n")
    with ScriptedServer(by_round(fence(RIGHT), fence(RIGHT))) as srv:
        out = solve_json("maxsub.py", tmp_path, srv, "--brute", "brute.py")
        assert srv.chat_requests == []  # refused before any token was spent
    assert out["_exit"] == 2 and out["status"] == "error"
    assert "fails the stub's test" in out["error"] and "test_mixed" in out["error"]


def test_stub_oracle_usage_errors(tmp_path: Path) -> None:
    _files(tmp_path, brute="def a(x):\n    return x\n\n\ndef b(x):\n    return x\n")
    (tmp_path / "gen.py").write_text("print(1)\n")
    base = ["solve", "maxsub.py", "--json", "--base-url", "http://127.0.0.1:9", "--model", "m"]
    out = pacore([*base, "--brute", "brute.py", "--gen", "gen.py"], cwd=tmp_path)
    assert out.code == 2
    assert "--gen is for stdin/stdout problems" in json.loads(out.stdout)["error"]
    out = pacore([*base, "--gen", "gen.py"], cwd=tmp_path)
    assert out.code == 2 and "--gen needs --brute" in json.loads(out.stdout)["error"]


def test_a_brute_beside_the_stub_is_used_without_flags(tmp_path: Path, docker_ready: None) -> None:
    beside = BRUTE.replace("def slow(", "def max_subarray_brute(")
    _files(tmp_path)
    (tmp_path / "maxsub.py").write_text(STUB + "\n\n" + beside)
    script = by_round([fence(WRONG), fence(RIGHT), fence(WRONG), fence(WRONG)], fence(WRONG))
    with ScriptedServer(script) as srv:
        out = solve_json("maxsub.py", tmp_path, srv, "--html", "run.html")
        off = solve_json("maxsub.py", tmp_path, srv, "--oracle", "off")
    assert out["_exit"] == 0, out["_stderr"]
    assert out["oracle"]["brute_function"] == "max_subarray_brute"
    page = (tmp_path / "run.html").read_text()
    assert (f"Oracle: the brute force <code>max_subarray_brute</code> (python) on {out['oracle']['inputs']} "
            "inputs drawn from the stub's type hints") in page
    assert "best = cur = nums[0]" in out["code"] and "matched the brute force" in out["assurance"]
    assert off["oracle"] is None and "best = cur = 0" in off["code"]  # off: ignored


def test_oracle_on_for_a_method_is_a_usage_error(tmp_path: Path) -> None:
    """A brute force (the user's or the model's) is for module-level functions only: `on` for
    a method is refused before any model request (the model writes a function's: see
    test_stub_model_oracle.py)."""
    (tmp_path / "shapes.py").write_text("class Box:\n    def area(self, w: int, h: int) -> int:\n"
                                        '        """w times h."""\n        ...\n')  # fmt: skip
    (tmp_path / "test_shapes.py").write_text("from shapes import Box\n\n\ndef test_area():\n"
                                             "    assert Box().area(2, 3) == 6\n")  # fmt: skip
    out = pacore(["solve", "shapes.py::Box.area", "--oracle", "on", "--json", "--base-url",
                  "http://127.0.0.1:9", "--model", "m"], cwd=tmp_path)  # fmt: skip
    assert out.code == 2, out.stderr
    error = json.loads(out.stdout)["error"]
    assert "`Box.area` is a method" in error and "module-level functions only" in error


def test_an_answer_disagreeing_with_the_brute_force_is_never_solved(tmp_path: Path,
                                                                    docker_ready: None) -> None:
    _files(tmp_path)
    with ScriptedServer(by_round(fence(WRONG), fence(WRONG))) as srv:
        out = solve_json("maxsub.py", tmp_path, srv, "--brute", "brute.py")
    # every candidate passes my test; none matches the brute force: not solved, and said so
    assert out["_exit"] == 1 and out["status"] == "unsolved", out["_stderr"]
    assert out["verification"]["public"] == {"passed": 1, "total": 1}
    oracle = out["verification"]["oracle"]
    assert 0 < oracle["passed"] < oracle["total"]
    wrong = oracle["total"] - oracle["passed"]
    assert out["assurance"] == (f"passed your tests + disagreed with the brute force on {wrong} of "
                                f"{oracle['total']} generated inputs")
