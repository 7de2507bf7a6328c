"""End-to-end: the real server over stdio, the scripted model server, the real sandbox."""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from pacore_core.model_oracle import ORACLE_MARKER
from tests.lsp.conftest import (
    apply_text_edits,
    child_processes,
    line_of,
    pacore_containers,
    wait_for,
)
from tests.support.processes import alive, descendants


def action_fields(action: Any) -> tuple[str, Any, str, list[Any]]:
    """(title, kind, command name, arguments) of a listed action.

    lsprotocol's converter turns a CodeAction carrying `command` into a `Command` on the
    client side, whose `command` field then holds the nested command object rendered as a
    Python literal string.
    """
    if isinstance(action, types.CodeAction):
        assert action.command is not None
        return (action.title, action.kind, action.command.command,
                list(action.command.arguments or []))
    nested = action.command
    if isinstance(nested, str) and nested.startswith("{"):
        nested = ast.literal_eval(nested)
    if isinstance(nested, dict):
        return action.title, None, nested["command"], list(nested["arguments"])
    return action.title, None, nested, list(action.arguments or [])


STUBS = ["def add(", "def push(", "async def fetch(", "def fib(", "def inner(", "@functools"]
NOT_STUBS = ["def done(", "def size(", "def __init__(", "def outer(", '"""Small maths']


async def test_action_listed_only_on_stubs(session_factory: Any) -> None:
    async with session_factory(sandbox="local") as s:
        for needle in STUBS:
            actions = await s.actions(line_of(s.text, needle))
            assert len(actions) == 2, needle  # and "Solve all 7 stubs in this file"
            title, kind, command, arguments = action_fields(actions[0])
            assert title == "Solve with PaCoRe"
            assert command == "pacore.solve"
            assert kind in (types.CodeActionKind.RefactorRewrite, None)
            arg = arguments[0]
            assert arg["uri"] == s.uri and arg["version"] == 1
            title, _, command, arguments = action_fields(actions[1])
            assert title == "Solve all 7 stubs in this file with PaCoRe"
            assert command == "pacore.solveAll"
            assert arguments == [{"uri": s.uri, "version": 1}]
        # Inside the body of a nested stub, the action targets the inner function.
        body = line_of(s.text, "def inner(") + 1
        assert len(await s.actions(body, 9)) == 2
        for needle in NOT_STUBS:  # a written function's signature offers only "Fix NAME"
            actions = [action_fields(a)[0] for a in await s.actions(line_of(s.text, needle))]
            name = needle.removeprefix("def ").removesuffix("(")
            assert actions == ([] if needle.startswith('"""') else [f"Fix {name} with PaCoRe"]), needle
        # Kinds filter: a client asking only for quickfixes gets nothing.
        pos = types.Position(line=line_of(s.text, "def add("), character=5)
        only = await s.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=s.uri),
            range=types.Range(start=pos, end=pos),
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.QuickFix])))
        assert not only


@pytest.mark.docker
@pytest.mark.parametrize(("client", "document_changes"),
                         [("visual-studio-code", True), ("neovim", False)])
