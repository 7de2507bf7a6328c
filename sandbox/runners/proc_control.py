"""Process control inside the sandbox: which processes exist below the supervisor, and
killing every one of them.

Why by the process table and not by process group: a candidate can `setsid()` out of any
group, but it cannot leave the supervisor's subtree (the supervisor is PID 1 in the
container, or a child subreaper locally), so walking /proc finds every straggler.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from typing import Any

PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37


def libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


class HardeningError(RuntimeError):
    """The supervisor could not make itself non-dumpable or a subreaper: it must not serve."""


def harden_self() -> None:
    """Non-dumpable: same-uid candidates cannot ptrace us or open /proc/<us>/fd/* or mem.
    Not PID 1 (the local backend): a subreaper, so orphans of a test process are reparented
    to us and can be killed. PID 1 of a container adopts them anyway (and gVisor does not
    implement PR_GET_CHILD_SUBREAPER).

    Each step is read back, not assumed: a supervisor that failed to harden refuses to serve
    (HardeningError) instead of running candidates that could read its pipes.
    """
    lib = libc()
    reaper = ctypes.c_int(-1)

    def reaper_is_set() -> bool:
        ok = lib.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(reaper), 0, 0, 0) == 0
        return bool(ok and reaper.value == 1)

    steps = [
        ("prctl(PR_SET_DUMPABLE, 0)", lambda: lib.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0),
        ("prctl(PR_GET_DUMPABLE) == 0", lambda: lib.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0),
    ]
    if os.getpid() != 1:
        steps += [
            ("prctl(PR_SET_CHILD_SUBREAPER, 1)", lambda: lib.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0),
            ("prctl(PR_GET_CHILD_SUBREAPER) == 1", reaper_is_set),
        ]
    for what, ok in steps:
        if not ok():
            err = ctypes.get_errno()
            raise HardeningError(f"{what} failed ({os.strerror(err) if err else 'read back another value'})")


def read_small(path: str) -> bytes:
    """A small kernel file (one read: /proc, cgroup counters) without Python's buffered
    `open`, which costs more than the read here (several times per job)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return os.read(fd, 65536)
    finally:
        os.close(fd)


def oom_kills() -> int:
    """The cgroup's OOM-kill counter (v1 or v2); 0 when unreadable."""
    for path in ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"):
        try:
            data = read_small(path)
        except OSError:
            continue
        for line in data.splitlines():
            key, _, value = line.partition(b" ")
            if key == b"oom_kill":
                return int(value)
    return 0


def _proc_table() -> dict[int, tuple[int, bytes]]:
    """pid -> (ppid, state) for every visible process."""
    table: dict[int, tuple[int, bytes]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            data = read_small(f"/proc/{entry}/stat")
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


def kill_tree(root: int) -> None:
    """SIGKILL `root` and everything below it (one side of an interactive pair).

    Not reaped here: the caller collects `root`'s exit status; orphans the test left are
    swept by `kill_descendants` when the test ends.
    """
    table = _proc_table()
    for pid in [root, *_descendants(root, table)]:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def kill_all_but(keep: int) -> None:
    """SIGKILL every process below us except `keep` and its subtree: what a candidate left
    running (setsid'd orphans too) once its main process ended, the interactor spared."""
    table = _proc_table()
    spared = {keep, *_descendants(keep, table)}
    for pid in _descendants(os.getpid(), table):
        if pid not in spared and table[pid][1] != b"Z":
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
