"""Process-tree facts read from /proc, for tests that prove nothing was left running."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcStat:
    pid: int
    state: str
    ppid: int
    pgrp: int


def processes() -> list[ProcStat]:
    """Every process visible in /proc (those that exit while being read are skipped)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after the last ')'
        fields = stat.rsplit(")", 1)[1].split()
        out.append(ProcStat(int(entry.name), fields[0], int(fields[1]), int(fields[2])))
    return out


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, however deep."""
    parents = {p.pid: p.ppid for p in processes()}
    out: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, pp in parents.items() if pp in frontier} - out
        out |= frontier
    return out


def alive(pids: set[int]) -> set[int]:
    """The processes of `pids` still running (zombies count as gone)."""
    return {p.pid for p in processes() if p.pid in pids and p.state != "Z"}


def group_pids(pgid: int) -> list[int]:
    """Live processes of a process group (zombies excluded)."""
    return [p.pid for p in processes() if p.pgrp == pgid and p.state != "Z"]


_FOREGROUND = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
               "os.execv(sys.argv[1], sys.argv[1:])")


def foreground(argv: list[str]) -> list[str]:
    """`argv` run as a terminal's foreground job: SIGINT back to its default. A test that
    presses Ctrl-C must not depend on how it was started (a background job of a
    non-interactive shell, as CI may be, inherits SIGINT ignored, and so would pacore)."""
    import sys

    return [sys.executable, "-c", _FOREGROUND, *argv]
