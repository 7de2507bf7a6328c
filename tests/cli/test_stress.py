"""`pacore stress`: the real command, the real Docker sandbox, programs in Python and C++."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from sandbox import IOSuite, IOTest, make_sandbox
from sandbox.models import Candidate
from tests.cli.conftest import PACORE, clean_env, pacore
from tests.support.processes import foreground

GEN = """\
import random, sys
r = random.Random(int(sys.argv[1]))
n = r.randint(1, 6)
print(n)
print(*[r.randint(-5, 5) for _ in range(n)])
"""
BRUTE = """\
n = int(input()); a = list(map(int, input().split()))
print(max(sum(a[i:j]) for i in range(n) for j in range(i + 1, n + 1)))
"""
# Kadane's with the classic bug: the empty subarray (0) wins when every number is negative
WRONG_PY = """\
n = int(input()); a = list(map(int, input().split()))
best = cur = 0
for x in a:
    cur = max(0, cur + x); best = max(best, cur)
print(best)
"""
RIGHT_PY = """\
n = int(input()); a = list(map(int, input().split()))
best = cur = a[0]
for x in a[1:]:
    cur = max(x, cur + x); best = max(best, cur)
print(best)
"""
WRONG_CPP = """\
#include <cstdio>
int main() { int n; std::scanf("%d", &n); long best = 0, cur = 0;
  for (int i = 0; i < n; i++) { long x; std::scanf("%ld", &x);
    cur = cur + x > 0 ? cur + x : 0; if (cur > best) best = cur; }
  std::printf("%ld\\n", best); }
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for name, text in {"gen.py": GEN, "brute.py": BRUTE, "wrong.py": WRONG_PY, "right.py": RIGHT_PY,
                       "wrong.cpp": WRONG_CPP}.items():  # fmt: skip
        (tmp_path / name).write_text(text)
    return tmp_path


def _stress(d: Path, solution: str, *extra: str, gen: str = "gen.py", brute: str = "brute.py",
            timeout: float = 300) -> tuple[int, dict, str]:  # fmt: skip
    done = pacore(["stress", solution, "--brute", brute, "--gen", gen, "--json", *extra], cwd=d,
                  timeout=timeout)  # fmt: skip
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, f"--json must print one object: {done.stdout!r} {done.stderr}"
    return done.code, json.loads(lines[0]), done.stderr


def _rerun(language: str, code: str, stdin: str) -> str:
    """The program's output on one input, run on its own (not by `pacore stress`)."""

    async def go() -> str:
        sandbox = make_sandbox("docker", parallelism=1)
        try:
            suite = IOSuite(tests=[IOTest(name="x", input=stdin, expected="")], keep_stdout=True)
            verdict = await sandbox.run(Candidate(language=language, code=code), suite)  # type: ignore[arg-type]
            return verdict.tests[0].stdout
        finally:
            await sandbox.close()

    return asyncio.run(go())


@pytest.mark.parametrize(("solution", "language", "code"), [("wrong.py", "python", WRONG_PY),
                                                            ("wrong.cpp", "cpp", WRONG_CPP)])
def test_finds_the_smallest_counterexample_and_it_reproduces(
    docker_ready: None, files: Path, solution: str, language: str, code: str
) -> None:
    rc, out, _ = _stress(files, solution, "--count", "150")
    assert rc == 1
    assert out["status"] == "counterexample"
    found = out["counterexample"]
    assert found["verdict"] == "failed"
    # every all-negative input breaks the bug; the smallest has a single number
    n, *rest = found["input"].split("\n")
    numbers = rest[0].split()
    assert n == "1" and len(numbers) == 1 and int(numbers[0]) < 0
    assert found["expected"].strip() == numbers[0] and found["got"].strip() == "0"
    assert 1 <= out["inputs_run"] <= 150 and out["counterexamples_found"] >= 1
    # checked by re-running both programs on it, outside `pacore stress`
    assert _rerun(language, code, found["input"]).strip() == "0"
    assert _rerun("python", BRUTE, found["input"]).strip() == numbers[0]


def test_a_correct_solution_passes_every_input(docker_ready: None, files: Path) -> None:
    rc, out, _ = _stress(files, "right.py", "--count", "120")
    assert (rc, out["status"], out["inputs_run"], out["counterexample"]) == (0, "passed", 120, None)
    done = pacore(["stress", "right.py", "--brute", "brute.py", "--gen", "gen.py", "--count", "30"],
                  cwd=files)  # fmt: skip
    assert done.code == 0
    assert "no counterexample in 30 inputs" in done.stdout


