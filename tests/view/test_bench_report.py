"""`pacore bench` writes `report.html` beside `summary.json`: the plot inline, the problem x
strategy grid whose cells open each row's run page. Checked in chromium, offline."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pacore_bench.harness import BenchRow
from pacore_core.record import RunRecord
from tests.cli.conftest import clean_env, pacore
from tests.cli.test_bench import dataset_responder, rows_of, write_dataset
from tests.conftest import require_docker
from tests.support import ScriptedServer
from tests.view.browser import chromium, new_page

pytestmark = pytest.mark.docker
SANDBOX = os.environ.get("PACORE_TEST_SANDBOX", "docker")
STRATEGIES = ["single", "best-of-2", "pacore:2"]


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if SANDBOX == "docker":
        require_docker()
    root = tmp_path_factory.mktemp("view-bench")
    write_dataset(root / "ds")
    with ScriptedServer(dataset_responder) as srv:
        out = pacore(["bench", "--dataset", f"dir:{root / 'ds'}", "--strategies", ",".join(STRATEGIES),
                      "--out", root / "out", "--concurrency", "3", "--json", "--base-url", srv.base_url,
                      "--model", srv.model], cwd=root, env=clean_env(PACORE_SANDBOX=SANDBOX))
    assert out.code == 0, out.stderr
    assert json.loads(out.stdout)["report"] == str(root / "out" / "report.html")
    yield root / "out"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_every_row_has_its_record_and_page(bench: Path) -> None:
    rows = rows_of(bench / "results.jsonl")
    assert len(rows) == 3 * len(STRATEGIES)
    for row in rows:
        assert "record" not in row  # the run stays out of results.jsonl
        page = bench / row["page"]
        assert page.is_file() and page.parent.name == "runs"
        rec = RunRecord.load(page.with_suffix(".json"))
        assert rec.problem.id == row["problem"]
        assert rec.problem.hidden_tests is None  # what the strategy saw: never the hidden tests
        assert rec.result.code == row["code"]
        assert sum(len(r.trajectories) for r in rec.result.rounds) == row["trajectories"]
        assert rec.result.ttc_tokens == row["ttc_tokens"]
    assert len({r["page"] for r in rows}) == len(rows)
    assert BenchRow.model_validate(rows[0]).page == rows[0]["page"]


def test_report_grid_links_each_row(bench: Path, browser: Any) -> None:
    rows = rows_of(bench / "results.jsonl")
    p = new_page(browser)
    p.open(bench / "report.html")
    page = p.page
    assert page.locator("#grid tbody tr").count() == 3
    assert page.locator("#grid thead th").all_inner_texts()[1:] == STRATEGIES
    assert page.locator("#grid a.cell").count() == len(rows)
    assert page.locator("img.plot").evaluate("i => i.complete && i.naturalWidth") == 800
    summary = page.locator("#summary").inner_text()
    assert "pacore:2\t100.0%" in summary and "single\t0.0%" in summary
    by = {(r["problem"], r["strategy"]): r for r in rows}
    cheat = page.locator('#grid tr[data-problem="sum"] td').nth(1 + STRATEGIES.index("best-of-2"))
    assert cheat.inner_text().startswith("✗ 0/1")  # passed the public sample, failed the hidden test
    p.shot("bench-report")
    # a filter keeps the problems where the strategies differ
    page.locator("#only-differing").check()
    assert page.locator("#grid tbody tr:visible").count() == 3  # single fails all, pacore passes all
    page.locator("#only-differing").uncheck()
    # a cell opens its row's run page
    page.locator('#grid tr[data-problem="max"] a.cell').nth(STRATEGIES.index("pacore:2")).click()
    page.wait_for_load_state()
    assert page.url.endswith(by[("max", "pacore:2")]["page"])
    assert page.locator("h1 .pid").inner_text() == "max"
    assert page.locator("h1 .badge").inner_text() == "solved"
    assert page.locator(".round").count() == 2
    p.shot("bench-row-page")
    p.clean()


def test_view_command_rebuilds_the_report(bench: Path, tmp_path: Path) -> None:
    out = pacore(["view", bench, "-o", tmp_path / "elsewhere.html", "--json"], cwd=tmp_path)
    assert out.code == 0, out.stderr
    html = (tmp_path / "elsewhere.html").read_text()
    rows = rows_of(bench / "results.jsonl")
    # links still reach the rows' pages from where the report now is
    rel = os.path.relpath(bench / rows[0]["page"], tmp_path)
    assert f'href="{rel}"' in html
