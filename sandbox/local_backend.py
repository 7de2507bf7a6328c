"""Local backend: the same supervisor as a host subprocess, without containers.

Isolation is weaker than Docker's (no network, filesystem or PID namespace; RLIMIT_NPROC
is ignored for root), so every instance logs a warning. It is the fallback when Docker is
absent and the unsandboxed baseline of the benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from sandbox.jobs import build_job, failure_verdict, verdict_from_response
from sandbox.models import Candidate, Limits, TestSuite, Verdict
from sandbox.watchdog import watchdog_seconds

log = logging.getLogger(__name__)
SUPERVISOR = Path(__file__).with_name("runners") / "supervisor.py"
RESPONSE_CAP = 64 * 1024 * 1024


def _processes_of_uid(uid: int) -> int:
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
    return count


def _kill_marked(marker: bytes) -> None:
    """Kill stragglers that escaped the process group (setsid) but carry our env marker."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                environ = fh.read()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            with contextlib.suppress(OSError):
                os.kill(int(entry), signal.SIGKILL)


def _site_paths() -> list[str]:
    """Where this interpreter finds pytest (the supervisor runs with -S)."""
    import site

    paths = [*site.getsitepackages(), site.getusersitepackages()]
    return [p for p in dict.fromkeys(paths) if os.path.isdir(p)]


class LocalSandbox:
    """Runs candidates as host subprocesses under rlimits in a temporary directory."""

    name = "local"

    def __init__(
        self,
        *,
        parallelism: int | None = None,
        python: str | None = None,
        workdir_root: str | None = None,
    ) -> None:
        self._sem = asyncio.Semaphore(parallelism or os.cpu_count() or 1)
        self._parallelism = parallelism or os.cpu_count() or 1
        self._python = python or sys.executable
        self._workdir_root = workdir_root  # parent of the per-run temp dirs (default: $TMPDIR)
        log.warning(
            "local sandbox: candidates run as host processes with rlimits only "
            "(no network, filesystem or PID isolation); use the docker backend for untrusted code"
        )

    async def run(self, candidate: Candidate, suite: TestSuite, limits: Limits | None = None) -> Verdict:
        limits = limits or Limits()
        async with self._sem:
            return await self._run(candidate, suite, limits)

    async def _run(self, candidate: Candidate, suite: TestSuite, limits: Limits) -> Verdict:
        start = time.monotonic()
        marker = f"PACORE_RUN={secrets.token_hex(12)}"
        workdir = tempfile.mkdtemp(prefix="pacore-local-", dir=self._workdir_root)
        euid = os.geteuid()
        nproc = None if euid == 0 else _processes_of_uid(euid) + limits.pids * self._parallelism
        key, _, value = marker.partition("=")
        try:
            job = build_job(
                candidate, suite, limits, workdir=workdir, python=self._python, nproc=nproc,
                env={key: value},
            )  # fmt: skip
            job["site_paths"] = _site_paths()
            payload = (json.dumps(job) + "\n").encode()
            proc = await asyncio.create_subprocess_exec(
                # -S: skip site processing (~30 ms per candidate); pytest's location is
                # handed over in the job instead
                self._python, "-S", str(SUPERVISOR), "--once", workdir,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL, start_new_session=True, cwd=workdir,
                env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", key: value},
                limit=RESPONSE_CAP,
            )  # fmt: skip
            try:
                out, _ = await asyncio.wait_for(
                    proc.communicate(payload), watchdog_seconds(suite, limits, candidate)
                )
            except TimeoutError:
                return failure_verdict(
                    suite, "timeout", "host watchdog: the run exceeded its time budget",
                    backend=self.name, duration_s=time.monotonic() - start,
                )  # fmt: skip
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await asyncio.to_thread(_kill_marked, marker.encode())
                if proc.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    await proc.wait()
            line = out.split(b"\n", 1)[0]
            try:
                response = json.loads(line)
            except ValueError:
                return failure_verdict(
                    suite, "error",
                    f"the supervisor ended without a result (exit {proc.returncode})",
                    backend=self.name, duration_s=time.monotonic() - start,
                )  # fmt: skip
            return verdict_from_response(
                response, suite, backend=self.name, duration_s=time.monotonic() - start
            )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    async def close(self) -> None:
        return None