def test_human_output_shows_input_expected_and_got(docker_ready: None, files: Path) -> None:
    done = pacore(["stress", "wrong.py", "--brute", "brute.py", "--gen", "gen.py", "--count", "60"],
                  cwd=files)  # fmt: skip
    assert done.code == 1
    assert "--- input" in done.stdout and "--- expected (brute force)" in done.stdout
    assert "--- got (solution)\n0" in done.stdout


def test_a_crashing_generator_is_named_not_the_solution(docker_ready: None, files: Path) -> None:
    (files / "badgen.py").write_text(
        "import sys\nif int(sys.argv[1]) == 3:\n    raise ValueError('boom')\nprint(1)\nprint(5)\n"
    )
    rc, out, err = _stress(files, "wrong.py", "--count", "10", gen="badgen.py")
    assert rc == 2
    assert out["status"] == "error" and out["broken"] == "generator" and out["seed"] == 3
    assert "the generator failed on seed 3" in out["error"] and "ValueError" in out["error"]
    assert "not the solution's" in out["error"]
    assert "the generator failed on seed 3" in err


def test_an_empty_generator_and_a_slow_brute_force_are_named(docker_ready: None, files: Path) -> None:
    (files / "silent.py").write_text("pass\n")
    rc, out, _ = _stress(files, "wrong.py", "--count", "5", gen="silent.py")
    assert (rc, out["broken"]) == (2, "generator")
    assert "printed nothing" in out["error"]
    (files / "slow.py").write_text("import time\ntime.sleep(60)\n")
    rc, out, _ = _stress(files, "wrong.py", "--count", "2", "--time-limit", "1", brute="slow.py")
    assert (rc, out["broken"]) == (2, "brute")
    assert "the brute force failed on seed 1" in out["error"] and "timeout" in out["error"]


def test_the_brute_force_must_pass_the_problems_samples(docker_ready: None, files: Path) -> None:
    (files / "problem.md").write_text(
        "# Max subarray\n\n## Sample Input\n```\n3\n-1 2 -1\n```\n\n## Sample Output\n```\n2\n```\n"
    )
    (files / "badbrute.py").write_text("input(); print(sum(map(int, input().split())))\n")
    rc, out, _ = _stress(files, "wrong.py", "--problem", "problem.md", brute="badbrute.py")
    assert (rc, out["broken"]) == (2, "brute")
    assert "fails sample" in out["error"] and "expected '2" in out["error"]
    rc, out, _ = _stress(files, "wrong.py", "--problem", "problem.md", "--count", "60")
    assert (rc, out["status"]) == (1, "counterexample")


def test_usage_errors_exit_2_with_one_json_object(files: Path) -> None:
    rc, out, _ = _stress(files, "missing.py")
    assert rc == 2 and out["status"] == "error" and "solution missing.py does not exist" in out["error"]
    rc, out, _ = _stress(files, "wrong.py", "--count", "0")
    assert rc == 2 and "--count must be at least 1" in out["error"]
    (files / "notes.txt").write_text("x")
    rc, out, _ = _stress(files, "wrong.py", gen="notes.txt")
    assert rc == 2 and "cannot tell its language from '.txt'" in out["error"]


