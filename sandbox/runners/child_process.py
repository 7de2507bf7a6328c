"""One test process: forked from the warm supervisor with fresh pipes, rlimits and a
scrubbed environment (then watched by `supervision.supervise`).

Why fork: forking a warm interpreter costs ~2 ms where `docker exec` costs ~55 ms and
cannot kill what it started.
"""

from __future__ import annotations

import _signal
import _socket
import contextlib
import io
import math
import os
import resource
import sys
from typing import Any

import identity
from fork_handlers import register_deferred
from protocol import CHANNEL, Emitter

RESULT_FD = 3  # the child's result channel is moved here; only harness code writes it
ALARM_FD = 4  # the guard's alarms (guard.py): whatever arrives here makes the run `tampered`
STDERR_FLOOD_KB = 8192  # default: stderr beyond this is a flood, cut off


def stream_caps(limits: dict[str, Any]) -> dict[str, int]:
    """`supervise` caps from a job's limits: stdout = `output_kb`, stderr = `stderr_kb`."""
    return {
        "stdout_cap": int(limits["output_kb"]) * 1024,
        "stderr_cap": int(limits.get("stderr_kb") or STDERR_FLOOD_KB) * 1024,
    }


def _env(job: dict[str, Any]) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": job["workdir"],
        "TMPDIR": job["workdir"],
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    env.update(job.get("env") or {})
    return env


_ENV_TAKEN: list[dict[str, str]] = [{}]


def _take_env(env: dict[str, str]) -> None:
    """The supervisor takes the test processes' environment for itself, so a fork has it
    already: clearing and filling `os.environ` in each fresh process ran cold code there
    (~0.4 ms of copy-on-write faults per test process). The supervisor itself reads none
    of it, and changes it only when a job's differs from the last one's."""
    if env != _ENV_TAKEN[0]:
        os.environ.clear()
        os.environ.update(env)
        _ENV_TAKEN[0] = env


_STDIO: list[Any] = []


def _stdio() -> tuple[io.TextIOWrapper, io.TextIOWrapper, io.TextIOWrapper]:
    """A test process's sys.stdin, stdout and stderr: text wrappers over fds 0, 1 and 2, made
    once in the supervisor and never used there (its own streams are other objects). After a
    fork's dup2 those fds are the test process's pipes; building three wrappers in each fresh
    process cost ~0.15 ms of copy-on-write faults."""
    if not _STDIO:
        _STDIO[:] = [
            io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8"),
            io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True),
            io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True),
        ]
    stdin, stdout, stderr = _STDIO
    return stdin, stdout, stderr


def _set_limits(limits: dict[str, Any], *, address_space: bool, nproc: int | None) -> None:
    cpu = math.ceil(float(limits["timeout_s"])) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    fsize = int(limits["file_size_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    nofile = int(limits["open_files"])
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if address_space:
        mem = int(limits["memory_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    if nproc is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def _prefer_oom_victim() -> None:
    """The test process, not the supervisor, is what the kernel kills on memory pressure.
    A raw write: Python's text `open` in a fresh fork costs ~0.3 ms of copy-on-write faults."""
    try:
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.write(fd, b"1000")
    os.close(fd)


class Child:
    """A forked test process with its stdin/stdout/stderr/result pipes."""

    def __init__(self, pid: int, fds: dict[str, int], stdin_data: bytes, token: str) -> None:
        """`fds`: stdout, stderr, result and alarm (sockets: the child cannot read back what
        it wrote, where a pipe could be reopened for reading through /proc/self/fd)."""
        self.pid = pid
        self.fds = fds  # name -> read end
        self.stdin_data = stdin_data
        self.token = token  # result lines without it are forged
        self.exit_status: int | None = None
        self.max_rss_kb = 0  # wait4's ru_maxrss once reaped (includes the pre-exec fork image)

    def reap(self, flags: int = os.WNOHANG) -> bool:
        """Collect the exit status and the peak resident size (wait4); True once ended."""
        if self.exit_status is None:
            pid, status, usage = os.wait4(self.pid, flags)
            if pid:
                self.exit_status = status
                self.max_rss_kb = int(usage.ru_maxrss)  # KB on Linux
        return self.exit_status is not None


def _channel() -> tuple[int, int]:
    """A one-way result channel: (supervisor's end, child's end) of a Unix socket pair.
    `_socket` is imported with this module: a module loaded after the guard's walk makes the
    next fork walk again (~130 ms, in the supervisor and in that test process)."""
    ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
    return ours.detach(), theirs.detach()


def guarded(job: dict[str, Any]) -> bool:
    """Harness processes run under the guard unless the job is a positive control of the
    forgery tests (`unguarded`, never set by the host's job builder)."""
    return not job.get("unguarded")


def spawn(
    job: dict[str, Any],
    target: Any,
    *,
    stdin_data: bytes = b"",
    address_space: bool = True,
    limits: dict[str, Any] | None = None,
    guard: bool = False,
    user: identity.User = identity.CANDIDATE,
) -> Child:
    """Fork; the child gets fresh stdio pipes, rlimits, a scrubbed env and runs `target`.

    `target(emit)` either returns (exit 0), raises, or execs. With `guard`, the audit hook
    (guard.py) is installed before `target` runs and `emit` is the guard's: the token then
    lives only in the hook. The child runs as `user` (identity.py: the candidate's, or the
    judge's for a checker or interactor) when the supervisor separates users.
    """
    limits = limits or job["limits"]
    if guard:
        import guard as guard_module

        guard_module.prepare()  # here, before the fork: children share the walk and the hook
    _take_env(_env(job))
    stdio = _stdio()
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    # the unguarded control keeps the pipes the harness had before the guard (forgery tests)
    res_r, res_w = _channel() if guarded(job) else os.pipe()
    alarm_r, alarm_w = _channel()
    token = os.urandom(16).hex()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        CHANNEL.clear()  # the supervisor's nonce: not for the test process
        try:
            os.setsid()
            register_deferred()  # logging's and threading's, for the forks the program makes
            # the supervisor ignores SIGPIPE; programs must not (`_signal`: `signal`'s enum wrappers
            # run cold code in every fresh process)
            _signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.dup2(res_w, RESULT_FD)
            os.dup2(alarm_w, ALARM_FD)
            os.closerange(ALARM_FD + 1, 65536)
            _prefer_oom_victim()
            identity.become(user)  # before chdir: a judge's directory is the judge's alone
            os.chdir(job["workdir"])
            _set_limits(limits, address_space=address_space, nproc=job.get("nproc"))
            sys.stdin, sys.stdout, sys.stderr = stdio
            if guard:
                guard_module.arm(RESULT_FD, token, alarm_fd=ALARM_FD)
                token = ""  # the hook holds it now; no frame does
                target(guard_module.emit)
            else:
                target(Emitter(RESULT_FD, token))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            code = 70
            with contextlib.suppress(BaseException):
                import traceback

                traceback.print_exc()
        finally:
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    for fd in (in_r, out_w, err_w, res_w, alarm_w):
        os.close(fd)
    fds = {"stdout": out_r, "stderr": err_r, "result": res_r, "alarm": alarm_r}
    child = Child(pid, fds, stdin_data, token)
    child.fds["stdin"] = in_w
    return child