async def test_full_solve_applies_edit(session_factory: Any, require_docker_engine: None,
                                       client: str, document_changes: bool) -> None:
    async with session_factory(client=client, document_changes=document_changes) as s:
        started = await s.solve("def add(")
        assert started["function"] == "add"
        report = await s.wait_report("add")
        assert "solved" in report and "3/3 tests accepted" in report
        assert len(s.edits) == 1
        edit = s.edits[0].edit
        if document_changes:
            assert edit.changes is None and edit.document_changes is not None
            doc_edit = edit.document_changes[0]
            assert isinstance(doc_edit, types.TextDocumentEdit)
            assert doc_edit.text_document.uri == s.uri and doc_edit.text_document.version == 1
            edits = list(doc_edit.edits)
        else:
            assert edit.document_changes is None and edit.changes is not None
            edits = list(edit.changes[s.uri])
        assert s.edits[0].label == "PaCoRe: add"
        new = apply_text_edits(s.text, edits)  # type: ignore[arg-type]
        compile(new, "mathx.py", "exec")
        # The stub body is replaced; signature, docstring and other functions are kept.
        assert "def add(a, b):\n    \"\"\"Return a + b.\n\n    >>> add(1, 2)\n    3\n    \"\"\"\n" \
               "    return operator.add(a, b)\n" in new
        assert "import math\nimport operator\n" in new
        assert new.replace("import operator\n", "").replace(
            "    return operator.add(a, b)", "    ...") == s.text
        # Progress: server-created token, begin/report/end with round counts.
        token = started and next(t for t in s.client.progress_reports if "solve" in str(t))
        kinds = [type(v).__name__ for v in s.client.progress_reports[token]]
        assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
        messages = [v.message for v in s.client.progress_reports[token]
                    if isinstance(v, types.WorkDoneProgressReport)]
        assert any(m and m.startswith("round 1/2 · ") for m in messages), messages
        assert any(m and "best 3/3 tests" in m for m in messages), messages
        # The report: log message, diagnostic on the function, and pacore.report.
        diags = await wait_for(lambda: s.client.diagnostics.get(s.uri), 10, "diagnostics")
        assert diags[0].source == "pacore"
        assert diags[0].severity == types.DiagnosticSeverity.Information
        assert diags[0].range.start.line == line_of(new, "def add(")
        rep = await s.report(started["solveId"])
        assert rep["status"] == "solved" and rep["applied"] == "edit"
        assert rep["verification"]["passed"] == rep["verification"]["total"] == 3
        assert [r["k"] for r in rep["rounds"]] == [2, 1]
        assert rep["ttc_tokens"] > 0 and rep["selected"]["source"] in ("final", "candidate")


@pytest.mark.docker
async def test_concurrent_solves_and_refusal(session_factory: Any,
                                             require_docker_engine: None) -> None:
    async with session_factory(latency={"fib": 1.0}) as s:
        a = await s.solve("def push(")
        b = await s.solve("def fib(")
        assert {a["function"], b["function"]} == {"Stack.push", "fib"}
        with pytest.raises(JsonRpcException) as err:
            await s.solve("def fib(")
        assert "already running" in str(err.value)
        await s.wait_report("Stack.push")
        await s.wait_report("fib")
        assert len(s.edits) == 2
        # Each edit lands on its own function; applied one after the other they compose.
        by_label = {e.label: e.edit.document_changes[0] for e in s.edits}  # type: ignore[index]
        push = apply_text_edits(s.text, list(by_label["PaCoRe: Stack.push"].edits))  # type: ignore[union-attr,arg-type]
        assert "        self.items.append(x)\n        return len(self.items)\n" in push
        fib = apply_text_edits(s.text, list(by_label["PaCoRe: fib"].edits))  # type: ignore[union-attr,arg-type]
        assert '@functools.lru_cache(maxsize=None)\ndef fib(n):\n    """The n-th Fibonacci ' \
               'number, fib(0) == 0."""\n    a, b = 0, 1\n' in fib


@pytest.mark.docker
async def test_stale_document_is_not_clobbered(session_factory: Any,
                                               require_docker_engine: None) -> None:
    async with session_factory(latency={"add": 1.5}) as s:
        started = await s.solve("def add(")
        # The user edits the function while the model is still thinking.
        line = line_of(s.text, "Return a + b.")
        s.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=s.uri, version=2),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=line, character=4),
                                  end=types.Position(line=line, character=17)),
                text="Add two numbers.")]))
        await s.wait_report("add")
        assert s.edits == []
        shown = await wait_for(lambda: s.client.shown_documents, 10, "showDocument")
        path = Path(shown[0].uri.removeprefix("file://"))
        assert path.is_relative_to(s.root / ".pacore")
        assert "return operator.add(a, b)" in path.read_text()
        assert any("did not edit your file" in m.message for m in s.client.messages)
        rep = await s.report(started["solveId"])
        assert rep["applied"] == "separate_document" and "edited during the solve" in rep["detail"]


