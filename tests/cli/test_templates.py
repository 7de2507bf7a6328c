"""A user's `template_dir` rewords what `pacore solve` sends the model (the real console script)."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import clean_env, pacore
from tests.support import ScriptedServer

STUB = 'def double(x: int) -> int:\n    """Twice x."""\n    ...\n'
TESTS = "from double import double\n\ndef test_two():\n    assert double(2) == 4\n"
GOOD = "```python\ndef double(x: int) -> int:\n    return 2 * x\n```"


def test_pyproject_template_dir_replaces_the_statement_and_synthesis_prompt(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "function.j2").write_text(
        "WRITE {{ entry_point }} FROM:\n{{ stub | trim }}\nTESTS:\n{{ tests | trim }}\n")
    (prompts / "synthesis_code.j2").write_text(
        "AGAIN: {{ original_prompt }}{% for r in ref_responses %}\n--\n{{ r }}{% endfor %}")
    (tmp_path / "pyproject.toml").write_text('[tool.pacore]\ntemplate_dir = "prompts"\n')
    (tmp_path / "double.py").write_text(STUB)
    (tmp_path / "test_double.py").write_text(TESTS)
    with ScriptedServer(GOOD) as srv:
        out = pacore(["solve", "double.py", "--base-url", srv.base_url, "--model", srv.model,
                      "--rounds", "1", "--sandbox", "local"], cwd=tmp_path,
                     env=clean_env(PACORE_SANDBOX="local"))
        prompts_sent = [r["messages"][-1]["content"] for r in srv.chat_requests]
    assert out.code == 0, out.stderr
    assert prompts_sent[0] == (
        "WRITE double FROM:\n" + STUB.strip() + "\nTESTS:\n" + TESTS.replace(
            "from double import", "from solution import").strip())
    assert prompts_sent[1].startswith("AGAIN: WRITE double FROM:") and "\n--\n" in prompts_sent[1]


def test_a_missing_template_dir_is_a_usage_error_naming_the_setting(tmp_path: Path) -> None:
    (tmp_path / "double.py").write_text(STUB)
    (tmp_path / "test_double.py").write_text(TESTS)
    out = pacore(["solve", "double.py", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"],
                 cwd=tmp_path, env=clean_env(PACORE_TEMPLATE_DIR=str(tmp_path / "nope")))
    assert out.code == 2
    assert "prompt template directory" in out.stderr and "PACORE_TEMPLATE_DIR" in out.stderr
    assert "Traceback" not in out.stderr


def test_bench_statements_follow_template_dir_too(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "function.j2").write_text("BENCH {{ entry_point }}:\n{{ stub | trim }}\n")
    with ScriptedServer("```python\ndef f():\n    pass\n```") as srv:
        out = pacore(["bench", "--dataset", "humaneval", "--limit", "1", "--strategies", "single",
                      "--sandbox", "local", "--out", str(tmp_path / "out"),
                      "--base-url", srv.base_url, "--model", srv.model], cwd=tmp_path,
                     env=clean_env(PACORE_TEMPLATE_DIR=str(prompts), PACORE_SANDBOX="local"))
        sent = [r["messages"][-1]["content"] for r in srv.chat_requests]
    assert out.code == 0, out.stderr  # a wrong answer is a row that did not pass, not an error
    assert sent and sent[0].startswith("BENCH has_close_elements:\nfrom typing import List"), sent[0][:200]


def test_bench_with_a_missing_template_dir_is_a_usage_error(tmp_path: Path) -> None:
    out = pacore(["bench", "--dataset", "humaneval", "--limit", "1", "--strategies", "single",
                  "--base-url", "http://127.0.0.1:9/v1", "--model", "m"],
                 cwd=tmp_path, env=clean_env(PACORE_TEMPLATE_DIR=str(tmp_path / "nope")))
    assert out.code == 2
    assert "prompt template directory" in out.stderr and "PACORE_TEMPLATE_DIR" in out.stderr
    assert "Traceback" not in out.stderr
