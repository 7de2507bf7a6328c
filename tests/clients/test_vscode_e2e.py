"""The VS Code extension end to end in real VS Code: code-server (VS Code 1.139) in headless
chromium, driven through its UI with playwright; the packaged .vsix; the real language
server; the scripted model server; the real Docker sandbox.

One code-server and one browser serve the whole module (starting them costs ~10 s); each
test works on its own file of the workspace. A screenshot of each end state is saved under
tests/.artifacts/vscode/.
"""

from __future__ import annotations

import os
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.clients.vscode_env import (
    CHROMIUM,
    ROOT,
    CodeServer,
    ensure_installed,
    package_extension,
    pacore_containers,
    workspace_settings,
    write_json,
)
from tests.conftest import require_docker
from tests.support.processes import alive, descendants
from tests.support.scripted_server import Reply, ScriptedServer, is_synthesis, last_user_text

pytestmark = [pytest.mark.vscode, pytest.mark.docker, pytest.mark.node]

ARTIFACTS = ROOT / "tests" / ".artifacts" / "vscode"

STUB = (
    "def {name}(a: int, b: int) -> int:\n"
    '    """Return the sum of a and b."""\n'
    "    ...\n"
    "\n"
    "\n"
    "def untouched() -> str:\n"
    '    return "keep me"\n'
)
BODY = "    return a + b\n"
STUB_LINE = 3  # the `...` line (1-based)
TESTS = (
    "from {module} import {name}\n\n\n"
    "def test_small():\n    assert {name}(2, 3) == 5\n\n\n"
    "def test_negative():\n    assert {name}(-4, 1) == -3\n\n\n"
    "def test_zero():\n    assert {name}(0, 0) == 0\n"
)
# How the scripted model behaves, by function name:
#   add*       answers at once with a correct implementation;
#   slow_add*  answers at once with one that sleeps 5 s per call, so the sandbox is busy;
#   late_add*  answers after LATE_S seconds (the solve runs long enough to act during it);
#   stalled_add* answers after STALLED_S seconds (the solve is still running when stopped).
LATE_S = 12.0
STALLED_S = 90.0
_ASKED = re.compile(r"Implement the function `([\w.]+)`")


def implementation(name: str) -> str:
    body = "    import time\n    time.sleep(5)\n" if name.startswith("slow_add") else ""
    return f'def {name}(a: int, b: int) -> int:\n    """Return the sum of a and b."""\n{body}{BODY}'


def answer(request: dict[str, Any], _choice: int, _call: int) -> Reply:
    m = _ASKED.search(last_user_text(request))
    name = m.group(1) if m else "unknown"
    latency = 0.0
    if not is_synthesis(request):
        latency = LATE_S if name.startswith("late_add") else STALLED_S if name.startswith(
            "stalled_add") else 0.0
    return Reply(f"Here it is.\n\n```python\n{implementation(name)}```\n", latency_s=latency)


@dataclass
class Case:
    """One module of the workspace with a stub `name` and its tests."""

    module: str
    name: str
    path: Path

    @property
    def relpath(self) -> str:
        return f"{self.module}.py"

    @property
    def stub(self) -> str:
        return STUB.format(name=self.name)

    @property
    def solved(self) -> str:
        return self.stub.replace("    ...\n", BODY)


