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

from trust import TRUST

ALARM_FD = 4
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


_PREPARED: list[Any] = []  # (trust's module count, install): built in the supervisor, once


def prepare() -> None:
    """Build the hook in the supervisor, before the fork: every test process shares it (a
    closure built in each fork cost ~0.3 ms of page faults), and only fills in its own
    channel and token when it arms. Rebuilt when the trust was walked again."""
    TRUST.refresh()
    if not _PREPARED or _PREPARED[0] != TRUST.modules:
        _PREPARED[:] = [TRUST.modules, _build()]


def arm(result_fd: int, token: str, *, alarm_fd: int = ALARM_FD) -> None:
    """Install the hook. From here on reports leave only through `emit` from harness frames.
    The prepared installer is dropped as it installs: afterwards no Python object refers to
    the hook, its channel or the token."""
    if not _PREPARED:  # the supervisor prepares before forking; never walk again in a test
        _PREPARED[:] = [TRUST.modules, _build()]
    install = _PREPARED.pop()
    _PREPARED.clear()
    install(result_fd, token, alarm_fd)


def _build() -> Callable[[int, str, int], None]:  # noqa: C901  (sandbox runner: binds everything the audit hook uses in one closure, before any candidate runs)
    """The hook and its installer. Everything the hook uses is bound here, in the supervisor,
    long before any candidate can patch a module."""
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
    channel: list[Any] = [-1, -1, b""]  # result fd, alarm fd, the line's tail with the token
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
            write(channel[1], (reason.replace("\n", " ") + "\n").encode())
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

    def _check(event: str, args: tuple[Any, ...]) -> None:  # noqa: C901  (sandbox runner, grandfathered: the audit events' policy, one branch per event)
        caller = getframe(2)  # 0: _check, 1: hook, 2: whoever raised the event
        if event == _EMIT:
            why = emission_refused(caller)
            if why is not None:
                refuse(f"a test report from outside the harness ({why})", caller)
            event_data = args[0]
            if type(event_data) is dict:
                body, tail = encode(event_data), channel[2]
                data = body[:-1].encode() + tail if body != "{}" else tail.replace(b",", b"{", 1)
                while data:
                    data = data[write(channel[0], data) :]
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

    def install(result_fd: int, token: str, alarm_fd: int) -> None:
        channel[:] = [result_fd, alarm_fd, (',"token":' + escape(token) + "}\n").encode()]
        add_hook(hook)

    add_hook = sys.addaudithook
    return install


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
