"""Probe runner: call a candidate on generated inputs and report what it did, not whether
it was right (there is no expected output; the host compares candidates with each other).

Why one process for all calls of a function: importing the candidate once and calling it
N times costs one fork, so agreement adds one sandbox run per candidate, not one per input.
A call that hangs is killed by the supervisor's per-call deadline and a fresh process
carries on with the calls not yet made. What a call returned travels as plain data
(answers.answer_of): the host renders it canonically (sets and dicts sorted, floats to 9
significant digits) and digests it (sandbox.call_suites.probe_answer), so no comparison and
no rendering of a plain answer runs in the candidate's process; an object that is not plain
data is only its text.
"""

from __future__ import annotations

import ast
import copy
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from answers import answer_of
from child_process import guarded, spawn, stream_caps
from proc_control import oom_kills
from supervision import supervise
from trim_text import trim

Progress = Callable[[dict[str, Any]], None]


def harness(emit: Any, entry_point: str, calls: list[dict[str, str]], module: str = "solution") -> None:
    """In the child: import the candidate once, then one report per call, in order.
    `module` is `solution`, or in a project the stub's own module (its imports resolve).
    `entry_point` may be `Class.method`: see `_target`."""
    sys.path[:0] = [".", "src"]  # the project root, and a src layout's package folder
    sys.dont_write_bytecode = True
    try:
        import importlib

        solution = importlib.import_module(module)  # the candidate's module-level code runs here
        owner, function = _target(solution, entry_point)
    except BaseException as exc:  # SystemExit too: a module that exits has no function
        emit({"event": "import_error", "error_type": type(exc).__name__, "message": trim(str(exc), 500)})
        return
    if owner is not None and (why := _needs_arguments(owner)) is not None:
        for call in calls:  # every candidate fails alike: the host drops these inputs
            emit({"event": "report", "name": call["name"], "status": "error",
                  "error_type": "ConstructorNeedsArguments", "message": why, "duration_s": 0.0})  # fmt: skip
        return
    for call in calls:
        args = ast.literal_eval(call["args"])  # validated on the host: a tuple of literals
        emit({"event": "start", "name": call["name"]})
        start = time.monotonic()
        report: dict[str, Any]
        try:
            instance = owner() if owner is not None else None  # a fresh instance per call
            called = copy.deepcopy(args)
            out = (function if instance is None else getattr(instance, function))(*called)
            report = {"status": "passed", "answer": answer_of(out)}
            if out is None:  # in-place functions: what they did to their arguments counts
                report["after"] = answer_of(called)
                if instance is not None:  # and a method's: what it did to its instance
                    report["instance"] = answer_of(getattr(instance, "__dict__", None))
        except RecursionError:
            report = {"status": "error", "error_type": "RecursionError", "message": "RecursionError"}
        except MemoryError:
            report = {"status": "memory_limit", "error_type": "MemoryError", "message": "MemoryError"}
        except BaseException as exc:
            name = type(exc).__name__
            report = {"status": "error", "error_type": name, "message": trim(f"{name}: {exc}", 300)}
        report.update(event="report", name=call["name"], duration_s=time.monotonic() - start)
        emit(report)


def _target(solution: Any, entry_point: str) -> tuple[Any, Any]:
    """(class to instantiate per call or None, what to call): a function; for `Class.method`
    a static or class method is called on the class, a plain method (name) on a fresh
    `Class()` each call, so no call sees what an earlier one did to the instance."""
    *path, name = entry_point.split(".")
    owner = solution
    for part in path:
        owner = getattr(owner, part)
    if not path:
        return None, getattr(solution, name)
    import inspect

    if isinstance(inspect.getattr_static(owner, name), staticmethod | classmethod):
        return None, getattr(owner, name)
    getattr(owner, name)  # an AttributeError here is the candidate's: the method is missing
    return owner, name


def _needs_arguments(cls: Any) -> str | None:
    """Why `cls()` cannot be called without arguments, or None (also when unknown)."""
    import inspect

    try:
        inspect.signature(cls).bind()
    except TypeError as exc:
        name = cls.__name__
        return trim(f"{name}() needs arguments; each input calls the method on a fresh {name}(): {exc}", 300)
    except ValueError:  # no signature to read (a builtin base): constructing will tell
        return None
    return None


def _silent(_result: dict[str, Any]) -> None:
    return None


