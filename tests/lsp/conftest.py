"""The real language server in a subprocess, driven by pytest-lsp's client over stdio.

The model is the scripted OpenAI-compatible server on loopback; the sandbox is the real one
(Docker unless a test says otherwise).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from tests.support.scripted_server import Reply, ScriptedServer, last_user_text

REPO = Path(__file__).resolve().parents[2]

MODULE = '''"""Small maths helpers."""
import functools
import math


def add(a, b):
    """Return a + b.

    >>> add(1, 2)
    3
    """
    ...


def done(x):
    return x + 1


class Stack:
    def __init__(self):
        self.items = []

    def push(self, x):
        """Push x and return the new size."""
        pass

    def size(self):
        return len(self.items)


async def fetch(x):
    raise NotImplementedError("later")


@functools.lru_cache(maxsize=None)
def fib(n):
    """The n-th Fibonacci number, fib(0) == 0."""
    # TODO: implement


def outer():
    def inner(y):
        ...
    return inner


def lonely(x):
    """Nobody tests this one."""
    ...


def square(x):
    """Square x.

    >>> square(3)
    9
    """
    ...


def slow(x):
    ...
'''

TESTS = '''from pkg.mathx import Stack, add, fib, slow


def test_add():
    assert add(2, 3) == 5


def test_add_negative():
    assert add(-2, -3) == -5


class TestStack:
    def test_push(self):
        s = Stack()
        assert s.push(1) == 1
        assert s.push(2) == 2
        assert s.items == [1, 2]


def test_fib():
    assert [fib(i) for i in range(7)] == [0, 1, 1, 2, 3, 5, 8]


def test_slow():
    assert slow(1) == 1
'''

IMPLEMENTATIONS = {
    "add": "import operator\n\n\ndef add(a, b):\n    return operator.add(a, b)\n",
    "Stack.push": "class Stack:\n    def push(self, x):\n        self.items.append(x)\n"
                  "        return len(self.items)\n",
    "fib": "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
           "    return a\n",
    "square": "def square(x):\n    return x * x\n",
    "lonely": "def lonely(x):\n    return [x, x]\n",
    # Runs long inside the sandbox, so a cancel lands while a container is busy.
    "slow": "import time\n\n\ndef slow(x):\n    time.sleep(60)\n    return x\n",
}

_FUNCTION = re.compile(r"Implement the function `([\w.]+)`")
_WRITE_TESTS = re.compile(r"Write pytest tests for the function `([\w.]+)`")
# What the scripted model answers when asked to write tests (allowWeakTests, no tests).
WRITTEN_TESTS = {
    "lonely": "from pkg.mathx import lonely\n\n\ndef test_lonely_pairs():\n"
              "    assert lonely(3) == [3, 3]\n\n\ndef test_lonely_none():\n"
              "    assert lonely(None) == [None, None]\n",
}


def fenced(code: str) -> str:
    return f"Here is the implementation.\n\n```python\n{code}```\n"


def responder(latency: dict[str, float] | None = None) -> Callable[[dict[str, Any], int, int],
                                                                   Reply]:
    """Answer each prompt with the implementation of the function it asks for."""
    latency = latency or {}

    def answer(request: dict[str, Any], _choice: int, _call: int) -> Reply:
        if (w := _WRITE_TESTS.search(last_user_text(request))) is not None:
            return Reply(fenced(WRITTEN_TESTS.get(w.group(1), "no tests here\n")))
        m = _FUNCTION.search(last_user_text(request))
        name = m.group(1) if m else ""
        code = IMPLEMENTATIONS.get(name, "def nothing():\n    return None\n")
        return Reply(fenced(code), latency_s=latency.get(name, 0.0))

    return answer


def make_workspace(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mathx.py").write_text(MODULE)
    (root / "tests").mkdir()
    (root / "tests" / "test_mathx.py").write_text(TESTS)
    return root


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines()):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in text")


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (ASCII text, so UTF-16 columns are characters)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def off(p: types.Position) -> int:
        return offsets[p.line] + p.character

    for e in sorted(edits, key=lambda e: off(e.range.start), reverse=True):
        text = text[: off(e.range.start)] + e.new_text + text[off(e.range.end):]
    return text


async def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


def capabilities(client: str, document_changes: bool) -> types.ClientCapabilities:
    caps = client_capabilities(client)
    assert caps.workspace is not None and caps.workspace.workspace_edit is not None
    caps.workspace.workspace_edit.document_changes = document_changes
    return caps


@dataclass
class Session:
    client: LanguageClient
    root: Path
    uri: str
    text: str
    server: ScriptedServer
    sandbox: str = "docker"
    edits: list[types.ApplyWorkspaceEditParams] = field(default_factory=list)
    apply_result: bool = True
    log_path: Path | None = None  # the server's stderr

    def server_log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    @property
    def server_pid(self) -> int:
        proc = self.client._server
        assert proc is not None
        return proc.pid

    def open(self) -> None:
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=self.uri, language_id="python", version=1,
                                                 text=self.text)))

    async def actions(self, line: int, character: int = 8) -> list[Any]:
        pos = types.Position(line=line, character=character)
        result = await self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri),
            range=types.Range(start=pos, end=pos),
            context=types.CodeActionContext(diagnostics=[])))
        return list(result or [])

    async def command(self, name: str, *args: Any) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(args)))

    async def solve(self, needle: str, **extra: Any) -> dict[str, Any]:
        line = line_of(self.text, needle)
        arg = {"uri": self.uri, "position": {"line": line, "character": 8}, "version": 1, **extra}
        result: dict[str, Any] = await self.command("pacore.solve", arg)
        return result

    def report_logged(self, qualname: str) -> str | None:
        for m in self.client.log_messages:
            if m.message.startswith(f"PaCoRe `{qualname}`:"):
                return m.message
        return None

    async def report(self, solve_id: str) -> dict[str, Any]:
        rep: dict[str, Any] = await self.command("pacore.report", {"solveId": solve_id})
        return rep

    async def wait_report(self, qualname: str, timeout: float = 120.0) -> str:
        msg: str = await wait_for(lambda: self.report_logged(qualname), timeout,
                                  f"the report of {qualname}")
        return msg


def pacore_containers(owner_pid: int) -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-a", "-q", "--filter", "label=pacore",
         "--filter", f"label=pacore.owner-pid={owner_pid}"],
        capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.split()


def child_processes(pid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True,
                         text=True, timeout=30)
    return [line for line in out.stdout.splitlines() if line.strip()]


def make_client(config_delay_s: float = 0.0) -> LanguageClient:
    """pytest-lsp's test client; its workspace/configuration answers may come late."""
    client = LanguageClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    if config_delay_s:
        answer = features[types.WORKSPACE_CONFIGURATION]

        async def late(client: LanguageClient, params: types.ConfigurationParams) -> Any:
            await asyncio.sleep(config_delay_s)
            return answer(client, params)

        features[types.WORKSPACE_CONFIGURATION] = late
    register_lsp_features(client, features)
    return client


