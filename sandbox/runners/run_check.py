"""HumanEval harness: import `solution`, call the tests' `check(candidate)`, report once.

Why in-process: the test process is forked from the warm supervisor, so importing the
candidate costs nothing extra. The tests get a private copy of the original builtins, so
a candidate patching `builtins.abs` or `print` cannot make an assertion pass, and a
candidate that exits (os._exit, sys.exit) before `check` returns reports nothing, which
the supervisor turns into an error.
"""

from __future__ import annotations

import _signal
import ast
import builtins
import sys
import time
import traceback
from collections.abc import Callable
from types import CodeType, FrameType, TracebackType
from typing import Any

from answers import raise_alarm, watched
from trim_text import trim

TESTS_FILE = "<tests>"
# taken when the supervisor imports this module, long before any candidate code runs
_CLEAN_BUILTINS = dict(vars(builtins))


def _failing_frame(tb: TracebackType | None) -> tuple[FrameType | None, int]:
    frame, line = None, 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == TESTS_FILE:
            frame, line = tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next
    return frame, line


def _assert_details(
    test_code: str, frame: FrameType | None, lineno: int
) -> tuple[str | None, str | None, str | None]:
    """(assert source, expected, actual); expected/actual for `assert a == b` forms."""
    if frame is None:
        return None, None, None
    try:
        tree = ast.parse(test_code)
    except SyntaxError:
        return None, None, None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        end = node.end_lineno or node.lineno
        if not node.lineno <= lineno <= end:
            continue
        text = ast.get_source_segment(test_code, node)
        test = node.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq | ast.Is):
            env = dict(frame.f_globals)
            env.update(frame.f_locals)
            try:  # the test's own operands, re-evaluated in its frame to show them (sandboxed)
                left = eval(compile(ast.Expression(test.left), TESTS_FILE, "eval"), env)  # noqa: S307
                right = eval(compile(ast.Expression(test.comparators[0]), TESTS_FILE, "eval"), env)  # noqa: S307
            except BaseException:
                return text, None, None
            return text, trim(repr(right), 1000), trim(repr(left), 1000)
        return text, None, None
    return None, None, None


def _names(code: CodeType) -> set[str]:
    """Every name the compiled tests look up, nested functions included. A code walk, not
    an `ast.parse`: parsing again cost as much as the rest of the harness."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _names(const)
    return names


def _shared_names(used: set[str], module: dict[str, Any], clean_builtins: dict[str, Any]) -> dict[str, Any]:
    """Names the tests use from the solution (HumanEval tests call helpers such as
    `encode_cyclic` defined next to the entry point); never a builtin's name, so the
    candidate cannot shadow `abs` or `isinstance` for the tests."""
    return {n: module[n] for n in used if n in module and n not in clean_builtins}


def _restore_builtins(clean: dict[str, Any]) -> None:
    namespace = builtins.__dict__
    namespace.clear()
    namespace.update(clean)




def _calm_signals(
    numbers: tuple[int, ...] = tuple(sorted(_signal.valid_signals())), getsignal: Any = _signal.getsignal,
    setsignal: Any = _signal.signal, keep: Any = _signal.default_int_handler, default: int = _signal.SIG_DFL,
    is_callable: Any = callable,
) -> None:
    """Handlers the program installed are removed before the harness reports: a handler is
    given the interrupted frame, which would lead to the harness's. The C functions, bound
    at import (`signal`'s enum wrappers cost ~0.3 ms per test, and the program could patch
    them)."""
    for number in numbers:
        try:
            handler = getsignal(number)
        except (ValueError, OSError):
            continue
        if is_callable(handler) and handler is not keep:
            try:
                setsignal(number, default)
            except (ValueError, OSError):
                continue


def _run(
    test_code: str, entry_point: str, clean: dict[str, Any], guarded: bool = False,
    watch: Callable[..., Any] = watched, alarm: Callable[[str], None] = raise_alarm,
) -> BaseException | None:
    """Import the candidate and run check(); the raised exception, or None on success.
    `watch` and `alarm` are bound when this module is imported, before any candidate."""
    try:
        code = compile(test_code, TESTS_FILE, "exec")
        used = _names(code)
        import solution  # the candidate's module-level code runs here

        _restore_builtins(clean)
        candidate = getattr(solution, entry_point)
        if guarded:
            candidate = watch(candidate, alarm)
        namespace: dict[str, Any] = {"__builtins__": dict(clean), "__name__": "__tests__"}
        namespace.update(_shared_names(used, vars(solution), clean))
        exec(code, namespace)  # noqa: S102  (the tests, run on purpose inside the sandbox)
        namespace["check"](candidate)
    except _BaseException as exc:  # SystemExit too: exiting is not passing
        return exc
    return None


_BaseException = BaseException


def main(
    emit: Callable[[dict[str, Any]], None], test_code: str, entry_point: str, guarded: bool = False
) -> None:
    """`guarded`: the guard (guard.py) is armed, `emit` is its emitter; results of the
    candidate's function are watched for objects with comparisons of their own."""
    clean = _CLEAN_BUILTINS
    sys.path.insert(0, ".")
    sys.dont_write_bytecode = True
    start = time.monotonic()
    emit({"event": "start", "nodeid": entry_point})
    exc = _run(test_code, entry_point, clean, guarded)
    _restore_builtins(clean)  # undo any patching before classifying the outcome
    if guarded:
        _calm_signals()
    report: dict[str, Any]
    if exc is None:
        report = {"status": "passed"}
    elif isinstance(exc, AssertionError):
        frame, lineno = _failing_frame(exc.__traceback__)
        source, expected, actual = _assert_details(test_code, frame, lineno)
        message = f"assertion failed: {source}" if source else "assertion failed"
        if str(exc):
            message += f" ({trim(str(exc), 500)})"
        report = {
            "status": "failed",
            "message": message,
            "expected": expected,
            "actual": actual,
            "error_type": "AssertionError",
            "traceback": trim("".join(traceback.format_exception(exc))),
        }
    elif isinstance(exc, MemoryError):
        report = {"status": "memory_limit", "error_type": "MemoryError", "message": "MemoryError"}
    else:
        report = {
            "status": "error",
            "error_type": type(exc).__name__,
            "message": trim(f"{type(exc).__name__}: {exc}", 1000),
            "traceback": trim("".join(traceback.format_exception(exc))),
        }
    report.update(event="report", nodeid=entry_point, duration_s=time.monotonic() - start)
    emit(report)
