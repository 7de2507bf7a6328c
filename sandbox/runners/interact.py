"""An interactive test: the candidate and the problem's interactor talk over pipes that the
supervisor relays, so it keeps the tail of the transcript, caps a flood, notices a deadlock
and judges in the order things happened.

Why relay and not connect the two directly: a direct pipe hides who said what last (the
transcript the model needs), lets a 100 MB flood reach the interactor, and a deadlock
(a forgotten flush: both sides waiting to read) looks like any slow program. Here both
sides are watched: neither writing, reading nor using CPU for `idle_s` is the idleness
limit; the candidate's CPU past its time limit is a timeout; the wall clock is capped too.

Order decides, as judges do: the interactor's wrong answer stands even if the program
then hangs or crashes; a program that crashes, floods or overruns first keeps that
verdict; after the interactor accepts, the program must still exit cleanly in time.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from dataclasses import dataclass
from typing import Any

from child_process import Child, spawn, stream_caps
from identity import JUDGE
from judge_programs import (
    Built,
    JudgeProgramError,
    argv_for,
    check,
    feedback_text,
    judgement,
    launcher,
    lay_out,
    program_limits,
    read_file,
    remove,
)
from memory_watch import MemoryWatch, memory_watch
from proc_control import kill_all_but, kill_descendants, kill_tree, oom_kills
from supervision import StderrKeeper, read_chunk
from trim_text import trim

RELAY_BUFFER = 1 << 20  # bytes waiting for a side that is not reading: stop reading the other
TRANSCRIPT_LINES = 12
TRANSCRIPT_CHARS = 600
TICK_S = 0.05
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def idle_window(timeout_s: float) -> float:
    """How long nothing may move before the idleness limit: half the time limit, 0.25-1 s."""
    return max(0.25, min(1.0, timeout_s / 2))


def _proc_state(pid: int) -> tuple[str, float]:
    """(state letter, CPU seconds) of a live process; ("", 0) once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return "", 0.0
    rest = data[data.rfind(b")") + 2 :].split()
    try:
        return rest[0].decode(), (int(rest[11]) + int(rest[12])) / CLK_TCK
    except (IndexError, ValueError):
        return "", 0.0


@dataclass(frozen=True)
class Program:
    """How the candidate starts (its build plan): the spawn target, whether RLIMIT_AS
    applies, its language's out-of-memory messages, whether its resident size is watched."""

    target: Any
    address_space: bool = True
    memory_markers: tuple[str, ...] = ("MemoryError",)
    rss_limit: bool = True  # its resident size is judged against the limit


