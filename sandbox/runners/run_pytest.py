"""pytest harness: an in-process session whose plugin streams per-test results.

Why a plugin and not pytest's output: the candidate controls stdout (it can print
"5 passed"), so outcomes come from `call.excinfo` in a report hook and travel on the
private result channel. The outcome machinery and the builtins are snapshotted before
the candidate is imported; tampering with them turns the affected tests into errors.
Skipped and xfailed tests are reported as skipped, never as passed.
"""

from __future__ import annotations

import builtins
import functools
import sys
import time
import types
from collections.abc import Callable
from typing import Any

from answers import raise_alarm, watch_tests
from node_select import selected
from trim_text import trim

WATCHED_PACKAGES = ("pytest", "_pytest", "pluggy", "run_pytest", "trim_text", "guard")


def _snapshot() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """The functions and classes of pytest's and the harness's modules, by identity: a
    candidate replacing one (`_pytest.runner.call_runtest_hook = ...`) is seen at the next
    report. Values that were None or data are not compared: pytest sets some per test."""
    out = []
    for name, module in list(sys.modules.items()):
        if name.split(".", 1)[0] not in WATCHED_PACKAGES:
            continue
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            kept = {k: v for k, v in namespace.items() if isinstance(v, types.FunctionType | type)}
            out.append((name, namespace, kept))
    return out


