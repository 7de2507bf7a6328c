"""A model-written oracle for a function stub (`pacore solve stub.py --oracle on`, no brute force
of the user's): the model's brute-force functions are checked on the stub's tests and against
each other, the kept one overrules a wrong synthesis, and a replay reruns it from the record.
The console script, the scripted model server, the Docker sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import solve_json
from tests.cli.test_model_oracle import assert_replayed_model_oracle, is_oracle
from tests.cli.test_solve_stub_oracle import TESTS, fence
from tests.conftest import require_docker
from tests.support import Reply, ScriptedServer, by_round
from tests.support.max_subarray import RIGHT, STUB, WRONG
from tests.support.scripted_server import is_synthesis, last_user_text

# the model's brute force: named like the stub; raises on the empty list (outside its domain)
BRUTE = '''def max_subarray(nums: list[int]) -> int:
    return max(sum(nums[i:j]) for i in range(len(nums)) for j in range(i + 1, len(nums) + 1))
'''
OTHER_BRUTE = BRUTE.replace("return max(", "best = max(").rstrip() + "\n    return best\n"
FAILS_MY_TEST = "def max_subarray(nums: list[int]) -> int:\n    return sum(nums)\n"  # 6, not 7
FIRST = [WRONG, RIGHT, WRONG, WRONG]  # round 1: the wrong ones pass my test too


def brute_reply(code: str) -> str:
    return f"A brute force:\n{fence(code)}\n"


def model(oracle: list[str]) -> Any:
    """The oracle request's K samples in order (brute forces, each answered in a code block;
    anything else as it is); round 1 as FIRST, every synthesis the wrong program."""
    rounds = by_round([fence(c) for c in FIRST], fence(WRONG))

    def answer(req: dict[str, Any], choice: int, call: int) -> Any:
        if is_oracle(req):
            sample = oracle[choice % len(oracle)]
            return Reply(brute_reply(sample) if sample.startswith("def ") else sample)
        return rounds(req, choice, call)

    return answer


Recorded = tuple[Path, dict[str, Any], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    require_docker()
    d = tmp_path_factory.mktemp("stub-model-oracle")
    (d / "maxsub.py").write_text(STUB)
    (d / "test_maxsub.py").write_text(TESTS)
    with ScriptedServer(model([BRUTE])) as srv:
        out = solve_json("maxsub.py", d, srv, "--oracle", "on", "--record", "run.json", "--html", "run.html")
        requests = list(srv.chat_requests)
    return d, out, requests


def test_the_models_brute_force_overrules_a_wrong_synthesis(recorded: Recorded) -> None:
    d, out, requests = recorded
    assert out["_exit"] == 0, out["_stderr"]
    assert out["status"] == "solved" and "best = cur = nums[0]" in out["code"]
    assert "disagreed with the brute force" in out["selected"]["reason"]
    n = out["verification"]["oracle"]["total"]
    assert out["verification"]["oracle"]["passed"] == n and n >= 10
    assert out["assurance"] == f"passed your tests + matched the model's brute force on {n} generated inputs"
    oracle = out["oracle"]
    assert oracle["source"] == "model" and oracle["brute"] == BRUTE and oracle["generator"] is None
    assert oracle["brute_function"] == "max_subarray" and oracle["checked_on_samples"] == 1
    assert (oracle["samples"], oracle["agreeing"], oracle["inputs"]) == (4, 4, n)
    assert oracle["completion_tokens"] > 0  # its tokens count in the run's TTC
    page = (d / "run.html").read_text()
    assert f"Oracle: the model-written brute force <code>max_subarray</code> (python) on {n} inputs" in page
    # the empty list (where it raises) was dropped, in its notes and the run's warnings
    assert any("max_subarray([])" in note and "raised ValueError" in note for note in oracle["notes"])
    assert any("max_subarray([])" in w for w in out["warnings"])
    # asked once, K samples in one request, before round 1; shown the stub and my test
    asked = [r for r in requests if is_oracle(r)]
    assert len(asked) == 1 and asked[0]["n"] == 4 and requests[0] is asked[0]
    prompt = last_user_text(asked[0])
    assert prompt.startswith("Write a brute force for the function `max_subarray`")
    assert "def max_subarray(nums: list[int]) -> int:" in prompt and "def test_mixed" in prompt
    # the synthesis read where the wrong programs disagree with the model's brute force
    shown = [last_user_text(r) for r in requests if is_synthesis(r)][-1]
    assert f"Oracle: matched the brute force on all {n} generated inputs." in shown
    assert "input:           'max_subarray([" in shown and "this program:    '0'" in shown


def test_replay_reruns_the_recorded_brute_force_without_a_model(recorded: Recorded) -> None:
    d, first, _ = recorded
    # a live model that would write another (valid) brute force, were it asked
    with ScriptedServer(model([OTHER_BRUTE])) as srv:
        out = solve_json("maxsub.py", d, srv, "--oracle", "on", "--replay", "run.json", "--record",
                         "replayed.json")
        assert srv.chat_requests == []
    assert_replayed_model_oracle(out, first, BRUTE)
    # the recorded brute force ran again: its oracle tests have verdicts in this result
    n = first["verification"]["oracle"]["total"]
    ran = [t for t in out["verification"]["tests"] if t["name"].startswith("oracle:input ")]
    assert len(ran) == n and all(t["status"] == "passed" for t in ran)
    assert out["verification"]["oracle"] == {"passed": n, "total": n}
    # on the recorded inputs, not drawn again (drawing has a time budget: fewer under load)
    calls = [[c["args"] for c in json.loads((d / f).read_text())["problem"]["oracle_tests"]["calls"]]
             for f in ("run.json", "replayed.json")]  # fmt: skip
    assert calls[0] == calls[1] and len(calls[0]) == n


def test_samples_failing_my_test_or_the_majority_are_discarded(tmp_path: Path, docker_ready: None) -> None:
    (tmp_path / "maxsub.py").write_text(STUB)
    (tmp_path / "test_maxsub.py").write_text(TESTS)
    # sample 1 fails my test; sample 2 passes it but is the empty-run bug (disagrees with 3, 4)
    with ScriptedServer(model([FAILS_MY_TEST, WRONG, BRUTE, OTHER_BRUTE])) as srv:
        out = solve_json("maxsub.py", tmp_path, srv, "--oracle", "on")
    assert out["_exit"] == 0, out["_stderr"]
    oracle = out["oracle"]
    assert oracle["brute"] == BRUTE and (oracle["samples"], oracle["agreeing"]) == (4, 2)
    notes = "\n".join(oracle["notes"])
    assert "oracle sample 1 discarded: the brute force fails the stub's test" in notes
    assert "test_mixed" in notes
    assert "oracle sample 2 discarded: it disagreed with the majority on" in notes
    assert any(w.startswith("model-written oracle: oracle sample 1 discarded") for w in out["warnings"])
    assert "best = cur = nums[0]" in out["code"] and "model's brute force" in out["assurance"]


def test_on_with_no_brute_force_kept_goes_on_and_says_so(tmp_path: Path, docker_ready: None) -> None:
    (tmp_path / "maxsub.py").write_text(STUB)
    (tmp_path / "test_maxsub.py").write_text(TESTS)
    with ScriptedServer(model([FAILS_MY_TEST, "no code here"])) as srv:
        out = solve_json("maxsub.py", tmp_path, srv, "--oracle", "on")
    assert out["oracle"] is None and out["verification"]["oracle"] is None
    warning = next(w for w in out["warnings"] if "no model-written oracle was kept" in w)
    assert "oracle sample 1 discarded: the brute force fails the stub's test" in warning
    assert "oracle sample 2 discarded: it has no Python code block" in warning
    assert "best = cur = 0" in out["code"]  # without an oracle the wrong synthesis passes my test


DOCTEST_STUB = STUB.replace("""(which is not empty).\"\"\"""", """(which is not empty).

    >>> max_subarray([-1, 2, 3, -2, 4])
    7
    \"\"\"""")


