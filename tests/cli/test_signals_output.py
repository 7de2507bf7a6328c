"""Signals, pipes and output files of `pacore`, as subprocesses.

SIGTERM is handled like Ctrl-C (cancel, close the sandbox and its containers, exit); with
`--json` an interrupt still prints exactly one JSON object; a reader that closes the pipe
early gets no traceback; an output that cannot be written after the run keeps the result.
"""

from __future__ import annotations

import json
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
            [str(PACORE), "solve", str(stub), "--rounds", "2", "--base-url", srv.base_url,
             "--model", srv.model, "--json"], cwd=tmp_path, env=clean_env(),
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
