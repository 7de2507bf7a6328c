"""A big public test does not make a problem unsolvable: the console script, the scripted
model server (an 8192-token context) and the Docker sandbox.

A 1.5 MB `tests/big.in` (and its 1.8 MB expected output) used to be pasted whole into the
statement: "the problem alone takes 369657 tokens of the model's 8192-token context". The
model now sees the head of each with a note of what was cut, and every test still runs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.conftest import clean_env, pacore
from tests.support import ScriptedServer

DOUBLE_ALL = ("Double each.\n\n```python\nimport sys\n\nnums = sys.stdin.read().split()[1:]\n"
              "sys.stdout.write(''.join(f'{2 * int(x)}\\n' for x in nums))\n```\n")


@pytest.mark.docker
def test_big_public_test_is_shortened_in_the_prompt_and_still_run(
        tmp_path: Path, docker_ready: None) -> None:
    d = tmp_path / "double"
    (d / "tests").mkdir(parents=True)
    (d / "problem.md").write_text("# Double\n\nRead n, then n integers; print each doubled, "
                                  "one per line.\n")
    nums = [(i * 7919) % 100_000 for i in range(260_000)]
    (d / "tests" / "big.in").write_text(f"{len(nums)}\n{' '.join(map(str, nums))}\n")
    (d / "tests" / "big.out").write_text("".join(f"{2 * x}\n" for x in nums))
    (d / "tests" / "small.in").write_text("3\n1 2 3\n")
    (d / "tests" / "small.out").write_text("2\n4\n6\n")
    assert (d / "tests" / "big.in").stat().st_size > 1_500_000
    with ScriptedServer(DOUBLE_ALL) as srv:
        assert srv.max_model_len == 8192
        out = pacore(["solve", d, "--rounds", "1", "--base-url", srv.base_url,
                      "--model", srv.model, "--json"], cwd=tmp_path, env=clean_env())
        prompts = [r["messages"][-1]["content"] for r in srv.chat_requests]
    assert out.code == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["status"] == "solved", obj["error"]
    # every public test ran, the big one included
    assert (obj["verification"]["passed"], obj["verification"]["total"]) == (2, 2)
    names = sorted(t["name"] for t in obj["verification"]["tests"])
    assert names == ["big", "small"], names
    first = prompts[0]
    assert len(first) < 12_000, len(first)
    assert re.search(r"Input \(big; input of 1\.\d MB, first 1 of 2 lines and the first \d+ "
                     r"characters of line 2 shown\):\n260000\n", first), first[:1500]
    assert re.search(r"Expected output \(expected output of 1\.\d MB, first \d+ of 260000 lines "
                     r"shown\):\n", first), first[:3000]
    assert "Input (small):\n3\n1 2 3\nExpected output:\n2\n4\n6" in first
    assert obj["max_input_tokens"] < 8192
