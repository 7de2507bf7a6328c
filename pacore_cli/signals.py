"""SIGTERM stops every command on its own terms, whatever SIGINT's disposition.

Why not "SIGTERM re-raises SIGINT": a process started in the background by a
non-interactive shell (CI, `nohup`, systemd, a job runner) inherits SIGINT as ignored, so
the re-raised SIGINT did nothing and `kill -TERM` was ignored (`pacore solve` ran to the
end, `pacore bench` kept writing rows). And `asyncio.run` installs its Ctrl-C handler only
when SIGINT has Python's default handler, so there is no asyncio handler to borrow then.

So a command runs its coroutine with `run_async`, which registers the main task: SIGTERM
cancels it directly (its `finally` blocks remove containers, close backends, keep the
rows written so far), and the command ends with `Terminated` (exit 143). Synchronous code
gets `Terminated` raised at once, as Ctrl-C would; a second SIGTERM does not wait for
cleanup. SIGINT is left as the process received it.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

_main_tasks: list[tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = []
_received: list[int] = []


class Terminated(KeyboardInterrupt):
    """SIGTERM ended the command (editors, CI and job runners stop processes with it)."""


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(coro)`, with the main task registered so that SIGTERM can cancel it."""

    async def main() -> T:
        task = asyncio.current_task()
        if task is None:  # asyncio.run runs main() as a task: never None
            raise RuntimeError("run_async's main() is not running as a task")
        _main_tasks.append((asyncio.get_running_loop(), task))
        try:
            return await coro
        finally:
            _main_tasks.remove((asyncio.get_running_loop(), task))

    try:
        result = asyncio.run(main())
    except asyncio.CancelledError:
        if _received:
            raise Terminated() from None
        raise
    if _received:  # the command caught the cancellation and returned: still terminated
        raise Terminated()
    return result


def _on_sigterm(signum: int, _frame: Any) -> None:
    _received.append(signum)
    if len(_received) == 1 and _main_tasks:
        loop, task = _main_tasks[-1]
        if not task.done():
            task.cancel()
            loop.call_soon_threadsafe(lambda: None)  # wake a loop blocked in select()
            return
    sigint = signal.getsignal(signal.SIGINT)
    if len(_received) == 1 and callable(sigint) and sigint is not signal.default_int_handler:
        sigint(signal.SIGINT, _frame)  # asyncio.run's own Ctrl-C handler: it cancels its task
        return
    raise Terminated()


@contextmanager
def sigterm_stops(enabled: bool = True) -> Iterator[list[int]]:
    """While the command runs, SIGTERM stops it (see the module's docstring); yields the
    list of signals received (empty: not terminated)."""
    _received.clear()
    if not enabled:
        yield _received
        return
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (embedded use): leave signals alone
        yield _received
        return
    try:
        yield _received
    finally:
        signal.signal(signal.SIGTERM, previous)
