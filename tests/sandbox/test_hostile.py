"""The hostile-program corpus against the Docker and local backends, with host checks."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import Candidate, CheckSuite, IOSuite, IOTest, Limits, PytestSuite, Sandbox
from sandbox.models import TestSuite
from tests.sandbox.bridge import BridgeListener, bridge_listener
from tests.sandbox.conftest import LOCAL_ROOT
from tests.sandbox.corpus import CASES, CHECK, Case
from tests.sandbox.corpus_languages import CASES as LANGUAGE_CASES

pytestmark = pytest.mark.asyncio(loop_scope="module")
SECRET = f"pacore-secret-{secrets.token_hex(8)}"
os.environ["PACORE_TEST_SECRET"] = SECRET  # the caller's environment the candidates must not see
LIMITS = dict(timeout_s=2.0, memory_mb=256, output_kb=256)


def _suite(case: Case) -> TestSuite:
    if case.kind == "check":
        return CheckSuite(test_code=CHECK, entry_point="f")
    if case.kind == "io":
        return IOSuite(tests=[IOTest(name="t1", input=case.io_input, expected=case.io_output)])
    return PytestSuite(files={"test_sol.py": case.pytest_file})


def _local_leftovers() -> list[str]:
    """Host processes still running in one of this test process's local work dirs."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state == "Z":
            continue
        if cwd.startswith(LOCAL_ROOT):
            found.append(f"{entry}: {cmdline[:80]!r}")
    return found


def _container_processes() -> dict[str, int]:
    """Process count in each container of this test process (idle ones: the supervisor)."""
    import docker

    from tests.sandbox.conftest import our_containers

    client = docker.from_env()
    try:
        counts = {}
        for cid in our_containers():
            try:
                container = client.containers.get(cid)
                if container.status == "running":
                    counts[cid[:12]] = len(container.top()["Processes"] or [])
            except docker.errors.APIError:  # removed meanwhile (NotFound, conflict)
                continue
        return counts
    finally:
        client.close()


async def _run_case(
    case: Case, sandbox: Sandbox, backend: str, runtime: str | None = None,
    listener: BridgeListener | None = None,
) -> None:
    host = f"/tmp/pacore-hostile-{secrets.token_hex(6)}"
    Path(f"{host}.secret").write_text(SECRET)
    try:
        limits = Limits(**LIMITS)
        if case.output_kb:
            limits.output_kb = case.output_kb
        if case.timeout_s:
            limits.timeout_s = case.timeout_s
        code = case.code.replace("{HOST}", host)
        if listener is not None:
            code = listener.fill(code)
        hits = dict(listener.hits) if listener is not None else {}
        candidate = Candidate(language=case.language, code=code)
        verdict = await sandbox.run(candidate, _suite(case), limits)
        if listener is not None:
            assert listener.hits == hits, f"a sandboxed program reached the listener: {listener.hits}"
        dump = verdict.model_dump_json(indent=1)[:3000]
        assert verdict.verdict in case.expected(backend, runtime), dump
        why = case.contained_because(runtime)
        if why is not None:  # the same verdict for a different reason: say which
            assert why in dump, f"expected {why!r} (why it is contained under {runtime}): {dump}"
        if case.message_has is not None:
            assert any(case.message_has in (t.message or "") for t in verdict.tests), dump
        assert verdict.total >= 1
        if verdict.verdict == "passed":
            assert verdict.passed == verdict.total, dump
        else:
            assert verdict.passed < verdict.total, dump
        assert SECRET not in verdict.model_dump_json(), "the caller's secret leaked"
        if case.max_duration_s is not None:
            assert verdict.duration_s < case.max_duration_s, dump
        if case.host_path:
            await asyncio.sleep(2.0)  # orphans would act after 1.5 s
            assert not os.path.exists(host), "a sandboxed program wrote to the host"
        if backend == "local":
            assert _local_leftovers() == []
        else:
            busy = {c: n for c, n in _container_processes().items() if n > 1}
            assert busy == {}, f"processes left in sandbox containers: {busy}"
    finally:
        for path in (host, f"{host}.secret"):
            if os.path.exists(path):
                os.unlink(path)
    assert Path("/etc/passwd").read_text().count("pacore") == 0


@pytest.mark.docker
@pytest.mark.parametrize("case", [c for c in CASES if "docker" in c.expect], ids=lambda c: c.name)
async def test_hostile_docker(
    case: Case, runtime: str, runtime_sandbox: Sandbox, request: pytest.FixtureRequest
) -> None:
    """Every case under runc and under gVisor (runsc)."""
    listener = request.getfixturevalue("bridge") if case.network else None
    await _run_case(case, runtime_sandbox, "docker", runtime, listener)


@pytest.fixture(scope="module")
def bridge() -> Iterator[BridgeListener]:
    """The network cases' target, with its control: a container with networking reaches it."""
    from sandbox.images import IMAGE

    with bridge_listener() as listener:
        out = listener.reach_from_container(IMAGE)
        assert "reached" in out and listener.hits == {"tcp": 1, "udp": 1}, (out, listener.hits)
        yield listener


@pytest.mark.docker
@pytest.mark.parametrize("case", LANGUAGE_CASES, ids=lambda c: c.name)
async def test_hostile_languages(case: Case, runtime: str, runtime_sandbox: Sandbox) -> None:
    """C, Java, Rust and Go programs under runc and under gVisor (runsc)."""
    await _run_case(case, runtime_sandbox, "docker", runtime)


@pytest.mark.parametrize("case", [c for c in CASES if "local" in c.expect], ids=lambda c: c.name)
async def test_hostile_local(case: Case, local_sandbox: Sandbox) -> None:
    await _run_case(case, local_sandbox, "local")