@dataclass
class VSCode:
    """The module's shared real VS Code: its server, the page, the model and the workspace."""

    code: CodeServer
    ui: Any  # vscode_ui.Workbench (playwright is imported only once it is installed)
    model: ScriptedServer
    workspace: Path
    settings: dict[str, Any]

    def case(self, module: str, name: str) -> Case:
        path = self.workspace / f"{module}.py"
        case = Case(module, name, path)
        path.write_text(case.stub)
        (self.workspace / "tests" / f"test_{module}.py").write_text(
            TESTS.format(module=module, name=name))
        return case

    def open(self, case: Case) -> None:
        self.ui.quick_open(case.relpath)
        self.ui.wait_until(lambda: self.ui.editor_text() == case.stub, f"{case.relpath} shown")

    def set_settings(self, **changes: Any) -> None:
        """Change workspace settings the way a user's edit of settings.json does."""
        self.settings.update(changes)
        write_json(self.workspace / ".vscode" / "settings.json", self.settings)

    def server_pid(self) -> int:
        pids: list[int] = self.ui.wait_until(self.code.language_servers,
                                             "the PaCoRe language server", 90)
        assert len(pids) == 1, f"one language server expected, found {pids}"
        return pids[0]

    def output_log(self) -> str:
        """The whole "PaCoRe" output channel (VS Code also writes each channel to a file;
        the panel shows only its tail)."""
        files = sorted(self.code.user_data.glob("logs/**/*PaCoRe.log"))
        return "".join(f.read_text(errors="replace") for f in files)

    def summary(self, name: str, timeout: float = 120.0) -> str:
        """The server's one-line report of the latest solve of `name` (in the output channel)."""
        def last() -> str:
            lines = [ln for ln in self.output_log().splitlines() if f"PaCoRe `{name}`: " in ln]
            return lines[-1] if lines else ""
        line: str = self.ui.wait_until(last, f"the report of {name}", timeout)
        return line

    def wait_solved(self, case: Case, timeout: float = 120.0) -> None:
        """Wait for the solve of `case` to be reported, then for its edit in the editor."""
        line = self.summary(case.name, timeout)
        assert f"PaCoRe `{case.name}`: solved" in line, f"{line}\n{self.output_log()[-3000:]}"
        self.ui.wait_until(lambda: self.ui.editor_text() == case.solved, "the stub replaced", 30)

    def first_round_width(self, name: str) -> int:
        """Trajectories asked for in the first round of the latest solve of `name`."""
        asked = [r for r in self.model.chat_requests
                 if not is_synthesis(r) and f"`{name}`" in last_user_text(r)]
        assert asked, f"the model was never asked about {name}"
        return sum(int(r.get("n") or 1) for r in asked)


@pytest.fixture(scope="module")
def vscode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VSCode]:
    """Install (once), package the .vsix, start code-server and chromium; stop and check."""
    ensure_installed()
    require_docker()
    from playwright.sync_api import sync_playwright

    from tests.clients.vscode_ui import Workbench

    vsix = package_extension()
    home = tmp_path_factory.mktemp("vscode")
    workspace = home / "ws"
    (workspace / "tests").mkdir(parents=True)
    (workspace / "pyproject.toml").write_text('[project]\nname = "cases"\nversion = "0"\n')
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()

    model = ScriptedServer(answer).start()
    settings = workspace_settings({
        "pacore.baseUrl": model.base_url,
        "pacore.model": model.model,
        "pacore.pythonPath": sys.executable,
        "pacore.sandbox": "docker",
        "pacore.rounds": "2",
    })
    write_json(workspace / ".vscode" / "settings.json", settings)
    code = CodeServer(home / "code-server", workspace)
    code.install_extension(vsix)
    before = descendants(os.getpid())
    pw = sync_playwright().start()
    browser = None
    browser_procs: set[int] = set()  # playwright's driver and chromium, seen while running

    def note_browser() -> None:
        browser_procs.update(descendants(os.getpid()) - before - code.processes())

    try:
        code.start()
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1500, "height": 950})
        page.goto(code.url, wait_until="domcontentloaded")
        ui = Workbench(page, ARTIFACTS)
        ui.wait_ready()
        note_browser()
        yield VSCode(code, ui, model, workspace, settings)
    finally:
        if browser is not None:
            note_browser()
            browser.close()
        pw.stop()
        left_code = code.stop()
        model.stop()
    assert browser_procs, "the browser's processes were never seen"
    deadline = time.monotonic() + 20
    while alive(browser_procs) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(browser_procs), f"browser processes left running: {alive(browser_procs)}"
    assert not left_code, f"code-server processes left running: {left_code}"
    with pytest.raises((urllib.error.URLError, OSError)):
        urllib.request.urlopen(model.root_url + "/health", timeout=2)
    # code.seen holds every process seen below code-server, the language servers included
    assert pacore_containers(code.seen) == [], "sandbox containers left by the language servers"


@pytest.fixture
def vs(vscode: VSCode, request: pytest.FixtureRequest) -> Iterator[VSCode]:
    """Per test: a clean window (no editors, no notifications), a screenshot at the end."""
    yield vscode
    vscode.ui.screenshot(request.node.name)
    vscode.ui.close_all_editors()
    vscode.ui.clear_notifications()


