"""The at-fork handlers of `threading` and `logging`, left to the test processes.

Why: both modules register handlers that run at every fork to repair locks another thread
might have held at that moment. The supervisor has no other thread, so in a test process
forked from it they repair nothing, yet running their code there (cold: every object it
touches is a copy-on-write fault) cost ~0.3 ms per test process, a tenth of a HumanEval
check. The guard's trust imports `logging` (trust.py), so the supervisor imports both
through `import_deferred`: their handlers are kept, not registered, and each test process
registers them for itself (`register_deferred`) before any program runs, so a fork the
program makes repairs its locks as usual. A process that already runs other threads, or
has the modules loaded, registers them as Python does.

Stdlib only, like every runner module.
"""

from __future__ import annotations

import _thread
import importlib
import os
from collections.abc import Callable
from typing import Any

DEFERRABLE = ("threading", "logging")  # lock repair only: no other module's handlers are deferred
_DEFERRED: list[dict[str, Callable[[], Any]]] = []


def import_deferred() -> None:
    """Import `threading` and `logging` keeping their at-fork handlers for the test processes
    (as usual when another thread runs: the repair may matter; nothing is kept for a module
    loaded already)."""
    if _thread._count() > 0:  # another thread runs: its locks may need the repair
        for name in DEFERRABLE:
            importlib.import_module(name)
        return
    register = os.register_at_fork

    def keep(**handlers: Callable[[], Any]) -> None:
        owners = {getattr(h, "__module__", None) for h in handlers.values()}
        if owners <= set(DEFERRABLE):
            _DEFERRED.append(handlers)
        else:  # anything else (random's reseed, ...) is registered as it asked
            register(**handlers)

    os.register_at_fork = keep  # type: ignore[assignment]
    try:
        for name in DEFERRABLE:
            importlib.import_module(name)
    finally:
        os.register_at_fork = register


def register_deferred() -> None:
    """In a fresh test process, before any program runs: the kept handlers, registered for
    the forks it makes."""
    for handlers in _DEFERRED:
        os.register_at_fork(**handlers)
    _DEFERRED.clear()
