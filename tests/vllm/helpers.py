"""Helpers for the real-vLLM tests: the `vllm serve` process and metric readers."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.processes import group_pids

# The context every test engine runs with: small, so compaction has to cut.
MAX_MODEL_LEN = 512
SERVED_NAME = "tiny-llama"
SERVER_START_TIMEOUT_S = 300.0

STUB = '''def add(a: int, b: int) -> int:
    """Return the sum of a and b."""
    ...
'''
TESTS = """from solution import add


def test_small():
    assert add(2, 3) == 5


def test_negative():
    assert add(-4, 1) == -3
"""

LONG_STATEMENT = "Implement `add`. " + " ".join(
    f"Note {i}: the function must return the arithmetic sum of both integer arguments."
    for i in range(120)
)


def sandbox_kind() -> str:
    """Docker, whose engine and image `make test` sets up; no quiet fallback to the local
    sandbox (that would test something else): without Docker the test fails, or skips
    with PACORE_ALLOW_SKIP_DOCKER=1."""
    from tests.conftest import require_docker

    require_docker()
    return "docker"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class VLLMServer:
    """`vllm serve` (the api_server module) in its own process group on loopback."""

    def __init__(self, model: Path, log: Path, max_model_len: int = MAX_MODEL_LEN,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.log_path = log
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.root_url = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable, "-m", "vllm.entrypoints.openai.api_server",
            "--model", str(model), "--served-model-name", SERVED_NAME,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--max-model-len", str(max_model_len), "--dtype", "float32", "--enforce-eager",
            "--gpu-memory-utilization", "0.3", "--enable-prefix-caching",
            "--enable-prompt-tokens-details", "--seed", "0", *extra_args,
        ]
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            env={"VLLM_CPU_KVCACHE_SPACE": "1", **os.environ},
        )
        self.pgid = self.proc.pid

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def wait_ready(self, timeout_s: float = SERVER_START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vllm serve exited with {self.proc.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(1)
        raise RuntimeError(f"vllm serve not ready after {timeout_s:.0f}s:\n{self.log_tail()}")

    def metrics(self) -> dict[str, float]:
        """Prometheus counters of the server, summed over labels, by metric name."""
        text = httpx.get(f"{self.root_url}/metrics", timeout=10).text
        out: dict[str, float] = {}
        for line in text.splitlines():
            m = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+([-+\d.eE]+|NaN)$", line)
            if m:
                out[m.group(1)] = out.get(m.group(1), 0.0) + float(m.group(2))
        return out

    def stop(self, timeout_s: float = 60.0) -> list[int]:
        """SIGTERM the whole group, SIGKILL what is left; return pids that survived."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pgid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout_s)
        deadline = time.monotonic() + timeout_s
        while group_pids(self.pgid) and time.monotonic() < deadline:
            time.sleep(0.5)
        for pid in group_pids(self.pgid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._log.close()
        return group_pids(self.pgid)


def engine_metrics(llm: object) -> dict[str, float]:
    """The in-process engine's Prometheus metrics, in the server's /metrics naming
    (`vllm:generation_tokens_total`, `vllm:request_params_n_count`/`_sum`)."""
    out: dict[str, float] = {}
    for m in llm.get_metrics():  # type: ignore[attr-defined]
        kind = type(m).__name__
        if kind == "Counter":
            out[f"{m.name}_total"] = out.get(f"{m.name}_total", 0.0) + float(m.value)
        elif kind == "Histogram":
            out[f"{m.name}_count"] = out.get(f"{m.name}_count", 0.0) + float(m.count)
            out[f"{m.name}_sum"] = out.get(f"{m.name}_sum", 0.0) + float(m.sum)
    return out


def delta(after: dict[str, float], before: dict[str, float], name: str) -> float:
    return after.get(name, 0.0) - before.get(name, 0.0)
