"""docs/editors.md snippets work as written: every Lua snippet runs in a real Neovim with
the plugin, and the VS Code settings snippet validates against the extension's contributed
settings (types, enums, patterns)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.clients.test_nvim import PLUGIN, nvim_binary

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "editors.md"
PACKAGE = ROOT / "editor-clients" / "vscode" / "package.json"
RUNNER = Path(__file__).resolve().parent / "nvim" / "snippet_runner.lua"
ENDPOINT = "http://127.0.0.1:8000/v1"


def blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", DOC.read_text(), flags=re.M | re.S)


def contributed() -> dict[str, Any]:
    props: dict[str, Any] = json.loads(PACKAGE.read_text())["contributes"]["configuration"][
        "properties"]
    return props


def run_snippet(code: str, tmp_path: Path) -> dict[str, Any]:
    snippet = tmp_path / "snippet.lua"
    # a lazy.nvim spec is a table expression: return it so the runner can call its config()
    snippet.write_text(("return " + code) if code.lstrip().startswith("{") else code)
    result = tmp_path / "result.json"
    env = {**os.environ, "PACORE_NVIM_PLUGIN": str(PLUGIN), "PACORE_SNIPPET": str(snippet),
           "PACORE_TEST_RESULT": str(result), "XDG_STATE_HOME": str(tmp_path / "state")}
    proc = subprocess.run([nvim_binary(), "--headless", "--clean", "-c", f"luafile {RUNNER}"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert result.is_file(), proc.stderr
    data: dict[str, Any] = json.loads(result.read_text())
    assert data.get("error") is None, f"snippet failed:\n{code}\n{data['error']}"
    return data


def test_vscode_settings_snippet_matches_the_extension() -> None:
    props = contributed()
    (jsonc,) = blocks("jsonc")
    settings = json.loads("\n".join(re.sub(r"^\s*//.*$", "", line) for line in jsonc.splitlines()))
    assert settings["pacore.baseUrl"] == ENDPOINT
    kinds = {"string": str, "boolean": bool, "array": list}
    for key, value in settings.items():
        assert key in props, f"{key} is not a contributed setting"
        spec = props[key]
        assert isinstance(value, kinds[spec["type"]]), key
        if "enum" in spec:
            assert value in spec["enum"], key
        if "pattern" in spec:
            assert re.fullmatch(str(spec["pattern"]), str(value)), key


def test_every_vscode_setting_is_documented() -> None:
    text = DOC.read_text() + (ROOT / "docs" / "configuration.md").read_text()
    for key in contributed():
        short = key.removeprefix("pacore.")
        assert f"`{key}`" in text or f"`{short}`" in text, f"{key} is not documented"


@pytest.mark.nvim
def test_neovim_snippets_run(tmp_path: Path) -> None:
    snippets = blocks("lua")
    assert len(snippets) >= 5
    seen_setup = seen_builtin = seen_keymap = seen_statusline = False
    for i, code in enumerate(snippets):
        d = tmp_path / str(i)
        d.mkdir()
        if "PacoreSolve" in code or "statusline" in code:
            code = f'require("pacore").setup({{ settings = {{ baseUrl = "{ENDPOINT}" }} }})\n' + code
        data = run_snippet(code, d)
        if "setup(" in code:
            assert "PacoreSolve" in data["commands"] and "PacoreReport" in data["commands"]
            assert data["settings"]["baseUrl"] == ENDPOINT
            seen_setup = True
        if 'vim.lsp.config("pacore"' in code:
            assert data["cmd"] == ["pacore-lsp"], "lsp/pacore.lua was not merged"
            assert data["filetypes"] == ["python"]
            assert data["settings"]["baseUrl"] == ENDPOINT
            seen_builtin = True
        if "keymap.set" in code:
            assert "PacoreSolve" in data["leader_ps"]
            seen_keymap = True
        if "statusline" in code:
            assert "statusline" in data and data["status"] == ""
            seen_statusline = True
    assert seen_setup and seen_builtin and seen_keymap and seen_statusline