def test_code_action_solves_the_stub(vs: VSCode) -> None:
    case = vs.case("action_mod", "add")
    vs.open(case)
    vs.ui.goto(STUB_LINE, 5)
    offered = vs.ui.quick_fix("Solve with PaCoRe")
    assert "Solve with PaCoRe" in offered
    vs.wait_solved(case)
    assert case.path.read_text() == case.stub, "the edit goes to the buffer; the user saves"
    assert "PaCoRe `add`: solved" in vs.summary("add")
    assert vs.ui.toast("PaCoRe failed").count() == 0
    vs.ui.screenshot("code_action-solved")
    # the summary, on hover over the function (the picture in the README)
    vs.ui.wait_until(lambda: vs.ui.squiggles("info") > 0, "the solve summary on the function")
    hover = vs.ui.hover_squiggle("info")
    assert "PaCoRe" in hover and "solved" in hover and "3/3" in hover, hover
    vs.ui.screenshot("code_action-summary")


def test_fix_action_repairs_a_failing_function(vs: VSCode) -> None:
    """"Fix NAME with PaCoRe" on the signature of a written function whose tests fail."""
    case = vs.case("fix_mod", "repair_add")
    buggy = case.stub.replace("    ...\n", "    return a - b\n")
    case.path.write_text(buggy)
    vs.ui.quick_open(case.relpath)
    vs.ui.wait_until(lambda: vs.ui.editor_text() == buggy, f"{case.relpath} shown")
    vs.ui.goto(1, 5)  # on `def repair_add(`
    offered = vs.ui.quick_fix("Fix repair_add with PaCoRe")
    assert "Fix repair_add with PaCoRe" in offered and "Solve with PaCoRe" not in offered, offered
    vs.wait_solved(case)  # the buggy body replaced by the repaired one, nothing else changed
    assert case.path.read_text() == buggy, "the edit goes to the buffer; the user saves"
    assert "Fixing repair_add (solve " in vs.output_log()
    # round 1 started from my function (rounds "2": the model was asked for one), and the
    # synthesis read it with its failing tests
    assert vs.first_round_width("repair_add") == 1
    synthesis = [last_user_text(r) for r in vs.model.chat_requests
                 if is_synthesis(r) and "`repair_add`" in last_user_text(r)]
    assert synthesis and "return a - b" in synthesis[0] and "FAILED" in synthesis[0]
    vs.ui.screenshot("fix_action-fixed")
    # the palette's command on the repaired (unsaved) function: its tests pass, nothing to do
    asked = len(vs.model.chat_requests)
    vs.ui.goto(1, 5)
    vs.ui.palette("PaCoRe: Fix Function at Cursor")
    vs.ui.wait_toast("`repair_add` passes its 3 test(s): nothing to fix")
    assert len(vs.model.chat_requests) == asked and vs.ui.editor_text() == case.solved


def test_palette_command_output_channel_and_report(vs: VSCode) -> None:
    case = vs.case("palette_mod", "add_p")
    vs.open(case)
    vs.ui.goto(STUB_LINE, 5)
    vs.ui.palette("PaCoRe: Solve Function at Cursor")
    vs.wait_solved(case)

    vs.ui.palette("PaCoRe: Show Server Log")
    shown = vs.ui.wait_until(lambda: "PaCoRe `add_p`: solved" in (t := vs.ui.output_text()) and t,
                             "the solve summary in the Output panel", 60)
    assert "3/3 tests accepted" in shown  # the judge's name for a pass
    log = vs.output_log()
    assert re.search(r"Solving add_p \(solve \S+\)", log), log[-3000:]
    assert "Applied: PaCoRe: add_p" in log
    assert "Starting the PaCoRe server: " in log and sys.executable in log

    vs.ui.palette("PaCoRe: Show Last Report")
    # the JSON report, read from the screen (its first lines: the editor shows ~28)
    report = vs.ui.wait_until(lambda: '"function": "add_p"' in (t := vs.ui.editor_text()) and t,
                              "the report document", 30)
    for field in ('"status": "solved"', '"passed": 3', '"total": 3', '"k": 2'):
        assert field in report, report
    assert "JSON" in vs.ui.status_bar()
    # a read-only document: closing it asks nothing (an untitled one would ask to save it)
    assert vs.ui.active_tab() == "PaCoRe report add_p.json"
    assert not vs.ui.tab_dirty()
    assert "PaCoRe: add_p: solved, 3/3 tests" in vs.output_log()


