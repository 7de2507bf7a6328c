"""The editor's oracle for a stub: `<stub>_brute` beside it. The real server over stdio, the
scripted model, the Docker sandbox: a wrong synthesis that passes the user's test loses to
the candidate that matches the brute force, and the prompt shows the disagreement."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pacore_core.model_oracle import ORACLE_MARKER
from tests.lsp import conftest
from tests.lsp.conftest import apply_text_edits, wait_for
from tests.support.max_subarray import BRUTE_BODY, RIGHT, STUB, WRONG, user_test
from tests.support.scripted_server import Reply, is_synthesis, last_user_text

MODULE = '"""Runs."""\n\n\n' + STUB + "\n\ndef max_subarray_brute(nums: list[int]) -> int:\n" + BRUTE_BODY
TESTS = user_test("pkg.mathx")


def _responder(_latency: Any = None) -> Any:
    """Round 1: a wrong and a right program (both pass the user's test); the final
    synthesis copies the wrong one."""
    def answer(request: dict[str, Any], choice: int, _call: int) -> Reply:
        code = WRONG if is_synthesis(request) or choice % 2 == 0 else RIGHT
        return Reply(f"```python\n{code}```\n")
    return answer


async def solved_by_oracle(s: Any, brute: str) -> tuple[dict[str, Any], int]:
    """Solve `max_subarray` and check it was `brute` that chose the answer: its report and the
    number of generated inputs it matched (the empty list, outside its domain, not among them)."""
    started = await s.solve("def max_subarray(")
    assert started["function"] == "max_subarray"
    report = await s.wait_report("max_subarray", 240)
    assert "solved" in report, report
    full: dict[str, Any] = await s.report(started["solveId"])
    m = re.fullmatch(rf"passed your tests \+ matched {re.escape(brute)} on (\d+) generated inputs",
                     full["assurance"])
    assert m is not None, full["assurance"]
    n = int(m.group(1))
    assert n >= 10 and full["verification"]["passed"] == full["verification"]["total"] == n + 1
    assert "disagreed with the brute force" in full["selected"]["reason"]  # selection's words
    assert "max_subarray([]): raised ValueError" in full["detail"]  # the input it has no answer on
    return full, n


@pytest.mark.docker
async def test_brute_beside_the_stub_is_the_oracle(session_factory: Any, require_docker_engine: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "responder", _responder)
    files = {"pkg/mathx.py": MODULE, "tests/test_mathx.py": TESTS}
    async with session_factory(files=files) as s:
        _, n = await solved_by_oracle(s, "the brute force")
        # the wrong final synthesis was not the answer: the edit holds the right program
        await wait_for(lambda: s.edits, 30, "the edit")
        new = apply_text_edits(s.text, list(s.edits[0].edit.document_changes[0].edits))
        assert "best = cur = nums[0]" in new and "def max_subarray_brute(" in new
        synthesis = [last_user_text(r) for r in s.server.chat_requests if is_synthesis(r)]
        shown = synthesis[-1]
        assert f"Oracle: matched the brute force on all {n} generated inputs." in shown
        assert "input:           'max_subarray([" in shown and "this program:    '0'" in shown
        assert "max_subarray_brute" not in shown  # the model is never shown the brute force


@pytest.mark.docker
async def test_a_brute_beside_the_stub_failing_its_tests_stops_the_solve(
        session_factory: Any, require_docker_engine: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "responder", _responder)
    broken = MODULE.replace("    return max(sum(", "    return min(sum(")
    async with session_factory(files={"pkg/mathx.py": broken, "tests/test_mathx.py": TESTS}) as s:
        started = await s.solve("def max_subarray(")
        await s.wait_report("max_subarray", 120)
        full = await s.report(started["solveId"])
        assert full["status"] == "error"
        assert "the brute force `max_subarray_brute`: the brute force fails the stub's test" in full["detail"]
        assert "test_mixed" in full["detail"] and s.server.chat_requests == [] and s.edits == []


def _fix_responder(_latency: Any = None) -> Any:
    """Round 1 (beside the user's own program): a right one; the final synthesis: a wrong one."""
    def answer(request: dict[str, Any], _choice: int, _call: int) -> Reply:
        return Reply(f"```python\n{WRONG if is_synthesis(request) else RIGHT}```\n")
    return answer


@pytest.mark.docker
async def test_fix_repairs_a_function_that_passes_my_tests_but_not_the_brute_force(
        session_factory: Any, require_docker_engine: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "responder", _fix_responder)
    stub_body = MODULE.split("-> int:\n", 1)[1].split("\n\n", 1)[0] + "\n"  # its docstring and `...`
    mine = MODULE.replace(stub_body, WRONG.split("\n", 1)[1], 1)  # my (wrong) body, same signature
    async with session_factory(files={"pkg/mathx.py": mine, "tests/test_mathx.py": TESTS}) as s:
        started = await s.command("pacore.fix", {"uri": s.uri, "version": 1,
                                                 "position": {"line": 3, "character": 4}})  # fmt: skip
        assert started["function"] == "max_subarray"
        report = await s.wait_report("max_subarray", 240)
        assert "solved" in report, report
        await wait_for(lambda: s.edits, 30, "the edit")
        new = apply_text_edits(s.text, list(s.edits[0].edit.document_changes[0].edits))
        assert "best = cur = nums[0]" in new and "best = cur = 0" not in new
        # my test passed, the brute force disagreed: that is what the synthesis read about my code
        shown = next(last_user_text(r) for r in s.server.chat_requests if is_synthesis(r))
        assert "best = cur = 0" in shown and "1/1 public tests passed (all passed)" in shown
        assert "this program:    '0'" in shown


MODEL_BRUTE = MODULE.split("\n\n\n")[-1].replace("max_subarray_brute", "max_subarray")  # same body
NO_BRUTE = MODULE.split("\n\n\ndef max_subarray_brute(")[0] + "\n"


FAILS_THE_TEST = "def max_subarray(nums: list[int]) -> int:\n    return sum(nums)\n"  # 6, not 7


def _model_brute_responder(_latency: Any = None) -> Any:
    """The oracle request (K = 2): one brute force failing the user's test, then the right one
    (named like the stub); the rounds as `_responder`."""
    rounds = _responder()

    def answer(request: dict[str, Any], choice: int, call: int) -> Reply:
        if last_user_text(request).startswith(ORACLE_MARKER):
            return Reply(f"```python\n{FAILS_THE_TEST if choice == 0 else MODEL_BRUTE}```\n")
        return rounds(request, choice, call)
    return answer


@pytest.mark.docker
async def test_oracle_on_without_a_brute_asks_the_model_for_one(
        session_factory: Any, require_docker_engine: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "responder", _model_brute_responder)
    files = {"pkg/mathx.py": NO_BRUTE, "tests/test_mathx.py": TESTS}
    async with session_factory(files=files, settings={"oracle": "on"}) as s:
        full, _ = await solved_by_oracle(s, "the model's brute force")
        # the sample that failed the user's test was discarded, and the report says so
        assert ("warning: model-written oracle: oracle sample 1 discarded: the brute force fails the "
                "stub's test") in full["detail"]
        asked = [r for r in s.server.chat_requests if last_user_text(r).startswith(ORACLE_MARKER)]
        assert len(asked) == 1 and asked[0]["n"] == 2 and s.server.chat_requests[0] is asked[0]
        assert "def test_mixed" in last_user_text(asked[0])  # it was shown the stub's tests
        await wait_for(lambda: s.edits, 30, "the edit")
        new = apply_text_edits(s.text, list(s.edits[0].edit.document_changes[0].edits))
        assert "best = cur = nums[0]" in new and "max_subarray_brute" not in new
