"""Data mode: call the candidate on each test's arguments and report what it returned, as plain
data (answers.py). The expected values never enter the sandbox: the host compares.

Why: whatever a candidate does inside its own process (patch the harness, find the result
channel, return an object equal to anything) it can only change what *it* answered, and
the answer is judged by a process it cannot reach. One process runs every call (one fork,
like the probe runner); a call that hangs or crashes ends its process and, unless the calls
are one test (`group`: a HumanEval `check`, which stops at its first failure), a fresh
process goes on with the calls not yet made.
"""

from __future__ import annotations

import builtins
import json
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from answers import NotPlain, decode, encode
from child_process import guarded, spawn, stream_caps
from proc_control import oom_kills
from run_pytest import _CountingStream  # loaded in the supervisor: a fork compiling it cost ~4 ms
from supervision import supervise
from trim_text import trim

Progress = Callable[[dict[str, Any]], None]
# taken when the supervisor imports this module, long before any candidate code runs
_CLEAN_BUILTINS = dict(vars(builtins))
TRANSFORMS: dict[str, Callable[[Any], Any]] = {
    "tuple": tuple, "list": list, "set": set, "frozenset": frozenset, "sorted": sorted,
}  # fmt: skip


def _owner_call(module: Any, suite: dict[str, Any]) -> Callable[[], Callable[..., Any]]:
    """What to call for each input: a fresh `Owner().method` when the module defines the
    owner class (LiveCodeBench's `Solution`), the module's function otherwise; a dotted
    `Class.method` entry point calls the method on a fresh instance."""
    owner, entry = suite.get("owner"), suite["entry_point"]
    if owner and hasattr(module, owner):
        cls = getattr(module, owner)
        return lambda: getattr(cls(), entry)
    *path, name = entry.split(".")
    if path:
        target = module
        for part in path:
            target = getattr(target, part)
        return lambda: getattr(target(), name)
    function = getattr(module, name)
    return lambda: function


def _import(suite: dict[str, Any]) -> Any:
    import importlib

    if not suite.get("typing_names"):
        return importlib.import_module(suite.get("module") or "solution")
    import builtins
    import typing

    added = {n: getattr(typing, n) for n in typing.__all__ if not hasattr(builtins, n)}
    builtins.__dict__.update(added)  # LiveCodeBench starter code uses List without importing it
    try:
        module = importlib.import_module(suite.get("module") or "solution")
    finally:
        for n in added:
            builtins.__dict__.pop(n, None)
    for n, v in added.items():
        module.__dict__.setdefault(n, v)
    return module


def _restore(clean: dict[str, Any] = _CLEAN_BUILTINS, namespace: dict[str, Any] = builtins.__dict__) -> None:
    """The builtins as they were before the candidate (it may have replaced `BaseException`)."""
    namespace.clear()
    namespace.update(clean)


def _status(exc: BaseException) -> str:
    """pytest.skip() inside the function skips, as under pytest; never a pass."""
    names = [k.__name__ for k in type(exc).__mro__]
    return "skipped" if names[0] == "Skipped" and "OutcomeException" in names else "error"


def harness(
    emit: Callable[[dict[str, Any]], None], suite: dict[str, Any], calls: list[dict[str, Any]]
) -> None:
    """In the child: import the candidate once, then one report per call, in order; each
    report says where in stdout its call's output ends (`out_pos`)."""
    sys.path[:0] = [".", "src"]
    sys.dont_write_bytecode = True
    out = _CountingStream(sys.stdout)
    sys.stdout = out
    try:
        module = _import(suite)  # the candidate's module-level code runs here
        _restore()
        resolve = _owner_call(module, suite)
    except BaseException as exc:  # SystemExit too: a module that exits has no function
        _restore()
        emit({"event": "import_error", "error_type": type(exc).__name__,
              "message": trim(f"{type(exc).__name__}: {exc}", 1000),
              "traceback": trim("".join(traceback.format_exception(exc)), 4000)})  # fmt: skip
        return
    stop_on_error = bool(suite.get("group"))
    for index, call in enumerate(calls):
        sys.stdout.flush()
        if not stop_on_error or index == 0:  # a group is one test: one start, one time limit
            emit({"event": "start", "name": call["name"], "out_pos": out.count})
        start = time.monotonic()
        report: dict[str, Any]
        try:
            args = decode(json.loads(call["args"]))
            kwargs = decode(json.loads(call["kwargs"])) if call.get("kwargs") else {}
            answer = resolve()(*args, **kwargs)
            if call.get("transform"):
                answer = TRANSFORMS[call["transform"]](answer)
            _restore()
            try:
                report = {"status": "ran", "value": encode(answer)}
            except NotPlain as np:
                report = {"status": "ran", "not_plain": str(np)}
        except MemoryError:
            _restore()
            report = {"status": "memory_limit", "error_type": "MemoryError", "message": "MemoryError"}
        except BaseException as exc:  # SystemExit in a call is an error, never a pass
            _restore()
            name = type(exc).__name__
            report = {"status": _status(exc), "error_type": name, "message": trim(f"{name}: {exc}", 1000),
                      "traceback": trim("".join(traceback.format_exception(exc)), 4000)}  # fmt: skip
        sys.stdout.flush()
        report.update(
            event="report", name=call["name"], duration_s=time.monotonic() - start, out_pos=out.count
        )
        emit(report)
        if stop_on_error and report["status"] != "ran":
            return


