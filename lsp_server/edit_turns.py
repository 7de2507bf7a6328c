"""Edits to one document go one at a time, each against the version the editor has.

Neovim reports its change to the server up to 150 ms (its `debounce_text_changes`) after it
applied our edit, and it silently drops an edit whose version is older than its buffer's
while still answering `applied: true`. Two stubs of one file solved close together would
then lose the second result. So the next edit to a document waits (bounded) until the
editor's change for the previous one has arrived.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager


class EditTurns:
    def __init__(self, wait_s: float = 3.0) -> None:
        self._wait_s = wait_s
        self._locks: dict[str, asyncio.Lock] = {}
        self._sent: dict[str, int] = {}  # uri -> the version our last applied edit was made against
        self._changed: dict[str, asyncio.Event] = {}

    def changed(self, uri: str) -> None:
        """The editor reported a change of `uri` (didChange)."""
        event = self._changed.get(uri)
        if event is not None:
            event.set()

    def applied(self, uri: str, version: int | None) -> None:
        """Our edit, made against `version`, was applied: the next one waits for a newer one."""
        if version is None:
            self._sent.pop(uri, None)
        else:
            self._sent[uri] = version

    @asynccontextmanager
    async def turn(self, uri: str, version: Callable[[], int | None]) -> AsyncIterator[None]:
        """Hold `uri`'s turn; on entry the server's copy includes our previous applied edit
        (or `wait_s` passed: the edit is then planned on what the server has)."""
        lock = self._locks.setdefault(uri, asyncio.Lock())
        async with lock:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self._wait_s
            event = self._changed.setdefault(uri, asyncio.Event())
            while True:
                event.clear()
                sent, now = self._sent.get(uri), version()
                left = deadline - loop.time()
                if sent is None or now is None or now > sent or left <= 0:
                    break
                try:
                    await asyncio.wait_for(event.wait(), left)
                except TimeoutError:
                    break
            yield
