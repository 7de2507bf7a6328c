"""The guard's trust: the code objects of the harness and of every module loaded before the
candidate, which harness functions report and from where, and the standard-library code
that may take a frame for itself. Walked in the supervisor; test processes inherit it.

Why identity, not names: a frame whose code object is not one of these was made after the
candidate existed (candidate or test code), whatever its file or function name says.
Stdlib only, like every runner module.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any

from fork_handlers import import_deferred

# whose classes a candidate or a test may not patch: the harness and the test framework
GUARDED_PACKAGES = frozenset(
    {"pytest", "_pytest", "pluggy", "guard", "protocol", "run_check", "run_pytest", "run_calls",
     "run_probe", "child_process", "suite_runners", "supervisor", "answers", "trust",
     "fork_handlers"}
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
        """Walk the loaded modules again if any were added. Everything the trust names is
        imported before the walk, so its code is walked too; the harness's own modules only
        when loaded (a suite's runner is imported with its first job, and the walk follows)."""
        if len(sys.modules) == self.modules:
            return
        import_deferred()  # logging (a frame consumer) and its threading, without their at-fork cost
        import collections  # noqa: F401  # the frame consumers, so their code is known
        import doctest  # noqa: F401
        import enum  # noqa: F401
        import logging  # noqa: F401
        import traceback  # noqa: F401
        import typing  # noqa: F401

        self.modules = len(sys.modules)
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

    def _reporters(self) -> dict[int, tuple[frozenset[int], frozenset[int], frozenset[int]]]:
        """Which harness functions report, and from where they are called (those loaded)."""
        loaded = sys.modules

        def lambdas(function: Any) -> frozenset[int]:
            return frozenset(id(c) for c in _nested(function.__code__) if c.co_name == "<lambda>")

        none: frozenset[int] = frozenset()
        out = {}
        suite_runners = loaded.get("suite_runners")
        for module, reporter, runner in (("run_check", "main", None), ("run_calls", "harness", "run_calls"),
                                         ("run_probe", "harness", "run_function")):  # fmt: skip
            harness = loaded.get(module)
            owner = harness if runner else suite_runners
            if harness is not None and owner is not None:
                calling = getattr(owner, runner or module)
                out[id(getattr(harness, reporter).__code__)] = (lambdas(calling), none, none)
        run_pytest = loaded.get("run_pytest")
        if run_pytest is None or suite_runners is None:
            return out
        pytest_machinery = frozenset(
            ident for ident, code in self.codes.items() if _package(code) in ("_pytest", "pytest", "pluggy")
        )
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

    def _add(self, value: Any, seen: set[int], depth: int) -> None:  # noqa: C901  (sandbox runner, grandfathered: one walk over a trusted value's parts)
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