@pytest.mark.docker
async def test_cancel_mid_run_leaves_nothing_running(session_factory: Any,
                                                     require_docker_engine: None) -> None:
    async with session_factory() as s:
        started = await s.solve("def slow(")
        # Wait until both candidates are being verified (their test sleeps for a minute).
        await wait_for(lambda: any(
            isinstance(v, types.WorkDoneProgressReport) and v.message and "2/2 trajectories"
            in v.message for reports in s.client.progress_reports.values() for v in reports),
            60, "both trajectories sampled")
        await asyncio.sleep(1.0)
        running = descendants(s.server_pid)
        if s.sandbox == "docker":
            assert pacore_containers(s.server_pid), "no sandbox container while verifying"
        else:
            assert running, "no sandbox process while verifying"
        result = await s.command("pacore.cancel", {"solveId": started["solveId"]})
        assert result == {"cancelled": [started["solveId"]]}
        assert pacore_containers(s.server_pid) == []
        assert child_processes(s.server_pid) == []
        assert alive(running) == set()
        rep = await s.report(started["solveId"])
        assert rep["status"] == "cancelled"
        assert s.edits == []
        # The server lives on: another solve can start on the same function.
        again = await s.solve("def slow(")
        await s.command("pacore.cancel")
        assert again["function"] == "slow"


async def test_progress_cancel_stops_generation(session_factory: Any) -> None:
    async with session_factory(sandbox="local", latency={"add": 30.0}) as s:
        started = await s.solve("def add(")
        token = await wait_for(lambda: next(iter(s.client.progress_reports), None), 10, "token")
        await wait_for(lambda: s.server.calls >= 1, 10, "the first-round request")
        s.client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        await wait_for(lambda: any(isinstance(v, types.WorkDoneProgressEnd)
                                   for v in s.client.progress_reports[token]), 10, "progress end")
        end = s.client.progress_reports[token][-1]
        assert isinstance(end, types.WorkDoneProgressEnd) and end.message == "cancelled"
        rep = await s.report(started["solveId"])
        assert rep["status"] == "cancelled"
        assert child_processes(s.server_pid) == []
        # The first round's request was abandoned: no synthesis round was ever requested.
        await asyncio.sleep(0.5)
        assert s.server.calls == 1
        assert s.edits == []


async def test_malformed_params_get_errors_and_server_lives(session_factory: Any) -> None:
    async with session_factory(sandbox="local") as s:
        bad_args: list[list[Any]] = [
            [],
            [{"uri": 5}],
            [{"uri": s.uri, "position": {"line": "x", "character": 0}}],
            ["not an object"],
            [{"uri": s.uri, "position": {"line": 0, "character": 0}}, {"extra": 1}],
        ]
        for args in bad_args:
            with pytest.raises(JsonRpcException) as err:
                await s.command("pacore.solve", *args)
            assert err.value.code == -32602, args  # InvalidParams
        with pytest.raises(JsonRpcException) as err:
            await s.command("pacore.solve", {"uri": s.uri, "position": {
                "line": line_of(s.text, "def done("), "character": 4}})
        assert err.value.code == -32803 and "no function stub" in str(err.value)
        with pytest.raises(JsonRpcException):
            await s.command("pacore.cancel", {"position": 3})
        with pytest.raises(JsonRpcException):
            await s.command("pacore.report", 7)
        with pytest.raises(JsonRpcException):
            await s.command("pacore.nope")
        # Out-of-range positions in a code action are answered, not crashed on.
        assert await s.actions(10_000, 3) == []
        assert len(await s.actions(line_of(s.text, "def add("))) == 2


async def test_no_tests_found_says_how_to_add_them(session_factory: Any) -> None:
    async with session_factory(sandbox="local") as s:
        with pytest.raises(JsonRpcException) as err:
            await s.solve("def lonely(")
        msg = str(err.value)
        assert "No tests found for `lonely`" in msg and "pacore.testPaths" in msg
        assert "from pkg.mathx import lonely" in msg
        assert any("No tests found" in m.message for m in s.client.messages)
        # Doctests alone need the opt-in.
        with pytest.raises(JsonRpcException) as err:
            await s.solve("def square(")
        assert "pacore.allowWeakTests" in str(err.value)


@pytest.mark.docker
async def test_weak_tests_opt_in_solves_on_doctests(session_factory: Any,
                                                    require_docker_engine: None) -> None:
    async with session_factory(settings={"allowWeakTests": True}) as s:
        started = await s.solve("def square(")
        await s.wait_report("square")
        rep = await s.report(started["solveId"])
        assert rep["status"] == "solved" and rep["weak_verification"] is True
        assert "doctests only" in rep["verification"]["tests"]
        # doctests alone choose: `pacore.oracle` auto asks the model for a brute force too, once
        n = rep["verification"]["total"] - 1  # the doctest, and the oracle's generated inputs
        assert n >= 10 and rep["verification"]["passed"] == rep["verification"]["total"]
        assert rep["assurance"].endswith(f"+ matched the model's brute force on {n} generated inputs")
        prompts = [r["messages"][-1]["content"] for r in s.server.chat_requests]
        assert sum(p.startswith(ORACLE_MARKER) for p in prompts) == 1
        assert prompts[0].startswith("Write a brute force for the function `square`")
        assert len(s.edits) == 1