class Transcript:
    """The last lines exchanged: `>` the program wrote, `<` the interactor wrote."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.partial = {">": "", "<": ""}

    def add(self, direction: str, data: bytes) -> None:
        text = self.partial[direction] + data[-4096:].decode("utf-8", "replace")
        *done, self.partial[direction] = text.split("\n")
        self.lines.extend(f"{direction} {line[:200]}" for line in done)
        del self.lines[:-TRANSCRIPT_LINES]

    def tail(self) -> str:
        lines = list(self.lines)
        lines += [f"{d} {p[:200]}" for d, p in self.partial.items() if p]
        return trim("\n".join(lines[-TRANSCRIPT_LINES:]), TRANSCRIPT_CHARS)


class Side:
    """One process of the pair and its relay state."""

    def __init__(self, child: Child) -> None:
        self.child = child
        self.pid = child.pid
        self.stdin = child.fds.pop("stdin")
        self.pending = bytearray()  # to write to its stdin
        self.closing = False  # close stdin once `pending` is written
        self.reads = {child.fds["stdout"]: "stdout", child.fds["stderr"]: "stderr",
                      child.fds["result"]: "result"}  # fmt: skip
        self.stderr = StderrKeeper(16 * 1024)
        self.out_total = 0
        self.status: int | None = None
        self.ended_at: float | None = None
        self.killed = False  # by the supervisor (a limit, a verdict), not by someone else
        self.eof_at: float | None = None  # when its stdout closed (it is exiting, as a rule)
        self.cpu = 0.0
        for fd in [self.stdin, *self.reads]:
            os.set_blocking(fd, False)

    def reap(self) -> bool:
        if self.status is None and self.child.reap():
            self.status, self.ended_at = self.child.exit_status, time.monotonic()
        return self.status is not None

    def kill(self) -> None:
        if self.status is None:
            self.killed = True
            kill_tree(self.pid)

    def close_stdin(self) -> None:
        if self.stdin >= 0:
            os.close(self.stdin)
            self.stdin = -1
        self.pending.clear()

    def flush(self) -> None:
        if self.stdin < 0:
            return
        if self.pending:
            try:
                n = os.write(self.stdin, self.pending[:65536])
                del self.pending[:n]
            except BlockingIOError:
                return
            except OSError:  # it closed its stdin or exited: what it did not read is dropped
                self.close_stdin()
                return
        if self.closing and not self.pending:
            self.close_stdin()

    def exit_summary(self) -> tuple[int | None, int | None]:
        status = self.status or 0
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        return code, sig

    def close(self) -> None:
        self.close_stdin()
        for fd in list(self.reads):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.reads.clear()


def _candidate_failure(cand: Side, oom_before: int, reason: str | None, markers: tuple[str, ...],
                       memory: MemoryWatch | None) -> tuple[str, str] | None:  # fmt: skip
    """The candidate's own verdict when it did not end cleanly (or used more memory than
    allowed), else None."""
    from suite_runners import crash_status

    code, sig = cand.exit_summary()
    peak = memory.peak(cand.child) if memory is not None else 0
    over = memory.message(peak) if memory is not None and peak > memory.limit_kb else None
    if reason is None and code == 0 and over is None:
        return None
    run = {"reason": reason, "signal": sig, "exit_code": code, "stderr": cand.stderr.text(),
           "limit_message": None, "over_memory": over}  # fmt: skip
    return crash_status(run, oom_before, markers)


class Interaction:
    """One test: relay between the two sides until both ended, or a limit decides."""

    def __init__(self, job: dict[str, Any], built: Built, cand: Side, inter: Side,
                 watch_memory: bool = True) -> None:  # fmt: skip
        limits = job["limits"]
        self.timeout_s = float(limits["timeout_s"])
        self.cap = stream_caps(limits)["stdout_cap"]
        self.stderr_cap = stream_caps(limits)["stderr_cap"]
        self.built = built
        self.cand, self.inter = cand, inter
        self.transcript = Transcript()
        self.start = time.monotonic()
        self.wall = self.start + 2 * self.timeout_s + 1.0
        self.inter_deadline = self.start + float(built.spec.get("timeout_s") or 30.0)
        self.idle_s = idle_window(self.timeout_s)
        self.last_activity = self.start
        self.reason: str | None = None  # the candidate's: timeout, idleness_limit, output_limit
        self.reason_at: float | None = None
        self.message: str | None = None
        self.inter_timeout = False
        # the program's resident size, sampled each tick (None: its runtime bounds its heap)
        self.memory = memory_watch(limits) if watch_memory else None

    def stop_candidate(self, reason: str, message: str) -> None:
        if self.reason is None and self.cand.status is None:
            self.reason, self.message, self.reason_at = reason, message, time.monotonic()
        self.cand.kill()

    def _read(self, side: Side, fd: int) -> None:
        data = read_chunk(fd)
        if data is None:
            return
        name = side.reads.get(fd)
        if not data:
            os.close(fd)
            side.reads.pop(fd, None)
            if name == "stdout":  # EOF: the other side reads EOF once the relay is written
                side.eof_at = time.monotonic()
                other = self.inter if side is self.cand else self.cand
                other.closing = True
                other.flush()
            return
        self.last_activity = time.monotonic()
        if name == "stderr":
            side.stderr.add(data)
            if side is self.cand and side.stderr.total > self.stderr_cap:
                self.stop_candidate("output_limit", "stderr exceeded its flood limit")
            return
        if name != "stdout":
            return  # the result channel: nothing to say in an interactive test
        side.out_total += len(data)
        if side is self.cand:
            self.transcript.add(">", data)
            if side.out_total > self.cap:
                self.stop_candidate("output_limit", f"wrote more than {self.cap >> 10} KB to the interactor")
                return
            target = self.inter
        else:
            self.transcript.add("<", data)
            target = self.cand
        if target.stdin >= 0:
            target.pending += data
            target.flush()

    def _watch(self, now: float) -> None:
        """Limits: candidate CPU, idleness (nothing moves, nobody computes), the wall clock."""
        cand, inter = self.cand, self.inter
        state, cpu = _proc_state(cand.pid) if cand.status is None else ("", cand.cpu)
        inter_state, inter_cpu = _proc_state(inter.pid) if inter.status is None else ("", inter.cpu)
        if cpu > cand.cpu or inter_cpu > inter.cpu or {state, inter_state} & {"R", "D"}:
            self.last_activity = now
        cand.cpu, inter.cpu = max(cand.cpu, cpu), max(inter.cpu, inter_cpu)
        idle = now - self.last_activity >= self.idle_s
        if cand.status is None:
            if self.memory is not None and self.memory.sample(cand.child):
                self.stop_candidate("memory_limit", self.memory.message(self.memory.peak_kb))
            elif cpu > self.timeout_s:
                self.stop_candidate("timeout", "time limit exceeded")
            elif idle:
                self.stop_candidate("idleness_limit", "idleness limit: nothing was read, written or "
                                    f"computed for {self.idle_s:g} s (a missing flush? waiting for input?)")
            elif now >= self.wall:  # something kept moving (idleness did not stop it) for too long
                self.stop_candidate("timeout", f"wall-clock limit exceeded ({self.wall - self.start:g} s)")
        elif inter.status is None and (now >= self.inter_deadline or (idle and not inter.pending)):
            self.inter_timeout = True  # the program is gone and the interactor neither reads nor works
            inter.kill()

    def run(self) -> None:  # noqa: C901  (sandbox runner, grandfathered: the interactor's exchange loop)
        # the interactor is reaped first: when both are found ended at once (a program that
        # crashed reading the EOF the interactor left), the interactor's verdict came first
        sides = (self.inter, self.cand)
        while True:
            for side in sides:
                if side.status is None and side.reap():
                    self._ended(side)
            if all(s.status is not None for s in sides):
                break
            now = time.monotonic()
            self._watch(now)
            if now > self.wall + 5.0:  # nothing reaps: give up on both
                for side in sides:
                    side.kill()
            rlist = [fd for s in sides for fd in s.reads
                     if not (s.reads[fd] == "stdout" and len(self._target(s).pending) > RELAY_BUFFER)]
            wlist = [s.stdin for s in sides if s.stdin >= 0 and s.pending]
            try:
                readable, writable, _ = select.select(rlist, wlist, [], TICK_S)
            except InterruptedError:
                continue
            for side in sides:
                if side.stdin in writable:
                    side.flush()
                for fd in list(side.reads):
                    if fd in readable:
                        self._read(side, fd)
        for side in sides:  # drain what is left (stderr, the last answer line)
            for fd in list(side.reads):
                with contextlib.suppress(OSError):
                    while (data := os.read(fd, 65536)) and side.reads.get(fd) == "stderr":
                        side.stderr.add(data)

    def _drain(self, side: Side) -> None:
        """Read what an ended process left in its pipes (all of it is there: it exited)."""
        for fd in list(side.reads):
            if side.reads.get(fd) == "result":
                continue
            for _ in range(4096):  # bounded: a leftover child may still be writing
                if fd not in side.reads or not select.select([fd], [], [], 0)[0]:
                    break
                self._read(side, fd)

    def _target(self, side: Side) -> Side:
        return self.inter if side is self.cand else self.cand

    def _ended(self, side: Side) -> None:
        """The program ended: its leftovers go, the interactor reads EOF. The interactor
        ended: a wrong answer stops the program at once; an accept lets it finish in time."""
        self.last_activity = time.monotonic()
        self._drain(side)  # what it wrote before exiting is relayed before the other side's EOF
        if side is self.cand:
            if self.inter.status is None:
                kill_all_but(self.inter.pid)
            self.inter.closing = True
            self.inter.flush()
            return
        code, sig = self.inter.exit_summary()
        accepted = (code == 0) if self.built.spec["convention"] == "testlib" else (code == 42)
        if accepted and sig is None:
            self.cand.closing = True
            self.cand.flush()
        else:
            self.cand.kill()


def _run_pair(job: dict[str, Any], built: Built, test: dict[str, Any], program: Program) -> dict[str, Any]:
    kill_descendants()
    where = lay_out(built, {"input": test["input"].encode(), "answer": test["expected"].encode()})
    argv = argv_for(job, built, test, where)
    spec = built.spec
    inter_limits = program_limits(job, spec, float(spec.get("timeout_s") or 30.0))
    oom_before = oom_kills()
    inter = Side(spawn({**job, "workdir": where}, launcher(spec, argv), limits=inter_limits,
                       address_space=bool(spec.get("address_space", False)), user=JUDGE))  # fmt: skip
    cand = Side(spawn(job, program.target, address_space=program.address_space))
    pair = Interaction(job, built, cand, inter, program.rss_limit)
    try:
        pair.run()
    finally:
        cand.close()
        inter.close()
        kill_descendants()
    feedback = feedback_text(built, where, inter.stderr.text())
    return {"pair": pair, "where": where, "feedback": feedback, "oom_before": oom_before}


def _decide(pair: Interaction, feedback: str, oom_before: int, markers: tuple[str, ...]) -> tuple[str, str]:
    """The test's verdict from what ended first (module docstring)."""
    cand, inter = pair.cand, pair.inter
    code, sig = inter.exit_summary()
    run = {"reason": "timeout" if pair.inter_timeout else None, "signal": sig, "exit_code": code,
           "limit_message": None}  # fmt: skip
    inter_status, inter_message = judgement(pair.built, run, feedback)
    if sig == signal.SIGKILL and not inter.killed:
        # nothing in the interactor raises SIGKILL and the supervisor did not send it: the
        # program (same user) did, or its memory use made the kernel do it; not the problem
        inter_status = "error"
        inter_message = ("the interactor was killed (SIGKILL) while the program ran: a program must "
                         "not signal other processes")
    failure = _candidate_failure(cand, oom_before, pair.reason, markers, pair.memory)
    if pair.reason is not None and pair.message:  # stopped by a limit: that is its verdict
        failure = (pair.reason, pair.message)
    cand_end = pair.reason_at or min(cand.eof_at or float("inf"), cand.ended_at or float("inf"))
    # the interactor's output closing marks its end: the program then reads EOF and may
    # crash on it before the interactor's exit is even noticed
    inter_end = min(inter.eof_at or float("inf"), inter.ended_at or float("inf"))
    rejected = inter_status in ("failed", "presentation_error", "error")
    if rejected and (failure is None or inter_end <= cand_end):
        return inter_status, inter_message
    if failure is not None:
        return failure
    return inter_status, inter_message  # accepted, rejected, or the interactor's own failure


