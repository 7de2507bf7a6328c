"""Run page and bench report benchmarks (issue 22): render time and size.

1. A `high` run: widths [32, 4] + the final 1 = 37 trajectories, each a ~40-line program
   verified on 50 tests (failing candidates fail a third of them, with expected/actual,
   messages and tracebacks), the synthesis prompts holding the compacted messages.
2. A 500-row bench report: 100 problems x 5 strategies, the summary and the PNG plot.

The records are made here (no model, no sandbox): what is measured is `pacore_view` alone.
Run: .venv/bin/python bench/bench_view.py [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pacore_bench.harness import BenchMeta, BenchRow, summarise
from pacore_bench.plot import plot_scaling
from pacore_core.config import RunConfig
from pacore_core.problem import Problem
from pacore_core.record import (
    RoundRecord,
    RunRecord,
    RunResult,
    SelectedCandidate,
    SuiteScore,
    TrajectoryRecord,
    Verification,
)
from pacore_view import render_run
from pacore_view.bench_page import render_bench
from pacore_view.highlight import code_html
from sandbox.models import TestResult

TESTS = 50


def program(r: int, i: int) -> str:
    body = "\n".join(
        f"    acc = (acc * {i + 3} + x[{j} % len(x)]) % 1000003  # step {j}" for j in range(36)
    )
    return f"def solve(x: list[int]) -> int:\n    acc = {r}\n{body}\n    return acc\n"


def verification(ok: bool, seed: int) -> Verification:
    tests = []
    for n in range(TESTS):
        fail = not ok and n % 3 == seed % 3
        tests.append(
            TestResult(
                name=f"test_solution.py::test_case_{n}",
                status="failed" if fail else "passed",
                duration_s=0.004,
                expected=f"{n * 7919 % 1000003}\n" if fail else None,
                actual=f"{n * 31 % 9973}\n" if fail else None,
                error_type="AssertionError" if fail else None,
                message=f"assert solve([{n}, {n + 1}, {n + 2}]) == {n * 7919}" if fail else None,
                traceback='Traceback (most recent call last):\n  File "test_solution.py", line 12\n' * 3
                if fail
                else None,
            )
        )
    passed = sum(t.status == "passed" for t in tests)
    return Verification(
        verdict="passed" if ok else "failed",
        passed=passed,
        total=TESTS,
        public=SuiteScore(passed=passed, total=TESTS),
        tests=tests,
        duration_s=1.2,
    )


def high_run() -> RunRecord:
    rounds = []
    started = 0.0
    for r, k in enumerate([32, 4, 1], start=1):
        trajs = []
        for i in range(k):
            code = program(r, i)
            ok = (i + r) % 4 == 0 or r == 3
            trajs.append(
                TrajectoryRecord(
                    index=i,
                    content="<think>"
                    + "let me think. " * 300
                    + f"</think>\nHere it is.\n```python\n{code}```",
                    completion_tokens=1400 + 13 * i,
                    prompt_tokens=900 if i == 0 else 0,
                    latency_s=20 + i * 0.3,
                    code=code,
                    verification=verification(ok, i),
                    arrived_s=20 + i * 0.3,
                    verified_s=21.5 + i * 0.3,
                    message=f"```python\n{code}```\n\nVerification: {'all passed' if ok else 'FAILED'}.",
                    finish_reason="stop",
                    request_id=f"req-{r}",
                )
            )
        messages = [t.message for t in trajs] if k > 1 else []
        prompt = "You are given a problem and a list of reference responses.\n" + "\n".join(
            f"Reference {n + 1}:\n{m}" for n, m in enumerate(messages)
        )
        rounds.append(
            RoundRecord(
                round=r,
                k=k,
                prompt=prompt,
                input_tokens=len(prompt) // 4,
                trajectories=trajs,
                messages=messages,
                message_sources=[[t.index] for t in trajs] if k > 1 else [],
                generation_s=30,
                wall_s=32,
                started_s=started,
            )
        )
        started += 32
    result = RunResult(
        status="solved",
        code=rounds[-1].trajectories[0].code,
        verification=rounds[-1].trajectories[0].verification or Verification(),
        selected=SelectedCandidate(source="final", round=3, index=0, reason="the final synthesis"),
        selection_tests="public",
        rounds=rounds,
        wall_s=96,
        assurance="passed your tests",
    )
    result.tally_costs()
    problem = Problem(id="bench-high", statement="Compute the checksum.\n" * 40, entry_point="solve")
    return RunRecord(
        backend="openai", model="bench", config=RunConfig(rounds=[32, 4]), problem=problem, result=result
    )


def bench_dir(root: Path, problems: int = 100, strategies: int = 5) -> Path:
    names = ["single", "best-of-8", "self-consistency-8", "pacore-low", "pacore-high"][:strategies]
    rows = []
    for p in range(problems):
        for s, name in enumerate(names):
            passed = (p * (s + 1)) % 3 != 0
            rows.append(
                BenchRow(
                    problem=f"HumanEval/{p}",
                    strategy=name,
                    repeat=0,
                    seed=p,
                    passed=passed,
                    score_passed=5 if passed else 2,
                    score_total=5,
                    ttc_tokens=1000 * (s + 1),
                    reason="the final synthesis",
                    wall_s=3.0,
                    page=f"runs/p{p}-s{s}.html",
                )
            )
    (root / "results.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in rows))
    summaries = summarise(rows, names)
    (root / "summary.json").write_text(json.dumps([s.model_dump() for s in summaries]))
    (root / "bench.json").write_text(BenchMeta(dataset="humaneval", model="bench").model_dump_json())
    plot_scaling(summaries, root / "pass_at_1_vs_ttc.png")
    (root / "runs").mkdir()
    for r in rows:
        (root / str(r.page)).write_text("page")
    return root


def timed(fn, repeats: int, clear=lambda: None) -> tuple[float, float, str]:  # type: ignore[no-untyped-def]
    """Median wall and CPU seconds (CPU time: what the figure is on a machine shared with others)."""
    walls, cpus, out = [], [], ""
    for _ in range(repeats):
        clear()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    record = high_run()
    trajectories = sum(len(r.trajectories) for r in record.result.rounds)
    tests = sum(
        len(t.verification.tests) for r in record.result.rounds for t in r.trajectories if t.verification
    )
    render_run(record)  # templates compiled, lexers loaded: what a second page costs
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    wall, cpu, html = timed(lambda: render_run(record), args.repeats, code_html.cache_clear)
    print(
        f"run page, K=32 ('high', {trajectories} trajectories, {tests} test results): "
        f"{wall * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU (median of {args.repeats}), "
        f"{len(html.encode()) / 1e6:.2f} MB (record {len(record.model_dump_json().encode()) / 1e6:.2f} MB)"
    )
    wall, cpu, html = timed(lambda: render_run(record), args.repeats)
    print(
        f"  the same page redrawn (a live page: programs already highlighted): {wall * 1000:.0f} ms wall, "
        f"{cpu * 1000:.0f} ms CPU"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = bench_dir(Path(tmp))
        wall, cpu, html = timed(lambda: render_bench(root), args.repeats)
        print(
            f"bench report, 500 rows (100 problems x 5 strategies): {wall * 1000:.0f} ms wall, "
            f"{cpu * 1000:.0f} ms CPU (median of {args.repeats}), {len(html.encode()) / 1e6:.2f} MB"
        )


if __name__ == "__main__":
    main()
