"""Run pages from the language server: `pacore.runPage` live while a solve runs and after it,
`pacore.runs`, and the records kept under `.pacore/runs/` (bounded, git-ignored)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lsp_server.runs import RUNS_DIR, save_record
from pacore_core.record import RunRecord
from tests.conftest import require_docker
from tests.lsp.conftest import wait_for

pytestmark = pytest.mark.docker
# the real Docker sandbox; PACORE_TEST_SANDBOX=local runs the same flow without Docker
SANDBOX = os.environ.get("PACORE_TEST_SANDBOX", "docker")


def needs_docker() -> None:
    if SANDBOX == "docker":
        require_docker()


async def test_run_page_live_then_finished_and_kept(session_factory: Any) -> None:
    # fib: its tests alone judge it (no doctests); the final synthesis is slow: round 1 is done
    # while the run still goes on
    needs_docker()
    async with session_factory(sandbox=SANDBOX) as s:
        assert await s.command("pacore.runPage") is None  # no run yet
        s.server.responder = _slow_synthesis(s.server.responder)
        started = await s.solve("def fib(")
        sid = started["solveId"]

        async def live_page() -> dict[str, Any]:
            page: dict[str, Any] = await s.command("pacore.runPage", {"solveId": sid})
            return page

        first = await live_page()
        assert first["state"] == "running" and first["function"] == "fib"
        # the page follows the run: round 1's two cards appear while round 2 waits on the model
        for _ in range(600):  # 120 s at most
            page = await live_page()
            if page["state"] == "running" and page["html"].count('class="card ') == 2 \
                    and 'id="round-2"' in page["html"]:
                break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError("round 1 never showed on the live page")
        assert "in progress" in page["html"] and '<span class="badge st-running">' in page["html"]
        unchanged = await s.command("pacore.runPage", {"solveId": sid, "since": page["version"]})
        assert unchanged["html"] is None or unchanged["version"] != page["version"]
        report = await s.wait_report("fib", 120)
        assert "`fib`: solved" in report, report
        done = await live_page()
        assert done["state"] == "finished" and done["version"] > page["version"]
        badge = re.search(r'<h1>.*?</h1>', done["html"], re.S)
        assert badge and '<span class="badge st-solved">solved</span>' in badge.group(0), \
            (badge.group(0) if badge else None, re.findall(r'id="(?:error|assurance)">[^<]*', done["html"]))
        assert done["html"].count('class="card ') == 3
        assert (await s.command("pacore.runPage"))["solveId"] == sid  # the latest by default
        # kept on disk, git-ignored, and rebuildable with `pacore view`
        kept = list((s.root / RUNS_DIR).glob("*.json"))
        assert len(kept) == 1 and sid in kept[0].name
        rec = RunRecord.load(kept[0])
        assert rec.result.status == "solved" and [r.k for r in rec.result.rounds] == [2, 1]
        assert (s.root / ".pacore" / ".gitignore").read_text().splitlines()[-1] == "*"
        subprocess.run(["git", "init", "-q", str(s.root)], check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=s.root,
                                capture_output=True, text=True, check=True).stdout
        assert ".pacore" not in status and "pkg/mathx.py" in status
        # write: the page beside the record, for editors that open a browser
        written = await s.command("pacore.runPage", {"solveId": sid, "write": True})
        assert written["html"] is None and Path(written["path"]) == kept[0].with_suffix(".html")
        assert re.sub(r"nonce-[\w-]+|nonce=\"[\w-]+\"", "", Path(written["path"]).read_text()) == \
            re.sub(r"nonce-[\w-]+|nonce=\"[\w-]+\"", "", done["html"])
        runs = await s.command("pacore.runs")
        assert runs[0]["solveId"] == sid and runs[0]["state"] == "finished"


async def test_run_page_of_a_cancelled_solve(session_factory: Any) -> None:
    needs_docker()
    async with session_factory(sandbox=SANDBOX) as s:
        started = await s.solve("def slow(")
        sid = started["solveId"]
        await wait_for(lambda: any("2/2 trajectories" in (getattr(v, "message", "") or "")
                                   for reports in s.client.progress_reports.values() for v in reports),
                       60, "both trajectories sampled")
        await s.command("pacore.cancel", {"solveId": sid})
        page = await s.command("pacore.runPage", {"solveId": sid})
        assert page["state"] == "interrupted"
        assert '<span class="badge st-interrupted">interrupted</span>' in page["html"]
        assert "error: cancelled" in page["html"]


async def test_run_page_errors_are_replies_not_crashes(session_factory: Any) -> None:
    async with session_factory(sandbox="local") as s:
        with pytest.raises(Exception, match="no run 'solve-99'"):
            await s.command("pacore.runPage", {"solveId": "solve-99"})
        with pytest.raises(Exception, match="Invalid Params"):
            await s.command("pacore.runPage", {"since": "yesterday"})
        with pytest.raises(Exception, match="no run"):
            await s.command("pacore.runPage", {"solveId": "file:../../etc/passwd.json"})
        assert await s.command("pacore.runs") == []


def test_kept_records_are_bounded(tmp_path: Path) -> None:
    rec = RunRecord.load(Path(__file__).resolve().parents[2] / "examples" / "demo" / "record.json")
    paths = []
    for i in range(6):
        paths.append(save_record(tmp_path, rec, f"solve-{i}", keep=3))
        paths[-1].with_suffix(".html").write_text("its page")  # as `pacore.runPage` writes it
    left = sorted(p.name for p in (tmp_path / RUNS_DIR).iterdir())
    assert left == sorted([p.name for p in paths[-3:]] + [p.with_suffix(".html").name for p in paths[-3:]])
    assert RunRecord.load(paths[-1]) == rec


def _slow_synthesis(inner: Any) -> Any:
    from tests.support import Reply, is_synthesis

    def answer(req: dict[str, Any], choice: int, call: int) -> Any:
        out = inner(req, choice, call)
        if is_synthesis(req) and isinstance(out, Reply):
            return Reply(out.content, latency_s=4.0)
        return out

    return answer
