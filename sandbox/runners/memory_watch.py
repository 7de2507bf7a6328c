"""Memory of a test process: its resident size, sampled while it runs and read from wait4
when it ends, judged against the job's limit.

Why resident pages and not RLIMIT_AS: as on cgroup judges (Kattis, DOMjudge, CMS), memory
is what a program uses; an address-space limit's refusals reach a C program as a NULL from
malloc and turn into a crash that reads as a runtime error.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from proc_control import read_small

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


class Watched(Protocol):
    """What the watcher reads of a test process (child_process.Child)."""

    pid: int
    max_rss_kb: int


def rss_kb(pid: int | str) -> int:
    """Resident size of a live process in KB (/proc/PID/statm); 0 once it is gone."""
    try:  # sampled every MEMORY_TICK_S: one raw read
        return int(read_small(f"/proc/{pid}/statm").split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def own_rss_kb() -> int:
    return rss_kb("self")


class MemoryWatch:
    """The watcher samples the test process's resident size while it runs (stopping it
    past the limit) and reads its peak from wait4 when it ends; the container's cgroup
    stops whatever outruns the sampling.

    The fork image (the supervisor's resident size, which a fresh test process shares) is
    read when the watcher is made, right after the fork, and only for watched processes:
    a HumanEval check is not watched and does not pay for the read.
    """

    def __init__(self, limit_kb: int) -> None:
        self.limit_kb = limit_kb
        self.peak_kb = 0  # the highest sample
        self.baseline_kb = own_rss_kb()  # the fork image: the supervisor's resident size

    def sample(self, child: Watched) -> bool:
        """True when the live process is past the limit (and past its fork image, which
        is the supervisor's memory, not the program's)."""
        rss = rss_kb(child.pid)
        self.peak_kb = max(self.peak_kb, rss)
        return rss > self.limit_kb and rss > self.baseline_kb + 1024

    def peak(self, child: Watched) -> int:
        """The program's peak resident size in KB: wait4's when it exceeds the fork image
        (then it is the program's own), else the highest sample."""
        if child.max_rss_kb > self.baseline_kb + 1024:
            return max(child.max_rss_kb, self.peak_kb)
        return self.peak_kb

    def message(self, peak_kb: int) -> str:
        return (f"memory limit exceeded: the program used {peak_kb // 1024} MB, the limit is "
                f"{self.limit_kb // 1024} MB")


def memory_watch(limits: dict[str, Any]) -> MemoryWatch:
    """The watcher for a test process under `limits` (memory_mb)."""
    return MemoryWatch(int(limits["memory_mb"]) * 1024)
