"""Settings: presets, PACORE_* variables, [tool.pacore], LSP key names, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pacore_core.config import RunConfig, load_settings


def test_presets_and_final_round(tmp_path: Path) -> None:
    for preset, widths in {"low": [4, 1], "medium": [16, 1], "high": [32, 4, 1]}.items():
        s = load_settings({"preset": preset}, env={}, cwd=tmp_path)
        assert s.run.widths == widths
    assert RunConfig(rounds="").widths == [1]


def test_environment_contract(tmp_path: Path) -> None:
    env = {
        "PACORE_BASE_URL": "http://127.0.0.1:9/v1",
        "PACORE_MODEL": "m",
        "PACORE_API_KEY": "k",
        "PACORE_ROUNDS": "32,4",
        "PACORE_PRESET": "low",
        "PACORE_SANDBOX": "local",
    }
    s = load_settings(env=env, cwd=tmp_path)
    assert (s.server.base_url, s.server.model, s.server.api_key) == ("http://127.0.0.1:9/v1", "m", "k")
    assert s.server.sandbox == "local"
    assert s.run.rounds == [32, 4]  # rounds wins over preset


def test_pyproject_table_then_env_then_overrides(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pacore]\nmodel = "from-file"\npreset = "medium"\nmax_tokens = 512\n'
        'vllm_args = { dtype = "float32" }\n'
    )
    sub = tmp_path / "pkg"
    sub.mkdir()
    s = load_settings(env={"PACORE_MODEL": "from-env"}, cwd=sub)
    assert s.server.model == "from-env" and s.run.rounds == [16] and s.run.max_tokens == 512
    assert s.server.vllm_args == {"dtype": "float32"}
    s = load_settings({"baseUrl": "http://x/v1", "rounds": [2, 2], "model": ""}, env={}, cwd=sub)
    assert s.server.base_url == "http://x/v1" and s.run.rounds == [2, 2]
    assert s.server.model == "from-file"  # an empty override leaves the lower layer in force


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"preset": "extreme"}, "unknown preset 'extreme'; choose one of low, medium, high"),
        ({"rounds": "32,x"}, "rounds must be comma-separated positive integers"),
        ({"rounds": [4, 0]}, "rounds must be positive integers"),
        ({"sandbox": "vm"}, "sandbox"),
    ],
)
def test_bad_values_say_what_is_wrong(tmp_path: Path, overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_settings(overrides, env={}, cwd=tmp_path)
