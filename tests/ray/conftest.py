"""One 3-node Ray cluster for all Ray tests (a package fixture: started once), inside a
network namespace with only loopback.

Ray advertises the machine's interface address even when told 127.0.0.1, so the cluster,
the scripted model servers and every `pacore` run live in `unshare -n` (ENVIRONMENT.md);
the tests talk to that host process over its stdin/stdout (`tests/ray/cluster_host.py`).
At the end the host stops the cluster and the fixture checks that no process, server or
container of it is left.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_docker

ROOT = Path(__file__).resolve().parents[2]
PACORE = str(Path(sys.executable).with_name("pacore"))


class ClusterHost:
    def __init__(self) -> None:
        if shutil.which("unshare") is None or shutil.which("ip") is None:
            pytest.fail("the Ray tests need `unshare` and `ip` (util-linux, iproute2) and root")
        self.proc = subprocess.Popen(
            ["unshare", "-n", "bash", "-c",
             f"ip link set lo up && exec {sys.executable} -m tests.ray.cluster_host"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True,
        )
        self._answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.address: str = self._answer(180)["address"]

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("@@HOST "):
                self._answers.put(json.loads(line[7:]))
        self._answers.put(None)

    def _answer(self, timeout: float) -> dict[str, Any]:
        try:
            answer = self._answers.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the cluster host gave no answer within {timeout} s") from None
        assert answer is not None, f"the cluster host exited (code {self.proc.poll()})"
        assert "host_error" not in answer, answer["host_error"]
        return answer

    def call(self, cmd: str, timeout: float = 900, **kw: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kw}) + "\n")
        self.proc.stdin.flush()
        return self._answer(timeout)

    def pacore(self, *args: str | Path, timeout: float = 600, **kw: Any) -> dict[str, Any]:
        return self.call("run", argv=[PACORE, *map(str, args)], timeout=timeout + 30, **kw)

    def close(self) -> dict[str, Any]:
        try:
            return self.call("shutdown", timeout=120)
        finally:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="package")
def cluster() -> Iterator[ClusterHost]:
    require_docker()
    host = ClusterHost()
    try:
        yield host
    finally:
        end = host.close()
        assert host.proc.returncode == 0, f"cluster host exit code {host.proc.returncode}"
        assert end["left"] == [], f"processes left after the cluster stopped: {end['left']}"
        assert end["servers_running"] == [] and end["containers"] == [], end