def _replaced(snapshot: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> list[str]:
    return [f"{name}.{key}" for name, namespace, kept in snapshot
            for key, value in kept.items() if namespace.get(key) is not value]  # fmt: skip


class _CountingStream:
    """sys.stdout wrapper counting the bytes written, so each test's output can be cut
    out of the shared stdout stream by offsets (writes straight to fd 1 are not seen)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.count = 0

    def write(self, text: str) -> int:
        self.count += len(text.encode("utf-8", "replace"))
        return int(self._inner.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _outcome(excinfo: Any, skip_exc: type, fail_exc: type) -> tuple[str, dict[str, Any]]:
    if excinfo is None:
        return "passed", {}
    exc = excinfo.value
    name = type(exc).__name__
    if isinstance(exc, skip_exc):
        return "skipped", {"message": trim(str(exc), 500)}
    if isinstance(exc, AssertionError | fail_exc):
        return "failed", {"error_type": name, "message": trim(str(exc) or name, 2000)}
    if isinstance(exc, MemoryError):
        return "memory_limit", {"error_type": name, "message": "MemoryError"}
    return "error", {"error_type": name, "message": trim(f"{name}: {exc}", 1000)}


def main(  # noqa: C901  (sandbox runner, grandfathered: pytest's start-up in the order it must run)
    emit: Callable[[dict[str, Any]], None], targets: list[str], wanted: list[str] | None = None,
    guarded: bool = False, candidates: tuple[str, ...] = ("solution",),
) -> None:
    """Run pytest on `targets` (files or dirs); with `wanted`, only those node ids run.

    Selection happens after collection (not by passing node ids to pytest) so one
    unknown node id is reported as missing instead of aborting the whole session.
    `guarded` (the guard is armed): the test function is called by this harness, which
    records that it returned (a pass needs it), and pytest's and the harness's functions are
    compared with a snapshot at every report; either failing raises the alarm (`tampered`).
    The `candidates` modules' functions the tests imported are watched (answers.watched).
    """
    import _pytest.python
    import _pytest.runner
    import pytest
    from _pytest.outcomes import Skipped, XFailed

    sys.path.insert(0, ".")
    sys.dont_write_bytecode = True
    out = _CountingStream(sys.stdout)
    sys.stdout = out
    clean_builtins = dict(vars(builtins))
    guarded_attrs = {
        "Function.runtest": (_pytest.python.Function, "runtest"),
        "pytest_pyfunc_call": (_pytest.python, "pytest_pyfunc_call"),
        "CallInfo.from_call": (_pytest.runner.CallInfo, "from_call"),
        "call_and_report": (_pytest.runner, "call_and_report"),
        "runtestprotocol": (_pytest.runner, "runtestprotocol"),
    }
    originals = {key: vars(owner).get(attr) for key, (owner, attr) in guarded_attrs.items()}
    skip_exc: type = Skipped
    fail_exc: type = pytest.fail.Exception

    def tampered() -> list[str]:
        return [k for k, (o, a) in guarded_attrs.items() if vars(o).get(a) is not originals[k]]

    snapshot = _snapshot() if guarded else []
    replaced_since = functools.partial(_replaced, snapshot)  # bound now: `_replaced` may be patched later
    returned: dict[str, bool] = {}  # node id -> the test function returned inside the harness
    alarm, watch = raise_alarm, watch_tests
    async_skip = getattr(_pytest.python, "async_warn_and_skip", None)

    class Collector:
        def __init__(self) -> None:
            self.status: dict[str, tuple[str, dict[str, Any]]] = {}
            self.start: dict[str, float] = {}

        @pytest.hookimpl(trylast=True)
        def pytest_configure(self, config: Any) -> None:
            # the progress report would mix with the candidate's stdout: silence it
            reporter = config.pluginmanager.getplugin("terminalreporter")
            if reporter is not None:
                config.pluginmanager.unregister(reporter)

        def pytest_collectreport(self, report: Any) -> None:
            if report.failed or report.skipped:
                emit(
                    {
                        "event": "collect_error",
                        "nodeid": report.nodeid,
                        "message": trim(str(report.longrepr), 2000),
                    }
                )

        def pytest_collection_modifyitems(self, session: Any, config: Any, items: Any) -> None:
            if wanted is not None:  # parametrized instances and class members too
                keep = set(wanted)
                items[:] = [item for item in items
                            if item.nodeid in keep or selected(wanted, item.nodeid)]

        def pytest_collection_finish(self, session: Any) -> None:
            if guarded:
                namespaces = {id(m.__dict__): m.__dict__ for item in session.items
                              if (m := getattr(item, "module", None)) is not None}  # fmt: skip
                watch(list(namespaces.values()), list(candidates), alarm)
            emit({"event": "collected", "nodeids": [item.nodeid for item in session.items]})

        def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
            self.start[nodeid] = time.monotonic()
            sys.stdout.flush()
            emit({"event": "start", "nodeid": nodeid, "out_pos": out.count})

        @pytest.hookimpl(tryfirst=True)
        def pytest_pyfunc_call(self, pyfuncitem: Any) -> Any:
            """The test function, called here (as pytest would) so that a pass is known to
            be a call that returned, whatever the candidate did to pytest's machinery."""
            if not guarded:
                return None
            function = pyfuncitem.obj
            funcargs = pyfuncitem.funcargs
            testargs = {arg: funcargs[arg] for arg in pyfuncitem._fixtureinfo.argnames}
            result = function(**testargs)
            if (hasattr(result, "__await__") or hasattr(result, "__aiter__")) and async_skip is not None:
                async_skip(pyfuncitem.nodeid)
            returned[pyfuncitem.nodeid] = True
            return True

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_setup(self, item: Any) -> None:
            builtins.__dict__.clear()
            builtins.__dict__.update(clean_builtins)

        @pytest.hookimpl(hookwrapper=True)  # old style: Debian's pluggy predates wrapper=True
        def pytest_runtest_makereport(self, item: Any, call: Any) -> Any:
            outcome = yield
            report = outcome.get_result()
            status, info = _outcome(call.excinfo, skip_exc, fail_exc)
            if call.excinfo is not None and isinstance(call.excinfo.value, XFailed):
                status, info = "skipped", {"message": "xfail"}
            broken = tampered()
            if guarded and call.when == "call":
                replaced = replaced_since()
                if replaced:
                    alarm("pytest or the harness was patched: " + ", ".join(replaced[:5]))
                    broken += replaced
                if status == "passed" and not returned.get(item.nodeid):
                    alarm(f"{item.nodeid} was reported passed but its test function never returned "
                          "inside the harness")  # fmt: skip
                    status, info = "error", {"error_type": "Tampering", "message": "no call of the test"}
            if broken:
                status = "error"
                info = {
                    "error_type": "Tampering",
                    "message": "test harness modified: " + ", ".join(broken),
                }
            previous = self.status.get(item.nodeid)
            if status != "passed" and (previous is None or previous[0] == "passed"):
                if status in ("failed", "error"):
                    info["traceback"] = trim(report.longreprtext or "", 4000)
                if call.when != "call" and status == "failed":
                    status = "error"
                self.status[item.nodeid] = (status, info)
            elif previous is None:
                self.status[item.nodeid] = (status, info)
            if call.when == "call" and status == "passed" and previous is None:
                self.status[item.nodeid] = (status, info)

        def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
            sys.stdout.flush()
            status, info = self.status.get(nodeid, ("error", {"message": "no outcome recorded"}))
            emit(
                {
                    "event": "report",
                    "nodeid": nodeid,
                    "out_pos": out.count,
                    "status": status,
                    "duration_s": time.monotonic() - self.start.get(nodeid, time.monotonic()),
                    **info,
                }
            )

    args = [
        "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:randomly",
        "-s", "-q", "--rootdir", ".", "-o", "addopts=", "--continue-on-collection-errors",
        *targets,
    ]  # fmt: skip
    pytest.main(args, plugins=[Collector()])
