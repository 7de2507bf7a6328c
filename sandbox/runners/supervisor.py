"""In-sandbox supervisor: the job loop. Reads one JSON job per stdin line, unpacks the
candidate's files, hands the suite to its runner, resets the sandbox, and answers with
one JSON line on stdout.

Why a long-lived supervisor: it is PID 1 of a warm container (or a subreaper process
locally) and keeps pytest imported, so a candidate costs a fork, not a container or an
interpreter start. The other runner modules beside this file hold the parts: process
control (proc_control), one test process (child_process), the suites and crash
classification (suite_runners), the reset between jobs (job_reset).

Stdlib only: this folder runs in the sandbox image's python3 as well as in the host's
interpreter.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from job_reset import reset  # noqa: E402
from proc_control import harden_self, kill_descendants  # noqa: E402
from suite_runners import compile_cpp, run_check, run_io, run_pytest  # noqa: E402


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Regular files and directories with relative, non-escaping names only."""
    members = []
    for member in tar.getmembers():
        name = os.path.normpath(member.name)
        if name.startswith(("/", "..")) or not (member.isfile() or member.isdir()):
            continue
        member.mode = 0o755 if member.isdir() else 0o644
        members.append(member)
    return members


def _unpack(job: dict[str, Any]) -> None:
    workdir = job["workdir"]
    os.makedirs(workdir, exist_ok=True)
    archive = job.get("archive")
    if archive:
        import base64  # project mode only: keep the supervisor's start-up lean
        import tarfile

        with tarfile.open(fileobj=io.BytesIO(base64.b64decode(archive)), mode="r:*") as tar:
            # Debian's 3.11.2 predates extraction filters: members are vetted by hand
            tar.extractall(workdir, members=_safe_members(tar))
    for rel, content in (job.get("files") or {}).items():
        path = os.path.join(workdir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(content)


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    _unpack(job)
    kind = job["suite"]["kind"]
    compile_output = None
    if job["language"] == "cpp":
        ok, compile_output = compile_cpp(job)
        if not ok:
            return {"compile_error": True, "compile_output": compile_output, "results": []}
    if kind == "io":
        results = run_io(job)
    elif kind == "check":
        results = run_check(job)
    elif kind == "probe":  # execution agreement: generated inputs, no expected outputs
        from run_probe import run_probe

        results = run_probe(job)
    else:
        results = run_pytest(job)
    return {"results": results, "compile_output": compile_output}


def _write(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(scratch: list[str], *, preload: bool) -> None:
    """Serve jobs until stdin closes (the container's main process)."""
    if preload:
        with contextlib.suppress(Exception):
            import pytest  # noqa: F401  (warm import: every forked test skips it)
            import run_check  # noqa: F401
            import run_pytest  # noqa: F401
    _write({"ready": True, "pid": os.getpid()})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            response = run_job(job)
        except Exception as exc:
            response = {"sandbox_error": f"{type(exc).__name__}: {exc}", "results": []}
        response["reusable"] = reset(scratch)
        _write(response)


def once(workdir: str) -> None:
    """Run a single job read from stdin (the local backend)."""
    job = json.loads(sys.stdin.readline())
    job["workdir"] = workdir
    for path in job.get("site_paths") or []:
        if path not in sys.path:
            sys.path.append(path)
    try:
        response = run_job(job)
    except Exception as exc:
        response = {"sandbox_error": f"{type(exc).__name__}: {exc}", "results": []}
    kill_descendants()
    _write(response)


def main() -> None:
    harden_self()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(sys.argv) >= 3 and sys.argv[1] == "--once":
        once(sys.argv[2])
    else:
        scratch = [p for p in ("/tmp", "/dev/shm", "/dev/mqueue") if os.access(p, os.W_OK)]
        serve(scratch, preload="--no-preload" not in sys.argv)


if __name__ == "__main__":
    main()
