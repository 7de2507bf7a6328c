"""Signals, pipes and output files of `pacore`, as subprocesses.

SIGTERM is handled like Ctrl-C (cancel, close the sandbox and its containers, exit); with
`--json` an interrupt still prints exactly one JSON object; a reader that closes the pipe
early gets no traceback; an output that cannot be written after the run keeps the result.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import PACORE, clean_env, pacore
from tests.cli.test_solve import ROMAN_GOOD, write_roman
from tests.support import Reply, ScriptedServer, is_synthesis
from tests.support.processes import foreground
from tests.support.scripted_server import last_user_text


def containers_of(pid: int) -> list[str]:
    out = subprocess.run(["docker", "ps", "-a", "-q", "--filter", "label=pacore",
                          "--filter", f"label=pacore.owner-pid={pid}"],
                         capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.split()


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def slow_final_round(req: dict[str, Any], choice: int, call: int) -> Reply:
    """Round 1 answers at once (its candidates are verified in containers); the final
    synthesis takes far longer than the test, so the run is in flight when signalled."""
    return Reply(ROMAN_GOOD, latency_s=300.0 if is_synthesis(req) else 0.0)


@pytest.mark.docker
@pytest.mark.parametrize(("signum", "code", "word"), [(signal.SIGTERM, 143, "terminated"),
                                                      (signal.SIGINT, 130, "interrupted")])
def test_signal_cancels_cleans_up_and_prints_one_json_object(
        tmp_path: Path, docker_ready: None, signum: int, code: int, word: str) -> None:
    stub = write_roman(tmp_path)
    with ScriptedServer(slow_final_round) as srv:
        proc = subprocess.Popen(
            foreground([str(PACORE), "solve", str(stub), "--rounds", "2", "--base-url", srv.base_url,
                        "--model", srv.model, "--json"]), cwd=tmp_path, env=clean_env(),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: srv.calls >= 2 or proc.poll() is not None, 120,
                       "the final round's request")
            assert proc.poll() is None, proc.communicate()
            assert containers_of(proc.pid), "the run's containers are up before the signal"
            proc.send_signal(signum)
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == code, stderr
    assert f"pacore: {word}" in stderr and "Traceback" not in stderr, stderr
    assert containers_of(proc.pid) == [], "containers left behind"
    lines = stdout.splitlines()
    assert len(lines) == 1, stdout
    obj = json.loads(lines[0])
    assert obj["status"] == "error" and word in obj["error"], obj


def test_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    (tmp_path / "sol.py").write_text("print(int(input()) * 2)\n")
    (tmp_path / "tests.json").write_text(json.dumps(
        [{"input": f"{i}\n", "output": f"{2 * i}\n"} for i in range(6)]))
    proc = subprocess.Popen(
        [str(PACORE), "sandbox", "run", "--backend", "local", "--code", "sol.py",
         "--tests", "tests.json"], cwd=tmp_path, env=clean_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -0`: the reader is gone before anything is written
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=120)
    proc.stderr.close()
    assert "BrokenPipeError" not in stderr and "Traceback" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr
    assert proc.returncode == 141


def test_output_that_fails_after_the_run_keeps_the_result(tmp_path: Path) -> None:
    stub = write_roman(tmp_path)
    out_dir = tmp_path / "answers"
    out_dir.mkdir()

    def reply_then_break_the_directory(req: dict[str, Any], choice: int, call: int) -> Reply:
        if out_dir.is_dir():  # checked writable before sampling; now it becomes a file
            shutil.rmtree(out_dir)
            out_dir.write_text("not a directory any more")
        return Reply(ROMAN_GOOD)

    with ScriptedServer(reply_then_break_the_directory) as srv:
        args = ["solve", stub, "--rounds", "2", "--base-url", srv.base_url, "--model", srv.model,
                "--sandbox", "local", "--output", out_dir / "roman.py",
                "--record", out_dir / "run.json"]
        text = pacore(args, cwd=tmp_path)
        out_dir.unlink()
        out_dir.mkdir()
        as_json = pacore([*args, "--json"], cwd=tmp_path, env=clean_env())
    assert text.code == 1, text.stderr
    assert f"could not write the program to {out_dir / 'roman.py'}" in text.stderr
    assert f"could not write the run record to {out_dir / 'run.json'}" in text.stderr
    assert "for value, sym in" in text.stdout  # the program is printed, not lost
    assert as_json.code == 1, as_json.stderr
    obj = json.loads(as_json.stdout)
    assert obj["status"] == "solved" and "for value, sym in" in obj["code"]
    assert len(obj["write_errors"]) == 2, obj["write_errors"]


def start_in_background(args: list[str | Path], cwd: Path) -> tuple[subprocess.Popen[str], int]:
    """As CI, `nohup` scripts and job runners do: a non-interactive shell starts pacore with
    `&`, so pacore inherits SIGINT as ignored. Returns the shell and pacore's pid; the shell
    prints `exit N` when pacore ends (its stdout and stderr go to out.json and err.txt)."""
    script = '"$0" "$@" >out.json 2>err.txt & echo $!; wait $!; echo "exit $?"'
    proc = subprocess.Popen(["sh", "-c", script, str(PACORE), *map(str, args)], cwd=cwd,
                            env=clean_env(), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    pid = int(proc.stdout.readline())
    # the shell's child ignores SIGINT just after the fork, then executes pacore: check once
    # it has (before, the child is still `sh -c ...`)
    wait_until(lambda: Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] != b"sh", 30,
               "pacore to start")
    ignored = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                   if line.startswith("SigIgn:"))
    assert int(ignored.split()[1], 16) & (1 << (signal.SIGINT - 1)), "SIGINT is not ignored"
    return proc, pid


def terminate_and_wait(proc: subprocess.Popen[str], pid: int) -> int:
    """SIGTERM to pacore alone; its exit status as the shell saw it."""
    os.kill(pid, signal.SIGTERM)
    try:
        rest, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.kill(pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError("SIGTERM did not stop pacore (SIGINT ignored)") from None
    return int(rest.strip().rsplit(" ", 1)[-1])


@pytest.mark.docker
def test_sigterm_stops_solve_when_sigint_is_ignored(tmp_path: Path, docker_ready: None) -> None:
    stub = write_roman(tmp_path)
    with ScriptedServer(slow_final_round) as srv:
        proc, pid = start_in_background(
            ["solve", stub, "--rounds", "2", "--base-url", srv.base_url, "--model", srv.model,
             "--json"], tmp_path)
        try:
            wait_until(lambda: srv.calls >= 2 or proc.poll() is not None, 120,
                       "the final round's request")
            assert proc.poll() is None, (tmp_path / "err.txt").read_text()
            assert containers_of(pid), "the run's containers are up before the signal"
            code = terminate_and_wait(proc, pid)
        finally:
            if proc.poll() is None:
                os.kill(pid, signal.SIGKILL)
                proc.communicate()
    stderr = (tmp_path / "err.txt").read_text()
    assert code == 143, stderr
    assert "pacore: terminated" in stderr and "Traceback" not in stderr, stderr
    assert containers_of(pid) == [], "containers left behind"
    lines = (tmp_path / "out.json").read_text().splitlines()
    assert len(lines) == 1, lines
    obj = json.loads(lines[0])
    assert obj["status"] == "error" and "terminated" in obj["error"], obj


@pytest.mark.docker
def test_sigterm_stops_bench_keeping_finished_rows(tmp_path: Path, docker_ready: None) -> None:
    data = tmp_path / "problems"
    data.mkdir()
    for name in ("a", "b", "c"):
        (data / f"{name}.md").write_text(f"# Echo [{name.upper()}-MARK]\n\nPrint the input.\n\n"
                                         "## Sample Input\n\n```\n1\n```\n\n## Sample Output\n\n"
                                         "```\n1\n```\n")

    def reply(req: dict[str, Any], choice: int, call: int) -> Reply:
        slow = "[C-MARK]" in last_user_text(req)  # the third problem's model never answers
        return Reply("```python\nprint(input())\n```", latency_s=300.0 if slow else 0.0)

    out = tmp_path / "out"
    with ScriptedServer(reply) as srv:
        proc, pid = start_in_background(
            ["bench", "--dataset", f"dir:{data}", "--strategies", "single", "--concurrency", "1",
             "--out", out, "--base-url", srv.base_url, "--model", srv.model], tmp_path)
        try:
            wait_until(lambda: len(rows(out)) >= 2 or proc.poll() is not None, 180,
                       "two finished rows")
            wait_until(lambda: srv.calls >= 3 or proc.poll() is not None, 60,
                       "the third row's request")
            assert proc.poll() is None, (tmp_path / "err.txt").read_text()
            code = terminate_and_wait(proc, pid)
        finally:
            if proc.poll() is None:
                os.kill(pid, signal.SIGKILL)
                proc.communicate()
    stderr = (tmp_path / "err.txt").read_text()
    assert code == 143, stderr
    assert "pacore: terminated" in stderr and "Traceback" not in stderr, stderr
    kept = rows(out)
    assert sorted(r["problem"] for r in kept) == ["a", "b"], kept
    assert all(r["passed"] for r in kept), kept
    assert containers_of(pid) == [], "containers left behind"


def rows(out: Path) -> list[dict[str, Any]]:
    path = out / "results.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
