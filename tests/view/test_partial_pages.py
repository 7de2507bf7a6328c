"""`pacore solve --html FILE` when the run does not finish: interrupted (Ctrl-C, SIGTERM) the
page shows the rounds done so far; failed (the model server errors) it shows the error."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import PACORE, clean_env, pacore
from tests.cli.test_signals_output import wait_until
from tests.conftest import require_docker
from tests.support import Error, Reply, ScriptedServer, is_synthesis
from tests.support.processes import foreground
from tests.view.browser import chromium, new_page

pytestmark = pytest.mark.docker
SANDBOX = os.environ.get("PACORE_TEST_SANDBOX", "docker")
STATEMENT = ("# Double\n\nRead `n`; print `2 * n`.\n\n## Sample Input\n\n```\n4\n```\n\n"
             "## Sample Output\n\n```\n8\n```\n")
GOOD = "```python\nprint(2 * int(input()))\n```"
WRONG = "```python\nprint(int(input()) + 3)\n```"


def slow_synthesis(req: dict[str, Any], choice: int, _call: int) -> Reply:
    """Round 1 answers at once; the final synthesis takes far longer than the test."""
    if is_synthesis(req):
        return Reply(GOOD, latency_s=300.0)
    return Reply(GOOD if choice % 2 else WRONG)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def problem(root: Path) -> Path:
    p = root / "double.md"
    p.write_text(STATEMENT)
    return p


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_writes_what_was_done(tmp_path: Path, browser: Any, signum: int) -> None:
    if SANDBOX == "docker":
        require_docker()
    page = tmp_path / "out" / "run.html"
    with ScriptedServer(slow_synthesis) as srv:
        proc = subprocess.Popen(
            foreground([str(PACORE), "solve", str(problem(tmp_path)), "--rounds", "4", "--base-url",
                        srv.base_url, "--model", srv.model, "--html", str(page), "--sandbox", SANDBOX]),
            cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: any(is_synthesis(r) for r in srv.chat_requests) or proc.poll() is not None,
                       120, "the final round's request")
            assert proc.poll() is None, proc.communicate()
            proc.send_signal(signum)
            _stdout, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 128 + signum, stderr
    assert page.is_file(), stderr
    p = new_page(browser)
    p.open(page)
    assert p.page.locator("h1 .badge").inner_text() == "interrupted"
    assert p.page.locator("#round-1 .card").count() == 4
    assert p.page.locator("#round-1 .card.v-passed").count() == 2
    assert p.page.locator("#round-1 .card.v-failed").count() == 2
    assert p.page.locator("#round-2 .card").count() == 0  # asked, never answered
    assert "interrupted" in p.page.locator("header .meta").inner_text()
    if signum == signal.SIGINT:
        p.shot("run-page-interrupted")
    p.clean()


def test_failed_run_writes_the_error(tmp_path: Path, browser: Any) -> None:
    if SANDBOX == "docker":
        require_docker()
    page = tmp_path / "failed.html"
    with ScriptedServer(Error(500, "the GPU caught fire")) as srv:
        out = pacore(["solve", problem(tmp_path), "--rounds", "2", "--base-url", srv.base_url,
                      "--model", srv.model, "--html", page, "--sandbox", SANDBOX],
                     cwd=tmp_path, env=clean_env(PACORE_MAX_RETRIES="0"))
    assert out.code == 1, out.stderr
    assert f"run page: {page}" in out.stderr
    p = new_page(browser)
    p.open(page)
    assert p.page.locator("h1 .badge").inner_text() == "error"
    assert "the GPU caught fire" in p.page.locator("#error").inner_text()
    p.clean()


def test_html_to_a_directory_is_refused_before_the_run(tmp_path: Path) -> None:
    out = pacore(["solve", problem(tmp_path), "--html", tmp_path, "--base-url", "http://127.0.0.1:9/v1",
                  "--model", "m", "--sandbox", "local", "--json"], cwd=tmp_path)
    assert out.code == 2
    assert "--html" in out.stdout and "is a directory" in out.stdout
