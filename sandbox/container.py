"""One warm sandbox container: created, attached and started ahead of need.

Why attach instead of exec: the container's main process is the supervisor, reading jobs
on stdin and answering on stdout, so a job costs one round trip on an open socket
(~ms) instead of a `docker exec` (~55 ms) that could not even kill what it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import struct
import time
from typing import Any

from pydantic import BaseModel

from sandbox.errors import SandboxError
from sandbox.models import Limits

LABEL = "pacore"
OWNER_PID = "pacore.owner-pid"
OWNER_HOST = "pacore.owner-host"
SUPERVISOR_CMD = ["python3", "-u", "/opt/pacore/supervisor.py"]
STDOUT = 1
READY_TIMEOUT_S = 60.0
RESPONSE_CAP = 64 * 1024 * 1024
POLL_S = 0.5
# host threads and processes of gVisor itself (sentry, gofer; ptrace: stub processes per
# address space): a fork bomb held to 68 tasks inside measured 1,150-1,300 on the host,
# and reaching the host limit crashes the sentry (exit 2, read as an infrastructure fault)
GVISOR_PIDS_HEADROOM = 4096
# the container's own tmpfs (mounted below, private to it): the host's /tmp is never seen
CONTAINER_TMP = "/tmp"  # noqa: S108
JOB_WORKDIR = f"{CONTAINER_TMP}/job"


class ContainerSpec(BaseModel, frozen=True):
    """What is fixed when a container is created (cgroup limits); the pool's key."""

    image: str
    memory_mb: int
    pids: int
    cpus: float
    file_size_mb: int
    tmpfs_mb: int = 64
    runtime: str | None = None

    @classmethod
    def from_limits(cls, image: str, limits: Limits, runtime: str | None) -> ContainerSpec:
        return cls(
            image=image, memory_mb=limits.memory_mb, pids=limits.pids, cpus=limits.cpus,
            file_size_mb=limits.file_size_mb, runtime=runtime,
        )  # fmt: skip


def nproc_limit(spec: ContainerSpec) -> int | None:
    """RLIMIT_NPROC for test processes. Only under gVisor, whose kernel counts per sandbox;
    under runc it would count every process of uid 65534 on the host (other containers)."""
    return spec.pids + 4 if spec.runtime == "runsc" else None


class SupervisorGone(SandboxError):
    """The container's supervisor closed its stream or missed the host watchdog.

    `progress` holds the per-test results streamed before it went; `watchdog` tells a
    missed deadline (the candidate's time) from a broken stream (the infrastructure).
    """

    def __init__(self, message: str, *, watchdog: bool = False) -> None:
        super().__init__(message)
        self.watchdog = watchdog
        self.progress: list[dict[str, Any]] = []


def create_kwargs(spec: ContainerSpec) -> dict[str, Any]:
    """docker-py `containers.create` arguments: every isolation setting in one place."""
    from docker.types import Ulimit

    # the cgroup also holds the tmpfs pages and the supervisor, on top of the test's RLIMIT_AS
    memory = spec.memory_mb + spec.tmpfs_mb + 160
    fsize = spec.file_size_mb * 1024 * 1024
    kwargs: dict[str, Any] = {
        "command": SUPERVISOR_CMD,
        "stdin_open": True,
        "tty": False,
        "detach": True,
        "labels": {LABEL: "1", OWNER_PID: str(os.getpid()), OWNER_HOST: socket.gethostname()},
        "network_mode": "none",
        "read_only": True,
        "tmpfs": {CONTAINER_TMP: f"rw,exec,nosuid,nodev,size={spec.tmpfs_mb}m,mode=1777"},
        "shm_size": "16m",
        # the supervisor starts as root with three capabilities and no file ones; each test
        # process takes its own user for good before it execs: the candidate's (65534) or,
        # for a checker or interactor, the judge's (65533), so neither reaches the other
        # (sandbox/runners/identity.py)
        "user": "0:0",
        "cap_drop": ["ALL"],
        "cap_add": ["SETUID", "SETGID", "KILL"],
        "security_opt": ["no-new-privileges"],
        "mem_limit": f"{memory}m",
        "memswap_limit": f"{memory}m",
        # + the supervisor and its bookkeeping; under gVisor the host cgroup also counts the
        # sandbox kernel's own threads (reaching the limit kills the whole sandbox), so the
        # candidate's processes are bounded inside it by RLIMIT_NPROC instead (see nproc_limit)
        "pids_limit": spec.pids + 8 + (GVISOR_PIDS_HEADROOM if spec.runtime == "runsc" else 0),
        "nano_cpus": int(spec.cpus * 1e9),
        "ulimits": [
            Ulimit(name="nofile", soft=1024, hard=1024),
            Ulimit(name="fsize", soft=max(fsize, 256 << 20), hard=max(fsize, 256 << 20)),
            Ulimit(name="core", soft=0, hard=0),
        ],
        "environment": {"LANG": "C.UTF-8", "HOME": CONTAINER_TMP, "PYTHONDONTWRITEBYTECODE": "1"},
        "working_dir": CONTAINER_TMP,
        "hostname": "sandbox",
    }
    if spec.runtime:
        kwargs["runtime"] = spec.runtime
    return kwargs