def test_progress_notification_cancel(vs: VSCode) -> None:
    case = vs.case("cancel_mod", "slow_add")
    vs.open(case)
    vs.ui.goto(STUB_LINE, 5)
    vs.ui.palette("PaCoRe: Solve Function at Cursor")
    toast = vs.ui.wait_toast("PaCoRe: slow_add", 60)
    pid = vs.server_pid()
    vs.ui.wait_until(lambda: pacore_containers({pid}), "a sandbox container running", 120)
    vs.ui.screenshot("cancel-running")
    vs.ui.click_toast_button("PaCoRe: slow_add", "Cancel")
    toast.wait_for(state="hidden", timeout=60_000)
    vs.ui.wait_until(lambda: "PaCoRe `slow_add`: cancelled" in vs.output_log(),
                     "the cancelled report", 60)
    vs.ui.wait_until(lambda: not pacore_containers({pid}), "the containers removed", 60)
    assert vs.ui.editor_text() == case.stub
    assert case.path.read_text() == case.stub
    assert vs.server_pid() == pid, "cancelling a solve keeps the server"


def test_setting_changed_while_running_restarts_the_server(vs: VSCode) -> None:
    case = vs.case("restart_mod", "stalled_add")
    vs.open(case)
    vs.ui.goto(STUB_LINE, 5)
    vs.ui.quick_fix("Solve with PaCoRe")
    toast = vs.ui.wait_toast("PaCoRe: stalled_add", 60)
    old = vs.server_pid()
    log_before = len(vs.output_log())
    try:
        # two changes in a row (as typing in the Settings editor makes): one server results,
        # running with the latest value
        vs.set_settings(**{"pacore.rounds": "4"})
        vs.ui.page.wait_for_timeout(700)
        vs.set_settings(**{"pacore.rounds": "3"})
        vs.ui.wait_until(lambda: (now := vs.code.language_servers()) and old not in now,
                         "a new language server", 90)
        toast.wait_for(state="hidden", timeout=30_000)
        assert not alive({old})
        assert pacore_containers({old}) == []
        log = vs.output_log()[log_before:]
        assert "PaCoRe settings changed: restarting the server." in log
        assert "[Error" not in log and "timed out" not in log and "unexpectedly" not in log, log
        assert vs.ui.editor_text() == case.stub, "the stopped solve must not edit"
        vs.ui.palette("PaCoRe: Show Server Log")
        vs.ui.wait_until(lambda: "PaCoRe server started." in vs.ui.output_text(), "the log", 30)
        vs.ui.screenshot("restart-restarted")

        after = vs.case("restart_after_mod", "add_r")
        vs.open(after)
        vs.ui.goto(STUB_LINE, 5)
        vs.ui.quick_fix("Solve with PaCoRe")
        vs.wait_solved(after)
        assert vs.first_round_width("add_r") == 3, "the new server runs with pacore.rounds = 3"
        vs.server_pid()  # exactly one
        assert vs.ui.editor_text() == after.solved
    finally:
        current = vs.server_pid()
        vs.set_settings(**{"pacore.rounds": "2"})
        vs.ui.wait_until(lambda: (now := vs.code.language_servers()) and current not in now,
                         "the server restarted with the old settings", 90)