@pytest.mark.docker
async def test_weak_tests_opt_in_has_the_model_write_tests_first(session_factory: Any,
                                                                 require_docker_engine: None) -> None:
    async with session_factory(settings={"allowWeakTests": True, "oracle": "off"}) as s:  # tests only
        started = await s.solve("def lonely(")
        await s.wait_report("lonely")
        rep = await s.report(started["solveId"])
        assert rep["status"] == "solved" and rep["weak_verification"] is True, json.dumps(rep)[:3000]
        assert rep["verification"]["tests"] == "model-written tests only (weaker verification)"
        assert rep["verification"]["passed"] == rep["verification"]["total"] == 2
        assert len(s.edits) == 1
        prompts = [r["messages"][-1]["content"] for r in s.server.chat_requests]
        assert prompts[0].startswith("Write pytest tests for the function `lonely`")
        # The solve prompts show the model-written tests as the tests to pass.
        assert all("def test_lonely_pairs" in p for p in prompts[1:])


async def test_bad_settings_get_message_and_default(session_factory: Any) -> None:
    settings = {"preset": "ultra", "rounds": "a,b", "keepDocstring": "maybe",
                "sandbox": "vm", "baseUrl": "ftp://x", "colour": "red"}
    async with session_factory(sandbox="local", settings=settings) as s:
        await wait_for(lambda: len(s.client.messages) >= 6, 10, "six warnings")
        text = "\n".join(m.message for m in s.client.messages)
        for key in ("pacore.preset", "pacore.rounds", "pacore.keepDocstring", "pacore.sandbox",
                    "pacore.baseUrl", "pacore.colour"):
            assert key in text, key
        assert all(m.type == types.MessageType.Warning for m in s.client.messages)
        assert "using the default 'docker'" in text
        # The server still works with the defaults.
        assert len(await s.actions(line_of(s.text, "def add("))) == 2


async def test_workspace_configuration_is_read(session_factory: Any) -> None:
    async with session_factory(sandbox="local",
                               workspace_configuration={"rounds": [0]}) as s:
        await wait_for(lambda: any("pacore.rounds" in m.message for m in s.client.messages),
                       10, "rounds warning")


@pytest.mark.docker
async def test_doctor_command(session_factory: Any, require_docker_engine: None) -> None:
    async with session_factory(sandbox="local") as s:
        result = await s.command("pacore.doctor")
        checks = {c["name"]: c for c in result["checks"]}
        assert checks["model endpoint"]["ok"], checks
        assert checks["docker engine"]["ok"], checks
        assert set(checks) == {"model endpoint", "docker engine", "sandbox image"}
        assert all("fix" in c for c in result["checks"])
        assert any("PaCoRe doctor" in m.message for m in s.client.log_messages)


@pytest.mark.docker
async def test_doctor_command_checks_every_endpoint(
    session_factory: Any, require_docker_engine: None
) -> None:
    dead = "http://127.0.0.1:9/v1"
    async with session_factory(
        sandbox="local", workspace_configuration=lambda srv: {"baseUrl": [srv.base_url, dead]}
    ) as s:
        checks: dict[str, Any] = {}

        async def doctor() -> bool:  # the workspace configuration arrives after initialize
            result = await s.command("pacore.doctor")
            checks.update({c["name"]: c for c in result["checks"]})
            return "model endpoint 1 of 2" in checks

        for _ in range(100):
            if await doctor():
                break
            await asyncio.sleep(0.1)
        assert checks["model endpoint 1 of 2"]["ok"], checks
        second = checks["model endpoint 2 of 2"]
        assert not second["ok"] and dead in second["message"], second
        # the fix names the editor's setting, like every error the editor shows
        assert "or fix pacore.baseUrl" in second["fix"], second
        assert "PACORE_" not in second["fix"] and "--base-url" not in second["fix"], second
