"""`solve --all` benchmarks (issue 23): what running independent stubs concurrently gains, and
what the dependency order costs.

1. Concurrency: 8 independent stubs in one module (each with its own test). Wall time of
   `--all` (the orchestrator, with and without its two whole-suite runs) against 8
   sequential single solves (`pacore solve FILE::fN` one after another, in process, sharing
   the backend and the sandbox).
2. Ordering: a chain of 4 stubs (f1 calls f0, f2 calls f1, ...; each correct only once its
   callee is). `--all` against 4 sequential single solves in callee order, each result
   spliced into the file before the next (what a user would do by hand). The difference is
   the orchestration's overhead when nothing can run concurrently.

The scripted model server answers every request after `--latency` seconds; rounds are
`--rounds` plus the final round of 1. Figures are printed; nothing is asserted.

Run: .venv/bin/python bench/bench_all.py [--sandbox docker|local] [--latency 1.0] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pacore_core.backends.openai_backend import OpenAIBackend
from pacore_core.config import Settings
from pacore_core.engine import Engine
from pacore_core.multi_stub.inventory import StubRef, collect
from pacore_core.multi_stub.orchestrator import SolveAll, make_plan
from pacore_core.multi_stub.state import ProjectState
from pacore_core.project.stub_problem import prepare_stub
from sandbox import make_sandbox
from sandbox.base import Sandbox
from tests.support import Reply, ScriptedServer
from tests.support.scripted_server import last_user_text

_ASKED = re.compile(r"Implement the function `(f\d+)`")


def independent(n: int) -> tuple[str, str, dict[str, str]]:
    module = "\n\n".join(f'def f{i}(x: int) -> int:\n    """Return x plus {i}."""\n    ...\n'
                         for i in range(n))
    tests = "from bench_pkg.mod import " + ", ".join(f"f{i}" for i in range(n)) + "\n\n\n"
    tests += "\n\n".join(f"def test_f{i}():\n    assert f{i}(1) == {1 + i}\n" for i in range(n))
    code = {f"f{i}": f"def f{i}(x: int) -> int:\n    return x + {i}\n" for i in range(n)}
    return module, tests, code


def chain(n: int) -> tuple[str, str, dict[str, str]]:
    parts = ['def f0(x: int) -> int:\n    """Return x plus 1."""\n    ...\n']
    parts += [f'def f{i}(x: int) -> int:\n    """Return `f{i - 1}` of x, plus 1."""\n    ...\n'
              for i in range(1, n)]
    tests = "from bench_pkg.mod import " + ", ".join(f"f{i}" for i in range(n)) + "\n\n\n"
    tests += "\n\n".join(f"def test_f{i}():\n    assert f{i}(0) == {i + 1}\n" for i in range(n))
    code = {"f0": "def f0(x: int) -> int:\n    return x + 1\n"}
    code |= {f"f{i}": f"def f{i}(x: int) -> int:\n    return f{i - 1}(x) + 1\n"
             for i in range(1, n)}
    return "\n\n".join(parts), tests, code


def project(root: Path, module: str, tests: str) -> Path:
    (root / "bench_pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "bench_pkg"\nversion = "0"\n')
    (root / "bench_pkg" / "__init__.py").write_text("")
    (root / "bench_pkg" / "mod.py").write_text(module)
    (root / "tests" / "test_mod.py").write_text(tests)
    return root


def settings(rounds: int) -> Settings:
    return Settings.model_validate({"run": {"rounds": [rounds], "stream": False}})


async def run_all(root: Path, srv: ScriptedServer, sandbox: Sandbox, rounds: int,
                  suite: bool) -> tuple[float, int]:
    backend = OpenAIBackend(srv.base_url, srv.model)
    try:
        plan = make_plan(root / "bench_pkg" / "mod.py")
        t0 = time.perf_counter()
        report = await SolveAll(plan, backend=backend, sandbox=sandbox, settings=settings(rounds),
                                run_suite=suite).run()
        return time.perf_counter() - t0, report.totals.solved
    finally:
        await backend.close()


async def run_sequential(root: Path, srv: ScriptedServer, sandbox: Sandbox, rounds: int,
                         names: list[str], write_back: bool) -> tuple[float, int]:
    backend = OpenAIBackend(srv.base_url, srv.model)
    path = root / "bench_pkg" / "mod.py"
    solved = 0
    try:
        t0 = time.perf_counter()
        for name in names:
            prepared = prepare_stub(path, name, tests=None, templates=None, require_tests=True)
            assert prepared.wrap is not None
            result = await Engine(backend, prepared.wrap(sandbox), settings(rounds).run
                                  ).solve(prepared.problem)
            solved += result.status == "solved"
            if write_back and result.code is not None:  # the user pastes it in, then goes on
                inv = collect(path)
                state = ProjectState.of(inv)
                state.accept([StubRef("bench_pkg/mod.py", name)], result.code, keep_docstring=True)
                path.write_text(state.current["bench_pkg/mod.py"])
        return time.perf_counter() - t0, solved
    finally:
        await backend.close()


def responder(code: dict[str, str], latency: float) -> Any:
    def answer(req: dict[str, Any], _choice: int, _call: int) -> Reply:
        m = _ASKED.search(last_user_text(req))
        body = code.get(m.group(1), "") if m else ""
        return Reply(f"```python\n{body}```", latency_s=latency)

    return answer


async def measure(kind: str, n: int, args: argparse.Namespace) -> None:
    module, tests, code = independent(n) if kind == "independent" else chain(n)
    names = [f"f{i}" for i in range(n)]
    sandbox = make_sandbox(args.sandbox, parallelism=4)
    rows: dict[str, list[float]] = {"--all": [], "--all (no suite runs)": [], "sequential": []}
    solved: dict[str, int] = {}
    try:
        with ScriptedServer(responder(code, args.latency)) as srv:
            with tempfile.TemporaryDirectory() as d:  # warm-up: the sandbox's containers start
                await run_sequential(project(Path(d), module, tests), srv, sandbox, args.rounds,
                                     names[:1], write_back=False)
            for _ in range(args.repeats):
                with tempfile.TemporaryDirectory() as d:
                    wall, solved["--all"] = await run_all(project(Path(d), module, tests), srv,
                                                          sandbox, args.rounds, True)
                    rows["--all"].append(wall)
                with tempfile.TemporaryDirectory() as d:
                    wall, solved["--all (no suite runs)"] = await run_all(
                        project(Path(d), module, tests), srv, sandbox, args.rounds, False)
                    rows["--all (no suite runs)"].append(wall)
                with tempfile.TemporaryDirectory() as d:
                    wall, solved["sequential"] = await run_sequential(
                        project(Path(d), module, tests), srv, sandbox, args.rounds, names,
                        write_back=kind == "chain")
                    rows["sequential"].append(wall)
    finally:
        await sandbox.close()
    seq = statistics.median(rows["sequential"])
    print(f"\n{kind}: {n} stubs, model latency {args.latency:.2f} s per request, rounds "
          f"[{args.rounds}] + final, sandbox {args.sandbox}, median of {args.repeats} "
          f"(after a warm-up solve; load average {os.getloadavg()[0]:.1f})")
    for label, walls in rows.items():
        med = statistics.median(walls)
        print(f"  {label:24s} {med:7.2f} s  ({solved[label]}/{n} solved; "
              f"{med / seq:5.2f}x sequential; runs {', '.join(f'{w:.2f}' for w in walls)})")
    all_ = statistics.median(rows["--all (no suite runs)"])
    if kind == "independent":
        print(f"  concurrency gain (sequential / --all without suite runs): {seq / all_:.2f}x")
    else:
        print(f"  ordering overhead (--all without suite runs - sequential): {all_ - seq:+.2f} s "
              f"({(all_ - seq) / n:+.2f} s per stub)")


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sandbox", choices=["docker", "local"], default="docker")
    p.add_argument("--latency", type=float, default=1.0)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    await measure("independent", 8, args)
    await measure("chain", 4, args)


if __name__ == "__main__":
    asyncio.run(main())
