"""Suite runners inside the sandbox: stdin/stdout programs (any language, built once by the
job's build plan), HumanEval `check` functions and pytest sessions, each test in a forked
child; and the classification of a process that ended without a normal result.

Why here and not on the host: the runner sees the exit status, the signal, the cgroup's
OOM counter and the per-test events as they happen; the host only gets the outcome.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from typing import Any

from child_process import guarded, spawn, stream_caps
from memory_watch import memory_watch
from node_select import NOT_COLLECTED, expand, selects
from proc_control import oom_kills
from supervision import supervise
from trim_text import trim

Progress = Callable[[dict[str, Any]], None]
"""Told of each finished test ({name, status, message, duration_s}) as it finishes."""


def no_progress(_result: dict[str, Any]) -> None:
    return None


def brief(result: dict[str, Any]) -> dict[str, Any]:
    """What a progress line carries: enough for a verdict if the final answer never comes."""
    keys = ("name", "status", "message", "duration_s", "error_type")
    out = {k: result[k] for k in keys if k in result}
    if result.get("status") == "ran":
        out["stdout"] = result.get("stdout", "")  # an io answer: the host judges it
    return out


MEMORY_MARKERS = ("MemoryError",)  # Python's, for suites without a build plan


def crash_status(
    run: dict[str, Any], oom_before: int, markers: tuple[str, ...] | list[str] = MEMORY_MARKERS
) -> tuple[str, str]:
    """Status and message for a process that ended without a normal result; `markers` are
    the language's out-of-memory messages (the build plan's `memory_markers`)."""
    if run["reason"] == "timeout":
        return "timeout", "time limit exceeded"
    if run["reason"] == "output_limit":
        return "output_limit", run.get("limit_message") or "output limit exceeded"
    if run["reason"] == "memory_limit":  # the watcher stopped it past the limit
        return "memory_limit", run.get("limit_message") or "memory limit exceeded"
    if run.get("over_memory"):  # its peak passed the limit, whatever killed it after
        return "memory_limit", run["over_memory"]
    sig = run["signal"]
    tail = run["stderr"][-4000:]
    if oom_kills() > oom_before or any(marker in tail for marker in markers):
        return "memory_limit", "memory limit exceeded"
    if sig == signal.SIGXCPU:
        return "timeout", "CPU time limit exceeded"
    if sig is not None:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        if sig == signal.SIGKILL:
            return "memory_limit" if oom_kills() > oom_before else "error", f"killed by {name}"
        return "error", f"terminated by {name}"
    return "error", f"exited with code {run['exit_code']}"


def tampered(results: list[dict[str, Any]], alarms: list[str]) -> list[dict[str, Any]]:
    """Every result of a process the guard caught becomes `tampered`, saying why (the
    message goes back to the model, so the next round learns what was refused)."""
    if not alarms:
        return results
    why = alarms[0] + (f" (and {len(alarms) - 1} more)" if len(alarms) > 1 else "")
    out = []
    for result in results:
        own = result.get("status")
        message = f"tampered with the test harness: {why}; refused by the sandbox"
        if own and own != "tampered":
            message += f" (the test's own outcome: {own})"
        out.append({**result, "status": "tampered", "error_type": "Tampering",
                    "message": trim(message, 1000)})  # fmt: skip
    return out


def error_type(stderr: str) -> str | None:
    for line in reversed(stderr.strip().splitlines()[-5:]):
        head = line.split(":", 1)[0].strip()
        if head and head.replace(".", "").replace("_", "").isalnum() and head[0].isupper():
            return head.rsplit(".", 1)[-1]
    return None


def exec_target(cmd: list[str], env: dict[str, str]) -> Any:
    """A child target that execs `cmd`; a missing program is said plainly (exit 127)."""

    def target(_emit: Any) -> None:
        os.environ.update(env)
        try:
            os.execvp(cmd[0], cmd)  # noqa: S606  (the job's program, run on purpose in the sandbox)
        except FileNotFoundError:
            os.write(2, f"{cmd[0]}: not found on PATH in the sandbox (is its language's "
                        "package in the sandbox image? `pacore sandbox build`)\n".encode())
            os._exit(127)

    return target


def compile_program(job: dict[str, Any]) -> tuple[bool, str]:
    """Build the candidate once (the build plan's `compile` argv), before any test runs."""
    build = job["build"]
    limits = dict(job["limits"])
    limits["timeout_s"] = max(float(job.get("compile_timeout_s", 60.0)), 1.0)
    limits["file_size_mb"] = max(int(limits["file_size_mb"]), 256)
    limits["open_files"] = max(int(limits["open_files"]), 256)
    cmd = build["compile"]
    target = exec_target(cmd, build.get("env") or {})
    child = spawn(job, target, address_space=False, limits=limits)
    run = supervise(child, timeout_s=limits["timeout_s"], stdout_cap=1 << 20, stderr_cap=1 << 20)
    text = trim(run["stderr"] + run["stdout"], 16000)
    if run["reason"] == "timeout":
        return False, text + "\ncompilation timed out"
    if run["exit_code"] is None or run["exit_code"] != 0:
        if run["exit_code"] is None and not text.strip():
            text = f"the compiler was stopped ({crash_status(run, 0)[1]})"
        return False, text
    return True, text


def run_io(job: dict[str, Any], progress: Progress = no_progress) -> list[dict[str, Any]]:
    """Each test in a fresh process; the output is judged on the host (built-in checkers),
    by the problem's checker here (judge_programs), or the test is played against its
    interactor (interact)."""
    import judge_programs

    limits = job["limits"]
    build = job["build"]
    cmd = build["run"]
    markers = build.get("memory_markers") or MEMORY_MARKERS
    address_space = bool(build.get("address_space", False))
    watch = bool(build.get("rss_limit", True))
    suite = job["suite"]
    built = {}
    for role in ("interactor", "checker"):
        if suite.get(role):
            program, output = judge_programs.build(job, {**suite[role], "role": role})
            if program is None:
                return judge_programs.unbuilt(suite["tests"], role, output)
            built[role] = program
    if "interactor" in built:
        from interact import Program, run_test

        program = Program(target=exec_target(cmd, build.get("env") or {}), address_space=address_space,
                          memory_markers=tuple(markers), rss_limit=watch)  # fmt: skip
        results = []
        for test in suite["tests"]:
            results.append(run_test(job, built["interactor"], built.get("checker"), test, program))
            progress(brief(results[-1]))
        return results
    checker = built.get("checker")
    results = []
    for test in suite["tests"]:
        oom_before = oom_kills()
        argv = [*cmd, *[str(a) for a in test.get("args") or []]]  # a generator's seed
        child = spawn(job, exec_target(argv, build.get("env") or {}), stdin_data=test["input"].encode(),
                      address_space=address_space)  # fmt: skip
        memory = memory_watch(limits) if watch else None
        run = supervise(child, timeout_s=float(limits["timeout_s"]), memory=memory, **stream_caps(limits))
        result: dict[str, Any] = {
            "name": test["name"],
            "duration_s": run["duration_s"],
            "stdout": run["stdout"],
            "stderr": run["stderr"],
        }
        if run["reason"] is None and run["exit_code"] == 0 and not run["over_memory"]:
            if checker is None:
                result["status"] = "ran"  # the host compares the output
            else:
                result.update(judge_programs.check(job, checker, test, run["stdout_bytes"]))
        else:
            status, message = crash_status(run, oom_before, markers)
            result.update(status=status, message=message, error_type=error_type(run["stderr"]))
            if status == "error":
                result["traceback"] = trim(run["stderr"], 4000)
        results.append(result)
        progress(brief(result))
    return results


def run_check(job: dict[str, Any], progress: Progress = no_progress) -> list[dict[str, Any]]:
    import run_check as harness

    limits = job["limits"]
    suite = job["suite"]
    name = suite["entry_point"]
    oom_before = oom_kills()
    child = spawn(job, lambda emit: harness.main(emit, suite["test_code"], name, guarded(job)),
                  guard=guarded(job))
    run = supervise(child, timeout_s=float(limits["timeout_s"]), **stream_caps(limits))
    return tampered(_check_results(run, name, oom_before), run["alarms"])


def _check_results(run: dict[str, Any], name: str, oom_before: int) -> list[dict[str, Any]]:
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
    status, message = crash_status(run, oom_before)
    if run["reason"] is None and status == "error":
        seen = ",".join(str(e.get("event")) for e in run["events"]) or "none"
        message = f"no result reported ({message}; events: {seen}): the program ended before the tests ran"
    return [{**base, "status": status, "message": message, "error_type": None}]


def _missing(nodeid: str, collected: set[str] | None, collect_errors: list[dict[str, Any]],
             stderr: str) -> str:
    """Why a named test has no result: its file failed to import (the error), pytest stopped
    before collecting, the session ended before the test ran, or pytest collects no such test.
    `collected` is None when no collection finished."""
    if collected is not None and nodeid in collected:
        return "no result reported for this test: the test session ended before it ran"
    mine = [str(e.get("message", "")) for e in collect_errors
            if not e.get("nodeid") or selects(str(e.get("nodeid")), nodeid)]
    if mine:
        return "not collected: " + "; ".join(mine)
    if collected is None:  # pytest stopped before collecting (a broken config file, ...)
        last = [line.strip() for line in stderr.strip().splitlines() if line.strip()][-1:]
        return "no result reported for this test: pytest stopped before collecting any test" + (
            f" ({trim(last[0], 500)})" if last else "")
    return NOT_COLLECTED


def run_pytest(job: dict[str, Any], progress: Progress = no_progress) -> list[dict[str, Any]]:  # noqa: C901  (sandbox runner, grandfathered: pytest's run and its report's reading)
    """One pytest session normally; after a kill, a new session for the tests not yet run."""
    import run_pytest as harness

    with contextlib.suppress(Exception):  # warm, once per container: later forks skip it
        import pytest  # noqa: F401

    limits = job["limits"]
    timeout = float(limits["timeout_s"])
    suite = job["suite"]
    expected: list[str] | None = list(suite["node_ids"]) if suite.get("node_ids") else None
    wanted: list[str] | None = expected
    files = sorted({n.split("::", 1)[0] for n in expected}) if expected else []
    targets: list[str] = files or list(suite.get("targets") or [])
    candidates = tuple(suite.get("candidates") or ("solution",))
    guard = guarded(job)
    done: dict[str, dict[str, Any]] = {}
    collect_errors: list[dict[str, Any]] = []
    alarms: list[str] = []
    collected: set[str] | None = None  # None until a collection finished
    expanded = False
    for _attempt in range(64):
        oom_before = oom_kills()
        state: dict[str, Any] = {"current": None, "start": time.monotonic()}

        def on_event(event: dict[str, Any], state: dict[str, Any] = state) -> float | None:
            if event.get("event") == "start":
                state["current"] = event["nodeid"]
                state["start"] = time.monotonic()
                return timeout
            if event.get("event") == "report":
                state["current"] = None
                progress(brief({**event, "name": event.get("nodeid")}))
                return timeout + 5.0
            return None

        child = spawn(job, lambda emit, t=targets, w=wanted: harness.main(emit, t, w, guard, candidates),
                      guard=guard)  # fmt: skip
        # collection gets a generous budget; each test start resets it to the per-test limit
        run = supervise(child, timeout_s=timeout + 10.0, on_event=on_event, **stream_caps(limits))
        alarms += run["alarms"]
        stdout = run["stdout"]
        raw: bytes = run["stdout_bytes"]
        starts: dict[str, int] = {}
        for event in run["events"]:
            kind = event.get("event")
            if kind == "collected":
                collected = (collected or set()) | set(event["nodeids"])
                if expected is None:
                    expected = list(event["nodeids"])
                elif not expanded:  # `test_x` names `test_x[1-2]`, `test_x[3-4]`, ...
                    expected, expanded = expand(expected, event["nodeids"]), True
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
            status, message = crash_status(run, oom_before)
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
            progress(brief(done[current]))
        if expected is None:
            status, message = crash_status(run, oom_before)
            detail = "; ".join(str(e.get("message", "")) for e in collect_errors)
            return tampered([
                {
                    "name": "collection",
                    "status": status if status != "error" else "error",
                    "message": f"no tests were collected ({message}) {detail}".strip(),
                    "stdout": stdout,
                    "stderr": run["stderr"],
                    "duration_s": run["duration_s"],
                }
            ], alarms)  # fmt: skip
        remaining = [n for n in expected if n not in done]
        if not remaining or (run["reason"] is None and current is None):
            break
        wanted = remaining
    results = []
    detail = "; ".join(str(e.get("message", "")) for e in collect_errors)
    for nodeid in expected or []:
        results.append(done.get(nodeid) or {"name": nodeid, "status": "error",
                                            "message": _missing(nodeid, collected, collect_errors,
                                                                run["stderr"])})
    if not results:
        results.append(
            {
                "name": "collection",
                "status": "error",
                "message": f"no tests were collected {detail}".strip(),
            }
        )
    return tampered(results, alarms)
