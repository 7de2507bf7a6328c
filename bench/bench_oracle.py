"""Oracle tests against agreement (issue 21): pass@1 of `pacore solve` on stdin/stdout
problems whose wrong programs pass the samples, with a scripted model, side by side:

* `pacore:4`: samples only (agreement and oracle off);
* `+agreement`: execution agreement on model-written inputs;
* `+oracle`: the user's brute force and generator (`--brute --gen`);
* `+model oracle`: the model writes them (`--oracle on`: one request, K samples, kept only
  if it passes the samples and agrees with the majority).

The scripted model: a first-round sample is the correct program with probability
P_CORRECT, else the problem's wrong variant (it passes every sample); a synthesis answer
copies one reference at random (the model cannot reason: selection has to find the right
program); asked for inputs it writes a few small ones; asked for an oracle, each sample is a
correct brute force with probability 0.6, the wrong variant posing as one (it passes the
samples) with 0.25, and a brute force that fails the sample otherwise. Samples depend on
the problem, the request's seed and the choice only, so every strategy sees the same
first-round candidates (a paired comparison). pass@1 is judged on 40 hidden inputs per
problem (the reference answer), never shown to any strategy. The figures say what the
evidence does with the same candidates, not how good a model is.

Run: .venv/bin/python bench/bench_oracle.py [--repeats 3] [--p-correct 0.3] [--sandbox docker]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pacore_core.model_oracle import ORACLE_MARKER
from tests.support import Reply, ScriptedServer
from tests.support.scripted_server import is_synthesis, last_user_text

REPO = Path(__file__).resolve().parents[1]
P_CORRECT = 0.3
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
READ = "import sys\nd = sys.stdin.read().split()\nn = int(d[0]); a = list(map(int, d[1:1 + n]))\n"
GEN = ("import random, sys\nr = random.Random(int(sys.argv[1]))\nn = r.randint(1, 7)\nprint(n)\n"
       "print(*[r.randint({lo}, {hi}) for _ in range(n)])\n")  # fmt: skip


@dataclass(frozen=True)
class Task:
    name: str
    title: str
    sample: tuple[str, str]
    right: str  # body after READ
    wrong: str  # passes the sample, wrong elsewhere
    brute: str
    lo: int
    hi: int
    answer: Callable[[list[int]], str]

    def statement(self) -> str:
        given, wanted = self.sample
        return (f"# {self.title} [{self.name}]\n\nThe input is n, then n integers a_1..a_n.\n\n"
                f"## Sample Input\n```\n{given}```\n\n## Sample Output\n```\n{wanted}```\n")

    def gen(self) -> str:
        return GEN.format(lo=self.lo, hi=self.hi)


def _maxsub(a: list[int]) -> str:
    return str(max(sum(a[i:j]) for i in range(len(a)) for j in range(i + 1, len(a) + 1)))


def _run(a: list[int]) -> str:
    best = cur = 1
    for x, y in itertools.pairwise(a):
        cur = cur + 1 if y > x else 1
        best = max(best, cur)
    return str(best)


KADANE = "best = cur = a[0]\nfor x in a[1:]:\n    cur = max(x, cur + x); best = max(best, cur)\nprint(best)\n"
KADANE_0 = "best = cur = 0\nfor x in a:\n    cur = max(0, cur + x); best = max(best, cur)\nprint(best)\n"
RUN = ("best = cur = 1\nfor x, y in zip(a, a[1:]):\n    cur = cur + 1 if y {op} x else 1; "
       "best = max(best, cur)\nprint(best)\n")
RUN_BRUTE = ("print(max(j - i for i in range(n) for j in range(i + 1, n + 1)\n"
             "          if all(a[k] < a[k + 1] for k in range(i, j - 1))))\n")
TASKS = [
    Task("maxsub", "Largest sum of a non-empty contiguous subarray", ("5\n-1 2 3 -2 4\n", "7\n"),
         KADANE, KADANE_0,
         "print(max(sum(a[i:j]) for i in range(n) for j in range(i + 1, n + 1)))\n", -6, 6, _maxsub),
    Task("minimum", "The smallest of the numbers", ("3\n4 -2 7\n", "-2\n"),
         "print(min(a))\n", "m = 0\nfor x in a:\n    m = min(m, x)\nprint(m)\n",
         "print(sorted(a)[0])\n", -3, 9, lambda a: str(min(a))),
    Task("distinct", "How many distinct values", ("4\n1 1 2 5\n", "3\n"),
         "print(len(set(a)))\n", "print(1 + sum(1 for x, y in zip(a, a[1:]) if x != y))\n",
         "print(sum(1 for i in range(n) if a[i] not in a[:i]))\n", 0, 4, lambda a: str(len(set(a)))),
    Task("run", "Longest strictly increasing run of adjacent numbers", ("5\n1 3 2 4 6\n", "3\n"),
         RUN.format(op=">"), RUN.format(op=">="), RUN_BRUTE, 0, 3, _run),
    Task("pairs", "Pairs i < j with a_i + a_j = 0", ("4\n1 -1 2 3\n", "1\n"),
         "print(sum(1 for i in range(n) for j in range(i + 1, n) if a[i] + a[j] == 0))\n",
         "print(sum(1 for i in range(n) for j in range(i, n) if a[i] + a[j] == 0))\n",
         "import itertools\nprint(sum(1 for x, y in itertools.combinations(a, 2) if x + y == 0))\n", -3, 3,
         lambda a: str(sum(1 for i in range(len(a)) for j in range(i + 1, len(a)) if a[i] + a[j] == 0))),
]  # fmt: skip
BY_NAME = {t.name: t for t in TASKS}
STRATEGIES = {
    "pacore:4": ["--agreement", "off", "--oracle", "off"],
    "pacore:4+agreement": ["--agreement", "on", "--oracle", "off"],
    "pacore:4+oracle": ["--agreement", "off", "--brute", "brute.py", "--gen", "gen.py"],
    "pacore:4+model oracle": ["--agreement", "off", "--oracle", "on"],
}


def fence(body: str) -> str:
    return f"```python\n{body}```"


def program(task: Task, kind: str, tag: int) -> str:
    body = {"right": task.right, "wrong": task.wrong, "brute": task.brute}[kind]
    return f"{READ}_variant = {tag}\n{body}"


def responder(p_correct: float) -> Any:
    def answer(req: dict[str, Any], choice: int, call: int) -> Reply:
        text = last_user_text(req)
        m = re.search(r"\[(\w+)\]", text)
        task = BY_NAME.get(m.group(1)) if m else None
        if task is None:
            return Reply("I cannot tell which problem this is.")
        key = f"{task.name}:{req.get('seed')}:{choice}:{is_synthesis(req)}"
        rng = random.Random(zlib.crc32(key.encode()))
        if text.startswith(ORACLE_MARKER):
            roll = rng.random()
            kind = "brute" if roll < 0.6 else "wrong"
            brute = f"{READ}print(0)\n" if roll >= 0.85 else program(task, kind, 0)
            return Reply(f"{fence(brute)}\n{fence(task.gen())}")
        if text.startswith("Write test inputs"):
            blocks = []
            for _ in range(8):
                a = [rng.randint(task.lo, task.hi) for _ in range(rng.randint(1, 6))]
                blocks.append(f"```text\n{len(a)}\n{' '.join(map(str, a))}\n```")
            return Reply("\n".join(blocks))
        if is_synthesis(req):
            refs = _BLOCK.findall(text.split("Reference Responses:", 1)[1])
            if refs:
                return Reply(fence(rng.choice(refs)))
        kind = "right" if rng.random() < p_correct else "wrong"
        return Reply(fence(program(task, kind, rng.randrange(10**6))))

    return answer


def hidden(task: Task) -> list[tuple[str, str]]:
    rng = random.Random(zlib.crc32(task.name.encode()))
    out = []
    for _ in range(40):
        a = [rng.randint(task.lo, task.hi) for _ in range(rng.randint(1, 7))]
        out.append((f"{len(a)}\n{' '.join(map(str, a))}\n", task.answer(a)))
    return out


def correct(code: str, tests: list[tuple[str, str]]) -> bool:
    """The answer on the hidden inputs (our own scripted programs: run on the host)."""
    for given, wanted in tests:
        done = subprocess.run([sys.executable, "-c", code], input=given, capture_output=True, text=True,
                              timeout=20)  # fmt: skip
        if done.stdout.split() != wanted.split():
            return False
    return True


def solve(d: Path, srv: ScriptedServer, strategy: str, seed: int, sandbox: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "pacore_cli.main", "solve", "problem.md", "--rounds", "4", "--json",
           "--base-url", srv.base_url, "--model", srv.model, "--sandbox", sandbox,
           *STRATEGIES[strategy]]  # fmt: skip
    env = {**_env(), "PACORE_SEED": str(seed)}
    proc = subprocess.run(cmd, cwd=d, capture_output=True, text=True, timeout=1800, env=env)
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise SystemExit(f"pacore solve printed nothing ({proc.returncode}):\n{proc.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(lines[-1])
    return out


def _env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PACORE_") or k == "PACORE_SANDBOX_TAG"}
    env["PYTHONPATH"] = str(REPO)
    return env


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--p-correct", type=float, default=P_CORRECT)
    ap.add_argument("--sandbox", default="docker")
    args = ap.parse_args()
    stats = {s: {"passed": 0, "runs": 0, "ttc": 0, "calls": 0, "kept": 0} for s in STRATEGIES}
    with ScriptedServer(responder(args.p_correct)) as srv, tempfile.TemporaryDirectory() as tmp:
        for task in TASKS:
            d = Path(tmp) / task.name
            d.mkdir()
            (d / "problem.md").write_text(task.statement())
            (d / "brute.py").write_text(program(task, "brute", 0))
            (d / "gen.py").write_text(task.gen())
            tests = hidden(task)
            for repeat in range(args.repeats):
                for strategy in STRATEGIES:
                    out = solve(d, srv, strategy, repeat, args.sandbox)
                    row = stats[strategy]
                    row["runs"] += 1
                    ok = bool(out.get("code")) and correct(out["code"], tests)
                    row["passed"] += ok
                    row["ttc"] += out.get("ttc_tokens") or 0
                    row["calls"] += out.get("model_calls") or 0
                    row["kept"] += (out.get("oracle") or {}).get("source") == "model"
                    print(f"{task.name:9} repeat {repeat} {strategy:22} status={out['status']:8} "
                          f"hidden={'pass' if ok else 'fail'}", file=sys.stderr, flush=True)  # fmt: skip
    print(f"\n{len(TASKS)} stdin/stdout problems x {args.repeats} repeats, scripted model "
          f"(P_CORRECT={args.p_correct}; wrong programs pass the samples), pass@1 on 40 hidden inputs each:")
    print(f"{'strategy':24} {'pass@1':>7} {'TTC tokens':>11} {'model calls':>12} {'model oracle kept':>18}")
    for name, row in stats.items():
        runs = max(row["runs"], 1)
        kept = f"{row['kept']}/{row['runs']}" if name.endswith("model oracle") else "-"
        print(f"{name:24} {row['passed'] / runs:7.3f} {row['ttc'] / runs:11.0f} "
              f"{row['calls'] / runs:12.1f} {kept:>18}")


if __name__ == "__main__":
    main()
