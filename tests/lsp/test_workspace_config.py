"""The language server honours `[tool.pacore]` of the workspace (real client over stdio)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from tests.lsp.conftest import wait_for


async def test_workspace_pyproject_changes_what_the_model_is_sent(
        tmp_path: Path, session_factory: Any) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "pyproject.toml").write_text(
        '[project]\nname = "ws"\n\n[tool.pacore]\npreset = "medium"\ntemperature = 0.3\n'
        'selection = "synthesis"\n')
    # "rounds": "" unsets the fixture's editor rounds, so the workspace's preset applies.
    async with session_factory(sandbox="local", settings={"rounds": ""}) as s:
        started = await s.solve("def add(")
        await s.wait_report("add")
        rep = await s.report(started["solveId"])
        requests = s.server.chat_requests
    assert [r.get("n", 1) for r in requests] == [16, 1], [r.get("n") for r in requests]
    assert {r["temperature"] for r in requests} == {0.3}
    assert rep["status"] == "solved", rep
    assert rep["selected"]["source"] == "final", rep["selected"]  # verified would be "candidate"


async def test_bad_workspace_value_is_named_and_the_rest_applies(
        tmp_path: Path, session_factory: Any) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "pyproject.toml").write_text('[tool.pacore]\nmax_tokens = "lots"\ntemperature = 0.4\n')
    async with session_factory(sandbox="local") as s:
        await wait_for(lambda: any("max_tokens" in m.message for m in s.client.messages), 10,
                       "the max_tokens warning")
        await s.solve("def add(")
        await s.wait_report("add")
        requests = s.server.chat_requests
        text = "\n".join(m.message for m in s.client.messages)
    assert f"{ws / 'pyproject.toml'} [tool.pacore] max_tokens: invalid value 'lots'" in text
    assert "using the default 4096" in text
    assert text.count("max_tokens") == 1  # announced once, not again at the solve
    assert {r["temperature"] for r in requests} == {0.4}
    assert {r["max_tokens"] for r in requests} <= {4096}


async def test_rounds_as_a_number_in_the_editor(session_factory: Any) -> None:
    async with session_factory(sandbox="local", settings={"rounds": 3}) as s:
        await s.solve("def add(")
        await s.wait_report("add")
        requests = s.server.chat_requests
        warnings = [m.message for m in s.client.messages]
    assert [r.get("n", 1) for r in requests] == [3, 1]
    assert warnings == []


async def test_a_float_rounds_is_named_and_the_other_settings_are_kept(
        session_factory: Any) -> None:
    async with session_factory(sandbox="local", settings={"rounds": 2.5}) as s:
        await wait_for(lambda: any("pacore.rounds" in m.message for m in s.client.messages), 10,
                       "the rounds warning")
        await s.solve("def add(")  # the model is still configured: the layer was not dropped
        await s.wait_report("add")
        requests = s.server.chat_requests
        text = "\n".join(m.message for m in s.client.messages)
    assert "pacore.rounds: invalid value 2.5: must be whole numbers" in text
    assert "using the preset's widths" in text
    assert [r.get("n", 1) for r in requests] == [4, 1]


async def test_configuration_errors_name_editor_settings(session_factory: Any) -> None:
    async with session_factory(sandbox="local", settings={"baseUrl": ""}) as s:
        with pytest.raises(JsonRpcException) as err:
            await s.solve("def add(")
    message = str(err.value)
    assert "no model server configured" in message
    assert "pacore.baseUrl" in message and "pacore.replay" in message, message
    assert "--base-url" not in message and "PACORE_BASE_URL" not in message, message


async def test_unparsable_pyproject_and_nested_typos_are_warnings_in_the_editor(
        tmp_path: Path, session_factory: Any) -> None:
    # The command line refuses to run on such a pyproject; the editor warns, uses the lower
    # layers (here its own settings) and still solves. A typo inside the `limits` table is
    # named like a top-level one.
    # (beside the module, where the server looks first; pytest in the sandbox reads the
    # workspace root's, which a broken file would stop before any test ran)
    pkg = tmp_path / "ws" / "pkg"
    async with session_factory(sandbox="local", settings={"limits": {"timout_s": 3}},
                               files={"pkg/pyproject.toml": "[tool.pacore]\n"
                                      "sandbox_runtime = runsc\n"}) as s:
        await s.solve("def add(")
        report = await s.wait_report("add")
        await wait_for(lambda: len(s.client.messages) >= 2, 10, "two warnings")
        text = "\n".join(m.message for m in s.client.messages)
    assert f"{pkg / 'pyproject.toml'} line 2: not valid TOML" in text, text
    assert "its [tool.pacore] settings are ignored until it is fixed" in text, text
    assert ("pacore.limits key timout_s: unknown setting (ignored); did you mean timeout_s?"
            in text), text
    assert "solved" in report, report
