"""Plain data for every call path (issue 25): execution agreement's generated inputs (probes)
and calls with expected values known as values (an oracle's answers: `call_suite`) come back
from the sandbox as data, rendered, digested and compared on the host. Per path: a program
whose answer compares equal to anything, and one that reaches the report channel, with a
positive control showing the reach forges the harness without the guard."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

from pacore_core.agreement.execution import outcome
from sandbox import Candidate, Limits, Sandbox
from sandbox.call_suites import call_suite, sandbox_suite
from sandbox.jobs import build_job, verdict_from_response
from sandbox.models import ProbeCall, ProbeSuite, TestSuite, Verdict
from tests.sandbox.conftest import LOCAL_ROOT
from tests.sandbox.forgery import PRELUDE

ASYNC = pytest.mark.asyncio(loop_scope="module")
SUPERVISOR = os.path.join(os.path.dirname(__file__), "..", "..", "sandbox", "runners", "supervisor.py")
LIMITS = Limits(timeout_s=5.0, memory_mb=512)
CALLS = [ProbeCall(name="p1", args="(1,)"), ProbeCall(name="p2", args="(5,)")]
PROBES = ProbeSuite(mode="function", entry_point="f", per_call_s=2.0, inputs=CALLS)
ORACLE = call_suite("f", [("o1", (1,), 2), ("o2", (5,), 6)])  # what an oracle's answers become
HONEST = "def f(x):\n    return x + 1\n"
ANYTHING = (
    "class Anything:\n    def __eq__(self, other):\n        return True\n\n"
    "    def __ne__(self, other):\n        return False\n\n"
    "    def __repr__(self):\n        return '2'\n\n"
    "def f(x):\n    return Anything()\n"
)


def forger(reports: dict[str, dict[str, object]]) -> str:
    """`f` returns 0, but first finds the harness's reporter and reports `reports` (name ->
    the right answer), then leaves before the harness reports the truth."""
    return PRELUDE + (
        "\n\nimport gc\n\n"
        "def f(x):\n"
        "    for obj in gc.get_objects():\n"
        "        if _is_reporter(obj):\n"
        f"            for name, report in {reports!r}.items():\n"
        "                obj({'event': 'start', 'name': name, 'out_pos': 0})\n"
        "                obj({'event': 'report', 'name': name, 'out_pos': 0, 'duration_s': 0.0, **report})\n"
        "            sys.stdout.flush()\n"
        "            os._exit(0)\n"
        "    return 0\n"
    )


PROBE_FORGER = forger({n: {"status": "passed", "answer": {"data": 2}} for n in ("p1", "p2")})
ORACLE_FORGER = forger({"o1": {"status": "ran", "value": 2}, "o2": {"status": "ran", "value": 6}})


def supervisor_once(code: str, suite: TestSuite, *, unguarded: bool) -> dict:
    """The supervisor run once on this host, as the local backend runs it; `unguarded` is the
    forgery tests' positive-control flag (the harness without the guard)."""
    workdir = tempfile.mkdtemp(prefix="probe-forgery-", dir=LOCAL_ROOT)
    job = build_job(Candidate(code=code), suite, LIMITS, workdir=workdir, python=sys.executable)
    if unguarded:
        job["unguarded"] = True
    proc = subprocess.run([sys.executable, SUPERVISOR, "--once", workdir], input=json.dumps(job) + "\n",
                          capture_output=True, text=True, timeout=60, cwd=workdir)  # fmt: skip
    final = [json.loads(line) for line in proc.stdout.splitlines() if line.strip() and '"results"' in line]
    assert final, f"the supervisor gave no answer: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    return final[-1]


def verdict_of(response: dict, suite: TestSuite) -> Verdict:
    return verdict_from_response(response, suite, backend="control", duration_s=0.0)


