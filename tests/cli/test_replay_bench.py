"""Record `pacore solve` runs against a model once; replay a whole benchmark from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import pacore
from tests.cli.test_bench import dataset_responder, rows_of, write_dataset
from tests.support import ScriptedServer

pytestmark = pytest.mark.docker


def test_bench_replays_a_directory_of_recorded_runs(tmp_path: Path, docker_ready: None) -> None:
    write_dataset(tmp_path / "ds")
    records = tmp_path / "records"
    records.mkdir()
    with ScriptedServer(dataset_responder) as srv:
        for name in ("sum", "square"):
            # agreement off, as in the `pacore:2` strategy replayed below (samples only would
            # turn `auto` on, and its input request would be in the record's TTC tokens)
            solved = pacore(["solve", tmp_path / "ds" / name, "--rounds", "2", "--record",
                             records / f"{name}.json", "--base-url", srv.base_url, "--model",
                             srv.model, "--agreement", "off"], cwd=tmp_path)
            assert solved.code == 0, solved.stderr
    url = srv.base_url  # stopped: any request to a model would now fail

    out = pacore(["bench", "--dataset", f"dir:{tmp_path / 'ds'}", "--problems", "sum,square",
                  "--strategies", "pacore:2", "--replay", records, "--out", tmp_path / "o",
                  "--json"], cwd=tmp_path)
    assert out.code == 0, out.stderr
    rows = {r["problem"]: r for r in rows_of(tmp_path / "o" / "results.jsonl")}
    assert set(rows) == {"sum", "square"}
    assert all(r["passed"] and r["scored_on"] == "hidden" for r in rows.values())
    # each problem got its own recorded trajectories: sum's round 1 had the "cheat" program
    recorded = json.loads((records / "sum.json").read_text())
    assert rows["sum"]["ttc_tokens"] == recorded["result"]["ttc_tokens"]
    assert json.loads(out.stdout)["strategies"][0]["pass_at_1"] == 1.0
    assert url not in out.stderr

    missing = pacore(["bench", "--dataset", f"dir:{tmp_path / 'ds'}", "--problems", "max",
                      "--strategies", "pacore:2", "--replay", records, "--out", tmp_path / "o2"],
                     cwd=tmp_path)
    assert missing.code == 1
    assert "no run record in" in (tmp_path / "o2" / "results.jsonl").read_text()
