"""In-sandbox supervisor: runs a candidate's job, forking one child per test.

Why a supervisor: forking from a warm interpreter costs ~2 ms where `docker exec` costs
~55 ms and cannot kill what it started. The supervisor enforces the per-test wall-clock
limit, rlimits and the output cap from inside, kills every process a test left behind
(it is PID 1 in the container, or a child subreaper locally), and wipes the writable
mounts between jobs so a reused container gives each candidate a fresh filesystem.

Protocol: one JSON job per stdin line, one JSON response per stdout line. Stdlib only:
this file runs in the sandbox image's python3 as well as in the host's interpreter.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import json
import math
import os
import resource
import select
import shutil
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from protocol import Emitter  # noqa: E402

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
RESULT_FD = 3  # the child's result channel is moved here; only harness code writes it
STATUS_ORDER = ("passed", "failed", "error", "timeout", "memory_limit", "output_limit")


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _harden_self() -> None:
    """Non-dumpable: same-uid candidates cannot ptrace us or open /proc/<us>/fd/*."""
    with contextlib.suppress(Exception):
        lib = _libc()
        lib.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        lib.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _oom_kills() -> int:
    """The cgroup's OOM-kill counter (v1 or v2); 0 when unreadable."""
    for path in ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"):
        try:
            with open(path) as fh:
                for line in fh:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except OSError:
            continue
    return 0


def _proc_table() -> dict[int, tuple[int, bytes]]:
    """pid -> (ppid, state) for every visible process."""
    table: dict[int, tuple[int, bytes]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        rest = data[data.rfind(b")") + 2 :].split()
        if len(rest) > 1:
            table[int(entry)] = (int(rest[1]), rest[0])
    return table


def _descendants(root: int, table: dict[int, tuple[int, bytes]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _state) in table.items():
        children.setdefault(ppid, []).append(pid)
    out: list[int] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def kill_descendants(keep: int | None = None) -> bool:
    """SIGKILL everything below us until nothing is left; True when the table is clean.

    Zombies that are our children are reaped, except `keep` (a test process whose exit
    status the caller still has to collect).
    """
    me = os.getpid()
    for _ in range(500):
        table = _proc_table()
        live = []
        for pid in _descendants(me, table):
            ppid, state = table[pid]
            if state == b"Z":
                if ppid == me and pid != keep:
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, os.WNOHANG)
                continue
            live.append(pid)
        if not live:
            return True
        for pid in live:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.001)
    return False


def _trim(text: str, cap: int) -> str:
    if len(text) <= cap:
        return text
    half = cap // 2
    return f"{text[:half]}\n... [{len(text) - cap} chars trimmed] ...\n{text[-half:]}"


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


class Child:
    """A forked test process with its stdin/stdout/stderr/result pipes."""

    def __init__(self, pid: int, fds: dict[str, int], stdin_data: bytes) -> None:
        self.pid = pid
        self.fds = fds  # name -> read end
        self.stdin_data = stdin_data
        self.exit_status: int | None = None


def spawn(
    job: dict[str, Any],
    target: Any,
    *,
    stdin_data: bytes = b"",
    address_space: bool = True,
    limits: dict[str, Any] | None = None,
) -> Child:
    """Fork; the child gets fresh stdio pipes, rlimits, a scrubbed env and runs `target`.

    `target(emit)` either returns (exit 0), raises, or execs.
    """
    limits = limits or job["limits"]
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    res_r, res_w = os.pipe()
    token = os.urandom(16).hex()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.setsid()
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.dup2(res_w, RESULT_FD)
            os.closerange(RESULT_FD + 1, 65536)
            with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w") as fh:
                fh.write("1000")
            os.chdir(job["workdir"])
            os.environ.clear()
            os.environ.update(_env(job))
            _set_limits(limits, address_space=address_space, nproc=job.get("nproc"))
            sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
            sys.stdout = io.TextIOWrapper(
                io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True
            )
            sys.stderr = io.TextIOWrapper(
                io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True
            )
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
    for fd in (in_r, out_w, err_w, res_w):
        os.close(fd)
    child = Child(pid, {"stdout": out_r, "stderr": err_r, "result": res_r}, stdin_data)
    child.fds["stdin"] = in_w
    child.token = token  # type: ignore[attr-defined]
    return child


def _drain(fd: int, open_fds: dict[int, str], buf: bytearray) -> None:
    """Read what is already in a pipe without blocking (bounded by the pipe's size)."""
    while fd in open_fds and len(buf) < (64 << 20):
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            os.close(fd)
            del open_fds[fd]
            return
        buf += data


def supervise(child: Child, *, timeout_s: float, output_cap: int, on_event: Any = None) -> dict:
    """Wait for the child under a wall-clock deadline and an output cap; never deadlock.

    `on_event(event)` may return a new deadline (a fresh per-test budget) or None.
    """
    start = time.monotonic()
    deadline = start + timeout_s
    bufs: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
    res_buf = bytearray()
    events: list[dict[str, Any]] = []
    token: str = child.token  # type: ignore[attr-defined]
    reason: str | None = None
    stdin_fd = child.fds.pop("stdin")
    pending = memoryview(child.stdin_data)
    os.set_blocking(stdin_fd, False)
    if not pending:
        os.close(stdin_fd)
        stdin_fd = -1
    open_fds = {fd: name for name, fd in child.fds.items()}
    for fd in open_fds:
        os.set_blocking(fd, False)
    pidfd = -1
    with contextlib.suppress(Exception):
        pidfd = os.pidfd_open(child.pid)
    while True:
        if child.exit_status is None:
            pid, status = os.waitpid(child.pid, os.WNOHANG)
            if pid:
                child.exit_status = status
                kill_descendants()  # grandchildren holding our pipes die with the test
        if child.exit_status is not None and not open_fds:
            break
        now = time.monotonic()
        if now >= deadline and reason is None and child.exit_status is None:
            reason = "timeout"
            kill_descendants(keep=child.pid)
            deadline = now + 5.0
            continue
        if now >= deadline and reason is not None:
            break
        rlist = list(open_fds)
        if pidfd >= 0 and child.exit_status is None:
            rlist.append(pidfd)
        wlist = [stdin_fd] if stdin_fd >= 0 else []
        wait = max(0.0, deadline - now)
        if pidfd < 0:
            wait = min(wait, 0.01)
        try:
            readable, writable, _ = select.select(rlist, wlist, [], wait)
        except InterruptedError:
            continue
        if writable:
            try:
                n = os.write(stdin_fd, pending[:65536])
                pending = pending[n:]
            except BlockingIOError:
                pass
            except OSError:  # the program closed stdin or exited: drop the rest
                pending = memoryview(b"")
            if len(pending) == 0:
                os.close(stdin_fd)
                stdin_fd = -1
        for fd in readable:
            if fd == pidfd:
                continue
            if fd not in open_fds:
                continue  # closed by a drain in this round
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            name = open_fds[fd]
            if not data:
                os.close(fd)
                del open_fds[fd]
                continue
            if name == "result":
                res_buf += data
                if len(res_buf) > 8 * 1024 * 1024:
                    reason = reason or "output_limit"
                    kill_descendants(keep=child.pid)
                while b"\n" in res_buf:
                    line, _, rest = bytes(res_buf).partition(b"\n")
                    res_buf = bytearray(rest)
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue
                    if not isinstance(event, dict) or event.pop("token", None) != token:
                        continue  # forged or garbled: ignore
                    event["stdout_offset"] = len(bufs["stdout"])
                    events.append(event)
                    if on_event is not None:
                        new_budget = on_event(event)
                        if new_budget is not None and reason is None:
                            deadline = time.monotonic() + new_budget
            else:
                bufs[name] += data
                if len(bufs["stdout"]) + len(bufs["stderr"]) > output_cap and reason is None:
                    reason = "output_limit"
                    kill_descendants(keep=child.pid)
                    deadline = time.monotonic() + 5.0
    for fd in list(open_fds):
        os.close(fd)
    if stdin_fd >= 0:
        os.close(stdin_fd)
    if pidfd >= 0:
        os.close(pidfd)
    if child.exit_status is None:
        with contextlib.suppress(OSError):
            os.kill(child.pid, signal.SIGKILL)
        _, child.exit_status = os.waitpid(child.pid, 0)
    kill_descendants()
    status = child.exit_status
    return {
        "reason": reason,
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "stdout": bufs["stdout"][:output_cap].decode("utf-8", "replace"),
        "stdout_bytes": bytes(bufs["stdout"][:output_cap]),
        "stderr": bufs["stderr"][:output_cap].decode("utf-8", "replace"),
        "events": events,
        "duration_s": time.monotonic() - start,
    }


def _crash_status(run: dict[str, Any], oom_before: int) -> tuple[str, str]:
    """Status and message for a process that ended without a normal result."""
    if run["reason"] == "timeout":
        return "timeout", "time limit exceeded"
    if run["reason"] == "output_limit":
        return "output_limit", "output limit exceeded"
    sig = run["signal"]
    text = run["stderr"]
    if _oom_kills() > oom_before or "MemoryError" in text[-2000:] or "bad_alloc" in text:
        return "memory_limit", "memory limit exceeded"
    if sig == signal.SIGXCPU:
        return "timeout", "CPU time limit exceeded"
    if sig is not None:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        if sig == signal.SIGKILL:
            return "memory_limit" if _oom_kills() > oom_before else "error", f"killed by {name}"
        return "error", f"terminated by {name}"
    return "error", f"exited with code {run['exit_code']}"


def _error_type(stderr: str) -> str | None:
    for line in reversed(stderr.strip().splitlines()[-5:]):
        head = line.split(":", 1)[0].strip()
        if head and head.replace(".", "").replace("_", "").isalnum() and head[0].isupper():
            return head.rsplit(".", 1)[-1]
    return None


# ---------------------------------------------------------------------------- io


def _compile_cpp(job: dict[str, Any]) -> tuple[bool, str]:
    limits = dict(job["limits"])
    limits["timeout_s"] = max(float(job.get("compile_timeout_s", 60.0)), 1.0)
    limits["file_size_mb"] = max(int(limits["file_size_mb"]), 256)
    limits["open_files"] = max(int(limits["open_files"]), 256)
    cmd = ["g++", "-O2", "-std=gnu++17", "-pipe", "-o", "solution", "solution.cpp"]
    child = spawn(job, lambda _emit: os.execvp(cmd[0], cmd), address_space=False, limits=limits)
    run = supervise(child, timeout_s=limits["timeout_s"], output_cap=1 << 20)
    text = _trim(run["stderr"] + run["stdout"], 16000)
    if run["reason"] == "timeout":
        return False, text + "\ncompilation timed out"
    return run["exit_code"] == 0, text


def run_io(job: dict[str, Any]) -> list[dict[str, Any]]:
    limits = job["limits"]
    cap = int(limits["output_kb"]) * 1024
    python = job.get("python", "python3")
    cmd = ["./solution"] if job["language"] == "cpp" else [python, "solution.py"]
    results = []
    for test in job["suite"]["tests"]:
        oom_before = _oom_kills()
        child = spawn(job, lambda _emit: os.execvp(cmd[0], cmd), stdin_data=test["input"].encode())
        run = supervise(child, timeout_s=float(limits["timeout_s"]), output_cap=cap)
        result: dict[str, Any] = {
            "name": test["name"],
            "duration_s": run["duration_s"],
            "stdout": run["stdout"],
            "stderr": run["stderr"],
        }
        if run["reason"] is None and run["exit_code"] == 0:
            result["status"] = "ran"  # the host compares the output
        else:
            status, message = _crash_status(run, oom_before)
            result.update(status=status, message=message, error_type=_error_type(run["stderr"]))
            if status == "error":
                result["traceback"] = _trim(run["stderr"], 4000)
        results.append(result)
    return results


# ------------------------------------------------------------------ function tests


def run_check(job: dict[str, Any]) -> list[dict[str, Any]]:
    import run_check as harness

    limits = job["limits"]
    suite = job["suite"]
    name = suite["entry_point"]
    oom_before = _oom_kills()
    child = spawn(job, lambda emit: harness.main(emit, suite["test_code"], name))
    run = supervise(child, timeout_s=float(limits["timeout_s"]), output_cap=int(limits["output_kb"]) * 1024)
    base = {
        "name": name,
        "duration_s": run["duration_s"],
        "stdout": run["stdout"],
        "stderr": run["stderr"],
    }
    reports = [e for e in run["events"] if e.get("event") == "report"]
    if run["reason"] is None and reports:
        report = dict(reports[-1])
        report.pop("event", None)
        report.pop("stdout_offset", None)
        return [{**base, **report, "name": name}]
    status, message = _crash_status(run, oom_before)
    if run["reason"] is None and status == "error":
        seen = ",".join(str(e.get("event")) for e in run["events"]) or "none"
        message = f"no result reported ({message}; events: {seen}): the program ended before the tests ran"
    return [{**base, "status": status, "message": message, "error_type": None}]


def run_pytest(job: dict[str, Any]) -> list[dict[str, Any]]:
    """One pytest session normally; after a kill, a new session for the tests not yet run."""
    import run_pytest as harness

    limits = job["limits"]
    timeout = float(limits["timeout_s"])
    cap = int(limits["output_kb"]) * 1024
    suite = job["suite"]
    expected: list[str] | None = list(suite["node_ids"]) if suite.get("node_ids") else None
    wanted: list[str] | None = expected
    files = sorted({n.split("::", 1)[0] for n in expected}) if expected else []
    targets: list[str] = files or list(suite.get("targets") or [])
    done: dict[str, dict[str, Any]] = {}
    collect_errors: list[dict[str, Any]] = []
    for _attempt in range(64):
        oom_before = _oom_kills()
        state: dict[str, Any] = {"current": None, "start": time.monotonic()}

        def on_event(event: dict[str, Any], state: dict[str, Any] = state) -> float | None:
            if event.get("event") == "start":
                state["current"] = event["nodeid"]
                state["start"] = time.monotonic()
                return timeout
            if event.get("event") == "report":
                state["current"] = None
                return timeout + 5.0
            return None

        child = spawn(job, lambda emit, t=targets, w=wanted: harness.main(emit, t, w))
        # collection gets a generous budget; each test start resets it to the per-test limit
        run = supervise(child, timeout_s=timeout + 10.0, output_cap=cap, on_event=on_event)
        stdout = run["stdout"]
        raw: bytes = run["stdout_bytes"]
        starts: dict[str, int] = {}
        for event in run["events"]:
            kind = event.get("event")
            if kind == "collected" and expected is None:
                expected = list(event["nodeids"])
            elif kind == "collect_error":
                collect_errors.append(event)
            elif kind == "start":
                starts[event["nodeid"]] = int(event.get("out_pos", event["stdout_offset"]))
            elif kind == "report":
                nodeid = event["nodeid"]
                begin = starts.get(nodeid, 0)
                end = int(event.get("out_pos", event["stdout_offset"]))
                drop = ("event", "stdout_offset", "out_pos")
                report = {k: v for k, v in event.items() if k not in drop}
                report["stdout"] = raw[begin:end].decode("utf-8", "replace")
                done[nodeid] = {"name": nodeid, **report}
        current = state["current"]
        if current is not None and current not in done:
            status, message = _crash_status(run, oom_before)
            if status == "error":
                message = f"the test process ended during the test ({message})"
            done[current] = {
                "name": current,
                "status": status,
                "message": message,
                "duration_s": time.monotonic() - state["start"],
                "stdout": raw[starts.get(current, 0) :].decode("utf-8", "replace"),
                "stderr": run["stderr"],
            }
        if expected is None:
            status, message = _crash_status(run, oom_before)
            detail = "; ".join(str(e.get("message", "")) for e in collect_errors)
            return [
                {
                    "name": "collection",
                    "status": status if status != "error" else "error",
                    "message": f"no tests were collected ({message}) {detail}".strip(),
                    "stdout": stdout,
                    "stderr": run["stderr"],
                    "duration_s": run["duration_s"],
                }
            ]
        remaining = [n for n in expected if n not in done]
        if not remaining or (run["reason"] is None and current is None):
            break
        wanted = remaining
    results = []
    detail = "; ".join(str(e.get("message", "")) for e in collect_errors)
    for nodeid in expected or []:
        results.append(
            done.get(nodeid)
            or {
                "name": nodeid,
                "status": "error",
                "message": f"no result reported for this test {detail}".strip(),
            }
        )
    if not results:
        results.append(
            {
                "name": "collection",
                "status": "error",
                "message": f"no tests were collected {detail}".strip(),
            }
        )
    return results


# --------------------------------------------------------------------------- jobs


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
        ok, compile_output = _compile_cpp(job)
        if not ok:
            return {"compile_error": True, "compile_output": compile_output, "results": []}
    if kind == "io":
        results = run_io(job)
    elif kind == "check":
        results = run_check(job)
    else:
        results = run_pytest(job)
    return {"results": results, "compile_output": compile_output}


def _wipe(paths: list[str]) -> bool:
    clean = True
    for root in paths:
        if not os.path.isdir(root):
            continue
        for entry in os.listdir(root):
            path = os.path.join(root, entry)
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
            except OSError:
                clean = False
        if os.listdir(root):
            clean = False
    return clean


def _remove_ipc() -> bool:
    """Delete SysV IPC objects a candidate created (the IPC namespace is the container's)."""
    clean = True
    try:
        lib = _libc()
    except OSError:
        return True
    ipc_rmid = 0
    for kind, func in (("shm", "shmctl"), ("sem", "semctl"), ("msg", "msgctl")):
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                lines = fh.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            ident = int(fields[1])
            if kind == "sem":
                rc = lib.semctl(ident, 0, ipc_rmid)
            else:
                rc = getattr(lib, func)(ident, ipc_rmid, None)
            clean = clean and rc == 0
    return clean


def reset(scratch: list[str]) -> bool:
    """Between jobs: no process, file or IPC object of the previous candidate survives."""
    procs = kill_descendants()
    files = _wipe(scratch)
    ipc = _remove_ipc()
    return procs and files and ipc


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
    _harden_self()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if len(sys.argv) >= 3 and sys.argv[1] == "--once":
        once(sys.argv[2])
    else:
        scratch = [p for p in ("/tmp", "/dev/shm", "/dev/mqueue") if os.access(p, os.W_OK)]
        serve(scratch, preload="--no-preload" not in sys.argv)


if __name__ == "__main__":
    main()