@pytest.fixture
def session_factory(tmp_path: Path) -> Callable[..., Any]:
    """`async with session_factory(...) as s:` a server on a fresh workspace."""

    class _Ctx:
        def __init__(
            self, *, client: str = "visual-studio-code", document_changes: bool = True,
            settings: dict[str, Any] | None = None, latency: dict[str, float] | None = None,
            sandbox: str = "docker",
            workspace_configuration: dict[str, Any] | Callable[[ScriptedServer], dict[str, Any]]
            | None = None,
            open_doc: bool = True, config_delay_s: float = 0.0,
            files: dict[str, str] | None = None, ignore_sigint: bool = False,
        ) -> None:
            """`settings` go in initializationOptions over the defaults (None removes a
            key); `config_delay_s` delays the client's workspace/configuration answers;
            `files` are written into the workspace (relative path -> text);
            `ignore_sigint` starts the server with SIGINT ignored, as a background job of a
            non-interactive shell is."""
            self.kw = dict(client=client, document_changes=document_changes)
            self.settings = settings
            self.latency = latency
            self.sandbox = sandbox
            self.workspace_configuration = workspace_configuration
            self.open_doc = open_doc
            self.config_delay_s = config_delay_s
            self.files = files or {}
            self.ignore_sigint = ignore_sigint
            self.session: Session | None = None

        async def __aenter__(self) -> Session:
            root = make_workspace(tmp_path / "ws")
            for rel, text in self.files.items():
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_text(text)
            srv = ScriptedServer(responder(self.latency))
            srv.__enter__()
            client = make_client(self.config_delay_s)
            if self.workspace_configuration is not None:
                conf = self.workspace_configuration
                client.set_configuration(conf(srv) if callable(conf) else conf, section="pacore")
            text = self.files.get("pkg/mathx.py", MODULE)
            sess = Session(client=client, root=root, uri=(root / "pkg" / "mathx.py").as_uri(),
                           text=text, server=srv, sandbox=self.sandbox,
                           log_path=tmp_path / "server.log")

            @client.feature(types.WORKSPACE_APPLY_EDIT)
            def apply_edit(params: types.ApplyWorkspaceEditParams
                           ) -> types.ApplyWorkspaceEditResult:
                sess.edits.append(params)
                return types.ApplyWorkspaceEditResult(applied=sess.apply_result)

            env = {k: v for k, v in os.environ.items()
                   if not k.startswith("PACORE_") or k == "PACORE_SANDBOX_TAG"}
            # `exec`: the server is the shell's process (server_pid), its stderr goes to a file
            trap = "trap '' INT; " if self.ignore_sigint else ""
            await client.start_io("/bin/sh", "-c", f'{trap}exec "{sys.executable}" -m '
                                  f'pacore_cli.main lsp 2>>"{sess.log_path}"', cwd=str(REPO),
                                  env=env)
            section = {"baseUrl": srv.base_url, "model": srv.model, "rounds": "2",
                       "sandbox": self.sandbox, **(self.settings or {})}
            options = {"pacore": {k: v for k, v in section.items() if v is not None}}
            await client.initialize_session(types.InitializeParams(
                capabilities=capabilities(**self.kw),  # type: ignore[arg-type]
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
                initialization_options=options))
            if self.open_doc:
                sess.open()
            self.session = sess
            return sess

        async def __aexit__(self, *exc: object) -> None:
            assert self.session is not None
            proc = self.session.client._server
            try:
                if proc is not None and proc.returncode is None:  # not stopped by the test
                    await asyncio.wait_for(self.session.client.shutdown_session(), 60)
            finally:
                await self.session.client.stop()
                self.session.server.__exit__(None, None, None)

    return _Ctx


@pytest.fixture
def require_docker_engine() -> None:
    from tests.conftest import require_docker

    require_docker()
