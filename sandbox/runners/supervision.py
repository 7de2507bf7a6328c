"""Watching one test process: a wall-clock deadline, caps on each stream, the memory watch,
and the result channel read as it arrives.

Why one select loop: reading stdout, stderr and the result channel together, while feeding
stdin, never deadlocks on a full pipe. Every limit ends the same way (`Supervision._stop`):
the reason is kept, the test's descendants are killed and five seconds are left to drain.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import time
from typing import Any

from child_process import Child
from memory_watch import MemoryWatch
from proc_control import kill_descendants

ALARM_KEEP = 4096
MEMORY_TICK_S = 0.01  # how often a watched test process's resident size is sampled
LAZY_POLL_S = 0.02  # how often a lazily read result channel is drained while the test runs
STDERR_KEEP = 64 * 1024  # head + tail of stderr kept per test process
RESULT_CAP = 8 * 1024 * 1024
DRAIN_S = 5.0  # after a limit: time left to read what the killed processes wrote


class StderrKeeper:
    """Drains a stream keeping only its head and tail (DOMjudge-style): a program's debug
    output never blocks it, never fills memory and never decides a verdict by itself."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self.keep // 2 - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > self.keep:  # amortised: cut only when twice the tail
                del self.tail[: len(self.tail) - self.keep // 2]

    def text(self) -> str:
        tail = bytes(self.tail[-(self.keep // 2) :]) if self.keep >= 2 else b""
        dropped = self.total - len(self.head) - len(tail)
        if dropped <= 0:
            return (bytes(self.head) + tail).decode("utf-8", "replace")
        middle = f"\n... [{dropped} bytes of stderr dropped] ...\n"
        return bytes(self.head).decode("utf-8", "replace") + middle + tail.decode("utf-8", "replace")


def read_chunk(fd: int) -> bytes | None:
    """What a non-blocking pipe holds: None when nothing yet, b"" once closed (or broken)."""
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None
    except OSError:
        return b""


def _kb(n: int) -> str:
    return f"{n // 1024} KB" if n % 1024 == 0 else f"{n} bytes"


def supervise(
    child: Child,
    *,
    timeout_s: float,
    stdout_cap: int,
    stderr_cap: int,
    stderr_keep: int = STDERR_KEEP,
    on_event: Any = None,
    memory: MemoryWatch | None = None,
    lazy_results: bool = False,
) -> dict:
    """Wait for the child under a wall-clock deadline and per-stream caps; never deadlock.

    stdout (the answer) is kept whole up to `stdout_cap`; stderr is drained, only its head
    and tail kept; either stream passing its cap (`stderr_cap`: a flood) stops the test at
    once with `output_limit` and a message naming the stream and the limit.
    `on_event(event)` may return a new deadline (a fresh per-test budget) or None.
    With `memory`, the process is stopped once its resident size passes the limit
    (`reason` "memory_limit"), and `peak_kb` / `over_memory` say what it used at its peak.
    `lazy_results`: after the first event, the result channel is read every `LAZY_POLL_S` and
    at the end rather than as each line arrives (one test made of many calls: a wake-up per
    call cost more than the calls); the lines and their checks are the same.
    """
    watch = Supervision(child, timeout_s=timeout_s, stdout_cap=stdout_cap, stderr_cap=stderr_cap,
                        stderr_keep=stderr_keep, on_event=on_event, memory=memory,
                        lazy_results=lazy_results)  # fmt: skip
    watch.run()
    return watch.finish()


class Supervision:
    """The state of one watched test process: what it wrote so far, and why it was stopped."""

    def __init__(self, child: Child, *, timeout_s: float, stdout_cap: int, stderr_cap: int,
                 stderr_keep: int, on_event: Any, memory: MemoryWatch | None,
                 lazy_results: bool) -> None:  # fmt: skip
        self.child = child
        self.start = time.monotonic()
        self.deadline = self.start + timeout_s
        self.stdout_cap, self.stderr_cap = stdout_cap, stderr_cap
        self.on_event, self.memory, self.lazy_results = on_event, memory, lazy_results
        self.stdout = bytearray()
        self.stderr = StderrKeeper(stderr_keep)
        self.res_buf = bytearray()
        self.alarms = bytearray()
        self.events: list[dict[str, Any]] = []
        self.reason: str | None = None
        self.limit_message: str | None = None
        self.stdin_fd = child.fds.pop("stdin")
        self.pending = memoryview(child.stdin_data)
        os.set_blocking(self.stdin_fd, False)
        if not self.pending:
            os.close(self.stdin_fd)
            self.stdin_fd = -1
        self.open_fds = {fd: name for name, fd in child.fds.items()}
        self.result_fd = child.fds.get("result", -1)
        for fd in self.open_fds:
            os.set_blocking(fd, False)
        self.pidfd = -1
        with contextlib.suppress(Exception):
            self.pidfd = os.pidfd_open(child.pid)
        self.swept = False  # every descendant killed and reaped once the test process ended

    def _stop(self, reason: str, message: str | None) -> None:
        """The first limit reached wins: kill the test's descendants, leave time to drain."""
        if self.reason is None:
            self.reason, self.limit_message = reason, message
            kill_descendants(keep=self.child.pid)
            self.deadline = time.monotonic() + DRAIN_S

    def run(self) -> None:
        child, memory = self.child, self.memory
        while True:
            if child.exit_status is None and child.reap():
                self.swept = kill_descendants()  # grandchildren holding our pipes die with the test
            watched = memory is not None and child.exit_status is None and self.reason is None
            if watched and memory is not None and memory.sample(child):
                self._stop("memory_limit", memory.message(memory.peak_kb))
            if child.exit_status is not None and not self.open_fds:
                return
            now = time.monotonic()
            if now >= self.deadline and self.reason is None and child.exit_status is None:
                self._stop("timeout", None)
                continue
            if now >= self.deadline and self.reason is not None:
                return
            self._step(now)

    def _step(self, now: float) -> None:
        """One wait on the streams (and the process's end), then what it brought."""
        child = self.child
        quiet = (self.lazy_results and bool(self.events) and child.exit_status is None
                 and self.result_fd in self.open_fds)  # fmt: skip
        rlist = [fd for fd in self.open_fds if not (quiet and fd == self.result_fd)]
        if self.pidfd >= 0 and child.exit_status is None:
            rlist.append(self.pidfd)
        wlist = [self.stdin_fd] if self.stdin_fd >= 0 else []
        wait = max(0.0, self.deadline - now)
        if self.pidfd < 0:
            wait = min(wait, 0.01)
        if self.memory is not None and child.exit_status is None:
            wait = min(wait, MEMORY_TICK_S)
        if quiet:
            wait = min(wait, LAZY_POLL_S)
        try:
            readable, writable, _ = select.select(rlist, wlist, [], wait)
        except InterruptedError:
            return
        if quiet:
            readable = [*readable, self.result_fd]  # whatever queued meanwhile (a non-blocking read)
        if writable:
            self._feed_stdin()
        for fd in readable:
            if fd != self.pidfd:
                self._read(fd)

    def _feed_stdin(self) -> None:
        try:
            n = os.write(self.stdin_fd, self.pending[:65536])
            self.pending = self.pending[n:]
        except BlockingIOError:
            pass
        except OSError:  # the program closed stdin or exited: drop the rest
            self.pending = memoryview(b"")
        if len(self.pending) == 0:
            os.close(self.stdin_fd)
            self.stdin_fd = -1

    def _read(self, fd: int) -> None:
        data = read_chunk(fd)
        if data is None:
            return
        name = self.open_fds[fd]
        if not data:
            os.close(fd)
            del self.open_fds[fd]
        elif name == "result":
            self._results(data)
        elif name == "alarm":
            self.alarms += data[: max(0, ALARM_KEEP - len(self.alarms))]
        elif name == "stdout":
            self.stdout += data
            if len(self.stdout) > self.stdout_cap:
                self._stop("output_limit", f"stdout exceeded the output limit of {_kb(self.stdout_cap)}")
        else:
            self.stderr.add(data)
            if self.stderr.total > self.stderr_cap:
                self._stop("output_limit", f"stderr exceeded its flood limit of {_kb(self.stderr_cap)}")

    def _results(self, data: bytes) -> None:
        """Whole lines of the result channel; only those carrying the child's token count."""
        self.res_buf += data
        if len(self.res_buf) > RESULT_CAP:
            self._stop("output_limit", "the result channel exceeded 8 MB")
        *lines, rest = self.res_buf.split(b"\n")  # every whole line at once (lazily read: many)
        self.res_buf = rest
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict) or event.pop("token", None) != self.child.token:
                continue  # forged or garbled: ignore
            event["stdout_offset"] = len(self.stdout)
            self.events.append(event)
            if self.on_event is not None:
                new_budget = self.on_event(event)
                if new_budget is not None and self.reason is None:
                    self.deadline = time.monotonic() + new_budget

    def finish(self) -> dict:
        """Close what is left, make sure nothing of the test survives, and say how it ended."""
        child, memory = self.child, self.memory
        for fd in list(self.open_fds):
            os.close(fd)
        if self.stdin_fd >= 0:
            os.close(self.stdin_fd)
        if self.pidfd >= 0:
            os.close(self.pidfd)
        if child.exit_status is None:
            with contextlib.suppress(OSError):
                os.kill(child.pid, signal.SIGKILL)
            child.reap(0)
            self.swept = False
        if not self.swept:  # (a /proc scan: not twice when nothing can have started since)
            kill_descendants()
        status = child.exit_status
        if status is None:  # reap(0) above waits for it
            raise RuntimeError(f"child {child.pid} ended without an exit status")
        peak_kb = memory.peak(child) if memory is not None else 0
        over = memory is not None and peak_kb > memory.limit_kb
        kept = bytes(self.stdout[: self.stdout_cap])
        return {
            "reason": self.reason,
            "limit_message": self.limit_message,
            "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "stdout": kept.decode("utf-8", "replace"),
            "stdout_bytes": kept,
            "stderr": self.stderr.text(),
            "stderr_bytes": self.stderr.total,
            "events": self.events,
            "alarms": [line for line in self.alarms.decode("utf-8", "replace").splitlines() if line.strip()]
            or (["the program wrote to the guard's alarm channel"] if self.alarms else []),
            "duration_s": time.monotonic() - self.start,
            "peak_kb": peak_kb,
            "over_memory": memory.message(peak_kb) if over and memory is not None else None,
        }