def test_probe_answers_leave_the_sandbox_as_data() -> None:
    """The sandbox returns what each call returned as plain data and renders nothing; the
    host renders and digests it (an in-place function: its arguments after the call)."""
    code = "def f(x):\n    return {x, 3 * x, -1.0 / 3}\n"
    response = supervisor_once(code, PROBES, unguarded=False)
    raw = {r["name"]: r for r in response["results"]}
    assert sorted(raw["p1"]["answer"]["data"]["set"]) == [-1.0 / 3, 1, 3], raw
    assert "actual" not in raw["p1"] and "message" not in raw["p1"], raw
    verdict = verdict_of(response, PROBES)
    assert [t.actual for t in verdict.tests] == ["{-0.333333333, 1, 3}", "{-0.333333333, 15, 5}"]
    assert all(t.message and len(t.message) == 16 for t in verdict.tests)
    in_place = ProbeSuite(mode="function", entry_point="f", inputs=[ProbeCall(name="p", args="([3, 1],)")])
    response = supervisor_once("def f(xs):\n    xs.sort()\n", in_place, unguarded=False)
    assert verdict_of(response, in_place).tests[0].actual == "None; arguments after the call: ([1, 3],)"


@ASYNC
async def test_probe_an_object_equal_to_anything_is_only_its_text(local_sandbox: Sandbox) -> None:
    """Its `__eq__` is never asked: its answer is an object's text, never equal to the honest
    program's data 2, though it prints as `2`; as an oracle's answer it is a wrong answer.
    Control: any comparison made in the program's process with `==` takes it for 2."""
    namespace: dict[str, object] = {}
    exec(ANYTHING, namespace)
    assert namespace["f"](1) == 2  # type: ignore[operator]  # the control: in process, it is 2
    honest = await local_sandbox.run(Candidate(code=HONEST), PROBES, LIMITS)
    faking = await local_sandbox.run(Candidate(code=ANYTHING), PROBES, LIMITS)
    assert honest.tests[0].actual == "2"
    assert faking.tests[0].actual == "2 (not plain data: an object of type Anything)", faking
    assert outcome(honest.tests[0]).key != outcome(faking.tests[0]).key
    verdict = await local_sandbox.run(Candidate(code=ANYTHING), ORACLE, LIMITS)
    assert verdict.verdict == "failed" and verdict.tests[0].error_type == "NotPlainData", verdict


def test_positive_control_the_unguarded_harness_takes_forged_answers() -> None:
    """Without the guard, the reporter found through `gc` reports the right answers for a
    program that returns 0: agreement reads 2 and the oracle's tests pass."""
    probes = verdict_of(supervisor_once(PROBE_FORGER, PROBES, unguarded=True), PROBES)
    assert [t.actual for t in probes.tests] == ["2", "2"], probes
    oracle = verdict_of(supervisor_once(ORACLE_FORGER, ORACLE, unguarded=True), ORACLE)
    assert oracle.verdict == "passed" and oracle.passed == 2, oracle


@ASYNC
@pytest.mark.parametrize("kind", ["local", "docker"])
async def test_a_forged_answer_is_tampered(
    kind: str, local_sandbox: Sandbox, docker_sandbox: Sandbox
) -> None:
    """The same programs under the guard: the reach is refused and every result is tampered;
    nothing they reported is taken."""
    sandbox = local_sandbox if kind == "local" else docker_sandbox
    probes = await sandbox.run(Candidate(code=PROBE_FORGER), PROBES, LIMITS)
    assert {t.status for t in probes.tests} == {"tampered"}, probes
    assert all("gc.get_objects" in (t.message or "") for t in probes.tests)
    assert all(t.actual != "2" for t in probes.tests)
    oracle = await sandbox.run(Candidate(code=ORACLE_FORGER), ORACLE, LIMITS)
    assert oracle.verdict == "tampered" and oracle.passed == 0, oracle


def test_an_oracle_suite_keeps_its_expected_values_on_the_host() -> None:
    suite = call_suite("f", [("o1", (1, [2, 3]), {"a": (1, 2)})], group="oracle")
    assert suite.group == "oracle" and suite.calls[0].args == '[1, [2, 3]]'
    sent = json.dumps(sandbox_suite(suite))
    assert "expected" not in sent and '"a"' not in sent
