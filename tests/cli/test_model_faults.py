"""`pacore solve` against a misbehaving model: hangs, late failures, several endpoints.

The console script runs as a subprocess; the scripted servers run in this process. Limits
are configured short (`PACORE_FIRST_TOKEN_TIMEOUT_S=0.5`) so nothing here asserts a time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import clean_env, pacore
from tests.cli.test_solve import ROMAN_BAD, ROMAN_GOOD, server_args, write_roman
from tests.support import Error, Hang, Reply, ScriptedServer, by_round, is_synthesis

pytestmark = pytest.mark.docker


def test_a_server_that_never_answers_is_retried_visibly_then_named(
    tmp_path: Path, docker_ready: None
) -> None:
    stub = write_roman(tmp_path)
    env = clean_env(PACORE_FIRST_TOKEN_TIMEOUT_S="0.5", PACORE_MAX_RETRIES="2")
    with ScriptedServer(Hang(headers=True)) as srv:
        out = pacore(["solve", stub, "--rounds", "2", *server_args(srv), "--timeout", "30"],
                     cwd=tmp_path, env=env)
        calls = srv.calls
    assert out.code == 1, out.stderr
    assert calls == 3
    assert "no answer yet (timed out: no token within 0.5 s), retrying (2/3)" in out.stderr
    assert "retrying (3/3)" in out.stderr
    assert "no token within 0.5 s" in out.stderr and "after 3 attempts" in out.stderr
    assert srv.base_url in out.stderr and "only slow needs a larger" in out.stderr
    assert "model calls 3" in out.stderr


def test_five_http_500s_are_five_model_calls(tmp_path: Path, docker_ready: None) -> None:
    stub = write_roman(tmp_path)
    with ScriptedServer(Error(500, "engine crashed")) as srv:
        out = pacore(["solve", stub, "--rounds", "2", *server_args(srv), "--json"], cwd=tmp_path)
        calls = srv.calls
    obj = json.loads(out.stdout)
    assert out.code == 1 and obj["status"] == "error" and "engine crashed" in obj["error"]
    assert calls == 5 and obj["model_calls"] == 5


def test_a_late_model_failure_keeps_the_verified_answer(tmp_path: Path, docker_ready: None) -> None:
    stub = write_roman(tmp_path)
    env = clean_env(PACORE_MAX_RETRIES="1")
    with ScriptedServer(by_round(ROMAN_GOOD, Error(500, "synthesis crashed"))) as srv:
        out = pacore(["solve", stub, "--rounds", "2", *server_args(srv), "--json"], cwd=tmp_path, env=env)
        shown = pacore(["solve", stub, "--rounds", "2", *server_args(srv)], cwd=tmp_path, env=env)
    assert out.code == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["status"] == "solved" and obj["verification"]["verdict"] == "passed"
    assert "to_roman" in obj["code"] and obj["error"] is None
    assert len(obj["warnings"]) == 1 and "synthesis crashed" in obj["warnings"][0]
    assert shown.code == 0 and "warning:" in shown.stderr and "synthesis crashed" in shown.stderr


def test_two_endpoints_one_dies_mid_run(tmp_path: Path, docker_ready: None) -> None:
    stub = write_roman(tmp_path)

    def dying(req: dict[str, Any], choice: int, call: int) -> Hang:
        b.kill()  # the request that reached it is cut, and it refuses from now on
        return Hang()

    def answer(req: dict[str, Any], choice: int, call: int) -> Reply:
        return Reply(ROMAN_BAD if is_synthesis(req) or choice % 2 == 0 else ROMAN_GOOD)

    with ScriptedServer(answer) as a, ScriptedServer(dying) as b:
        env = clean_env(PACORE_BASE_URL=f"{a.base_url},{b.base_url}", PACORE_MODEL=a.model)
        out = pacore(["solve", stub, "--rounds", "2", "--json"], cwd=tmp_path, env=env)
        calls = (a.calls, b.calls)
    assert out.code == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["status"] == "solved" and [r["k"] for r in obj["rounds"]] == [2, 1]
    assert calls == (2, 1)  # round 1 on a; the final round went to b, died, and moved to a
    assert not a.running and not b.running