def run_calls(job: dict[str, Any], progress: Progress | None = None) -> list[dict[str, Any]]:  # noqa: C901  (sandbox runner, grandfathered: one call test's run and comparison)
    """Every call in as few processes as possible. Grouped calls share one time limit (as
    one `check` did); otherwise each call has the per-test limit. Results in call order,
    only for the calls that produced one (the host reports the rest)."""
    from suite_runners import brief, crash_status, tampered

    suite = job["suite"]
    limits = job["limits"]
    timeout = float(limits["timeout_s"])
    grouped = bool(suite.get("group"))
    pending = list(suite["calls"])
    results: dict[str, dict[str, Any]] = {}
    alarms: list[str] = []
    while pending:
        state: dict[str, Any] = {"current": None, "start": time.monotonic()}

        def on_event(event: dict[str, Any], state: dict[str, Any] = state) -> float | None:
            if event.get("event") == "start":
                state["current"], state["start"] = event["name"], time.monotonic()
                return None if grouped else timeout
            if event.get("event") == "report":
                state["current"] = None
            return None

        oom_before = oom_kills()
        child = spawn(job, lambda emit, c=pending: harness(emit, suite, c), guard=guarded(job))
        run = supervise(child, timeout_s=timeout + (0.0 if grouped else 5.0), on_event=on_event,
                        lazy_results=grouped, **stream_caps(limits))  # fmt: skip
        alarms += run["alarms"]
        raw: bytes = run["stdout_bytes"]
        begin = 0
        for event in run["events"]:
            kind = event.get("event")
            if kind == "import_error":
                failed = {k: event.get(k) for k in ("error_type", "message", "traceback")}
                message = f"the module failed to import: {failed.get('message') or ''}"
                out = [{"name": c["name"], "status": "error", **failed, "message": message,
                        "stdout": raw.decode("utf-8", "replace"), "stderr": run["stderr"]}
                       for c in pending[:1 if grouped else None]]  # fmt: skip
                return tampered([*results.values(), *out], alarms)
            if kind == "start":
                begin = int(event.get("out_pos", event["stdout_offset"]))
            elif kind == "report":
                keep = ("status", "value", "not_plain", "error_type", "message", "traceback", "duration_s")
                result = {"name": event["name"], **{k: event[k] for k in keep if k in event}}
                end = int(event.get("out_pos", event["stdout_offset"]))
                result["stdout"] = raw[begin:end].decode("utf-8", "replace")
                begin = end
                results[event["name"]] = result
                # one line per call to the host only for ungrouped calls (each its own test): a
                # group is one test, and a line per call cost more than the calls themselves
                if progress is not None and not grouped:  # with the answer: a cut-short run is judged
                    progress(
                        {**brief(result), **{k: result[k] for k in ("value", "not_plain") if k in result}}
                    )
        current = state["current"]
        if grouped and run["reason"] is not None:  # the group's one limit: the call it was in
            current = next((c["name"] for c in pending if c["name"] not in results), None)
        if current is not None and current not in results:
            status, message = crash_status(run, oom_before)
            results[current] = {"name": current, "status": status, "message": message,
                                "duration_s": time.monotonic() - state["start"], "stderr": run["stderr"],
                                "stdout": raw[begin:].decode("utf-8", "replace")}  # fmt: skip
        remaining = [c for c in pending if c["name"] not in results]
        stopped = any(r.get("status") != "ran" for r in results.values())
        if grouped and (stopped or run["reason"] is not None):
            break  # one test: it failed at its first error
        if len(remaining) == len(pending):  # the process died before any call
            status, message = crash_status(run, oom_before)
            for c in remaining[: 1 if grouped else None]:
                results[c["name"]] = {"name": c["name"], "status": status, "message": message,
                                      "stderr": run["stderr"]}  # fmt: skip
            break
        pending = remaining
    order = [c["name"] for c in suite["calls"]]
    out = [results[n] for n in order if n in results]
    if alarms and not out:  # caught before any call answered: the first call carries it
        out = [{"name": order[0], "status": "error", "message": "no result"}] if order else []
    return tampered(out, alarms)
