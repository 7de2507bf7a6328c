"""Compile a program once per sandbox, not once per job.

Why: stress testing and oracle tests send the same compiled program to the sandbox in many
jobs (a batch of inputs each); compiling C++ (or Rust, Go, Java) every time cost more than
running it. The first job of a program asks its supervisor for what the compiler made
(read right after compiling, before any of the program's code runs); later jobs of the same
files and build plan carry it and skip the compiler. Jobs of one program wait for its first
build, so concurrent batches do not all compile. The cache lives as long as the sandbox
object (one `pacore stress` or `pacore solve` run) and only in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


def build_key(job: dict[str, Any]) -> str | None:
    """The identity of a job's build (its files and build plan), or None: nothing to compile."""
    build = job.get("build") or {}
    if not build.get("compile"):
        return None
    text = json.dumps([build, job.get("files") or {}], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


class BuildCache:
    """Built files by build key; `compiles` counts the jobs in which a compiler really ran
    (as their supervisors reported it)."""

    def __init__(self) -> None:
        # build key -> built files; None: its build gave nothing to reuse (a compile error,
        # output over the cap), so its jobs compile as before, without waiting for each other
        self._built: dict[str, dict[str, str] | None] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.compiles = 0

    @asynccontextmanager
    async def job(self, job: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """The job to send: with the program prebuilt, or asking for its build back (the
        first job of a program holds the others back until its answer is learnt)."""
        key = build_key(job)
        if key is None:
            yield job
            return
        async with self._locks.setdefault(key, asyncio.Lock()):
            if key not in self._built:
                yield {**job, "return_build": True}
                return
        built = self._built[key]
        if built is None:
            yield job
        else:
            yield {**job, "build": {**job["build"], "compile": None}, "prebuilt": built}

    def learn(self, job: dict[str, Any], response: dict[str, Any]) -> None:
        """Count a compile, and keep what it built (unless the run was not trustworthy)."""
        if response.get("compiled"):
            self.compiles += 1
        key = build_key(job)
        if key is None or not job.get("return_build") or key in self._built:
            return
        built = response.get("built")
        if response.get("sandbox_error") or response.get("forged_lines"):
            return  # not learnt: the next job of this program builds again
        self._built[key] = {str(k): str(v) for k, v in built.items()} if isinstance(built, dict) else None
