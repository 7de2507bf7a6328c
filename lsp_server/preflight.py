"""Checks made before the first model request, so that a solve that cannot succeed costs no
tokens and says why: the module parses, the sandbox is ready (its image exists), and the
tests can be collected against the stub (a test importing a missing module would otherwise
fail every candidate alike and the run would end "unsolved 0/N" with no cause).
"""

from __future__ import annotations

import ast
import asyncio
import re
from pathlib import Path

from pacore_core.errors import EditorError, SandboxError
from pacore_core.loaders.discovery import is_test_file, walk_files
from sandbox import require_docker
from sandbox.base import Sandbox
from sandbox.models import Candidate, ProjectSuite
from sandbox.runners.node_select import NOT_COLLECTED

_E_LINE = re.compile(r"^E\s+(\S.*)$", re.M)


class PreflightError(EditorError):
    """The solve cannot succeed as things are; the message says what to fix."""


def syntax_problem(source: str, relpath: str) -> str | None:
    """`relpath line N: not valid Python (reason)`, or None when it parses."""
    try:
        ast.parse(source)
    except SyntaxError as e:
        where = f"{relpath} line {e.lineno}" if e.lineno else relpath
        return f"{where}: not valid Python ({e.msg})"
    except ValueError as e:  # e.g. NUL bytes on older Pythons
        return f"{relpath}: not valid Python ({e})"
    return None


def check_sources(module_text: str, relpath: str, tests: dict[str, str]) -> None:
    """The module (as in the editor) and the test files must parse."""
    if (problem := syntax_problem(module_text, relpath)) is not None:
        raise PreflightError(f"{problem}. Fix it first: every candidate is tested inside this "
                             "module, so none could pass. No model request was made.")
    for rel, source in tests.items():
        if (problem := syntax_problem(source, rel)) is not None:
            raise PreflightError(f"{problem}. Fix the test file first. No model request was "
                                 "made.")


def unparsable_tests(root: Path, function_name: str, limit: int = 2000) -> list[str]:
    """Test files naming the function that do not parse (test discovery passes over them,
    so without this the user hears only "no tests found")."""
    found: list[str] = []
    for path in walk_files(root, is_test_file, limit=limit):
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if function_name in source:
            rel = path.relative_to(root).as_posix()
            if (problem := syntax_problem(source, rel)) is not None:
                found.append(problem)
    return found


async def check_docker(image: str | None, runtime: str | None) -> None:
    """The Docker engine answers, the image exists and the runtime is registered (the one
    Docker check, `sandbox.require_docker`). The sandbox would find out only when verifying
    the first candidate, after tokens were spent."""
    await asyncio.to_thread(require_docker, image, runtime)


def _cause(message: str) -> str:
    """The exception line of a pytest collection error (`ModuleNotFoundError: ...`)."""
    found = _E_LINE.findall(message)
    if found:
        return str(found[-1]).strip()
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "unknown error"


async def check_collection(sandbox: Sandbox, *, root: Path, overlay: dict[str, str],
                           node_ids: list[str]) -> list[str]:
    """Run the tests once against the stub: failures are expected, collection errors are not.

    A test file that cannot be imported (a missing module, an error at import time) is
    reported with its cause; so is a sandbox that fails before running anything. Returns the
    node ids pytest does not collect although their files import: test discovery named
    something pytest does not run (the checker's limit, never the user's fault), so the
    solve leaves them out. Parametrized tests, classes and fixtures are pytest's to collect.
    """
    verdict = await sandbox.run(Candidate(code=""), ProjectSuite(root=root, overlay=overlay,
                                                                node_ids=node_ids))
    if verdict.verdict == "sandbox_error":
        detail = next((t.message for t in verdict.tests if t.message), None) \
            or verdict.compile_output or "no detail"
        raise SandboxError(f"the sandbox failed before any model request: {detail}")
    broken: dict[str, str] = {}
    unknown: list[str] = []
    for t in verdict.tests:
        message = t.message or ""
        if t.status != "error" or t.error_type is not None:
            continue
        if message.startswith(NOT_COLLECTED):
            unknown.append(t.name)
            continue
        # The runner reports a node it never ran as "not collected" with its file's import
        # error, or "no result reported" with why; a whole failed collection as "collection".
        uncollected = t.name == "collection" or message.startswith(
            ("no result reported", "not collected:"))
        if not uncollected:
            continue
        cause = _cause(message)
        if cause.startswith("NotImplementedError"):
            continue  # the stub itself, called at import time: a candidate will fix that
        broken.setdefault(t.name.split("::", 1)[0], cause)
    if broken:
        listed = "; ".join(f"{rel} cannot be collected: {cause}" for rel, cause in broken.items())
        raise PreflightError(f"{listed}. Fix the tests (or the module they import) first; as "
                             "they are, no candidate could pass. No model request was made.")
    return unknown


def none_collected_message(qualname: str, unknown: list[str]) -> str:
    """Every test discovery found is one pytest does not collect: say so, without blaming them."""
    return (f"pytest collects none of the tests found for `{qualname}` "
            f"({', '.join(unknown[:5])}{', ...' if len(unknown) > 5 else ''}), although their "
            "files import. List the tests to run (files or node ids) in pacore.testPaths. No "
            "model request was made.")
