"""The `ray` sandbox backend on the shared 3-node cluster: hostile corpus verdicts equal to
Docker's, candidates spread over nodes, a killed service restarted, `pacore solve --sandbox
ray`, Ctrl-C during `bench --ray`, and the message when Ray is not installed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ray.conftest import ClusterHost
from tests.ray.dataset import STRATEGIES, write_dataset
from tests.ray.test_bench_cluster import assert_no_leaks, bench_args, rows_of

pytestmark = pytest.mark.docker


def test_ray_backend_matches_docker_on_hostile_corpus(cluster: ClusterHost) -> None:
    run = cluster.call("run", argv=[sys.executable, "-m", "tests.ray.sandbox_check",
                                    cluster.address], timeout=900)
    assert run["code"] == 0, run["stderr"][-3000:]
    line = next(x for x in run["stdout"].splitlines() if x.startswith("@@RESULT "))
    result = json.loads(line[len("@@RESULT "):])
    assert len(result["cases"]) >= 40
    for name, case in result["cases"].items():
        if len(case["expect"]) == 1:  # cases with one right answer: the very same verdict
            assert case["ray"] == case["docker"], (name, case)
        else:  # e.g. a fork bomb may end as an error or a timeout: either right answer
            assert case["ray"]["verdict"] in {*case["expect"], case["docker"]["verdict"]}, (name, case)
    assert len(result["nodes"]) >= 2, result["nodes"]  # candidates ran on several nodes
    # the killed service came back (a new process) and candidates kept passing meanwhile
    assert result["after_kill"] == ["passed"] * 6
    assert result["pid_after"] not in (0, result["pid_before"]), result
    assert_no_leaks(cluster)


def test_solve_with_ray_sandbox(cluster: ClusterHost, tmp_path: Path) -> None:
    write_dataset(tmp_path / "ds", n=4)
    srv = cluster.call("serve", name="solve", latency_s=0.05)
    cluster.call("container_owners")  # forget earlier runs
    out = cluster.pacore("solve", tmp_path / "ds" / "mul-04", "--rounds", "6", "--sandbox", "ray",
                         "--ray-address", cluster.address, "--base-url", srv["base_url"],
                         "--model", srv["model"], "--json")
    assert out["code"] == 0, out["stderr"][-3000:]
    result = json.loads(out["stdout"])
    assert result["status"] == "solved" and result["verification"]["verdict"] == "passed"
    verified = [t for r in result["rounds"] for t in r["trajectories"] if t.get("verification")]
    assert len(verified) >= 6
    owners = cluster.call("container_owners")["owners"]
    assert len(owners) >= 2, f"candidates ran in the services of {owners}: want several nodes"
    assert_no_leaks(cluster)


def test_ctrl_c_stops_cluster_work_and_leaves_nothing(cluster: ClusterHost, tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    write_dataset(ds)
    srv = cluster.call("serve", name="interrupt", latency_s=0.5)
    out = tmp_path / "out"
    run = cluster.pacore(*bench_args(ds, out, srv, "--ray", cluster.address),
                         interrupt_after_rows={"results": str(out / "results.jsonl"), "rows": 2})
    assert run["interrupted"], "the run ended before it could be interrupted"
    assert run["code"] == 130, run["stderr"][-3000:]
    rows = rows_of(out / "results.jsonl")
    assert 2 <= len(rows) < 24
    keys = [(r["problem"], r["strategy"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert_no_leaks(cluster)
    # and the interrupted run resumes: only the missing rows run
    again = cluster.pacore(*bench_args(ds, out, srv, "--ray", cluster.address))
    assert again["code"] == 0, again["stderr"][-3000:]
    assert again["stderr"].count("skip ") == len(rows)
    assert len(rows_of(out / "results.jsonl")) == 24
    assert_no_leaks(cluster)


def test_without_ray_the_cluster_names_the_extra(tmp_path: Path) -> None:
    write_dataset(tmp_path / "ds", n=1)
    for argv in (["bench", "--dataset", f"dir:{tmp_path / 'ds'}", "--strategies", STRATEGIES,
                  "--ray", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"],
                 ["solve", str(tmp_path / "ds" / "mul-01"), "--sandbox", "ray", "--json",
                  "--base-url", "http://127.0.0.1:9/v1", "--model", "m"]):
        code = ("import sys; sys.modules['ray'] = None\n"
                "from pacore_cli.main import main\n"
                f"sys.exit(main({argv!r}))\n")
        proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        said = proc.stdout + proc.stderr
        assert "needs Ray, which is not installed" in said, said
        assert "pip install 'pacore-code[ray]'" in said, said
