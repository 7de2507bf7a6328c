"""A corpus of bad input to the `pacore` command: each case is one row.

Every case runs the real console script with `--json` and checks: the exit status, exactly
one JSON object on stdout (status "error"), the messages on stderr (what was wrong, where,
why), no traceback, and that no model request was made (the scripted server is configured
through PACORE_BASE_URL and must stay silent). The next bad-input class is one more row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cli.conftest import clean_env, pacore
from tests.support import Reply, ScriptedServer

STATEMENT = "# Sum\n\nRead n, then n integers; print their sum.\n\n## Sample Input\n\n```\n" \
            "2\n1 2\n```\n\n## Sample Output\n\n```\n3\n```\n"


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]
    stderr: list[str]  # every one must appear (the file path is written as {tmp})
    code: int = 2
    files: dict[str, str] = field(default_factory=dict)  # path -> text ("/" suffix: a dir)
    env: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # must appear in the JSON object's "error"
    absent: list[str] = field(default_factory=list)  # must not appear on stderr


SOLVE = ["solve", "sum.md"]
CASES = [
    # settings and arguments
    Case("rounds-zero", [*SOLVE, "--rounds", "0"],
         ["--rounds: invalid value '0': must be positive integers"], error="--rounds"),
    Case("rounds-negative", [*SOLVE, "--rounds", "-1"],
         ["--rounds: invalid value '-1': must be positive integers"]),
    Case("rounds-env-text", SOLVE, ["PACORE_ROUNDS: invalid value 'abc': must be comma-separated"],
         env={"PACORE_ROUNDS": "abc"}),
    Case("max-tokens-text", SOLVE,
         ["{tmp}/pyproject.toml [tool.pacore] max_tokens: invalid value 'lots': Input should "
          "be a valid integer"], files={"pyproject.toml": '[tool.pacore]\nmax_tokens = "lots"\n'}),
    Case("timeout-zero", SOLVE,
         ["[tool.pacore] request_timeout_s: invalid value 0: Input should be greater than 0"],
         files={"pyproject.toml": "[tool.pacore]\nrequest_timeout_s = 0\n"}),
    Case("rounds-float", SOLVE, ["[tool.pacore] rounds: invalid value 4.5: must be whole numbers"],
         files={"pyproject.toml": "[tool.pacore]\nrounds = 4.5\n"}),
    Case("rounds-too-wide", [*SOLVE, "--rounds", "1000000"],
         ["--rounds: invalid value '1000000'", "above max_width 256", "raise max_width"]),
    Case("rounds-empty", [*SOLVE, "--rounds", ""], ["--rounds: invalid value '': is empty"]),
    Case("rounds-comma", [*SOLVE, "--rounds", ","], ["--rounds: invalid value ',': is empty"]),
    Case("two-bad-values", [*SOLVE, "--rounds", "x"],
         ["invalid settings:", "--rounds: invalid value 'x'", "PACORE_TEMPERATURE: invalid value "
          "'hot'"], env={"PACORE_TEMPERATURE": "hot"}),
    # a pyproject that does not parse could hold sandbox_runtime = "runsc": never run on defaults
    Case("pyproject-unparsable", SOLVE,
         ["pacore solve: {tmp}/pyproject.toml line 3: not valid TOML: Invalid value",
          "Fix the file: the command line does not run without the [tool.pacore] settings"],
         files={"pyproject.toml": '[tool.pacore]\nsandbox_runtime = "runsc"\npreset = medium\n'},
         error="pyproject.toml line 3", absent=["pacore: warning:"]),
    Case("nested-key-typo", [*SOLVE, "--rounds", "0"],
         ["pacore: warning: {tmp}/pyproject.toml [tool.pacore.limits] bogus_limit: unknown "
          "setting (ignored); valid keys: timeout_s, memory_mb, output_kb",
          "[tool.pacore.limits] timout_s: unknown setting (ignored); did you mean timeout_s?"],
         files={"pyproject.toml": "[tool.pacore.limits]\nbogus_limit = 3\ntimout_s = 2\n"}),
    Case("nested-key-typo-env", [*SOLVE, "--rounds", "0"],
         ["pacore: warning: PACORE_LIMITS key memry_mb: unknown setting (ignored); did you mean "
          "memory_mb?"], env={"PACORE_LIMITS": '{"memry_mb": 256}'}),
    Case("nested-value-named", SOLVE,
         ["[tool.pacore] limits: invalid value {'memory_mb': 1}: memory_mb: Input should be "
          "greater than or equal to"], files={"pyproject.toml": "[tool.pacore.limits]\nmemory_mb = 1\n"}),
    Case("rounds-number-is-fine", [*SOLVE, "--output", "out"],
         ["--output out is a directory"], files={"pyproject.toml": "[tool.pacore]\nrounds = 4\n",
                                                 "out/": ""}),
    Case("unknown-pyproject-key", [*SOLVE, "--rounds", "0"],
         ["pacore: warning: {tmp}/pyproject.toml [tool.pacore] colour: unknown setting"],
         files={"pyproject.toml": "[tool.pacore]\ncolour = 1\n"}),
    Case("old-image-variable", [*SOLVE, "--rounds", "0"],
         ["pacore: warning: PACORE_IMAGE: deprecated name: use PACORE_SANDBOX_IMAGE"],
         env={"PACORE_IMAGE": "x:1"}),
    # paths
    Case("output-is-a-directory", [*SOLVE, "--output", "outdir"],
         ["--output outdir is a directory: give a file name"], files={"outdir/": ""}),
    Case("record-under-a-file", [*SOLVE, "--record", "afile/run.json"],
         ["--record afile/run.json: cannot create its directory, afile is a file"],
         files={"afile": "x"}),
    Case("template-missing", [*SOLVE, "--sandbox", "local"],
         ["cannot read synthesis template {tmp}/nope.j2", "set PACORE_TEMPLATE"],
         files={"pyproject.toml": '[tool.pacore]\ntemplate = "nope.j2"\n'}, error="nope.j2"),
    # a run that fails: the fix names the flag, not the configuration key
    Case("unreachable-server", [*SOLVE, "--sandbox", "local", "--base-url", "http://127.0.0.1:9/v1",
                                "--model", "m"],
         ["cannot reach model server at http://127.0.0.1:9/v1",
          "set --base-url to a running OpenAI-compatible server"], code=1,
         error="set --base-url to a running"),
    # usage errors
    Case("unknown-flag", [*SOLVE, "--bogus"], ["unrecognized arguments: --bogus"],
         error="unrecognized arguments: --bogus"),
    Case("missing-problem-argument", ["solve"], ["the following arguments are required: PROBLEM"]),
    Case("bench-without-dataset", ["bench"], ["the following arguments are required: --dataset"],
         error="--dataset"),
    Case("bench-bad-setting", ["bench", "--dataset", "humaneval", "--limit", "1"],
         ["[tool.pacore] max_tokens: invalid value 'lots'"],
         files={"pyproject.toml": '[tool.pacore]\nmax_tokens = "lots"\n'}),
    Case("doctor-bad-url", ["doctor", "--base-url", "ftp://x"],
         ["--base-url: invalid value 'ftp://x': 'ftp://x' must start with http:// or https://"]),
    # a stub without tests: advice for a stub (where tests were looked for, --tests, --agreement)
    Case("stub-without-tests", ["solve", "shapes.py"],
         ["no tests found for `area` in shapes.py: looked for test_shapes.py or shapes_test.py "
          "in {tmp}, {tmp}/tests or {tmp}/tests/hidden, and for >>> examples in its docstring; "
          "give a test file or a directory of test_*.py files with --tests PATH, or turn on "
          "--agreement to choose among the candidates"],
         files={"shapes.py": 'def area(w: int, h: int) -> int:\n    """Area."""\n    ...\n'},
         error="--tests PATH", absent=["sample blocks", ". or", "NAME.in"]),
    Case("statement-without-samples", ["solve", "plain.md"],
         ["no tests found for plain.md: its statement has no sample blocks",
          "give a directory of NAME.in/NAME.out files with --tests PATH, or turn on --agreement"],
         files={"plain.md": "# Plain\n\nPrint 1.\n"}, absent=[". or"]),
    # bad files
    Case("replay-record-unparsable", [*SOLVE, "--replay", "run.json"],
         ["run.json", "not valid JSON"], files={"run.json": "{"}, error="run.json"),
    Case("pool-unparsable", [*SOLVE, "--pool", "pool.json"], ["pool.json", "not valid JSON"],
         files={"pool.json": "[1,"}, error="pool.json"),
    Case("tests-json-unparsable", ["sandbox", "run", "--backend", "local", "--code", "a.py",
                                   "--tests", "bad.json"],
         ["bad.json: not valid JSON (line 1, column 12"], files={"a.py": "print(1)\n",
                                                              "bad.json": '[{"input": '},
         error="bad.json"),
]


@pytest.fixture(scope="module")
def silent_server() -> Iterator[ScriptedServer]:
    with ScriptedServer(Reply("```python\nprint(0)\n```")) as srv:
        yield srv


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, silent_server: ScriptedServer) -> None:
    (tmp_path / "sum.md").write_text(STATEMENT)
    for name, text in case.files.items():
        if name.endswith("/"):
            (tmp_path / name).mkdir()
        else:
            (tmp_path / name).write_text(text)
    before = len(silent_server.chat_requests)
    env = clean_env(PACORE_BASE_URL=silent_server.base_url, **case.env)
    out = pacore([*case.argv, "--json"], cwd=tmp_path, env=env)
    assert out.code == case.code, out.stderr
    for expected in case.stderr:
        assert expected.replace("{tmp}", str(tmp_path)) in out.stderr, out.stderr
    for unwanted in case.absent:
        assert unwanted not in out.stderr, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, out.stdout
    obj = json.loads(lines[0])
    assert obj.get("status", "error" if obj.get("ok") is False else None) == "error", obj
    if case.error is not None:
        assert case.error in obj["error"], obj
    assert len(silent_server.chat_requests) == before, "no tokens are spent on bad input"
