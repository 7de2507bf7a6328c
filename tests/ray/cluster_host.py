"""Runs inside a network namespace with only loopback: a 3-node Ray cluster, scripted model
servers, and the commands the tests send (one JSON object per line on stdin; each answer is
one line `@@HOST {json}` on stdout, other output is noise from Ray).

Started once per test module by `tests/ray/conftest.py`. Every process it starts is its
descendant; a watcher thread remembers their pids so the tests can check afterwards that no
container owned by one of them, and no job worker, outlived a run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sandbox.container import LABEL, OWNER_PID
from tests.ray.dataset import responder
from tests.support import ScriptedServer
from tests.support.processes import alive, descendants, foreground

JOB_WORKERS = ("_row_task", "SandboxService")  # Ray proctitles of a run's workers


class Host:
    def __init__(self) -> None:
        from ray.cluster_utils import Cluster

        self.cluster = Cluster(initialize_head=True,
                               head_node_args={"num_cpus": 1, "include_dashboard": False})
        self.workers = [self.cluster.add_node(num_cpus=1, resources={"pacore_sandbox": 1})
                        for _ in range(2)]
        self.cluster.wait_for_nodes()
        self.servers: dict[str, ScriptedServer] = {}
        self.seen: dict[int, str] = {}
        self.owners: set[int] = set()  # processes of ours that owned a sandbox container
        self._lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        import docker

        client = docker.from_env()
        try:
            while not self._stop.is_set():
                for pid, cmd in _tree().items():
                    with self._lock:  # a worker starts as `default_worker.py`, then is renamed
                        if any(w in cmd for w in JOB_WORKERS) or pid not in self.seen:
                            self.seen[pid] = cmd
                with contextlib.suppress(Exception):
                    for c in client.api.containers(all=True, filters={"label": LABEL}):
                        owner = (c.get("Labels") or {}).get(OWNER_PID, "")
                        with self._lock:
                            if owner.isdigit() and int(owner) in self.seen:
                                self.owners.add(int(owner))
                time.sleep(0.2)
        finally:
            client.close()

    def container_owners(self) -> dict[str, Any]:
        """Sandbox services (by pid) that owned a container since the last call."""
        with self._lock:
            owners = sorted(p for p in self.owners if "SandboxService" in self.seen.get(p, ""))
            self.owners.clear()
        return {"owners": owners}

    # ---------------------------------------------------------------- commands

    def serve(self, name: str, latency_s: float = 0.0) -> dict[str, Any]:
        srv = ScriptedServer(responder(latency_s)).start()
        self.servers[name] = srv
        return {"base_url": srv.base_url, "model": srv.model}

    def calls(self, name: str) -> dict[str, Any]:
        return {"calls": self.servers[name].calls}

    def chat_requests(self, name: str) -> dict[str, Any]:
        """(marker, n, seed) of every chat request, in arrival order."""
        out = []
        for body in self.servers[name].chat_requests:
            text = json.dumps(body.get("messages", []))
            marker = text.split("[MUL-", 1)[1].split("]", 1)[0] if "[MUL-" in text else ""
            out.append([marker, body.get("n", 1), body.get("seed")])
        return {"requests": out}

    def run(self, argv: list[str], env: dict[str, str] | None = None, timeout: float = 600,
            remove_after_rows: dict[str, Any] | None = None,
            interrupt_after_rows: dict[str, Any] | None = None,
            kill_server_after_rows: dict[str, Any] | None = None) -> dict[str, Any]:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("PACORE_", "RAY_"))}
        full_env.update(env or {})
        proc = subprocess.Popen(foreground(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=full_env)
        removed = None
        if remove_after_rows is not None:
            removed = self._remove_when(Path(remove_after_rows["results"]),
                                        int(remove_after_rows["rows"]), proc)
        killed = False
        if kill_server_after_rows is not None:
            killed = self._when_rows(Path(kill_server_after_rows["results"]),
                                     int(kill_server_after_rows["rows"]), proc)
            if killed:
                self.servers[kill_server_after_rows["server"]].kill()
        interrupted = False
        if interrupt_after_rows is not None:
            interrupted = self._when_rows(Path(interrupt_after_rows["results"]),
                                          int(interrupt_after_rows["rows"]), proc)
            if interrupted:
                proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        out, err = proc.communicate(timeout=timeout)
        return {"code": proc.returncode, "stdout": out, "stderr": err, "removed": removed,
                "interrupted": interrupted, "killed": killed}

    def _when_rows(self, results: Path, rows: int, proc: subprocess.Popen[str]) -> bool:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if results.is_file() and len(results.read_text().splitlines()) >= rows:
                return True
            time.sleep(0.05)
        return False

    def _remove_when(self, results: Path, rows: int, proc: subprocess.Popen[str]) -> str | None:
        """Remove a worker node once `rows` rows are written (the run still going)."""
        if not self._when_rows(results, rows, proc):
            return None
        node = self.workers.pop(0)
        self.cluster.remove_node(node, allow_graceful=False)
        return str(node.node_id)

    def add_worker(self) -> dict[str, Any]:
        self.workers.append(self.cluster.add_node(num_cpus=1, resources={"pacore_sandbox": 1}))
        self.cluster.wait_for_nodes()
        return {"workers": len(self.workers)}

    def leaks(self, wait_s: float = 60.0) -> dict[str, Any]:
        """Job workers still alive, and containers owned by any process this host started."""
        deadline = time.monotonic() + wait_s
        while True:
            workers = [f"{pid} {cmd[:80]}" for pid, cmd in _tree().items()
                       if any(w in cmd for w in JOB_WORKERS)]
            containers = self._our_containers()
            if (not workers and not containers) or time.monotonic() > deadline:
                with self._lock:
                    seen_job = sum(any(w in c for w in JOB_WORKERS) for c in self.seen.values())
                return {"workers": workers, "containers": containers, "job_workers_seen": seen_job}
            time.sleep(0.5)

    def _our_containers(self) -> list[str]:
        import docker

        client = docker.from_env()
        try:
            with self._lock:
                ours = {str(pid) for pid in self.seen}
            return [f"{c['Id'][:12]} {c['State']}" for c in
                    client.api.containers(all=True, filters={"label": LABEL})
                    if (c.get("Labels") or {}).get(OWNER_PID) in ours]
        finally:
            client.close()

    def shutdown(self) -> dict[str, Any]:
        for srv in self.servers.values():
            srv.stop()
        self.cluster.shutdown()
        deadline = time.monotonic() + 30
        left: list[str] = []
        while time.monotonic() < deadline:
            left = [f"{pid} {cmd[:80]}" for pid, cmd in _tree().items()]
            if not left:
                break
            time.sleep(0.5)
        self._stop.set()
        return {"left": left, "servers_running": [n for n, s in self.servers.items() if s.running],
                "containers": self._our_containers()}


def _tree() -> dict[int, str]:
    """Live descendants of this process and their command lines."""
    out = {}
    for pid in alive(descendants(os.getpid())):
        try:
            out[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
        except OSError:
            continue
    return out


def main() -> None:
    host = Host()
    print("@@HOST " + json.dumps({"address": host.cluster.address}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        cmd = req.pop("cmd")
        try:
            answer = getattr(host, cmd)(**req)
        except Exception as e:  # reported to the test, which fails with it
            answer = {"host_error": f"{type(e).__name__}: {e}"}
        print("@@HOST " + json.dumps(answer), flush=True)
        if cmd == "shutdown":
            return


if __name__ == "__main__":
    main()
