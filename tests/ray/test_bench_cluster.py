"""`pacore bench --ray` on a real 3-node Ray cluster (one shared per module, see conftest):
the same pass/fail per row as the single-process run, rows from several nodes, resume, a
worker node removed mid-run, and nothing left behind after each run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.ray.conftest import ClusterHost
from tests.ray.dataset import PROBLEMS, STRATEGIES, expected_pass, write_dataset

pytestmark = pytest.mark.docker


def rows_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def bench_args(ds: Path, out: Path, srv: dict[str, Any], *extra: str) -> list[str | Path]:
    return ["bench", "--dataset", f"dir:{ds}", "--strategies", STRATEGIES, "--out", out,
            "--base-url", srv["base_url"], "--model", srv["model"], "--json", *extra]


def assert_no_leaks(cluster: ClusterHost) -> None:
    leaks = cluster.call("leaks")
    assert leaks["workers"] == [], f"Ray workers of the run still alive: {leaks['workers']}"
    assert leaks["containers"] == [], f"sandbox containers left: {leaks['containers']}"
    assert leaks["job_workers_seen"] > 0  # the watcher did see the run's workers


def test_cluster_rows_match_single_process_and_resume(cluster: ClusterHost, tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    ids = write_dataset(ds)
    srv = cluster.call("serve", name="rows", latency_s=0.05)
    local = cluster.pacore(*bench_args(ds, tmp_path / "local", srv, "--concurrency", "4"))
    assert local["code"] == 0, local["stderr"]
    on_ray = cluster.pacore(*bench_args(ds, tmp_path / "ray", srv, "--ray", cluster.address))
    assert on_ray["code"] == 0, on_ray["stderr"]
    assert_no_leaks(cluster)

    local_rows = {(r["problem"], r["strategy"]): r for r in rows_of(tmp_path / "local" / "results.jsonl")}
    ray_rows = rows_of(tmp_path / "ray" / "results.jsonl")
    keys = [(r["problem"], r["strategy"], r["repeat"]) for r in ray_rows]
    assert len(keys) == len(set(keys)) == PROBLEMS * 2
    assert {k[0] for k in keys} == set(ids)
    for r in ray_rows:
        assert r["status"] == "ok", r
        assert r["passed"] == local_rows[(r["problem"], r["strategy"])]["passed"] \
            == expected_pass(r["problem"], r["strategy"]), r
        assert r["node"], r
    assert all(r.get("node") is None for r in local_rows.values())
    nodes = Counter(r["node"] for r in ray_rows)
    assert len(nodes) >= 2, nodes
    assert "cluster:" in on_ray["stderr"] and "running" in on_ray["stderr"]
    assert json.loads(on_ray["stdout"])["strategies"][1]["pass_at_1"] == 1.0

    # a rerun into the same --out asks the model nothing and writes nothing
    calls = cluster.call("calls", name="rows")["calls"]
    again = cluster.pacore(*bench_args(ds, tmp_path / "ray", srv, "--ray", cluster.address))
    assert again["code"] == 0, again["stderr"]
    assert again["stderr"].count("skip ") == PROBLEMS * 2
    assert cluster.call("calls", name="rows")["calls"] == calls
    assert len(rows_of(tmp_path / "ray" / "results.jsonl")) == PROBLEMS * 2
    assert_no_leaks(cluster)


def test_worker_node_removed_mid_run(cluster: ClusterHost, tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    write_dataset(ds)
    srv = cluster.call("serve", name="removal", latency_s=0.3)
    out = tmp_path / "out"
    run = cluster.pacore(*bench_args(ds, out, srv, "--ray", cluster.address),
                         remove_after_rows={"results": str(out / "results.jsonl"), "rows": 3})
    try:
        assert run["removed"], "the run ended before a node could be removed"
        rows = rows_of(out / "results.jsonl")
        assert [r["error"] for r in rows if r["status"] != "ok"] == []
        assert run["code"] == 0, run["stderr"]
        keys = Counter((r["problem"], r["strategy"], r["repeat"]) for r in rows)
        assert len(keys) == PROBLEMS * 2 and set(keys.values()) == {1}, keys
        for r in rows:
            assert r["status"] == "ok" and r["passed"] == expected_pass(r["problem"], r["strategy"]), r
        assert_no_leaks(cluster)
    finally:
        cluster.call("add_worker")


def test_two_endpoints_share_rows_and_one_dies_mid_run(cluster: ClusterHost, tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    write_dataset(ds)
    a = cluster.call("serve", name="replica-a", latency_s=0.3)
    b = cluster.call("serve", name="replica-b", latency_s=0.3)
    out = tmp_path / "out"
    args = bench_args(ds, out, a, "--ray", cluster.address)
    args[args.index(a["base_url"])] = f"{a['base_url']},{b['base_url']}"
    run = cluster.pacore(*args, kill_server_after_rows={
        "results": str(out / "results.jsonl"), "rows": 4, "server": "replica-a"})
    assert run["killed"], "the run ended before a replica could be killed"
    rows = rows_of(out / "results.jsonl")
    assert [r["error"] for r in rows if r["status"] != "ok"] == []
    assert run["code"] == 0, run["stderr"][-3000:]
    keys = Counter((r["problem"], r["strategy"], r["repeat"]) for r in rows)
    assert len(keys) == PROBLEMS * 2 and set(keys.values()) == {1}
    assert all(r["passed"] == expected_pass(r["problem"], r["strategy"]) for r in rows)
    calls_a = cluster.call("calls", name="replica-a")["calls"]
    calls_b = cluster.call("calls", name="replica-b")["calls"]
    assert calls_a >= 2 and calls_b >= 2, (calls_a, calls_b)  # both replicas took rows
    assert calls_a + calls_b >= PROBLEMS * 2  # every row asked once; cut requests again
    assert_no_leaks(cluster)
