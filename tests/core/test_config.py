"""The one configuration table and its layers: defaults < [tool.pacore] < PACORE_* < flags/editor."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pacore_core.config import KEYS, RunConfig, cli_flag, editor_setting, markdown_table
from pacore_core.config_loader import ConfigProblem, load_config

DOCS = Path(__file__).resolve().parents[2] / "docs"


def load(tmp: Path, env: dict[str, str] | None = None, overrides: dict[str, Any] | None = None,
         **kw: Any) -> tuple[Any, list[ConfigProblem]]:
    return load_config(tmp, env or {}, overrides or {}, **kw)


def errors(problems: list[ConfigProblem]) -> list[str]:
    return [p.what() for p in problems if p.is_error]


def test_presets_and_final_round(tmp_path: Path) -> None:
    for preset, widths in {"low": [4, 1], "medium": [16, 1], "high": [32, 4, 1]}.items():
        s, problems = load(tmp_path, overrides={"preset": preset})
        assert s.run.widths == widths and problems == []
    assert RunConfig(rounds=[]).widths == [1]  # bench's single sample


def test_environment_contract(tmp_path: Path) -> None:
    env = {
        "PACORE_BASE_URL": "http://127.0.0.1:9/v1, http://127.0.0.1:10/v1/",
        "PACORE_MODEL": "m",
        "PACORE_API_KEY": "k",
        "PACORE_ROUNDS": "32,4",
        "PACORE_PRESET": "low",
        "PACORE_SANDBOX": "local",
        "PACORE_SANDBOX_RUNTIME": "runsc",
    }
    s, problems = load(tmp_path, env)
    assert problems == []
    assert s.server.base_url == ["http://127.0.0.1:9/v1", "http://127.0.0.1:10/v1"]
    assert s.server.endpoint == "http://127.0.0.1:9/v1"
    assert (s.server.model, s.server.api_key) == ("m", "k")
    assert (s.server.sandbox, s.server.sandbox_runtime) == ("local", "runsc")
    assert s.run.rounds == [32, 4]  # rounds wins over a preset of the same layer


def test_contract_names_in_the_table() -> None:
    contract = {"base_url": ("PACORE_BASE_URL", "baseUrl"), "model": ("PACORE_MODEL", "model"),
                "api_key": ("PACORE_API_KEY", "apiKey"), "preset": ("PACORE_PRESET", "preset"),
                "rounds": ("PACORE_ROUNDS", "rounds"), "sandbox": ("PACORE_SANDBOX", "sandbox"),
                "sandbox_runtime": ("PACORE_SANDBOX_RUNTIME", "sandboxRuntime"),
                "image": ("PACORE_SANDBOX_IMAGE", "image")}
    for key, (env, editor) in contract.items():
        assert (KEYS[key].env, KEYS[key].editor) == (env, editor), key
    assert cli_flag("base_url") == "--base-url" and cli_flag("sandbox_runtime") == "--runtime"
    assert cli_flag("temperature") == "PACORE_TEMPERATURE"  # no flag: the variable
    assert editor_setting("base_url") == "pacore.baseUrl"
    assert len({s.editor for s in KEYS.values()}) == len(KEYS)
    assert all(s.description for s in KEYS.values()), "every key is documented"


def test_pyproject_then_env_then_overrides(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pacore]\nmodel = "from-file"\npreset = "medium"\nmax_tokens = 512\n'
        'template = "prompts/s.j2"\nvllm_args = { dtype = "float32" }\n'
        '[tool.pacore.limits]\ntimeout_s = 3\n'
    )
    sub = tmp_path / "pkg"
    sub.mkdir()
    s, problems = load(sub, {"PACORE_MODEL": "from-env", "PACORE_TEMPERATURE": "0.25"})
    assert problems == []
    assert s.server.model == "from-env" and s.run.rounds == [16] and s.run.max_tokens == 512
    assert s.run.temperature == 0.25 and s.run.limits.timeout_s == 3
    assert s.server.vllm_args == {"dtype": "float32"}
    assert s.run.template == tmp_path / "prompts" / "s.j2"  # relative to the pyproject
    s, _ = load(sub, {}, {"baseUrl": "http://x/v1", "rounds": [2, 2], "model": ""},
                empty_is_unset=True)
    assert s.server.base_url == ["http://x/v1"] and s.run.rounds == [2, 2]
    assert s.server.model == "from-file"  # an empty editor value leaves the lower layer
    s, _ = load(sub, {}, {"rounds": [], "testPaths": []}, empty_is_unset=True)
    assert s.run.rounds == [16]  # an empty editor list too
    s, _ = load(sub, {"PACORE_ROUNDS": "8"}, {"preset": "high"})
    assert s.run.rounds == [32, 4]  # a preset given in a higher layer wins over lower rounds


def test_image_variable_is_pacore_sandbox_image(tmp_path: Path) -> None:
    s, problems = load(tmp_path, {"PACORE_SANDBOX_IMAGE": "mine:1"})
    assert s.server.image == "mine:1" and problems == []
    s, problems = load(tmp_path, {"PACORE_IMAGE": "old:1"})
    assert s.server.image == "old:1"
    assert [str(p) for p in problems] == ["PACORE_IMAGE: deprecated name: use PACORE_SANDBOX_IMAGE"]


def test_bad_value_falls_back_per_key_and_keeps_the_rest(tmp_path: Path) -> None:
    s, problems = load(tmp_path, {"PACORE_SANDBOX": "local", "PACORE_MODEL": "m"},
                       {"sandbox": "vm", "rounds": "a,b", "temperature": 0.5},
                       namer=editor_setting, empty_is_unset=True)
    assert s.server.sandbox == "local" and s.server.model == "m" and s.run.temperature == 0.5
    assert s.run.rounds == [4]
    text = [str(p) for p in problems]
    assert any(t.startswith("pacore.sandbox: invalid value 'vm'") and
               t.endswith("using 'local' from PACORE_SANDBOX") for t in text), text
    assert any(t.startswith("pacore.rounds: invalid value 'a,b'") and
               t.endswith("using the preset's widths") for t in text), text
    s, problems = load(tmp_path, {}, {"preset": "ultra"}, namer=editor_setting)
    assert s.preset == "low" and str(problems[0]).endswith("using the default 'low'")


def test_rounds_as_a_number(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pacore]\nrounds = 4\nmax_tokens = 99\n")
    s, problems = load(tmp_path)
    assert s.run.rounds == [4] and s.run.max_tokens == 99 and problems == []
    s, problems = load(tmp_path, {}, {"rounds": 6}, namer=editor_setting)
    assert s.run.rounds == [6] and problems == []
    (tmp_path / "pyproject.toml").write_text("[tool.pacore]\nrounds = 4.5\nmax_tokens = 99\n")
    s, problems = load(tmp_path)
    assert s.run.max_tokens == 99 and s.run.rounds == [4]
    assert errors(problems) == [f"{tmp_path / 'pyproject.toml'} [tool.pacore] rounds: invalid "
                                "value 4.5: must be whole numbers such as 4 or '32,4', not a float"]


@pytest.mark.parametrize(("env", "overrides", "pyproject", "expected"), [
    ({}, {"rounds": "0"}, "", r"^--rounds: invalid value '0': must be positive integers"),
    ({}, {"rounds": "-1"}, "", r"^--rounds: invalid value '-1': must be positive integers"),
    ({"PACORE_ROUNDS": "abc"}, {}, "", r"^PACORE_ROUNDS: invalid value 'abc': must be comma"),
    ({}, {}, 'max_tokens = "lots"', r"\[tool.pacore\] max_tokens: invalid value 'lots': "
     r"Input should be a valid integer"),
    ({}, {}, "request_timeout_s = 0", r"\[tool.pacore\] request_timeout_s: invalid value 0: "
     r"Input should be greater than 0"),
    ({}, {"rounds": ""}, "", r"^--rounds: invalid value '': is empty"),
    ({}, {"rounds": ","}, "", r"^--rounds: invalid value ',': is empty"),
    ({}, {"rounds": "4,,2"}, "", r"^--rounds: invalid value '4,,2': has an empty width"),
    ({}, {"rounds": "1000000"}, "", r"^--rounds: invalid value '1000000': rounds: width 1000000 "
     r"is above max_width 256 \(one request would ask for n=1000000"),
])
def test_validation_names_key_value_and_reason(tmp_path: Path, env: dict[str, str],
                                               overrides: dict[str, str], pyproject: str,
                                               expected: str) -> None:
    if pyproject:
        (tmp_path / "pyproject.toml").write_text(f"[tool.pacore]\n{pyproject}\n")
    _, problems = load(tmp_path, env, overrides)
    assert len(errors(problems)) == 1, problems
    assert re.search(expected, errors(problems)[0]), errors(problems)[0]


def test_a_raised_max_width_allows_wide_rounds(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pacore]\nmax_width = 1024\n")
    s, problems = load(tmp_path, {}, {"rounds": "512"})
    assert s.run.rounds == [512] and problems == []


def test_unparsable_pyproject_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n[tool.pacore]\npreset = medium\n')
    s, problems = load(tmp_path, {"PACORE_MODEL": "m"})
    assert s.server.model == "m" and s.preset == "low"
    # an error for the command line (it refuses to run on partial settings); the editor
    # shows it as a warning and uses the lower layers, as here
    assert len(problems) == 1 and problems[0].is_error and problems[0].kind == "unreadable"
    assert f"{path} line 4: not valid TOML" in str(problems[0])
    assert "ignored until it is fixed" in str(problems[0])


def test_unknown_keys_are_named(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pacore]\ncolour = 1\n")
    _, problems = load(tmp_path, {}, {"flavour": "x"}, namer=editor_setting)
    assert sorted(p.kind for p in problems) == ["unknown", "unknown"]
    assert "pacore.flavour: unknown setting" in "\n".join(map(str, problems))


def test_configuration_page_table_is_the_generated_one() -> None:
    text = (DOCS / "configuration.md").read_text()
    start, end = "<!-- config-table:start", "\n<!-- config-table:end -->"
    assert start in text and end in text, "docs/configuration.md needs the generated table"
    table = text.split(start, 1)[1].split("\n", 1)[1].split(end, 1)[0]
    assert table == markdown_table(), (
        "docs/configuration.md's table is out of date: run .venv/bin/python scripts/gen_settings.py")


def test_editor_docs_settings_are_table_keys() -> None:
    text = (DOCS / "editors.md").read_text().split("### Settings", 1)[1].split("VS Code adds", 1)[0]
    named = re.findall(r"`([a-z][A-Za-z]+)`", text)
    assert len(named) >= 10, named
    unknown = [n for n in named if n != "pacore" and n not in {s.editor for s in KEYS.values()}]
    assert unknown == [], f"docs/editors.md names editor settings that are not keys: {unknown}"


def test_agreement_is_auto_by_default_and_booleans_still_work() -> None:
    assert RunConfig().agreement == "auto"
    for given, meant in ((True, "on"), (False, "off"), ("true", "on"), ("0", "off"), ("on", "on")):
        assert RunConfig(agreement=given).agreement == meant
    with pytest.raises(ValueError, match="agreement"):
        RunConfig(agreement="sometimes")
