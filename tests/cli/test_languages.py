"""Each compiled language end to end: `pacore solve` on a statement problem with the
scripted model, the Docker sandbox and the real compiler. Round 1 answers with a program
that does not compile; the compiler's diagnostic must reach the synthesis prompt, whose
answer (the right program) comes back solved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sandbox import languages
from tests.cli.conftest import pacore
from tests.support import Reply, ScriptedServer, is_synthesis
from tests.support.programs import MAXIMUM, MAXIMUM_STATEMENT, maximum_tests

NEW = [n for n in languages.names() if n not in ("python", "cpp")]  # those two have their own suites


def _fenced(language: str, code: str) -> str:
    return f"Here is my program.\n```{languages.get(language).fence}\n{code}```\n"


def _problem(tmp_path: Path, language: str, *, front_matter: bool) -> Path:
    d = tmp_path / "maximum"
    (d / "tests" / "hidden").mkdir(parents=True)
    head = f"---\nlanguage: {language}\n---\n" if front_matter else ""
    (d / "problem.md").write_text(head + MAXIMUM_STATEMENT)
    for i, (inp, out) in enumerate(maximum_tests(3)):
        where = d / "tests" / ("hidden" if i == 2 else "")
        (where / f"t{i}.in").write_text(inp)
        (where / f"t{i}.out").write_text(out)
    return d


@pytest.mark.docker
@pytest.mark.parametrize("language", NEW)
def test_solved_after_a_compilation_error_reaches_the_synthesis(
    tmp_path: Path, language: str, docker_ready: None
) -> None:
    programs = MAXIMUM[language]
    spec = languages.get(language)

    def respond(req: dict[str, Any], _choice: int, _call: int) -> Reply:
        return Reply(_fenced(language, programs.good if is_synthesis(req) else programs.broken))

    # java by flag, the others by the statement's front matter
    by_flag = language == "java"
    d = _problem(tmp_path, language, front_matter=not by_flag)
    answer = tmp_path / f"answer{spec.extensions[0]}"
    with ScriptedServer(respond) as srv:
        out = pacore(["solve", d, "--rounds", "1", "--base-url", srv.base_url, "--model",
                      srv.model, "--json", "--output", answer,
                      *(["--language", language] if by_flag else [])], cwd=tmp_path)  # fmt: skip
        prompts = [r["messages"][-1]["content"] for r in srv.chat_requests]
    assert out.code == 0, out.stderr + out.stdout
    obj = json.loads(out.stdout)
    assert obj["status"] == "solved" and obj["language"] == language
    assert obj["verification"]["verdict"] == "passed"
    assert obj["verification"]["judge"] == "accepted"
    assert obj["verification"]["public"] == {"passed": 3, "total": 3}  # 2 files + the sample
    assert obj["verification"]["hidden"] == {"passed": 1, "total": 1}
    assert answer.read_text() == programs.good
    first = obj["rounds"][0]["trajectories"][0]["verification"]
    assert first["verdict"] == "compile_error" and first["judge"] == "compilation error"
    # the statement names the language and its conventions; the synthesis sees the compiler
    assert spec.display in prompts[0] and spec.io_conventions in prompts[0]
    assert f"```{spec.fence}" in prompts[0]
    synthesis = prompts[1]
    assert "Verification: compilation error." in synthesis
    assert programs.diagnostic in synthesis
