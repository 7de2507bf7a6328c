"""A model-written oracle (`pacore solve --oracle on` with no --brute/--gen): the console
script, the scripted model server, the Docker sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pacore_core.model_oracle import ORACLE_MARKER
from tests.cli.conftest import pacore, solve_json
from tests.cli.test_solve_oracle import STATEMENT, fence
from tests.cli.test_stress import BRUTE, GEN, RIGHT_PY, WRONG_PY
from tests.conftest import require_docker
from tests.support import Reply, ScriptedServer, by_round
from tests.support.scripted_server import is_synthesis, last_user_text

SUM_BRUTE = "input(); print(sum(map(int, input().split())))\n"  # fails the sample (7)


def oracle_reply(brute: str, gen: str = GEN) -> str:
    return f"The brute force:\n{fence(brute)}\nThe generator:\n{fence(gen)}\n"


def is_oracle(request: dict[str, Any]) -> bool:
    return last_user_text(request).startswith(ORACLE_MARKER)


def model(oracle: list[str], first: list[str], final: str) -> Any:
    """The oracle request's K samples in order; the rounds as `by_round`."""
    rounds = by_round([fence(c) for c in first], fence(final))

    def answer(req: dict[str, Any], choice: int, call: int) -> Any:
        if is_oracle(req):
            return Reply(oracle[choice % len(oracle)])
        return rounds(req, choice, call)

    return answer


# round 1: one right program among wrong ones that pass the sample; the synthesis is wrong
FIRST = [WRONG_PY, RIGHT_PY, WRONG_PY, WRONG_PY]


def assert_replayed_model_oracle(out: dict[str, Any], first: dict[str, Any], brute: str) -> None:
    """A replay's result: the recorded answer and the recorded model oracle (4 samples, all
    agreeing), nothing spent on it now, and the oracle request not among the replayed calls."""
    assert out["_exit"] == 0, out["_stderr"]
    assert out["replayed"] is True and out["code"] == first["code"]
    oracle = out["oracle"]
    assert oracle["replayed"] is True and oracle["source"] == "model" and oracle["brute"] == brute
    assert (oracle["samples"], oracle["agreeing"]) == (4, 4)
    assert oracle["completion_tokens"] == 0 and oracle["prompt_tokens"] == 0
    assert out["model_calls"] == first["model_calls"] - 1


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], list[dict[str, Any]]]:
    require_docker()
    d = tmp_path_factory.mktemp("model-oracle")
    (d / "maxsub.md").write_text(STATEMENT)
    with ScriptedServer(model([oracle_reply(BRUTE)], FIRST, WRONG_PY)) as srv:
        out = solve_json("maxsub.md", d, srv, "--oracle", "on", "--record", "run.json")
        requests = list(srv.chat_requests)
    return d, out, requests


Recorded = tuple[Path, dict[str, Any], list[dict[str, Any]]]


def test_a_model_oracle_overrules_a_wrong_synthesis(recorded: Recorded) -> None:
    _, out, requests = recorded
    assert out["_exit"] == 0, out["_stderr"]
    assert out["status"] == "solved" and "best = cur = a[0]" in out["code"]
    assert "disagreed with the brute force" in out["selected"]["reason"]
    assert out["assurance"].endswith("+ matched the model's brute force on 50 generated inputs")
    assert out["verification"]["oracle"] == {"passed": 50, "total": 50}
    oracle = out["oracle"]
    assert oracle["source"] == "model" and oracle["brute"] == BRUTE and oracle["generator"] == GEN
    assert (oracle["samples"], oracle["agreeing"], oracle["notes"]) == (4, 4, [])
    assert oracle["completion_tokens"] > 0  # the oracle's tokens are the run's TTC too
    # asked once, K samples in one request, before round 1
    asked = [r for r in requests if is_oracle(r)]
    assert len(asked) == 1 and asked[0]["n"] == 4 and requests[0] is asked[0]
    assert "Sample tests:" in last_user_text(asked[0]) and "-1 2 3 -2 4" in last_user_text(asked[0])
    # the synthesis prompt shows where the wrong programs disagree with the model's brute force
    shown = [last_user_text(r) for r in requests if is_synthesis(r)][-1]
    assert "Oracle: matched the brute force on all 50 generated inputs." in shown
    assert "brute force:" in shown and "this program:    '0\\n'" in shown


