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
from typing import Any

from sandbox.build_cache import BuildCache
from sandbox.jobs import build_job, interrupted_verdict, verdict_from_response
from sandbox.models import Candidate, Limits, TestSuite, Verdict
from sandbox.watchdog import DEFAULT_WATCHDOG, Watchdog

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
        watchdog: Watchdog = DEFAULT_WATCHDOG,
    ) -> None:
        self._sem = asyncio.Semaphore(parallelism or os.cpu_count() or 1)
        self._parallelism = parallelism or os.cpu_count() or 1
        self._python = python or sys.executable
        self._workdir_root = workdir_root  # parent of the per-run temp dirs (default: $TMPDIR)
        self._watchdog = watchdog
        self.builds = BuildCache()
        log.warning(
            "local sandbox: candidates run as host processes with rlimits only "
            "(no network, filesystem or PID isolation); use the docker backend for untrusted code"
        )

    @property
    def parallelism(self) -> int:
        """Candidates verified at once."""
        return self._parallelism

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
            job = await asyncio.to_thread(
                build_job, candidate, suite, limits, workdir=workdir, python=self._python,
                nproc=nproc, env={key: value},
            )  # fmt: skip
            job["site_paths"] = _site_paths()
            async with self.builds.job(job) as job:  # a program compiled once per sandbox
                return await self._send(job, workdir, marker, suite, limits, candidate, start)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    async def _send(self, job: dict[str, Any], workdir: str, marker: str, suite: TestSuite, limits: Limits,
                    candidate: Candidate, start: float) -> Verdict:  # fmt: skip
        key, _, value = marker.partition("=")
        payload = await asyncio.to_thread(lambda: (json.dumps(job) + "\n").encode())
        proc = await asyncio.create_subprocess_exec(
            # -S: skip site processing (~30 ms per candidate); pytest's location is
            # handed over in the job instead
            self._python, "-S", str(SUPERVISOR), "--once", workdir,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, start_new_session=True, cwd=workdir,
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", key: value},
            limit=RESPONSE_CAP,
        )  # fmt: skip
        progress: list[dict[str, Any]] = []  # per-test results streamed so far
        try:
            response = await self._exchange(proc, payload, progress, suite, limits, candidate)
        except TimeoutError:
            return interrupted_verdict(
                progress, suite, "timeout",
                "host watchdog: the run exceeded its time budget",
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
        if response is None:
            return interrupted_verdict(
                progress, suite, "error",
                f"the supervisor ended without a result (exit {proc.returncode})",
                backend=self.name, duration_s=time.monotonic() - start,
            )  # fmt: skip
        self.builds.learn(job, response)
        return verdict_from_response(
            response, suite, backend=self.name, duration_s=time.monotonic() - start
        )

    async def _exchange(
        self,
        proc: asyncio.subprocess.Process,
        payload: bytes,
        progress: list[dict[str, Any]],
        suite: TestSuite,
        limits: Limits,
        candidate: Candidate,
    ) -> dict[str, Any] | None:
        """Send the job; append progress lines (each moves the watchdog's deadline) to
        `progress` until the answer, which is returned (None: the supervisor ended without
        one). Raises TimeoutError when the deadline passes."""
        if proc.stdin is None or proc.stdout is None:  # started with both piped (above)
            raise RuntimeError("the local supervisor was started without its pipes")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._watchdog.first(suite, limits, candidate)
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):  # it died: read why below
            proc.stdin.write(payload)
            await asyncio.wait_for(proc.stdin.drain(), max(0.0, deadline - loop.time()))
            proc.stdin.close()
        while True:
            line = await asyncio.wait_for(proc.stdout.readline(), max(0.0, deadline - loop.time()))
            try:
                message = json.loads(line) if line else None
            except ValueError:
                message = None
            if not isinstance(message, dict):
                return None
            if "progress" in message:
                progress.append(message["progress"])
            elif "alive" not in message:  # a probe finished: only the deadline moves
                return message
            deadline = loop.time() + self._watchdog.after_progress(limits, candidate)

    async def close(self) -> None:
        return None
