"""Judge-grade problems end to end through the console script, the scripted model and the
Docker sandbox: a Kattis package with a custom validator, a Kattis interactive package, a
directory problem with a testlib checker; `pacore sandbox run --problem`; `pacore bench
--dataset dir:` over such packages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import pacore
from tests.support import Reply, ScriptedServer, is_synthesis
from tests.support.judge_problems import (
    GUESS_GOOD,
    GUESS_LINEAR,
    GUESS_NO_FLUSH,
    SPLIT_GOOD,
    SPLIT_WRONG,
    fenced,
    write_guess_kattis,
    write_split_kattis,
    write_split_testlib_dir,
)
from tests.support.scripted_server import last_user_text

pytestmark = pytest.mark.docker

SPLIT_CPP = ("#include <iostream>\n"
             "int main() { long long n; std::cin >> n; std::cout << 0 << ' ' << n << '\\n'; }\n")


def solve(problem: Path, first: str, final: str, cwd: Path) -> tuple[dict[str, Any], list[str], int]:
    """One PaCoRe run (2 trajectories, then the final synthesis): round 1 answers `first`,
    the synthesis `final`; returns the JSON result, the prompts and the exit code."""
    def responder(req: dict[str, Any], _choice: int, _call: int) -> Reply:
        return Reply(fenced(final if is_synthesis(req) else first))

    with ScriptedServer(responder) as srv:
        out = pacore(["solve", problem, "--rounds", "2", "--base-url", srv.base_url, "--model",
                      srv.model, "--json"], cwd=cwd)  # fmt: skip
        prompts = [last_user_text(r) for r in srv.chat_requests]
    assert out.stdout, out.stderr
    return json.loads(out.stdout), prompts, out.code


def test_kattis_custom_validator_package_solved_with_the_validators_feedback(
    tmp_path: Path, docker_ready: None
) -> None:
    obj, prompts, code = solve(write_split_kattis(tmp_path), SPLIT_WRONG, SPLIT_GOOD, tmp_path)
    assert code == 0 and obj["status"] == "solved", obj.get("verification")
    assert obj["code"].strip() == SPLIT_GOOD.strip()  # prints "5 0" where the .ans holds "0 5"
    assert obj["verification"]["public"] == {"passed": 1, "total": 1}
    assert obj["verification"]["hidden"] == {"passed": 2, "total": 2}
    synthesis = prompts[1]
    assert "Reference Responses:" in synthesis
    assert "checker: wrong answer: 5 + 1 = 6, not 5" in synthesis  # the validator's judgemessage
    assert "1000000000" not in synthesis  # hidden data never reaches the prompt


def test_kattis_interactive_package_solved_with_the_interactors_transcript(
    tmp_path: Path, docker_ready: None
) -> None:
    obj, prompts, code = solve(write_guess_kattis(tmp_path), GUESS_LINEAR, GUESS_GOOD, tmp_path)
    assert code == 0 and obj["status"] == "solved", obj.get("verification")
    assert obj["code"].strip() == GUESS_GOOD.strip()
    assert obj["verification"]["hidden"] == {"passed": 4, "total": 4}
    assert "Sample interaction 1" in prompts[0] and "Flush standard output" in prompts[0]
    assert "interactor: wrong answer: no correct guess in 10 guesses" in prompts[1]
    assert "last exchanges (> program, < interactor):" in prompts[1] and "> 10\n  < higher" in prompts[1]


def test_deadlocked_interactive_program_is_an_idleness_limit_in_the_message(
    tmp_path: Path, docker_ready: None
) -> None:
    obj, prompts, code = solve(write_guess_kattis(tmp_path), GUESS_NO_FLUSH, GUESS_GOOD, tmp_path)
    assert code == 0 and obj["status"] == "solved"
    assert "sample/1: idleness limit" in prompts[1] and "missing flush" in prompts[1]


def test_directory_with_testlib_checker_solved(tmp_path: Path, docker_ready: None) -> None:
    obj, prompts, code = solve(write_split_testlib_dir(tmp_path), SPLIT_WRONG, SPLIT_GOOD, tmp_path)
    assert code == 0 and obj["status"] == "solved", obj.get("verification")
    assert obj["verification"]["public"] == {"passed": 2, "total": 2}
    assert obj["verification"]["hidden"] == {"passed": 1, "total": 1}
    assert "checker: wrong answer" in prompts[1] and "7 + 1 != 7" in prompts[1]


def test_sandbox_run_judges_one_program_against_each_format(tmp_path: Path, docker_ready: None) -> None:
    split, guess, directory = (write_split_kattis(tmp_path), write_guess_kattis(tmp_path),
                               write_split_testlib_dir(tmp_path))  # fmt: skip
    (tmp_path / "split.cpp").write_text(SPLIT_CPP)  # the language comes from the extension
    (tmp_path / "wrong.py").write_text(SPLIT_WRONG)
    (tmp_path / "noflush.py").write_text(GUESS_NO_FLUSH)
    cases = [(split, "split.cpp", 0, "passed", 3), (directory, "wrong.py", 1, "failed", 3),
             (guess, "noflush.py", 1, "idleness_limit", 5)]  # fmt: skip
    results = {}
    for problem, code_file, exit_code, verdict, total in cases:
        out = pacore(["sandbox", "run", "--problem", problem, "--code", code_file, "--json"], cwd=tmp_path)
        assert out.code == exit_code, (problem.name, code_file, out.stdout, out.stderr)
        obj = results[problem.name] = json.loads(out.stdout)
        assert (obj["verdict"], obj["total"]) == (verdict, total), (problem.name, code_file)
        names = [t["name"] for t in obj["tests"]]
        public = [n for n in names if not n.startswith("hidden:")]
        assert public and names[: len(public)] == public  # public tests first, as a judge runs samples
    first = next(t for t in results["split-dir"]["tests"] if t["status"] != "passed")
    assert first["name"] == "sample1" and "7 + 1 != 7" in first["message"]
    missing = pacore(["sandbox", "run", "--problem", tmp_path / "nope", "--code", "wrong.py"], cwd=tmp_path)
    assert missing.code == 2 and "does not exist" in missing.stderr


def test_bench_on_a_dir_dataset_of_packages(tmp_path: Path, docker_ready: None) -> None:
    ds = tmp_path / "ds"
    ds.mkdir()
    write_split_kattis(ds), write_guess_kattis(ds)  # a custom validator and an interactor

    def responder(req: dict[str, Any], choice: int, _call: int) -> Reply:
        guess = "Guess the number" in last_user_text(req)
        if is_synthesis(req) or choice % 2 == 1:
            return Reply(fenced(GUESS_GOOD if guess else SPLIT_GOOD))
        return Reply(fenced(GUESS_NO_FLUSH if guess else SPLIT_WRONG))

    out_dir = tmp_path / "out"
    with ScriptedServer(responder) as srv:
        out = pacore(["bench", "--dataset", f"dir:{ds}", "--strategies", "single,pacore:2", "--out", out_dir,
                      "--base-url", srv.base_url, "--model", srv.model, "--json"], cwd=tmp_path)  # fmt: skip
    assert out.code == 0, out.stderr
    rows = [json.loads(line) for line in (out_dir / "results.jsonl").read_text().splitlines()]
    by = {(r["problem"], r["strategy"]): r for r in rows}
    assert set(by) == {(p, s) for p in ("guess", "splitn") for s in ("single", "pacore:2")}
    assert all(by[(p, "pacore:2")]["passed"] for p in ("guess", "splitn"))
    assert not any(by[(p, "single")]["passed"] for p in ("guess", "splitn"))