def test_replay_reuses_the_recorded_oracle_without_asking(recorded: Recorded) -> None:
    d, first, _ = recorded
    # a live model (the configured --base-url) that would write another valid oracle if asked;
    # a replay never opens it, so the checks that can fail are on the replayed result itself
    other = BRUTE.replace("print(max(", "best = max(").rstrip()[:-1] + "\nprint(best)\n"
    with ScriptedServer(model([oracle_reply(other)], FIRST, WRONG_PY)) as srv:
        out = solve_json("maxsub.md", d, srv, "--oracle", "on", "--replay", "run.json")
        assert srv.chat_requests == []
    assert_replayed_model_oracle(out, first, BRUTE)
    # the recorded oracle ran again: its 50 tests have verdicts in this result
    ran = [t for t in out["verification"]["tests"] if t["name"].startswith("oracle:seed ")]
    assert len(ran) == 50 and all(t["status"] == "passed" for t in ran)
    assert out["verification"]["oracle"] == {"passed": 50, "total": 50}


def test_auto_keeps_the_majority_oracle_and_discards_the_others(tmp_path: Path, docker_ready: None) -> None:
    (tmp_path / "maxsub.md").write_text(STATEMENT)
    # sample 1 fails the sample; sample 2 passes it but is the buggy Kadane (disagrees with 3, 4)
    samples = [oracle_reply(SUM_BRUTE), oracle_reply(WRONG_PY), oracle_reply(BRUTE), oracle_reply(BRUTE)]
    with ScriptedServer(model(samples, FIRST, WRONG_PY)) as srv:
        # oracle = auto: only the sample chooses, so the model is asked
        out = solve_json("maxsub.md", tmp_path, srv)
    assert out["_exit"] == 0, out["_stderr"]
    oracle = out["oracle"]
    assert oracle["brute"] == BRUTE and oracle["agreeing"] == 2
    notes = "\n".join(oracle["notes"])
    assert "oracle sample 1 discarded: the brute force fails sample" in notes
    assert "oracle sample 2 discarded: it disagreed with the majority" in notes
    assert any("oracle sample 1 discarded" in w for w in out["warnings"])  # the run says so
    assert "best = cur = a[0]" in out["code"]


def test_on_with_no_oracle_kept_goes_on_and_says_so(tmp_path: Path, docker_ready: None) -> None:
    (tmp_path / "maxsub.md").write_text(STATEMENT)
    with ScriptedServer(model([oracle_reply(SUM_BRUTE), "no code here"], FIRST, WRONG_PY)) as srv:
        out = solve_json("maxsub.md", tmp_path, srv, "--oracle", "on")
    assert out["oracle"] is None and out["verification"]["oracle"] is None
    warning = next(w for w in out["warnings"] if "no model-written oracle was kept" in w)
    assert "oracle sample 1 discarded: the brute force fails sample" in warning
    assert "oracle sample 2 discarded: it has 0 code block(s)" in warning
    # without an oracle, the wrong synthesis passing the sample is the answer, as before
    assert "best = cur = 0" in out["code"]


def test_auto_asks_no_oracle_when_the_users_tests_choose(tmp_path: Path, docker_ready: None) -> None:
    d = tmp_path / "maxsub"
    (d / "tests").mkdir(parents=True)
    (d / "problem.md").write_text(STATEMENT)
    (d / "tests" / "neg.in").write_text("2\n-5 -3\n")  # the user's own test catches the bug
    (d / "tests" / "neg.out").write_text("-3\n")
    with ScriptedServer(model([oracle_reply(BRUTE)], FIRST, WRONG_PY)) as srv:
        out = pacore(["solve", "maxsub", "--rounds", "4", "--agreement", "off", "--base-url", srv.base_url,
                      "--model", srv.model, "--json"], cwd=tmp_path)  # fmt: skip
        assert not any(is_oracle(r) for r in srv.chat_requests)
    payload = json.loads(out.stdout)
    assert payload["oracle"] is None and "best = cur = a[0]" in payload["code"]