class WarmContainer:
    """Blocking operations on one container; callers run them in worker threads."""

    def __init__(self, client: Any, spec: ContainerSpec) -> None:
        self.spec = spec
        self.uses = 0
        self.archive: str | None = None  # the project snapshot its supervisor holds
        self._destroyed = False
        self._client = client
        self._buf = bytearray()
        self.container = client.containers.create(spec.image, **create_kwargs(spec))
        try:
            raw = self.container.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            self._raw = raw
            self._sock: socket.socket = getattr(raw, "_sock", raw)
            self.container.start()
            ready = self._read_line(time.monotonic() + READY_TIMEOUT_S)
            if not json.loads(ready).get("ready"):
                raise SupervisorGone(f"unexpected greeting {ready[:200]!r}")
        except BaseException:
            self.destroy()
            raise

    @property
    def id(self) -> str:
        return str(self.container.id)

    def _recv_exact(self, n: int, deadline: float) -> bytes:
        out = bytearray()
        while len(out) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SupervisorGone("host watchdog: no answer in time", watchdog=True)
            if self._destroyed:
                raise SupervisorGone("the container was removed")
            # short slices: a reader never outlives destroy() by more than POLL_S
            self._sock.settimeout(min(remaining, POLL_S))
            try:
                chunk = self._sock.recv(n - len(out))
            except TimeoutError:
                continue
            except OSError as exc:
                raise SupervisorGone(f"stream error: {exc}") from exc
            if not chunk:
                raise SupervisorGone("the supervisor's stream closed")
            out += chunk
        return bytes(out)

    def _read_line(self, deadline: float) -> bytes:
        """Next line of the supervisor's stdout, demultiplexing docker's stream frames."""
        while b"\n" not in self._buf:
            stream, size = struct.unpack(">BxxxL", self._recv_exact(8, deadline))
            payload = self._recv_exact(size, deadline)
            if stream == STDOUT:
                self._buf += payload
                if len(self._buf) > RESPONSE_CAP:
                    raise SupervisorGone("response exceeds the cap")
        line, _, rest = bytes(self._buf).partition(b"\n")
        self._buf = bytearray(rest)
        return line

    def request(self, job: dict[str, Any], first_s: float, gap_s: float) -> dict[str, Any]:
        """Send a job and return its answer. The deadline is `first_s` away, and `gap_s`
        after each progress line; a `SupervisorGone` carries the progress received."""
        self.uses += 1
        deadline = time.monotonic() + first_s
        progress: list[dict[str, Any]] = []
        nonce = secrets.token_hex(16)  # the supervisor's lines carry it; a candidate cannot know it
        forged = 0
        self._sock.settimeout(first_s)
        try:
            self._sock.sendall(json.dumps({**job, "nonce": nonce}).encode() + b"\n")
        except OSError as exc:
            raise SupervisorGone(f"cannot send the job: {exc}") from exc
        try:
            while True:
                line = self._read_line(deadline)
                try:
                    message: dict[str, Any] = json.loads(line)
                except ValueError:
                    message = {}
                if not isinstance(message, dict) or message.get("nonce") != nonce:
                    forged += 1  # written on the supervisor's stdout by someone else
                    continue
                if "progress" in message:
                    progress.append(message["progress"])
                elif "alive" not in message:  # a probe finished: only the deadline moves
                    return {**message, "forged_lines": forged} if forged else message
                deadline = time.monotonic() + gap_s
        except SupervisorGone as exc:
            exc.progress = progress
            raise

    def ended_how(self, wait_s: float = 30.0) -> tuple[int, bool] | None:
        """(exit code, OOM-killed) of a container whose stream closed; None if unknown.

        A closed stream means the container is ending; under gVisor, after a fork bomb on a
        busy machine, that took more than 3 s (CI judged it "sandbox_error" instead of the
        memory limit), so the wait is long: only an ending container is waited for."""
        try:
            self.container.wait(timeout=wait_s)
            self.container.reload()
            state = self.container.attrs.get("State") or {}
            return int(state.get("ExitCode", -1)), bool(state.get("OOMKilled"))
        except Exception:  # still running, or the engine is gone: nothing to learn
            return None

    def destroy(self) -> None:
        """Kill and remove; idempotent and silent (the container may already be gone)."""
        self._destroyed = True
        with contextlib.suppress(Exception):
            # shutdown (not just close) wakes a thread blocked in recv on this socket
            self._sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            self._sock.close()
        with contextlib.suppress(Exception):
            self._raw.close()
        with contextlib.suppress(Exception):
            self.container.remove(force=True)


def pid_alive(pid: int) -> bool:
    """Whether a process of this host exists (one we may not signal counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(client: Any) -> list[str]:
    """Remove `pacore` containers whose owning process (on this host) is dead."""
    removed = []
    host = socket.gethostname()
    # the low-level listing carries the labels: no per-container inspect that could race
    for info in client.api.containers(all=True, filters={"label": LABEL}):
        labels = info.get("Labels") or {}
        if labels.get(OWNER_HOST) != host:
            continue
        try:
            pid = int(labels.get(OWNER_PID, "0"))
        except ValueError:
            pid = 0
        if not pid_alive(pid):
            with contextlib.suppress(Exception):
                client.api.remove_container(info["Id"], force=True)
                removed.append(str(info["Id"]))
    return removed