def test_buffer_edited_during_the_solve_is_not_overwritten(vs: VSCode) -> None:
    case = vs.case("edit_mod", "late_add_e")
    vs.open(case)
    vs.ui.goto(STUB_LINE, 5)
    vs.ui.quick_fix("Solve with PaCoRe")
    vs.ui.wait_toast("PaCoRe: late_add_e", 60)
    vs.ui.replace_line(STUB_LINE, "return -1  # mine")
    vs.ui.page.keyboard.press("Escape")
    mine = case.stub.replace("    ...\n", "    return -1  # mine\n")
    vs.ui.wait_until(lambda: vs.ui.editor_text() == mine, "the user's edit", 15)
    vs.ui.wait_toast("did not edit your file", 120)
    results = vs.ui.wait_until(
        lambda: sorted((vs.workspace / ".pacore" / "results").glob("edit_mod.late_add_e.*.py")),
        "the result written beside the project", 30)
    assert BODY in results[-1].read_text()
    vs.ui.screenshot("edit-result-shown")
    vs.ui.quick_open(case.relpath)
    assert vs.ui.editor_text() == mine
    assert case.path.read_text() == case.stub


@pytest.mark.parametrize("choice", ["Accept", "Reject"])
def test_diff_preview(vs: VSCode, choice: str) -> None:
    case = vs.case(f"preview_{choice.lower()}_mod", f"add_{choice.lower()}")
    vs.open(case)
    pid = vs.server_pid()
    vs.set_settings(**{"pacore.previewDiff": True})
    try:
        vs.ui.goto(STUB_LINE, 5)
        vs.ui.quick_fix("Solve with PaCoRe")
        question = f"apply the implementation of {case.name}?"
        vs.ui.wait_toast(question, 120)
        diff = vs.ui.page.locator(".part.editor .monaco-diff-editor")
        vs.ui.wait_until(lambda: diff.count() > 0 and diff.first.is_visible(), "the diff editor")
        assert case.name in vs.ui.active_tab() and "(proposed)" in vs.ui.active_tab()
        assert "return a + b" in vs.ui.editor_text(), "the right side shows the proposal"
        vs.ui.screenshot(f"preview-{choice.lower()}-diff")
        vs.ui.click_toast_button(question, choice)
        vs.ui.wait_until(lambda: f"{'Applied' if choice == 'Accept' else 'Rejected'}: PaCoRe: "
                         f"{case.name}" in vs.output_log(), "the choice logged", 30)
        if choice == "Reject":  # the server keeps the result beside the project and shows it
            vs.ui.wait_toast("did not edit your file", 60)
            assert sorted((vs.workspace / ".pacore" / "results").glob(f"{case.module}.*.py"))
        vs.ui.quick_open(case.relpath)
        expected = case.solved if choice == "Accept" else case.stub
        vs.ui.wait_until(lambda: vs.ui.editor_text() == expected, "the editor text", 30)
        assert case.path.read_text() == case.stub
        assert vs.server_pid() == pid, "pacore.previewDiff is read live: no restart"
    finally:
        vs.set_settings(**{"pacore.previewDiff": False})


def test_solve_summary_leaves_no_permanent_squiggle(vs: VSCode) -> None:
    case = vs.case("diag_mod", "add_d")
    vs.open(case)
    vs.ui.goto(STUB_LINE, 5)
    vs.ui.quick_fix("Solve with PaCoRe")
    vs.wait_solved(case)
    vs.ui.wait_until(lambda: vs.ui.squiggles("info") > 0, "the solve summary on the function")
    vs.ui.screenshot("diagnostic-after-solve")
    # an edit outside the function keeps the summary
    vs.ui.replace_line(7, 'return "keep me too"')
    vs.ui.page.keyboard.press("Escape")
    assert 'return "keep me too"' in vs.ui.editor_text()
    vs.ui.page.wait_for_timeout(1500)
    assert vs.ui.squiggles("info") > 0
    # the first edit of the function removes it
    vs.ui.replace_line(STUB_LINE, "return b + a")
    vs.ui.page.keyboard.press("Escape")
    vs.ui.wait_until(lambda: vs.ui.squiggles("info") == 0, "the summary cleared by the edit", 30)


def _run_page(vs: VSCode) -> Any:
    """The run page inside VS Code's webview (two nested frames: the host and the content)."""
    return vs.ui.page.frame_locator("iframe.webview.ready").last.frame_locator("#active-frame")