def run_test(job: dict[str, Any], built: Built, checker: Built | None, test: dict[str, Any],
             program: Program) -> dict[str, Any]:
    """One interactive test; a testlib checker (when the problem has one) then judges the
    interactor's output file, as on Codeforces."""
    start = time.monotonic()
    try:
        ran = _run_pair(job, built, test, program)
    except JudgeProgramError as exc:
        return {"name": test["name"], "status": "judge_error", "message": f"judge error: {exc}",
                "duration_s": 0.0}  # fmt: skip
    pair: Interaction = ran["pair"]
    try:
        status, message = _decide(pair, ran["feedback"], ran["oom_before"], program.memory_markers)
        if status == "passed" and checker is not None:
            output = read_file(ran["where"], "output")
            verdict = check(job, checker, test, output)
            status, message = verdict["status"], verdict["message"]
    finally:
        remove(ran["where"])
    transcript = pair.transcript.tail()
    if status != "passed" and transcript:
        message += f"\nlast exchanges (> program, < interactor):\n{transcript}"
    result = {
        "name": test["name"],
        "status": status,
        "message": message,
        "duration_s": time.monotonic() - start,
        "stdout": transcript,
        "stderr": pair.cand.stderr.text(),
    }
    if status == "error":  # the program crashed: its traceback, as in a plain stdin/stdout test
        from suite_runners import error_type

        result.update(error_type=error_type(result["stderr"]), traceback=trim(result["stderr"], 4000))
    return result