def test_auto_asks_the_model_when_only_doctests_choose(tmp_path: Path, docker_ready: None) -> None:
    weak, strong = tmp_path / "weak", tmp_path / "strong"
    weak.mkdir(), strong.mkdir()
    (weak / "maxsub.py").write_text(DOCTEST_STUB)
    (strong / "maxsub.py").write_text(STUB)
    (strong / "test_maxsub.py").write_text(TESTS)
    with ScriptedServer(model([BRUTE])) as srv:
        doctests = solve_json("maxsub.py", weak, srv)  # oracle = auto (the default)
        asked_weak = sum(is_oracle(r) for r in srv.chat_requests)
        tested = solve_json("maxsub.py", strong, srv)
        asked_strong = sum(is_oracle(r) for r in srv.chat_requests) - asked_weak
    # only the docstring's example chooses: the model's brute force is asked for and used
    assert asked_weak == 1 and doctests["_exit"] == 0, doctests["_stderr"]
    assert doctests["oracle"]["source"] == "model" and doctests["oracle"]["checked_on_samples"] == 1
    assert "best = cur = nums[0]" in doctests["code"]
    assert "+ matched the model's brute force on" in doctests["assurance"]
    # the user's own test chooses: auto asks no oracle, and the wrong synthesis passing it stays
    assert asked_strong == 0 and tested["oracle"] is None and "best = cur = 0" in tested["code"]
