"""Bad inputs to the language server, over stdio: each gets a clear, early answer.

The corpus below is the list of cases: a new class of bad input is one more `BadSolve` (a
workspace and settings in which `pacore.solve` must refuse, naming the cause, before any
model request) or one more `BadAction` (a code action request that must get an error
response, not a hang or a traceback). Every case also checks that the server logged no
ERROR and no traceback: a refusal is not a fault.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import MODULE, TESTS, Session, line_of, wait_for


@dataclass(frozen=True)
class BadSolve:
    """`pacore.solve` on `add` must fail with every string of `says` in its message (the
    error response, or the report of a solve that ended before sampling)."""

    id: str
    says: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    sandbox: str = "local"
    never_says: tuple[str, ...] = ()


BROKEN_MODULE = MODULE + "\n\ndef broken(:\n    pass\n"
BAD_SOLVES = [
    BadSolve("syntax error elsewhere in the module", files={"pkg/mathx.py": BROKEN_MODULE},
             says=(f"mathx.py line {BROKEN_MODULE.splitlines().index('def broken(:') + 1}",
                   "not valid Python", "No model request")),
    BadSolve("module of NUL bytes", files={"pkg/mathx.py": "def add(a, b):\n    ...\n\x00\x00"},
             says=("mathx.py", "not valid Python"), never_says=("None",)),
    BadSolve("test file with a syntax error",
             files={"tests/test_mathx.py": TESTS + "\n\ndef test_bad(:\n    pass\n"},
             says=("tests/test_mathx.py line", "not valid Python")),
    BadSolve("test imports a missing module",
             files={"tests/test_mathx.py": "import nonexistent_helper\n" + TESTS},
             says=("tests/test_mathx.py cannot be collected",
                   "ModuleNotFoundError: No module named 'nonexistent_helper'")),
    BadSolve("module imports a missing module",
             files={"pkg/mathx.py": "import nonexistent_dep\n" + MODULE},
             says=("ModuleNotFoundError: No module named 'nonexistent_dep'",)),
    BadSolve("missing sandbox image", sandbox="docker",
             settings={"image": "pacore-no-such-image:0"},
             says=("pacore-no-such-image:0", "pacore sandbox build")),
    # the model's oracle (oracle on, no brute force written) would be the first request
    BadSolve("synthesis template missing", settings={"template": "/nonexistent/nope.j2", "oracle": "on"},
             says=("cannot read synthesis template /nonexistent/nope.j2", "pacore.template")),
    BadSolve("no model server configured", settings={"baseUrl": None, "model": None},
             says=("pacore.baseUrl",), never_says=("--base-url", "--model")),
    BadSolve("model server unreachable", settings={"baseUrl": "http://127.0.0.1:9/v1", "model": "m"},
             says=("cannot reach model server at http://127.0.0.1:9/v1", "set pacore.baseUrl to"),
             never_says=("--base-url", "base_url")),
]


async def outcome(s: Session, needle: str) -> str:
    """The error response of `pacore.solve`, or the detail of the report it ended with."""
    try:
        started = await s.solve(needle)
    except JsonRpcException as err:
        return str(err)
    await s.wait_report(started["function"])
    rep = await s.report(started["solveId"])
    assert rep["status"] == "error", rep
    return f"{rep['detail']} {rep['error'] or ''}"


def assert_no_fault_logged(s: Session) -> None:
    log = s.server_log()
    assert "Traceback" not in log and "ERROR" not in log, log[-3000:]


@pytest.mark.parametrize("case", BAD_SOLVES, ids=[c.id for c in BAD_SOLVES])
async def test_bad_solve_is_refused_before_sampling(session_factory: Any, case: BadSolve,
                                                    request: pytest.FixtureRequest) -> None:
    if case.sandbox == "docker":
        request.getfixturevalue("require_docker_engine")
    async with session_factory(sandbox=case.sandbox, settings=case.settings,
                               files=case.files) as s:
        message = await outcome(s, "def add(")
        for text in case.says:
            assert text in message, (text, message)
        for text in case.never_says:
            assert text not in message, (text, message)
        assert s.server.calls == 0, "tokens were spent on a solve that could not succeed"
        assert s.edits == []
        assert_no_fault_logged(s)


@dataclass(frozen=True)
class BadAction:
    """A `textDocument/codeAction` request that must be answered with error `code`."""

    id: str
    uri: str  # "{root}" and "{uri}" are filled in
    line: int
    character: int
    code: int
    says: str


BAD_ACTIONS = [
    BadAction("negative position", "{uri}", -1, -4, -32602, "textDocument/codeAction"),
    BadAction("unopened missing file", "{root}/pkg/gone.py", 0, 0, -32803, "cannot read"),
]


async def raw_request(s: Session, method: str, params: dict[str, Any]) -> Any:
    """A request written to the wire as given: the typed client would refuse to send an
    invalid one, but an editor can."""
    proto = s.client.protocol
    msg_id = str(uuid.uuid4())
    future: Future[Any] = Future()
    proto._request_futures[msg_id] = future
    proto._result_types[msg_id] = proto.get_result_type(method)
    proto._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return await asyncio.wait_for(asyncio.wrap_future(future), 30)


async def action_request(s: Session, uri: str, line: int, character: int) -> Any:
    position = {"line": line, "character": character}
    return await raw_request(s, types.TEXT_DOCUMENT_CODE_ACTION, {
        "textDocument": {"uri": uri}, "range": {"start": position, "end": position},
        "context": {"diagnostics": []}})


@pytest.mark.parametrize("case", BAD_ACTIONS, ids=[c.id for c in BAD_ACTIONS])
async def test_bad_code_action_gets_an_error_response(session_factory: Any,
                                                      case: BadAction) -> None:
    async with session_factory(sandbox="local") as s:
        uri = case.uri.format(uri=s.uri, root=s.root.as_uri())
        with pytest.raises(JsonRpcException) as err:
            await action_request(s, uri, case.line, case.character)
        assert err.value.code == case.code, err.value
        assert case.says in str(err.value), err.value
        # The server lives on.
        assert len(await s.actions(line_of(s.text, "def add("))) == 2
        assert_no_fault_logged(s)


async def test_no_action_in_pyi_stub_files(session_factory: Any) -> None:
    stub = "def add(a: int, b: int) -> int: ...\n"
    async with session_factory(sandbox="local", files={"pkg/mathx.pyi": stub}) as s:
        uri = (s.root / "pkg" / "mathx.pyi").as_uri()
        s.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1,
                                                 text=stub)))
        assert await action_request(s, uri, 0, 5) is None
        assert len(await s.actions(line_of(s.text, "def add("))) == 2  # the .py still has it


async def test_solve_right_after_initialized_waits_for_workspace_configuration(
        session_factory: Any) -> None:
    """The model is configured only through workspace/configuration, answered late."""
    async with session_factory(
            sandbox="local", settings={"baseUrl": None, "model": None}, config_delay_s=1.5,
            workspace_configuration=lambda srv: {"baseUrl": srv.base_url, "model": srv.model,
                                                 "rounds": "2", "sandbox": "local"}) as s:
        started = await s.solve("def add(")
        await s.wait_report("add")
        rep = await s.report(started["solveId"])
        assert rep["status"] == "solved", rep
        assert s.server.calls > 0


async def test_bad_editor_value_names_the_real_default(session_factory: Any) -> None:
    async with session_factory(sandbox="local", settings={"contextWindow": "big", "maxTokens": "lots"}) as s:
        warning = await wait_for(lambda: next(
            (m.message for m in s.client.messages if "pacore.contextWindow" in m.message), None),
            10, "the contextWindow warning")
        unset = r"pacore\.contextWindow: invalid value 'big': [^;]+; leaving it unset"
        assert re.search(unset, warning), warning
        tokens = next(m.message for m in s.client.messages if "pacore.maxTokens" in m.message)
        default = r"pacore\.maxTokens: invalid value 'lots': [^;]+; using the default 4096"
        assert re.search(default, tokens), tokens