def _pick_latest_run(vs: VSCode) -> None:
    """PaCoRe: Show Run asks which run when there are several: the latest is first."""
    # (the question is the input's placeholder, not text of the widget)
    picker = vs.ui.page.locator(".quick-input-widget input[placeholder*='which run']")
    webview = vs.ui.page.locator("iframe.webview.ready")
    # whichever comes first: the chooser (several runs) or the page (one run); a busy
    # machine may take seconds to show either
    vs.ui.wait_until(lambda: picker.is_visible() or webview.count() > 0, "the run chooser or the page", 30)
    if not picker.is_visible():
        return
    vs.ui.page.keyboard.press("Enter")
    picker.wait_for(state="hidden", timeout=10_000)


def test_show_run_webview_live_then_finished(vs: VSCode) -> None:
    case = vs.case("run_mod", "late_add_r")  # round 1 answers after LATE_S: time to look
    vs.open(case)
    vs.ui.goto(STUB_LINE, 5)
    vs.ui.palette("PaCoRe: Solve Function at Cursor")
    vs.ui.wait_toast("PaCoRe: late_add_r", 60)
    vs.ui.palette("PaCoRe: Show Run")
    _pick_latest_run(vs)
    page = _run_page(vs)
    badge = page.locator("h1 .badge")
    badge.wait_for(state="visible", timeout=30_000)
    assert badge.inner_text() == "running"
    assert page.locator("h1 .pid").inner_text().endswith("late_add_r")
    assert page.locator("#round-1 .card").count() == 0  # round 1 is still with the model
    vs.ui.screenshot("run-webview-running")
    # the page follows the run without being reopened: round 1's cards, then the answer
    page.locator("#round-1 .card").first.wait_for(state="visible", timeout=90_000)
    vs.ui.wait_until(lambda: badge.inner_text() == "solved", "the page showing the solved run", 120)
    assert page.locator("#round-1 .card").count() == 2
    assert page.locator("#round-2 .card.chosen").count() == 1
    assert "PaCoRe `late_add_r`: solved" in vs.summary("late_add_r")  # (the webview has the focus)
    # selecting a card in the webview shows its program and tests
    page.locator("#r1-t1").click()
    panel = page.locator("#r1-t1-detail")
    panel.wait_for(state="visible", timeout=10_000)
    assert "return a + b" in panel.locator("pre.code").inner_text()
    assert panel.locator("details.test").count() == 3
    vs.ui.screenshot("run-webview-finished")
    # the finished notification opens the page too
    vs.ui.close_all_editors()
    toast = vs.ui.wait_toast("PaCoRe finished late_add_r", 30)
    toast.locator(".monaco-button", has_text="Show run").first.click(force=True)
    _run_page(vs).locator("h1 .badge", has_text="solved").wait_for(state="visible", timeout=30_000)
    assert "3/3 tests" in _run_page(vs).locator("#answer").inner_text()


def test_settings_ui_lists_every_key_of_the_key_table(vs: VSCode) -> None:
    """VS Code's Settings UI shows every configuration key (it once showed 14 of 42, without
    `solveByAgreement` or `sandboxRuntime`), with the key table's descriptions. Machine-scoped
    settings (`apiKey`, the server's path) are the Remote tab's in code-server."""
    from pacore_core.config import KEYS

    expected = {f"pacore.{spec.editor}" for spec in KEYS.values()}
    client_only = {"pacore.previewDiff", "pacore.serverPath", "pacore.pythonPath"}
    machine = {"pacore.apiKey", "pacore.serverPath", "pacore.pythonPath"}
    try:
        user = vs.ui.settings_ui("@ext:pacore.pacore-vscode")
        assert vs.ui.settings_found() == len(expected | client_only) - len(machine)
        vs.ui.screenshot("settings-ui-user")
    finally:
        vs.ui.close_settings()
    try:
        remote = vs.ui.settings_ui("@ext:pacore.pacore-vscode", tab="Remote")
        vs.ui.screenshot("settings-ui-remote")
        assert vs.ui.settings_found() == len(expected | client_only)
    finally:
        vs.ui.close_settings()
    listed = {**user, **remote}
    assert expected - set(listed) == set(), sorted(expected - set(listed))
    assert set(listed) - expected <= client_only  # and the counts above include all three
    assert "pacore.apiKey" in remote
    assert "Solve By Agreement" in listed["pacore.solveByAgreement"]
    assert "runsc" in listed["pacore.sandboxRuntime"]
    assert "PACORE_API_KEY" in listed["pacore.apiKey"]
