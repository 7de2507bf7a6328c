"""Between two candidates in one container: no process, file or SysV IPC object of the
previous candidate survives, and the supervisor reports whether that was verified.

Why: a reused container must look fresh to the next candidate; when the reset cannot be
verified the host removes the container instead of reusing it.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import identity
from proc_control import kill_descendants, libc


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def wipe(paths: list[str]) -> bool:
    """Empty the scratch directories, each entry removed as the user that owns it (the
    supervisor holds no file capability: identity.py)."""
    clean = True
    for root in paths:
        if not os.path.isdir(root):
            continue
        for entry in os.listdir(root):
            path = os.path.join(root, entry)
            owner = identity.owner_of(path)
            try:
                if owner is None:
                    _remove(path)
                else:
                    with identity.acting_as(owner):
                        _remove(path)
            except OSError:
                clean = False
        if os.listdir(root):
            clean = False
    return clean


def remove_ipc() -> bool:
    """Delete SysV IPC objects a candidate created (the IPC namespace is the container's)."""
    clean = True
    ipc_rmid = 0
    lib: Any = None
    for kind, func in (("shm", "shmctl"), ("sem", "semctl"), ("msg", "msgctl")):
        try:
            with open(f"/proc/sysvipc/{kind}") as fh:
                lines = fh.read().splitlines()[1:]
        except OSError:
            continue
        if lines and lib is None:
            try:
                lib = libc()  # only when there is something to remove: most jobs leave nothing
            except OSError:
                return False  # objects left that cannot be removed: not verified clean
        for line in lines:
            ident = int(line.split()[1])
            rc = -1
            # the creator removes it: the candidate's or (unlikely) the judge's user
            for user in (identity.CANDIDATE, identity.JUDGE):
                with identity.acting_as(user):
                    if kind == "sem":
                        rc = lib.semctl(ident, 0, ipc_rmid)
                    else:
                        rc = getattr(lib, func)(ident, ipc_rmid, None)
                if rc == 0 or not identity.active():
                    break
            clean = clean and rc == 0
    return clean


def reset(scratch: list[str]) -> bool:
    """Kill, wipe, remove IPC; True only when all three verified clean."""
    procs = kill_descendants()
    files = wipe(scratch)
    ipc = remove_ipc()
    return procs and files and ipc
