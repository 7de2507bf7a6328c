"""pytest harness: an in-process session whose plugin streams per-test results.

Why a plugin and not pytest's output: the candidate controls stdout (it can print
"5 passed"), so outcomes come from `call.excinfo` in a report hook and travel on the
private result channel. The outcome machinery and the builtins are snapshotted before
the candidate is imported; tampering with them turns the affected tests into errors.
Skipped and xfailed tests are reported as skipped, never as passed.
"""

from __future__ import annotations

import builtins
import sys
import time
from typing import Any

from protocol import Emitter
from trim_text import trim


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


def main(emit: Emitter, targets: list[str], wanted: list[str] | None = None) -> None:
    """Run pytest on `targets` (files or dirs); with `wanted`, only those node ids run.

    Selection happens after collection (not by passing node ids to pytest) so one
    unknown node id is reported as missing instead of aborting the whole session.
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
    guarded = {
        "Function.runtest": (_pytest.python.Function, "runtest"),
        "pytest_pyfunc_call": (_pytest.python, "pytest_pyfunc_call"),
        "CallInfo.from_call": (_pytest.runner.CallInfo, "from_call"),
        "call_and_report": (_pytest.runner, "call_and_report"),
        "runtestprotocol": (_pytest.runner, "runtestprotocol"),
    }
    originals = {key: vars(owner).get(attr) for key, (owner, attr) in guarded.items()}
    skip_exc: type = Skipped
    fail_exc: type = pytest.fail.Exception

    def tampered() -> list[str]:
        return [k for k, (o, a) in guarded.items() if vars(o).get(a) is not originals[k]]

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
            if wanted is not None:
                keep = set(wanted)
                items[:] = [item for item in items if item.nodeid in keep]

        def pytest_collection_finish(self, session: Any) -> None:
            emit({"event": "collected", "nodeids": [item.nodeid for item in session.items]})

        def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
            self.start[nodeid] = time.monotonic()
            sys.stdout.flush()
            emit({"event": "start", "nodeid": nodeid, "out_pos": out.count})

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
