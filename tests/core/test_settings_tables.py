"""The editors' settings tables and docs/configuration.md are what the key table generates
(scripts/gen_settings.py): a key added to, changed in or removed from pacore_core/config.py
without regenerating fails here."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pacore_core.config import KEYS, RunConfig, Settings
from pacore_core.config_loader import load_config

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_settings.py"


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_settings", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_files_are_up_to_date() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr


def test_check_fails_when_an_editor_table_drifts(gen: ModuleType, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A package.json missing one key (the state of the 14-of-42 bug) is reported stale."""
    package = json.loads((ROOT / "editor-clients/vscode/package.json").read_text())
    del package["contributes"]["configuration"]["properties"]["pacore.solveByAgreement"]
    stale = tmp_path / "package.json"
    stale.write_text(json.dumps(package, indent=2) + "\n")
    monkeypatch.setattr(gen, "PACKAGE_JSON", stale)
    lua = tmp_path / "settings_table.lua"
    lua.write_text(gen.nvim_table().replace("  solveByAgreement = ", "  solveByAgreemen = "))
    monkeypatch.setattr(gen, "NVIM_TABLE", lua)
    for name in ("SETTINGS_TS", "CONFIG_DOC"):  # never write into the checkout
        copy = tmp_path / getattr(gen, name).name
        copy.write_text(getattr(gen, name).read_text())
        monkeypatch.setattr(gen, name, copy)
    assert gen.main(["--check"]) == 1
    assert gen.main([]) == 0  # regenerating repairs both
    assert gen.main(["--check"]) == 0
    assert "pacore.solveByAgreement" in json.loads(stale.read_text())["contributes"][
        "configuration"]["properties"]


def test_vscode_declares_every_key_with_its_shape() -> None:
    props = json.loads((ROOT / "editor-clients/vscode/package.json").read_text())[
        "contributes"]["configuration"]["properties"]
    server = {f"pacore.{spec.editor}" for spec in KEYS.values()}
    assert server <= set(props), sorted(server - set(props))
    assert set(props) - server == {"pacore.previewDiff", "pacore.serverPath", "pacore.pythonPath"}
    assert props["pacore.apiKey"]["scope"] == "machine"
    assert props["pacore.sandbox"]["enum"] == ["docker", "local", "ray"]
    assert props["pacore.agreement"]["enum"] == ["auto", "on", "off"]
    assert props["pacore.solveByAgreement"] == {**props["pacore.solveByAgreement"],
                                                "type": "boolean", "default": False}
    assert props["pacore.temperature"]["maximum"] == 2.0
    assert props["pacore.topP"]["exclusiveMinimum"] == 0.0
    assert props["pacore.limits"]["properties"]["timeout_s"]["type"] == "number"
    assert props["pacore.testPaths"]["type"] == "array"
    assert props["pacore.rounds"]["type"] == "string"  # "32,4", as the flag
    assert [props[f"pacore.{s.editor}"]["order"] for s in KEYS.values()] == list(range(len(KEYS)))


def test_every_vscode_default_is_a_value_the_server_accepts() -> None:
    """What the Settings UI shows as the default is what the server would use."""
    props = json.loads((ROOT / "editor-clients/vscode/package.json").read_text())[
        "contributes"]["configuration"]["properties"]
    given = {spec.editor: props[f"pacore.{spec.editor}"]["default"] for spec in KEYS.values()}
    config, problems = load_config(None, {}, given, namer=lambda k: f"pacore.{k}",
                                   empty_is_unset=True)
    assert problems == []
    assert config == Settings(run=RunConfig())


def test_neovim_table_knows_every_key(gen: ModuleType) -> None:
    lua = (ROOT / "editor-clients/nvim/lua/pacore/settings_table.lua").read_text()
    for spec in KEYS.values():
        assert f"\n  {spec.editor} = {{ types = " in lua, spec.editor
    assert '  sandbox = { types = { "string" }, enum = { "docker", "local", "ray" }' in lua
