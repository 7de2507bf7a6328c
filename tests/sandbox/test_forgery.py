"""Verdicts a candidate cannot forge: the forgery corpus (forgery.py) under runc and gVisor and
on the local backend, in the in-process check and pytest modes and in data mode, with a
positive control per technique showing it does forge the harness without the guard."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile

import pytest

from sandbox import Candidate, Limits, PytestSuite, Sandbox, make_sandbox
from sandbox.jobs import build_job, verdict_from_response
from sandbox.models import TestSuite, Verdict
from tests.conftest import require_docker
from tests.sandbox.conftest import LOCAL_ROOT
from tests.sandbox.forgery import LEGIT_CODE, LEGIT_PYTEST, TECHNIQUES, Technique, suite_for

ASYNC = pytest.mark.asyncio(loop_scope="module")
SUPERVISOR = os.path.join(os.path.dirname(__file__), "..", "..", "sandbox", "runners", "supervisor.py")
LIMITS = Limits(timeout_s=5.0, memory_mb=512)
DEFENDED = [(t, mode) for t in TECHNIQUES for mode in t.expect]
LOCAL_DEFENDED = [(t, mode) for t, mode in DEFENDED if not t.docker_only]
CONTROLS = [(t, mode) for t in TECHNIQUES for mode in t.controls]


def _id(case: tuple[Technique, str]) -> str:
    return f"{case[0].name}-{case[1]}"


def unguarded(technique: Technique, mode: str) -> Verdict:
    """The technique against the harness without the guard: the supervisor run once on this
    host, as the local backend runs it, with the job flag only these tests set."""
    suite = suite_for(mode)
    workdir = tempfile.mkdtemp(prefix="control-", dir=LOCAL_ROOT)
    job = build_job(Candidate(code=technique.code), suite, LIMITS, workdir=workdir, python=sys.executable)
    assert job["suite"]["kind"] == mode, "a control runs the in-process harness"
    job["unguarded"] = True
    proc = subprocess.run(
        [sys.executable, SUPERVISOR, "--once", workdir], input=json.dumps(job) + "\n",
        capture_output=True, text=True, timeout=60, cwd=workdir,
    )  # fmt: skip
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    final = [line for line in lines if "results" in line]
    assert final, f"the supervisor gave no answer: {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
    return verdict_from_response(final[-1], suite, backend="control", duration_s=0.0)


def check_defended(technique: Technique, mode: str, verdict: Verdict, runtime: str | None = None) -> None:
    dump = verdict.model_dump_json(indent=1)[:4000]
    expected = technique.expected(mode, runtime)
    assert verdict.verdict == expected or (expected != "tampered" and verdict.verdict in technique.also), dump
    assert verdict.passed == 0 and verdict.total >= 1, dump
    if verdict.verdict == "tampered":
        messages = " ".join(t.message or "" for t in verdict.tests)
        assert "tampered with the test harness" in messages, dump
        assert technique.why in messages, f"expected {technique.why!r} in the reason: {dump}"


@pytest.mark.parametrize("case", CONTROLS, ids=_id)
def test_positive_control_forges_the_unguarded_harness(case: tuple[Technique, str]) -> None:
    """Without the guard the technique is judged passed: the defended tests can fail."""
    technique, mode = case
    verdict = unguarded(technique, mode)
    assert verdict.verdict == "passed", verdict.model_dump_json(indent=1)[:3000]
    assert verdict.passed == verdict.total >= 1


@ASYNC
@pytest.mark.docker
@pytest.mark.parametrize("case", DEFENDED, ids=_id)
async def test_forgery_docker(case: tuple[Technique, str], runtime: str, runtime_sandbox: Sandbox) -> None:
    """Every technique in every mode, under runc and under gVisor (runsc)."""
    technique, mode = case
    verdict = await runtime_sandbox.run(Candidate(code=technique.code), suite_for(mode), LIMITS)
    check_defended(technique, mode, verdict, runtime)


@ASYNC
@pytest.mark.parametrize("case", LOCAL_DEFENDED, ids=_id)
async def test_forgery_local(case: tuple[Technique, str], local_sandbox: Sandbox) -> None:
    technique, mode = case
    verdict = await local_sandbox.run(Candidate(code=technique.code), suite_for(mode), LIMITS)
    check_defended(technique, mode, verdict)


def check_ordinary(mode: str, verdict: Verdict) -> None:
    statuses = {t.name: t.status for t in verdict.tests}
    dump = verdict.model_dump_json(indent=1)[:3000]
    if mode == "pytest":
        assert statuses == {"test_sol.py::test_value": "passed", "test_sol.py::test_raises": "passed",
                            "test_sol.py::test_monkeypatch": "passed",
                            "test_sol.py::test_fails_honestly": "failed"}, dump  # fmt: skip
    else:
        assert verdict.verdict == "passed", dump


def ordinary_suite(mode: str) -> TestSuite:
    return PytestSuite(files={"test_sol.py": LEGIT_PYTEST}) if mode == "pytest" else suite_for(mode)


@ASYNC
@pytest.mark.parametrize("mode", ["check", "data_check", "pytest"])
async def test_ordinary_introspection_is_not_tampering(mode: str, local_sandbox: Sandbox) -> None:
    """namedtuple, enum, typing, dataclasses, logging, warnings, traceback printing and
    pytest's own helpers (raises, monkeypatch, capsys) use frames and patching the guard
    watches: they pass, and a failing test fails honestly (not `tampered`)."""
    verdict = await local_sandbox.run(Candidate(code=LEGIT_CODE), ordinary_suite(mode), LIMITS)
    check_ordinary(mode, verdict)


@ASYNC
@pytest.mark.docker
@pytest.mark.parametrize("mode", ["check", "data_check", "pytest"])
async def test_ordinary_introspection_is_not_tampering_docker(
    mode: str, runtime: str, runtime_sandbox: Sandbox
) -> None:
    """The same in the image (Debian's pytest and Python), under runc and gVisor."""
    verdict = await runtime_sandbox.run(Candidate(code=LEGIT_CODE), ordinary_suite(mode), LIMITS)
    check_ordinary(mode, verdict)


ENGINE_TESTS = (
    "from solution import f\n\n"
    "def test_one():\n    got = f(1)\n    assert got == 2\n\n"
    "def test_two():\n    got = f(5)\n    assert got == 6\n"
)
HALF_RIGHT = "```python\ndef f(x):\n    return 2 if x == 1 else 0\n```"


@ASYNC
@pytest.mark.docker
async def test_a_forging_candidate_is_never_the_answer() -> None:
    """PaCoRe on top: forging candidates in round 1 and as the final program are judged
    `tampered`, the synthesis prompt says so, and the answer is the honest half-right program."""
    from pacore_core.backends.openai_backend import OpenAIBackend
    from pacore_core.config import RunConfig
    from pacore_core.engine import Engine
    from pacore_core.problem import Problem
    from tests.support import ScriptedServer, by_round

    forge = {t.name: f"```python\n{t.code}\n```" for t in TECHNIQUES}
    problem = Problem(
        id="f", statement="Write f(x) = x + 1.", entry_point="f",
        public_tests=PytestSuite(files={"test_sol.py": ENGINE_TESTS}),
        hidden_tests=suite_for("check"),
    )  # fmt: skip
    first = [forge["gc_scan"], HALF_RIGHT, forge["frame_walk"], forge["eq_always"]]
    require_docker()
    sandbox = make_sandbox("docker", parallelism=2)  # its own: the module's pools are per runtime
    with ScriptedServer(by_round(first, forge["harness_global_patch"], forge["gc_scan"])) as srv:
        backend = OpenAIBackend(srv.base_url, srv.model, max_retries=1)
        try:
            result = await Engine(backend, sandbox, RunConfig(rounds=[4], seed=3)).solve(problem)
        finally:
            await backend.close()
            await sandbox.close()
        synthesis = [r for r in srv.chat_requests if "Reference Responses:" in str(r["messages"])]
    verdicts = [[t.verification.verdict if t.verification else None for t in r.trajectories]
                for r in result.rounds]  # fmt: skip
    assert verdicts == [["tampered", "failed", "tampered", "tampered"], ["tampered"]], verdicts
    assert result.code is not None and "return 2 if x == 1 else 0" in result.code
    assert result.selected.source == "candidate" and "tampered" in result.selected.reason
    assert result.status == "unsolved"
    assert synthesis and "Verification: TAMPERED" in str(synthesis[0]["messages"])


@pytest.mark.docker
def test_positive_control_a_host_without_the_nonce_takes_a_forged_answer() -> None:
    """Under gVisor a candidate can write on the supervisor's stdout (/proc/1/fd/1). Read as
    the host read it before the nonce (the first answer line wins), the forged line is the
    verdict: passed. The same stream, read with the nonce rule, is tampered."""
    from sandbox.images import IMAGE

    require_docker()
    technique = next(t for t in TECHNIQUES if t.name == "supervisor_channel")
    suite = suite_for("check")
    job = build_job(Candidate(code=technique.code), suite, LIMITS, workdir="/tmp/job")
    job["nonce"] = "0123456789abcdef"  # what the host sends; the candidate never sees it
    proc = subprocess.run(
        ["docker", "run", "--rm", "-i", "--runtime", "runsc", "--network", "none", "--user", "65534:65534",
         "--read-only", "--tmpfs", "/tmp:exec", "--label", "pacore=1",
         "--label", f"pacore.owner-pid={os.getpid()}", "--label", f"pacore.owner-host={socket.gethostname()}",
         IMAGE],
        input=json.dumps(job) + "\n", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip().startswith("{")]
    answers = [m for m in lines if not {"ready", "progress", "alive"} & set(m)]
    assert len(answers) >= 2, proc.stdout[-3000:] + proc.stderr[-2000:]
    forged = verdict_from_response(answers[0], suite, backend="control", duration_s=0.0)
    assert forged.verdict == "passed" and all("nonce" not in m for m in answers[:-1])
    assert answers[-1].get("nonce") == job["nonce"]  # the supervisor's own answer, last
    real = verdict_from_response(answers[-1], suite, backend="control", duration_s=0.0)
    assert real.verdict == "failed"
