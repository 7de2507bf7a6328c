"""`pacore solve --brute B --gen G` (oracle tests) and `--start FILE` (repair my program):
the console script, the scripted model server, the Docker sandbox."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import pacore, solve_json
from tests.cli.test_stress import BRUTE, GEN, RIGHT_PY, WRONG_PY
from tests.support import ScriptedServer, by_round
from tests.support.scripted_server import is_synthesis, last_user_text

# the samples have a positive answer: the empty-subarray bug passes them
STATEMENT = """# Maximum subarray

Given n integers, print the largest sum of a non-empty contiguous subarray.

## Sample Input
```
5
-1 2 3 -2 4
```

## Sample Output
```
7
```
"""


def fence(code: str) -> str:
    return f"```python\n{code}```"


def _problem(d: Path) -> Path:
    for name, text in {"gen.py": GEN, "brute.py": BRUTE, "mine.py": WRONG_PY}.items():
        (d / name).write_text(text)
    path = d / "maxsub.md"
    path.write_text(STATEMENT)
    return path


def test_the_oracle_overrules_a_wrong_synthesis_passing_samples(tmp_path: Path, docker_ready: None) -> None:
    _problem(tmp_path)
    # round 1: one right program among wrong ones; the final synthesis copies a wrong one
    script = by_round([fence(WRONG_PY), fence(RIGHT_PY), fence(WRONG_PY), fence(WRONG_PY)], fence(WRONG_PY))
    with ScriptedServer(script) as srv:
        plain = solve_json("maxsub.md", tmp_path, srv)
        with_oracle = solve_json("maxsub.md", tmp_path, srv, "--brute", "brute.py", "--gen", "gen.py")
        prompts = [last_user_text(r) for r in srv.chat_requests if is_synthesis(r)]
    # without the oracle the wrong synthesis passes the samples and is the answer
    assert plain["status"] == "solved" and "best = cur = 0" in plain["code"]
    # with it: the right program, chosen because the final one disagreed with the brute force
    assert with_oracle["_exit"] == 0, with_oracle["_stderr"]
    assert with_oracle["status"] == "solved"
    assert "best = cur = a[0]" in with_oracle["code"]
    assert "disagreed with the brute force" in with_oracle["selected"]["reason"]
    assert with_oracle["assurance"].endswith("+ matched the brute force on 50 generated inputs")
    oracle = with_oracle["verification"]["oracle"]
    assert oracle == {"passed": 50, "total": 50}
    assert with_oracle["oracle"]["inputs"] == 50 and with_oracle["oracle"]["checked_on_samples"] == 1
    # the synthesis prompt (the run with the oracle) shows where the wrong programs disagree
    shown = prompts[-1]
    assert "Oracle: matched the brute force on all 50 generated inputs." in shown  # the right one
    assert "Oracle: matched the brute force on " in shown and "/50 generated inputs" in shown
    assert "brute force:" in shown and "this program:    '0\\n'" in shown


def test_a_brute_force_that_fails_a_sample_is_refused(tmp_path: Path, docker_ready: None) -> None:
    _problem(tmp_path)
    (tmp_path / "bad.py").write_text("input(); print(sum(map(int, input().split())))\n")
    with ScriptedServer(by_round(fence(RIGHT_PY), fence(RIGHT_PY))) as srv:
        out = solve_json("maxsub.md", tmp_path, srv, "--brute", "bad.py", "--gen", "gen.py")
        assert srv.chat_requests == []  # refused before any token was spent
    assert out["_exit"] == 2 and out["status"] == "error"
    assert "the brute force fails sample" in out["error"]


def test_brute_without_gen_is_a_usage_error(tmp_path: Path) -> None:
    _problem(tmp_path)
    out = pacore(["solve", "maxsub.md", "--brute", "brute.py", "--json", "--base-url", "http://127.0.0.1:9",
                  "--model", "m"], cwd=tmp_path)  # fmt: skip
    assert out.code == 2
    assert "--brute needs --gen" in json.loads(out.stdout)["error"]


def test_start_seeds_round_one_with_my_program_and_its_failure(tmp_path: Path, docker_ready: None) -> None:
    _problem(tmp_path)
    marker = "# my attempt\n"
    (tmp_path / "mine.py").write_text(marker + WRONG_PY)
    with ScriptedServer(by_round(fence(WRONG_PY), fence(RIGHT_PY))) as srv:
        out = solve_json("maxsub.md", tmp_path, srv, "--start", "mine.py", "--brute", "brute.py",
                         "--gen", "gen.py")
        first = [r for r in srv.chat_requests if not is_synthesis(r)]
        synthesis = [last_user_text(r) for r in srv.chat_requests if is_synthesis(r)]
    assert out["_exit"] == 0, out["_stderr"]
    # round 1: 4 trajectories, one of them mine (so the model was asked for 3)
    assert sum(int(r.get("n") or 1) for r in first) == 3
    assert out["rounds"][0]["k"] == 4 and len(out["rounds"][0]["trajectories"]) == 4
    # the synthesis saw my program with the oracle's counterexample, and repaired it
    assert marker.strip() in synthesis[0]
    assert "this program:    '0\\n'" in synthesis[0]
    assert "best = cur = a[0]" in out["code"]