def test_ctrl_c_stops_at_once_and_leaves_no_container(docker_ready: None, files: Path) -> None:
    import docker

    proc = subprocess.Popen(
        foreground([str(PACORE), "stress", "right.py", "--brute", "brute.py", "--gen", "gen.py",
                    "--count", "100000"]),
        cwd=files, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    client = docker.from_env()
    try:
        mine: list[str] = []
        deadline = time.monotonic() + 120
        while not mine and time.monotonic() < deadline:  # wait until it is really running
            found = client.api.containers(filters={"label": "pacore.owner-pid=" + str(proc.pid)})
            mine = [c["Id"] for c in found]
            time.sleep(0.2)
        assert mine, "stress started no sandbox container"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        left = client.api.containers(all=True, filters={"label": "pacore.owner-pid=" + str(proc.pid)})
        assert left == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        client.close()


ARGMAX_GEN = ("import random, sys\nr = random.Random(int(sys.argv[1]))\nn = r.randint(2, 6)\nprint(n)\n"
              "print(*[r.randint(0, 3) for _ in range(n)])\n")
ARGMAX_BRUTE = "input(); a = list(map(int, input().split()))\nprint(a.index(max(a)) + 1)\n"  # first index
ARGMAX_LAST = "input(); a = list(map(int, input().split()))\nprint(len(a) - a[::-1].index(max(a)))\n"
ARGMAX_CHECKER = """import sys
inp, out, _ans = (open(p).read().split() for p in sys.argv[1:4])
a = list(map(int, inp[1:]))
try:
    i = int(out[0])
except (IndexError, ValueError):
    print("not an index", file=sys.stderr); sys.exit(1)
ok = 1 <= i <= len(a) and a[i - 1] == max(a)
print("ok" if ok else f"a[{i}] is not a maximum", file=sys.stderr)
sys.exit(0 if ok else 1)
"""


def test_a_checker_accepts_any_valid_answer(docker_ready: None, tmp_path: Path) -> None:
    """'Print any index of a maximum': the last index differs from the brute force's first
    index; compared, that is a counterexample; with the checker, it is accepted."""
    for name, text in {"gen.py": ARGMAX_GEN, "brute.py": ARGMAX_BRUTE, "last.py": ARGMAX_LAST,
                       "checker.py": ARGMAX_CHECKER}.items():  # fmt: skip
        (tmp_path / name).write_text(text)
    rc, out, _ = _stress(tmp_path, "last.py", "--count", "40")
    assert (rc, out["status"]) == (1, "counterexample")
    rc, out, err = _stress(tmp_path, "last.py", "--count", "40", "--checker", "checker.py")
    assert (rc, out["status"], out["inputs_run"]) == (0, "passed", 40), err
    (tmp_path / "wrong.py").write_text("input(); print(1)\n")  # index 1 is a maximum only sometimes
    rc, out, _ = _stress(tmp_path, "wrong.py", "--count", "40", "--checker", "checker.py")
    assert (rc, out["status"]) == (1, "counterexample")
    assert "is not a maximum" in (out["counterexample"]["message"] or "")


MAXSUB_STATEMENT = ("# Maximum subarray\n\nPrint the largest sum of a non-empty contiguous subarray.\n\n"
                    "## Sample Input\n```\n5\n-1 2 3 -2 4\n```\n\n## Sample Output\n```\n7\n```\n")


def test_the_model_writes_the_missing_brute_force_and_generator(docker_ready: None, files: Path) -> None:
    from pacore_core.model_oracle import ORACLE_MARKER
    from tests.support import ScriptedServer
    from tests.support.scripted_server import last_user_text

    (files / "problem.md").write_text(MAXSUB_STATEMENT)
    bad = "input(); print(sum(map(int, input().split())))\n"  # fails the sample
    replies = [f"```python\n{bad}```\n```python\n{GEN}```", f"```python\n{BRUTE}```\n```python\n{GEN}```"]
    with ScriptedServer(replies) as srv:
        done = pacore(["stress", "wrong.py", "--problem", "problem.md", "--count", "60", "--json",
                       "--base-url", srv.base_url, "--model", srv.model], cwd=files, timeout=300)  # fmt: skip
        asked = list(srv.chat_requests)
    out = json.loads(done.stdout)
    assert done.code == 1, done.stderr
    assert out["status"] == "counterexample" and out["counterexample"]["got"].strip() == "0"
    written = out["written_by_model"]
    assert written["brute"]["code"] == BRUTE and written["generator"]["code"] == GEN
    assert written["agreeing"] == 2 and len(written["notes"]) == 2  # replies cycle: 1, 3 are bad
    assert "oracle sample 1 discarded: the brute force fails sample" in written["notes"][0]
    assert len(asked) == 1 and last_user_text(asked[0]).startswith(ORACLE_MARKER) and asked[0]["n"] == 4
    # given the brute force, only the generator is the model's
    with ScriptedServer(replies[1]) as srv:
        done = pacore(["stress", "wrong.py", "--problem", "problem.md", "--brute", "brute.py", "--count",
                       "30", "--json", "--base-url", srv.base_url, "--model", srv.model],
                      cwd=files)  # fmt: skip
    out = json.loads(done.stdout)
    assert done.code == 1 and out["written_by_model"]["brute"] is None
    assert out["written_by_model"]["generator"]["code"] == GEN


def test_without_a_model_the_missing_flags_are_named(files: Path) -> None:
    (files / "problem.md").write_text(MAXSUB_STATEMENT)
    done = pacore(["stress", "wrong.py", "--problem", "problem.md", "--brute", "brute.py", "--json"],
                  cwd=files)
    error = json.loads(done.stdout)["error"]
    assert done.code == 2 and error.startswith("--gen FILE missing and no model is configured")
    assert "--base-url URL" in error
    done = pacore(["stress", "wrong.py", "--json"], cwd=files)
    error = json.loads(done.stdout)["error"]
    assert done.code == 2 and error.startswith("--brute FILE and --gen FILE missing: give")
    assert "--problem P" in error
