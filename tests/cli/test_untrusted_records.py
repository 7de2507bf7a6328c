"""Records given to `--replay` and pools given to `--pool` are data: nothing in them runs on
the host, and a malformed one is a usage error naming the file and field (real console script)."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from pacore_core.config import RunConfig
from pacore_core.problem import Problem
from pacore_core.record import RoundRecord, RunRecord, RunResult, TrajectoryRecord
from tests.cli.conftest import clean_env, pacore

STUB = 'def double(x: int) -> int:\n    """Twice x."""\n    ...\n'
TESTS = "from double import double\n\ndef test_two():\n    assert double(2) == 4\n"
GOOD = "```python\ndef double(x: int) -> int:\n    return 2 * x\n```"


def evil_template(tmp_path: Path) -> tuple[Path, Path]:
    """A jinja2 template that creates a directory when rendered (server-side template injection)."""
    marker = tmp_path / "PWNED"
    evil = tmp_path / "evil"
    evil.mkdir()
    payload = "{{ cycler.__init__.__globals__.os.mkdir('" + str(marker) + "') }}{{ original_prompt }}"
    for name in ("synthesis.j2", "synthesis_code.j2", "function.j2"):
        (evil / name).write_text(payload)
    return evil, marker


def write_record(path: Path, evil: Path) -> None:
    rounds = [RoundRecord(round=r, k=1, prompt="", trajectories=[TrajectoryRecord(index=0, content=GOOD)])
              for r in (1, 2)]
    config = RunConfig(rounds=[1]).model_dump(mode="json")
    config.update(template=str(evil / "synthesis_code.j2"), template_dir=str(evil))
    data = json.loads(RunRecord(config=RunConfig(rounds=[1]), problem=Problem(statement="x"),
                                result=RunResult(status="solved", rounds=rounds)).model_dump_json())
    data["config"] = config
    path.write_text(json.dumps(data))


def test_replaying_a_record_runs_nothing_it_names(tmp_path: Path) -> None:
    evil, marker = evil_template(tmp_path)
    # the payload is live: rendering it with jinja2 does create the directory
    jinja2.Environment().from_string((evil / "function.j2").read_text()).render(original_prompt="")
    assert marker.is_dir()
    marker.rmdir()
    (tmp_path / "double.py").write_text(STUB)
    (tmp_path / "test_double.py").write_text(TESTS)
    write_record(tmp_path / "run.json", evil)
    for extra in (["--replay", "run.json"], ["--replay", "run.json", "--pool", "run.json"]):
        out = pacore(["solve", "double.py", "--rounds", "1", "--sandbox", "local", *extra],
                     cwd=tmp_path, env=clean_env(PACORE_SANDBOX="local"))
        assert out.code == 0, out.stderr
        assert not marker.exists()


def test_malformed_record_and_pool_are_usage_errors_naming_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "double.py").write_text(STUB)
    (tmp_path / "test_double.py").write_text(TESTS)
    bad = tmp_path / "bad.json"
    evil, _ = evil_template(tmp_path)
    write_record(bad, evil)
    data = json.loads(bad.read_text())
    data["result"]["rounds"][1]["trajectories"][0]["completion_tokens"] = "lots"
    bad.write_text(json.dumps(data))
    (tmp_path / "five.json").write_text("5")
    env = clean_env(PACORE_SANDBOX="local")
    replay = pacore(["solve", "double.py", "--replay", "bad.json", "--json"], cwd=tmp_path, env=env)
    pool = pacore(["solve", "double.py", "--pool", "five.json", "--base-url", "http://127.0.0.1:9/v1",
                   "--model", "m", "--json"], cwd=tmp_path, env=env)
    assert replay.code == 2 and pool.code == 2
    assert "bad.json" in replay.stderr
    assert "field result.rounds.1.trajectories.0.completion_tokens" in replay.stderr
    assert "five.json" in pool.stderr and "JSON int" in pool.stderr
    for out in (replay, pool):
        assert "Traceback" not in out.stderr
        assert json.loads(out.stdout)["status"] == "error"