def run_function(job: dict[str, Any], progress: Progress = _silent) -> list[dict[str, Any]]:  # noqa: C901  (sandbox runner, grandfathered: one probe's run)
    """Every call in as few processes as possible; a hung or crashed call ends its process.
    `progress` hears of each finished call (the host's watchdog moves on with it)."""
    suite = job["suite"]
    limits = job["limits"]
    per_call = float(suite.get("per_call_s") or limits["timeout_s"])
    pending = list(suite["inputs"])
    module = suite.get("module") or "solution"
    max_timeouts = int(suite["max_timeouts"])
    results: dict[str, dict[str, Any]] = {}
    alarms: list[str] = []
    while pending:
        state: dict[str, Any] = {"current": None, "start": time.monotonic()}

        def on_event(event: dict[str, Any], state: dict[str, Any] = state) -> float | None:
            if event.get("event") == "start":
                state["current"] = event["name"]
                state["start"] = time.monotonic()
                return per_call
            if event.get("event") == "report":
                state["current"] = None
            return None

        oom_before = oom_kills()
        child = spawn(job, lambda emit, c=pending: harness(emit, suite["entry_point"], c, module),
                      guard=guarded(job))
        run = supervise(child, timeout_s=per_call + 5.0, on_event=on_event, **stream_caps(limits))
        alarms += run["alarms"]
        for event in run["events"]:
            if event.get("event") == "import_error":
                message = f"the module failed to import: {event.get('message', '')}"
                from suite_runners import tampered

                return tampered([
                    {"name": c["name"], "status": "error", "error_type": event.get("error_type"),
                     "message": message}
                    for c in suite["inputs"]
                ], alarms)  # fmt: skip
            if event.get("event") == "report":
                keep = ("status", "answer", "after", "instance", "message", "error_type", "duration_s")
                results[event["name"]] = {"name": event["name"], **{k: event[k] for k in keep if k in event}}
                progress(_brief(results[event["name"]]))
        current = state["current"]
        if current is not None and current not in results:
            status, message = _crash(run, oom_before)
            results[current] = {
                "name": current, "status": status, "message": message,
                "duration_s": time.monotonic() - state["start"],
            }  # fmt: skip
            progress(_brief(results[current]))
        remaining = [c for c in pending if c["name"] not in results]
        if len(remaining) == len(pending):  # no progress: the process died before any call
            status, message = _crash(run, oom_before)
            for c in remaining:
                results[c["name"]] = {"name": c["name"], "status": status, "message": message}
            break
        pending = remaining
        if pending and _too_slow(results.values(), max_timeouts):
            for c in pending:
                results[c["name"]] = _not_run(c["name"], max_timeouts, progress)
            break
    from suite_runners import tampered

    return tampered([results[c["name"]] for c in suite["inputs"]], alarms)


def _too_slow(results: Iterable[dict[str, Any]], max_timeouts: int) -> bool:
    return sum(r.get("status") == "timeout" for r in results) >= max_timeouts


def _not_run(name: str, max_timeouts: int, progress: Progress) -> dict[str, Any]:
    """A call skipped after the program timed out `max_timeouts` times: a timeout too."""
    result = {"name": name, "status": "timeout", "duration_s": 0.0,
              "message": f"not run: {max_timeouts} calls of this program timed out already"}  # fmt: skip
    progress(_brief(result))
    return result


def _crash(run: dict[str, Any], oom_before: int) -> tuple[str, str]:
    from suite_runners import crash_status

    return crash_status(run, oom_before)


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    """A progress line: with the answer, so a run cut short still compares what it returned."""
    keys = ("name", "status", "message", "duration_s", "answer", "after", "instance")
    return {k: result[k] for k in keys if k in result}


def run_stdin(job: dict[str, Any], progress: Progress = _silent) -> list[dict[str, Any]]:
    """Each input on its own process's stdin; the output itself is the behaviour."""
    from suite_runners import run_io

    suite = job["suite"]
    limits = dict(job["limits"])
    limits["timeout_s"] = float(suite.get("per_call_s") or limits["timeout_s"])
    out: list[dict[str, Any]] = []
    max_timeouts = int(suite["max_timeouts"])
    for call in suite["inputs"]:  # one at a time: a program too slow for some is stopped
        if _too_slow(out, max_timeouts):
            out.append(_not_run(call["name"], max_timeouts, progress))
            continue
        io_job = {**job, "limits": limits, "suite": {"kind": "io", "tests": [call]}}
        for r in run_io(io_job, progress):
            if r.get("status") == "ran":  # whitespace-insensitive, as tests compare; the host digests it
                r.update(status="passed", answer={"text": " ".join(str(r.get("stdout", "")).split())})
            out.append(r)
    return out


def run_probe(job: dict[str, Any], progress: Progress = _silent) -> list[dict[str, Any]]:
    if job["suite"].get("mode") == "io":
        return run_stdin(job, progress)
    return run_function(job, progress)
