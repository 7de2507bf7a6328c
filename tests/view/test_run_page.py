"""The run page of a real run (`pacore solve --record --html`: the scripted model server, the
Docker sandbox) in a real browser (chromium, offline): content, selecting a card, expanding a
test, no console error, and hostile program text rendered inert."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pacore_core.record import RunRecord
from tests.cli.conftest import clean_env, pacore
from tests.conftest import require_docker
from tests.support import Reply, ScriptedServer, is_synthesis
from tests.view.browser import chromium, new_page

pytestmark = pytest.mark.docker
# the real Docker sandbox; PACORE_TEST_SANDBOX=local runs the same flow without Docker
SANDBOX = os.environ.get("PACORE_TEST_SANDBOX", "docker")

STATEMENT = """# Sum <b id="injected-statement" onmouseover="window.__pwned = 4">bold?</b>

Read `n`, then `n` integers; print their sum.

## Sample Input

```
3
1 2 3
```

## Sample Output

```
6
```
"""
GOOD = "```python\ninput()\nprint(sum(map(int, input().split())))\n```"
# a candidate whose program, output and prose all try to become markup
HOSTILE = ('Here <img src="x" onerror="window.__pwned = 3"> is my answer.\n\n```python\n'
           '# </pre></script><script>window.__pwned = 2</script>\n'
           'print("<script>window.__pwned = 1</script>")\n```')
WRONG = "```python\nprint(0)\n```"
FIRST = [HOSTILE, GOOD, GOOD, WRONG]  # two identical programs: merged into one message


def responder(req: dict[str, Any], choice: int, _call: int) -> Reply:
    if is_synthesis(req):
        return Reply(GOOD, reasoning="the references agree", latency_s=0.2)
    return Reply(FIRST[choice % 4], reasoning="thinking " * 20, latency_s=0.1 * choice)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if SANDBOX == "docker":
        require_docker()
    root = tmp_path_factory.mktemp("view-run")
    problem = root / "sum"
    (problem / "tests").mkdir(parents=True)
    (problem / "problem.md").write_text(STATEMENT)
    (problem / "tests" / "big.in").write_text("4\n10 20 30 40\n")
    (problem / "tests" / "big.out").write_text("100\n")
    with ScriptedServer(responder) as srv:
        out = pacore(["solve", problem, "--rounds", "4", "--base-url", srv.base_url, "--model",
                      srv.model, "--record", root / "run.json", "--html", root / "run.html", "--json",
                      "--sandbox", SANDBOX],
                     cwd=root, env=clean_env())
    assert out.code == 0, out.stderr
    assert json.loads(out.stdout)["status"] == "solved"
    yield root


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_page_written_by_solve_matches_the_record(run: Path) -> None:
    rec = RunRecord.load(run / "run.json")
    html = (run / "run.html").read_text()
    assert [len(r.trajectories) for r in rec.result.rounds] == [4, 1]
    for r in rec.result.rounds:
        for t in r.trajectories:
            assert f'id="r{r.round}-t{t.index}"' in html
    # the record now says which trajectories each message came from: the duplicates share one
    sources = rec.result.rounds[0].message_sources
    assert sorted(map(sorted, sources)) == [[0], [1, 2], [3]]
    # and when each trajectory arrived and was verified, inside the run's wall time
    for t in rec.result.rounds[0].trajectories:
        assert t.arrived_s is not None and t.verified_s is not None
        assert 0 <= t.arrived_s <= t.verified_s <= rec.result.wall_s
    assert rec.result.rounds[1].started_s >= max(t.arrived_s or 0 for t in rec.result.rounds[0].trajectories)
    # untrusted text is escaped in the file itself, not only neutralised by the browser
    assert "<script>window.__pwned" not in html
    assert 'onerror="window.__pwned' not in html
    assert len(re.findall(r"<script\b", html)) == 1


def test_view_command_writes_the_same_page(run: Path) -> None:
    out = pacore(["view", run / "run.json", "-o", run / "view.html", "--json"], cwd=run)
    assert out.code == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["status"] == "ok" and payload["path"] == str(run / "view.html")
    assert payload["bytes"] == (run / "view.html").stat().st_size
    strip = re.compile(r"nonce-[A-Za-z0-9_-]+|nonce=\"[A-Za-z0-9_-]+\"")
    assert strip.sub("", (run / "view.html").read_text()) == strip.sub("", (run / "run.html").read_text())


def test_view_command_refuses_what_is_not_a_record(run: Path) -> None:
    (run / "junk.json").write_text('{"not": "a record"}')
    out = pacore(["view", run / "junk.json", "--json"], cwd=run)
    assert out.code == 2
    payload = json.loads(out.stdout)
    assert payload["status"] == "error" and "junk.json" in payload["error"]
    assert not (run / "junk.html").exists()
    missing = pacore(["view", run / "nope.json", "--json"], cwd=run)
    assert missing.code == 2 and "does not exist" in json.loads(missing.stdout)["error"]


def test_page_in_chromium_offline(run: Path, browser: Any) -> None:
    rec = RunRecord.load(run / "run.json")
    p = new_page(browser)
    p.open(run / "run.html")
    page = p.page
    assert page.locator(".badge.st-solved").inner_text() == "solved"
    assert "passed" in page.locator("#assurance").inner_text()
    assert page.locator(".round").count() == 2
    assert page.locator(".card").count() == 5
    # the answer's card is selected at first: the final synthesis
    sel = rec.result.selected
    assert page.locator(f"#r{sel.round}-t{sel.index}-detail").is_visible()
    assert page.locator(".card.selected").get_attribute("id") == f"r{sel.round}-t{sel.index}"
    # totals as recorded
    totals = page.locator("#totals").inner_text().replace(",", "")
    assert f"{rec.result.ttc_tokens}\nTTC tokens" in totals
    assert f"{rec.result.model_calls}\nmodel calls" in totals
    # the timeline: one bar pair per trajectory
    assert page.locator("#timeline svg rect.gen").count() == 5
    p.shot("run-page")
    p.clean()


def test_selecting_a_card_and_expanding_a_test(run: Path, browser: Any) -> None:
    rec = RunRecord.load(run / "run.json")
    wrong = next(t for t in rec.result.rounds[0].trajectories if t.code == "print(0)\n")
    p = new_page(browser)
    p.open(run / "run.html")
    page = p.page
    card = page.locator(f"#r1-t{wrong.index}")
    assert "wrong answer" in card.inner_text()  # as a judge says it
    card.click()
    panel = page.locator(f"#r1-t{wrong.index}-detail")
    assert panel.is_visible()
    assert page.locator(".panel:visible").count() == 1
    assert "print(0)" in panel.locator("pre.code").inner_text()
    assert page.evaluate("location.hash") == f"#r1-t{wrong.index}"
    # its failing test: collapsed, then expanded with expected vs actual and the diff
    test = panel.locator("details.test.s-failed").first
    assert test.get_attribute("open") is None
    test.locator("summary").click()
    assert test.get_attribute("open") is not None
    text = test.inner_text()
    assert "expected\n6" in text and "actual\n0" in text
    assert test.locator(".d-del").first.inner_text().startswith("-")
    # what the next round saw: its message, exactly as in the round-2 prompt
    seen = panel.locator("pre.message").inner_text()
    assert seen in rec.result.rounds[1].prompt and "print(0)" in seen
    assert "fed 1 trajectory of round 2" in panel.inner_text()
    # the merged duplicates say so
    dup = next(t.index for t in rec.result.rounds[0].trajectories if t.code and "sum(" in t.code)
    page.locator(f"#r1-t{dup}").click()
    assert "shared with the duplicate" in page.locator(f"#r1-t{dup}-detail").inner_text()
    # a link from the panel selects the synthesis it fed
    page.locator(f"#r1-t{dup}-detail a.jump[href='#r2-t0']").first.click()
    assert page.locator("#r2-t0-detail").is_visible()
    # a round's header shows its prompt
    page.locator("#round-2 .round-head").click()
    assert page.locator("#round-2-detail").is_visible()
    assert "Reference Responses:" in (page.locator("#round-2-detail").text_content() or "")
    p.shot("run-page-card")
    p.clean()


def test_opening_at_an_anchor_selects_that_card(run: Path, browser: Any) -> None:
    p = new_page(browser)
    p.open(run / "run.html", "#r1-t3")
    assert p.page.locator("#r1-t3-detail").is_visible()
    assert p.page.locator(".card.selected").get_attribute("id") == "r1-t3"
    p.clean()


def test_hostile_program_text_is_inert(run: Path, browser: Any) -> None:
    rec = RunRecord.load(run / "run.json")
    hostile = next(t for t in rec.result.rounds[0].trajectories if t.code and "__pwned = 1" in t.code)
    p = new_page(browser)
    p.open(run / "run.html", f"#r1-t{hostile.index}")
    page = p.page
    panel = page.locator(f"#r1-t{hostile.index}-detail")
    # the raw answer, with its <img onerror>, is in the page as text
    panel.locator("details", has_text="the whole answer").locator("summary").click()
    for test in panel.locator("details.test").all():
        test.locator("summary").click()
    page.locator("#problem summary").click()
    page.mouse.move(10, 10)
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("script").count() == 1
    assert page.locator("img").count() == 0
    assert page.locator("#injected-statement").count() == 0
    code = panel.locator("pre.code").inner_text()
    assert 'print("<script>window.__pwned = 1</script>")' in code
    assert "# </pre></script><script>window.__pwned = 2</script>" in code
    assert '<img src="x" onerror="window.__pwned = 3">' in panel.inner_text()
    # its output reached the page as text too: the failing test's actual output
    assert "<script>window.__pwned = 1</script>" in panel.locator("details.test").first.inner_text()
    assert '<b id="injected-statement"' in page.locator("#problem").inner_text()
    p.shot("run-page-hostile")
    p.clean()
