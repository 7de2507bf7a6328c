"""Pure units: output comparison, trimming, apt mirror parsing, job building."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sandbox import (
    Candidate,
    CheckSuite,
    IOSuite,
    IOTest,
    Limits,
    ProjectSuite,
    Verdict,
    make_sandbox,
)
from sandbox.compare import outputs_match
from sandbox.jobs import build_job, verdict_from_response
from sandbox.runners.trim_text import trim
from sandbox.status import Check
from tests.conftest import require_docker


@pytest.mark.parametrize(
    ("actual", "expected", "mode", "ok"),
    [
        ("3\n", "3", "exact", True),
        ("3 \n", "3", "exact", False),
        ("1  2\n\n3\n", "1 2\n3", "whitespace", True),
        ("1 2 3", "1 2\n3", "whitespace", False),
        ("0.3333333", "0.333333333", "float", True),
        ("0.34", "0.33", "float", False),
        ("1e9 yes", "1000000000.0 yes", "float", True),
        ("nan", "nan", "float", True),
        ("1 2", "1 2 3", "float", False),
    ],
)
def test_outputs_match(actual: str, expected: str, mode: str, ok: bool) -> None:
    assert outputs_match(actual, expected, mode, 1e-6) is ok  # type: ignore[arg-type]


def test_trim_keeps_head_and_tail() -> None:
    text = "H" * 5000 + "T" * 5000
    out = trim(text, 1000)
    assert out.startswith("H" * 500) and out.endswith("T" * 500)
    assert "chars trimmed" in out and len(out) < 1100
    assert trim("short", 1000) == "short" and trim(None) == ""


def test_io_verdict_compares_on_the_host() -> None:
    suite = IOSuite(tests=[IOTest(name="a", input="", expected="1"),
                           IOTest(name="b", input="", expected="2")])  # fmt: skip
    response = {"results": [{"name": "a", "status": "ran", "stdout": "1\n"},
                            {"name": "b", "status": "ran", "stdout": "3\n"}]}  # fmt: skip
    verdict = verdict_from_response(response, suite, backend="t", duration_s=0.0)
    assert isinstance(verdict, Verdict)
    assert [t.status for t in verdict.tests] == ["passed", "failed"]
    assert verdict.verdict == "failed" and verdict.passed == 1


def test_missing_results_are_errors_never_passes() -> None:
    suite = CheckSuite(test_code="def check(c): pass", entry_point="f")
    verdict = verdict_from_response({"results": []}, suite, backend="t", duration_s=0.0)
    assert verdict.verdict == "error" and verdict.total == 1
    bogus = {"results": [{"name": "f", "status": "definitely-passed"}]}
    verdict = verdict_from_response(bogus, suite, backend="t", duration_s=0.0)
    assert verdict.verdict == "sandbox_error"


def test_project_job_excludes_and_overlays(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("secret")
    (tmp_path / "mod.py").write_text("old")
    (tmp_path / "keep.py").write_text("keep")
    suite = ProjectSuite(root=tmp_path, overlay={"mod.py": "new"})
    job = build_job(Candidate(code=""), suite, Limits(), workdir="/w")
    import base64
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(job["archive"]))) as tar:
        names = sorted(tar.getnames())
    # the snapshot is shared by every candidate of a solve; each one's overlay is written over it
    assert names == ["keep.py", "mod.py"]
    assert job["files"] == {"mod.py": "new"} and job["archive_id"]


def test_apt_mirror_is_read_from_apt_sources() -> None:
    from sandbox.images import apt_mirror

    mirror = apt_mirror()
    assert mirror.startswith(("http://", "https://", "file:/"))
    sources = "".join(p.read_text() for p in Path("/etc/apt").rglob("*") if p.suffix in (".sources", ".list"))
    assert mirror in sources


def test_docker_status_reports_ok() -> None:
    from sandbox import require_docker as docker_ready
    from sandbox.errors import SandboxError

    require_docker()
    assert "image" in docker_ready()
    with pytest.raises(SandboxError, match="pacore sandbox build") as missing:
        docker_ready("pacore-no-such-image:latest")
    assert missing.value.setting == "image"


def test_make_sandbox_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError):
        make_sandbox("podman")  # type: ignore[arg-type]


def test_local_backend_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        make_sandbox("local")
    assert any("weaker" in r.message or "isolation" in r.message for r in caplog.records)


def test_corpus_size() -> None:
    from tests.sandbox.corpus import CASES

    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


def test_doctor_reports_the_runtime() -> None:
    require_docker()
    from pacore_core.config import cli_flag, editor_setting
    from pacore_core.doctor import run_checks

    def runtime_check(runtime: str | None, sandbox: str = "docker") -> Check | None:
        report = run_checks([], None, sandbox=sandbox, runtime=runtime)
        return next((c for c in report.checks if c.name == "sandbox runtime"), None)

    default = runtime_check(None)
    assert default is not None and default.ok and "candidates run under" in default.message
    found = runtime_check("runsc")
    assert found is not None and found.ok and "runsc" in found.message, found
    assert runtime_check("runsc", sandbox="local") is None  # no container runtime there
    missing = runtime_check("pacore-no-such-runtime")
    assert missing is not None and not missing.ok
    assert "no container runtime 'pacore-no-such-runtime'" in missing.message
    # the fix names the configuration key, like every error; each front end renders it
    assert "{sandbox_runtime}" in missing.fix and "PACORE_" not in missing.fix
    report = run_checks([], None, runtime="pacore-no-such-runtime")
    cli = {c.name: c.fix for c in report.rendered(cli_flag).checks}
    editor = {c.name: c.fix for c in report.rendered(editor_setting).checks}
    assert "set --runtime to a registered runtime" in cli["sandbox runtime"]
    assert "set pacore.sandboxRuntime to a registered runtime" in editor["sandbox runtime"]
    assert "set --base-url" in cli["model endpoint"] and "pacore." not in cli["model endpoint"]
    assert "set pacore.baseUrl" in editor["model endpoint"]
    assert "PACORE_" not in editor["model endpoint"] and "--" not in editor["model endpoint"]


def test_one_docker_check_for_doctor_and_front_ends() -> None:
    """`pacore doctor`, the commands that open a sandbox and the editor's preflight say the
    same thing about the same missing piece: it is one check (`sandbox.status`)."""
    require_docker()
    from pacore_core.doctor import run_checks
    from pacore_core.errors import SandboxError
    from sandbox.status import require_docker as require

    for image, runtime, name, key in (("pacore-no-such-image:0", None, "sandbox image", "image"),
                                      (None, "pacore-no-such-runtime", "sandbox runtime",
                                       "sandbox_runtime")):
        doctor = {c.name: c for c in run_checks([], None, image=image, runtime=runtime).checks}
        with pytest.raises(SandboxError) as raised:
            require(image, runtime)
        assert raised.value.setting == key
        assert raised.value.message == doctor[name].message and raised.value.fix == doctor[name].fix
        assert "{" + key + "}" in doctor[name].fix


def test_setup_gvisor_merges_idempotently(tmp_path: Path) -> None:
    """scripts/setup_gvisor.sh keeps other daemon.json settings, registers runsc once, and
    the engine lists it."""
    import json
    import subprocess

    require_docker()
    script = Path(__file__).resolve().parents[2] / "scripts" / "setup_gvisor.sh"
    daemon = tmp_path / "daemon.json"
    daemon.write_text(json.dumps({"log-level": "warn"}))
    env = {**os.environ, "PACORE_DOCKER_DAEMON_JSON": str(daemon)}
    first = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr
    config = json.loads(daemon.read_text())
    assert config["log-level"] == "warn"
    assert config["runtimes"]["runsc"] == {
        "path": "/usr/bin/runsc",
        "runtimeArgs": ["--platform=ptrace", "--network=none"],
    }
    before = daemon.stat().st_mtime_ns
    second = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env)
    assert second.returncode == 0 and "registered runtime" not in second.stdout
    assert daemon.stat().st_mtime_ns == before  # nothing rewritten
    check = subprocess.run(["bash", str(script), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, "the engine does not list runsc: run scripts/setup_gvisor.sh"


def test_docker_status_names_an_unregistered_runtime() -> None:
    from sandbox import require_docker as docker_ready
    from sandbox.errors import SandboxError

    require_docker()
    assert "candidates run under runsc" in docker_ready(runtime="runsc")
    with pytest.raises(SandboxError) as missing:
        docker_ready(runtime="pacore-no-such-runtime")
    message = missing.value.render(lambda key: f"<{key}>")
    assert "no container runtime 'pacore-no-such-runtime'" in message
    assert "<sandbox_runtime>" in message  # the setting to change, named in the front end's terms


def test_supervisor_refuses_to_serve_outside_a_container() -> None:
    """Serve mode wipes /tmp and /dev/shm between jobs: started on a host (not PID 1) it
    must refuse before touching anything. Run in a private mount namespace with its own
    /tmp and /dev/shm, so even a supervisor that did not refuse could wipe only those.

    The checkout (and its venv) may itself live under /tmp, which the private /tmp hides:
    the runners are copied into the private /dev/shm first and run with the base
    interpreter (the runners are stdlib only), so the test does not depend on where the
    checkout is."""
    import shlex
    import shutil
    import subprocess
    import sys

    from sandbox.local_backend import SUPERVISOR

    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.fail("needs root and unshare (util-linux) for a private /tmp: run as CI does")
    python = os.path.realpath(sys.executable)
    if python.startswith("/tmp/") or python.startswith("/dev/shm/"):
        pytest.fail(f"the base interpreter {python} lives under /tmp: a private /tmp hides it")
    runners = shlex.quote(str(Path(SUPERVISOR).parent))
    script = (
        "mount --make-rprivate / && mount -t tmpfs none /dev/shm && "
        f"cp -r {runners} /dev/shm/runners && mount -t tmpfs none /tmp && touch /tmp/keep && "
        f"{shlex.quote(python)} /dev/shm/runners/{Path(SUPERVISOR).name} < /dev/null; "
        "echo rc=$?; ls /tmp"
    )
    out = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=60)
    assert "rc=2" in out.stdout, out.stdout + out.stderr
    assert "keep" in out.stdout.split("rc=2", 1)[1]  # nothing was wiped
    assert "only as a sandbox container's main process" in out.stderr
    assert "--once WORKDIR" in out.stderr


TRUST_PROBE = """
import json, os, sys, tempfile
sys.path.insert(0, RUNNERS)
import supervisor
supervisor.serve([], preload=True)  # its preload, then no job on stdin: it returns
import guard, run_calls, run_check
TRUST = guard.TRUST
trusted = [id(f.__code__) in TRUST.codes for f in (run_calls.harness, run_check.main)]
job = json.loads(JOB)
job["workdir"] = tempfile.mkdtemp()
response = supervisor.run_job(job)
# the next fork walks again if a module was loaded since the walk
print(json.dumps({"trusted": trusted, "walked_again": len(sys.modules) != TRUST.modules,
                  "statuses": [r.get("status") for r in response["results"]]}))
"""


def test_the_trust_is_walked_once_and_covers_the_reporters() -> None:
    """The supervisor walks the trust before the pool reports ready: the harness's reporters are
    trusted then, and a job does not make the next fork walk again (a module imported after
    the walk did: ~130 ms in the supervisor and in that test process)."""
    import json
    import subprocess
    import sys

    from sandbox.images import RUNNERS

    suite = CheckSuite(test_code="def check(candidate):\n    assert candidate(1) == 2\n", entry_point="f")
    job = build_job(Candidate(code="def f(x):\n    return x + 1\n"), suite, Limits(), workdir="/tmp/x",
                    python=sys.executable)  # fmt: skip
    runners = os.environ.get("PACORE_TEST_RUNNERS") or str(RUNNERS)  # another checkout's, to compare
    code = f"RUNNERS = {runners!r}\nJOB = {json.dumps(job)!r}\n" + TRUST_PROBE
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"trusted": [True, True], "walked_again": False, "statuses": ["ran"]}, report
