"""Who each process runs as: the candidate's programs as one user, the problem's checker
and interactor as another, the supervisor as neither.

Why: a process can signal, ptrace and read the /proc entries of any process of its own
user, and read the files that user made. A candidate sharing its user with the
interactor could kill it, read the answer file it was given, or its memory. With two
users, the candidate's programs (uid 65534) reach none of the judge's (uid 65533), and
neither reaches the supervisor.

How: the container starts the supervisor as root with only CAP_SETUID, CAP_SETGID and
CAP_KILL (no file capabilities: it can neither read nor write what its users own unless it
acts as them). Each test process takes its user for good before it execs (`become`); the
supervisor does its file work as the user whose files they are (`acting_as`), so the
candidate's work directory is the candidate's and a judge directory (mode 0700) the
judge's. Elsewhere (the local backend, a supervisor started as a non-root user) there is
one user and nothing switches: `enable` says so.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import NamedTuple


class User(NamedTuple):
    uid: int
    gid: int
    name: str


CANDIDATE = User(65534, 65534, "candidate")  # nobody:nogroup, as before the split
JUDGE = User(65533, 65533, "judge")  # the problem's checker and interactor
NEEDED_CAPS = {"CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7}
_STATE = {"on": False}


class IdentityError(RuntimeError):
    """Running as root without the capabilities to give each side its own user."""


def _effective_caps() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def enable() -> bool:
    """Separate users when the supervisor runs as root (in its container); True if so.

    Root without the capabilities is refused: a candidate must never run as root.
    """
    if os.getuid() != 0:
        return False
    caps = _effective_caps()
    missing = [name for name, bit in NEEDED_CAPS.items() if not caps >> bit & 1]
    if missing:
        raise IdentityError(f"running as root without {', '.join(missing)}: cannot give the "
                            "candidate and the judge their own users")
    os.setgroups([])
    _STATE["on"] = True
    return True


def active() -> bool:
    return _STATE["on"]


def disable() -> None:
    """Back to one user (tests of the runners in the host's interpreter)."""
    _STATE["on"] = False


def become(user: User) -> None:
    """In a forked child before it execs: `user` for good (real, effective and saved ids;
    no supplementary groups), so every capability is gone."""
    if not _STATE["on"]:
        return
    if os.geteuid() != 0:
        os.seteuid(0)  # forked while acting as someone: back to root to drop for good
    os.setgroups([])
    os.setresgid(user.gid, user.gid, user.gid)
    os.setresuid(user.uid, user.uid, user.uid)
    if os.getresuid() != (user.uid,) * 3 or os.getresgid() != (user.gid,) * 3:
        raise IdentityError(f"could not become {user.name}")


@contextlib.contextmanager
def acting_as(user: User) -> Iterator[None]:
    """File work as `user` (its effective ids), then back to root: what is made is theirs."""
    if not _STATE["on"] or os.geteuid() == user.uid:
        yield
        return
    os.setegid(user.gid)
    os.seteuid(user.uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)
        _non_dumpable()


def owner_of(path: str) -> User | None:
    """The user (of ours) that owns `path`, None for anyone else."""
    try:
        uid = os.lstat(path).st_uid
    except OSError:
        return None
    return next((u for u in (CANDIDATE, JUDGE) if u.uid == uid), None)


_LIBC: list = []


def _non_dumpable() -> None:
    """A change of effective uid resets the dumpable flag: set it back (proc_control)."""
    from proc_control import PR_SET_DUMPABLE, libc

    if not _LIBC:
        _LIBC.append(libc())
    _LIBC[0].prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
