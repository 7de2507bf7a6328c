"""The test process's guard: a PEP 578 audit hook installed before any candidate code runs.

Why: a candidate runs in the same interpreter as the harness that reports its results, so
it could reach the reporter (through `gc`, frames, tracebacks, `ctypes`, `/proc/self/mem`)
and report "passed" itself. An audit hook cannot be removed from Python, and it holds the
result token and the channel's writer in its own closure, which no Python object refers to:
  * reports leave only through `emit`, which the hook writes after checking that every frame
    on the stack is harness code (known code objects, taken before the candidate existed),
    so a candidate calling a harness function, or the harness through a patched helper,
    reports nothing;
  * interpreter introspection that leads to the harness (`gc.get_objects`/`get_referrers`/
    `get_referents`, `sys._getframe`, `sys._current_frames`, traceback/generator frames,
    `sys.settrace`/`setprofile`, `ctypes`, `/proc/<pid>/mem`, replacing a function's code,
    building functions from code, patching the harness's or pytest's classes) is refused to
    candidate and test code, and every refusal is written to the alarm channel, which the
    supervisor turns into the verdict `tampered`. The alarm cannot be taken back: the
    channel is a socket the test process can only write to.
Harmless standard-library uses of frames (namedtuple, typing, enum, logging, traceback
printing) are allowed by the identity of the calling code.

Stdlib only, like every runner module.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable
from typing import Any

ALARM_FD = 4
# whose classes a candidate or a test may not patch: the harness and the test framework
GUARDED_PACKAGES = frozenset(
    {"pytest", "_pytest", "pluggy", "guard", "protocol", "run_check", "run_pytest", "run_calls",
     "run_probe", "child_process", "suite_runners", "supervisor", "plain_data"}
)  # fmt: skip

_ALWAYS = {
    "gc.get_objects": "gc.get_objects (a scan of the interpreter's objects)",
    "gc.get_referrers": "gc.get_referrers (a walk of the interpreter's objects)",
    "gc.get_referents": "gc.get_referents (a walk of the interpreter's objects)",
    "sys._current_frames": "sys._current_frames (other threads' frames)",
    "sys._current_exceptions": "sys._current_exceptions (other threads' frames)",
    "function.__new__": "types.FunctionType (a function built from a code object)",
}
_FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame"})
_EMIT = "pacore.emit"
_WATCHED = frozenset(
    {*_ALWAYS, _EMIT, "sys._getframe", "object.__getattr__", "object.__setattr__",
     "object.__delattr__", "sys.settrace", "sys.setprofile", "open", "exec", "os.listdir", "os.scandir",
     "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.addressof",
     "ctypes.cdata", "ctypes.cdata/buffer", "ctypes.create_string_buffer", "ctypes.string_at",
     "ctypes.wstring_at", "ctypes.call_function", "ctypes.PyObj_FromPtr", "ctypes.set_errno",
     "ctypes.get_errno", "ctypes.seh_exception", "ctypes.create_unicode_buffer"}
)  # fmt: skip


class Trust:
    """The code objects of the harness and of every module loaded before the candidate.

    Taken in the supervisor (forks inherit it) once per set of loaded modules, because the
    walk costs tens of milliseconds; a frame whose code is not here is candidate or test code.
    """

    def __init__(self) -> None:
        self.codes: dict[int, types.CodeType] = {}
        self.types: dict[int, type] = {}
        self.guarded: dict[int, str] = {}  # the harness's and pytest's classes: never patched
        self.modules = 0
        self.allowed_frames: frozenset[int] = frozenset()
        self.indirect: dict[int, frozenset[int]] = {}
        # reporter code -> (codes that may call it, codes that may stand between, their callers)
        self.emitters: dict[int, tuple[frozenset[int], frozenset[int], frozenset[int]]] = {}
        self.trace_restorers: frozenset[int] = frozenset()

    def refresh(self) -> None:
        """Walk the loaded modules again if any were added (the consumers are loaded first)."""
        if len(sys.modules) == self.modules:
            return
        import collections  # noqa: F401  # the frame consumers, so their code is known
        import enum  # noqa: F401
        import logging  # noqa: F401
        import traceback  # noqa: F401
        import typing  # noqa: F401

        seen: set[int] = set()
        for name, module in list(sys.modules.items()):
            namespace = getattr(module, "__dict__", None)
            if isinstance(namespace, dict):
                before = set(self.types)
                for value in list(namespace.values()):
                    self._add(value, seen, 0)
                if name.split(".", 1)[0] in GUARDED_PACKAGES:
                    for ident in set(self.types) - before:
                        self.guarded[ident] = self.types[ident].__qualname__
        frame: types.FrameType | None = sys._getframe()
        while frame is not None:  # the supervisor's own stack (its __main__ code included)
            self._code(frame.f_code)
            frame = frame.f_back
        self.allowed_frames = frozenset(_frame_consumers())
        self.indirect = _indirect_consumers()
        self.trace_restorers = frozenset(_trace_restorers())
        self.emitters = self._reporters()
        self.modules = len(sys.modules)

    def _reporters(self) -> dict[int, tuple[frozenset[int], frozenset[int], frozenset[int]]]:
        """Which harness functions report, and from where they are called."""
        import run_calls
        import run_check
        import run_probe
        import run_pytest
        import suite_runners

        def lambdas(function: Any) -> frozenset[int]:
            return frozenset(id(c) for c in _nested(function.__code__) if c.co_name == "<lambda>")

        pytest_machinery = frozenset(
            ident for ident, code in self.codes.items() if _package(code) in ("_pytest", "pytest", "pluggy")
        )
        none: frozenset[int] = frozenset()
        out = {
            id(run_check.main.__code__): (lambdas(suite_runners.run_check), none, none),
            id(run_calls.harness.__code__): (lambdas(run_calls.run_calls), none, none),
            id(run_probe.harness.__code__): (lambdas(run_probe.run_function), none, none),
        }
        session = (
            frozenset({id(run_pytest.main.__code__)}),
            pytest_machinery,
            lambdas(suite_runners.run_pytest),
        )
        for code in _nested(run_pytest.main.__code__):
            if code.co_name.startswith("pytest_"):
                out[id(code)] = session
        return out

    def _code(self, code: types.CodeType) -> None:
        if id(code) in self.codes:
            return
        self.codes[id(code)] = code
        for const in code.co_consts:
            if type(const) is types.CodeType:
                self._code(const)

    def _add(self, value: Any, seen: set[int], depth: int) -> None:
        if depth > 4 or id(value) in seen:
            return
        seen.add(id(value))
        kind = type(value)
        if kind is types.FunctionType:
            self._code(value.__code__)
            wrapped = value.__dict__.get("__wrapped__")
            if wrapped is not None:
                self._add(wrapped, seen, depth + 1)
            # lambdas in defaults (`fn=lambda x: ...`) and functions a closure keeps
            for held in (*(value.__defaults__ or ()), *(value.__kwdefaults__ or {}).values()):
                self._add(held, seen, depth + 1)
            for cell in value.__closure__ or ():
                try:
                    self._add(cell.cell_contents, seen, depth + 1)
                except ValueError:  # an empty cell
                    continue
        elif isinstance(value, type):
            self.types[id(value)] = value
            for member in list(vars(value).values()):
                self._add(member, seen, depth + 1)
        elif kind is staticmethod or kind is classmethod or kind is types.MethodType:
            self._add(value.__func__, seen, depth + 1)
        elif kind is property:
            for accessor in (value.fget, value.fset, value.fdel):
                if accessor is not None:
                    self._add(accessor, seen, depth + 1)


TRUST = Trust()


def _nested(code: types.CodeType) -> list[types.CodeType]:
    out = [code]
    for const in code.co_consts:
        if type(const) is types.CodeType:
            out += _nested(const)
    return out


def _package(code: types.CodeType) -> str:
    """The top-level package a code object's file belongs to (for pytest's machinery)."""
    path = code.co_filename.replace(os.sep, "/")
    for name in ("_pytest", "pytest", "pluggy"):
        if f"/{name}/" in path:
            return name
    return ""


def _frame_consumers() -> list[int]:
    """Standard-library code that takes a frame and keeps it to itself: it may ask."""
    import collections
    import enum
    import traceback
    import typing

    summaries: Any = traceback.StackSummary
    found = [collections.namedtuple, getattr(typing, "_caller", None),
             getattr(enum.EnumType, "_create_", None), summaries._extract_from_extended_frame_gen,
             summaries.extract]  # fmt: skip
    return [id(getattr(f, "__code__", None)) for f in found if f is not None]


def _trace_restorers() -> list[int]:
    """Standard-library code that calls `sys.settrace` only to put back the tracer it found
    (doctest's runner, around every docstring it runs): it installs nothing new."""
    import doctest

    return [id(doctest.DocTestRunner.run.__code__)]


def _indirect_consumers() -> dict[int, frozenset[int]]:
    """Frame producers that hand the frame to their caller: allowed only when that caller
    is a consumer (logging's `currentframe` for `findCaller`, traceback's walkers for its
    summaries)."""
    import logging
    import traceback

    stack: Any = traceback.StackSummary
    summaries = frozenset(id(f.__code__) for f in (stack._extract_from_extended_frame_gen, stack.extract))
    out: dict[int, frozenset[int]] = {
        id(logging.currentframe.__code__): frozenset({id(logging.Logger.findCaller.__code__)}),
        id(traceback.walk_tb.__code__): summaries,
        id(traceback.walk_stack.__code__): summaries,
    }
    walker = getattr(traceback, "_walk_tb_with_full_positions", None)
    if walker is not None:
        out[id(walker.__code__)] = summaries
    return out


def arm(result_fd: int, token: str, *, alarm_fd: int = ALARM_FD) -> None:
    """Install the hook. From here on reports leave only through `emit` from harness frames.

    Everything the hook uses is bound here, before the candidate can patch a module.
    """
    TRUST.refresh()
    codes = TRUST.codes
    guarded_types = TRUST.guarded
    trusted_type_ids = TRUST.types
    consumers = TRUST.allowed_frames
    restorers = TRUST.trace_restorers
    indirect = TRUST.indirect
    emitters = TRUST.emitters
    emit_codes = frozenset({id(emit.__code__)})
    write, getpid, kill, get_ident = os.write, os.getpid, os.kill, _thread_ident()
    getframe, frepr, istr, sstr = sys._getframe, float.__repr__, int.__repr__, str.__str__
    issub, dict_items = issubclass, dict.items
    escape = _json_escape()
    tail = (',"token":' + escape(token) + "}\n").encode()
    busy: set[int] = set()

    def text(value: Any) -> str:
        """Never runs candidate code: only the builtin types' own C methods are called."""
        kind = type(value)
        if kind is str:
            return value
        if issub(kind, str):
            return sstr(value)
        return "<object>"

    def encode(value: Any) -> str:
        kind = type(value)
        if value is None or value is True or value is False:
            return "null" if value is None else ("true" if value else "false")
        if issub(kind, int):
            return istr(value)
        if issub(kind, float):
            out = frepr(value)
            return out if out not in ("nan", "inf", "-inf") else escape(out)
        if kind is dict:
            return "{" + ",".join(escape(text(k)) + ":" + encode(v) for k, v in dict_items(value)) + "}"
        if kind is list or kind is tuple:
            return "[" + ",".join(encode(v) for v in value) + "]"
        return escape(text(value))

    def alarm(reason: str) -> None:
        try:
            write(alarm_fd, (reason.replace("\n", " ") + "\n").encode())
        except OSError:  # the channel was closed: the process does not get to go on
            kill(getpid(), 9)

    def untrusted_frame(frame: Any) -> Any:
        while frame is not None:
            if id(frame.f_code) not in codes:
                return frame
            frame = frame.f_back
        return None

    def where(frame: Any) -> str:
        code = frame.f_code
        return f"{os.path.basename(code.co_filename)}:{frame.f_lineno} in {code.co_name}"

    def refuse(what: str, frame: Any) -> None:
        alarm(f"{what}, from {where(frame)}")
        raise PermissionError(f"refused by the sandbox: {what}")

    def emission_refused(caller: Any) -> str | None:
        """Why a report may not leave from this stack, or None. `caller` is `emit`'s frame;
        the frame that called it must be a harness reporter called from its own runner (so a
        thread, finalizer or callback the candidate set up to call `emit` or a reporter with
        arguments of its choosing reports nothing), and every frame must be harness code."""
        reporter = caller.f_back
        if reporter is None or id(caller.f_code) not in emit_codes:
            return "not the harness's emitter"
        rules = emitters.get(id(reporter.f_code))
        if rules is None:
            return "not called by a harness reporter"
        callers, through, outer = rules
        frame = reporter.f_back
        while frame is not None and through and id(frame.f_code) in through:
            frame = frame.f_back  # pytest: its own machinery between the session and the hook
        if frame is None or id(frame.f_code) not in callers:
            return "the reporter was not called by its runner"
        if outer and (frame.f_back is None or id(frame.f_back.f_code) not in outer):
            return "the session was not started by its runner"
        bad = untrusted_frame(caller)
        return None if bad is None else f"code of the program's on the stack: {where(bad)}"

    def frame_request(caller: Any) -> str | None:
        """Why `caller` (the code asking) may not have a frame, or None. Harness-only stacks
        and the consumers above may; candidate and test code may not."""
        code = id(caller.f_code)
        if code in consumers:
            return None
        callers = indirect.get(code)
        if callers is not None and caller.f_back is not None and id(caller.f_back.f_code) in callers:
            return None
        bad = untrusted_frame(caller)
        return None if bad is None else where(bad)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event not in _WATCHED:
            return
        me = get_ident()
        if me in busy:
            return
        busy.add(me)
        try:
            _check(event, args)
        finally:
            busy.discard(me)

    def _check(event: str, args: tuple[Any, ...]) -> None:
        caller = getframe(2)  # 0: _check, 1: hook, 2: whoever raised the event
        if event == _EMIT:
            why = emission_refused(caller)
            if why is not None:
                refuse(f"a test report from outside the harness ({why})", caller)
            event_data = args[0]
            if type(event_data) is dict:
                body = encode(event_data)
                data = body[:-1].encode() + tail if body != "{}" else tail.replace(b",", b"{", 1)
                while data:
                    data = data[write(result_fd, data) :]
            return
        if event in _ALWAYS:
            refuse(_ALWAYS[event], caller)
        if event.startswith("ctypes."):
            refuse(f"{event} (raw memory access)", caller)
        if event == "sys._getframe":
            culprit = frame_request(caller)
            if culprit is not None:
                refuse(f"sys._getframe (the harness's frames; code of the program's: {culprit})", caller)
        elif event == "object.__getattr__":
            culprit = frame_request(caller) if len(args) > 1 and args[1] in _FRAME_ATTRS else None
            if culprit is not None:
                refuse(f"{args[1]} (the harness's frames; code of the program's: {culprit})", caller)
        elif event in ("object.__setattr__", "object.__delattr__"):
            target, name = args[0], text(args[1]) if len(args) > 1 else ""
            if name == "__code__":
                refuse("replacing a function's __code__", caller)
            if id(target) in guarded_types and untrusted_frame(caller) is not None:
                refuse(f"patching the harness's class {sstr(guarded_types[id(target)])}.{name}", caller)
        elif event in ("sys.settrace", "sys.setprofile"):
            if event == "sys.settrace" and id(caller.f_code) in restorers:
                return  # doctest restoring the tracer it found (none, here): nothing new
            if untrusted_frame(caller) is not None:  # the event carries no argument (3.11)
                refuse(f"{event} (a tracer sees the harness's frames)", caller)
        elif event in ("open", "os.listdir", "os.scandir"):
            path: Any = args[0] if args else None
            kind = type(path)
            if issub(kind, bytes):
                path = bytes.decode(path, "utf-8", "replace")
            elif issub(kind, str):
                path = sstr(path)
            elif id(kind) in trusted_type_ids:  # pathlib's paths: trusted code renders them
                path = sstr(str(path))
            elif kind is not int:
                refuse("opening a file through a path object of the program's own", caller)
            if type(path) is str and _memory_path(path):
                refuse(f"opening {path} (process memory)", caller)
            if type(path) is str and _foreign_descriptors(path, getpid()):
                refuse(f"reading {path} (another process's descriptors: the sandbox's channels)", caller)
        elif event == "exec":
            code = args[0] if args else None
            if type(code) is types.CodeType and id(code) in codes and untrusted_frame(caller) is not None:
                refuse("running the harness's code in another namespace", caller)

    sys.addaudithook(hook)


def _foreign_descriptors(path: str, me: int) -> bool:
    """`/proc/<pid>/fd` (or `fdinfo`, or a task's) of another process: under gVisor the
    supervisor's descriptors, its job channel with the host among them, can be listed and
    opened by a candidate of the same uid; under runc they are refused anyway."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 3 or parts[0] != "proc" or parts[1] in ("self", "thread-self", str(me)):
        return False
    return "fd" in parts[2:5] or "fdinfo" in parts[2:5]


def _memory_path(path: str) -> bool:
    parts = path.replace("//", "/").rstrip("/").split("/")
    return len(parts) >= 3 and parts[-1] in ("mem", "map_files", "pagemap") and "proc" in parts


def _thread_ident() -> Callable[[], int]:
    import _thread

    return _thread.get_ident


def _json_escape() -> Callable[[str], str]:
    from json.encoder import encode_basestring_ascii

    return encode_basestring_ascii


def emit(event: dict[str, Any]) -> None:
    """Report one event: the hook writes it, with the token, if the stack is the harness's."""
    _audit(_EMIT, event)


_audit = sys.audit
