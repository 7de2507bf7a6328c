"""The sandbox is built from the settings in one place (`pacore_core.sandbox_setup`): the
editor, the CLI commands and `pacore sandbox run` read the same keys the same way."""

from __future__ import annotations

import ast
from pathlib import Path

from lsp_server.server import PacoreLanguageServer, default_sandbox_factory
from pacore_cli.run_setup import open_sandbox
from pacore_core.config import Settings
from pacore_core.sandbox_setup import node_sandbox, sandbox_from_settings
from sandbox.base import Sandbox
from sandbox.docker_backend import DockerSandbox
from sandbox.local_backend import LocalSandbox
from sandbox.ray_backend import RaySandbox

REPO = Path(__file__).resolve().parents[2]
PRODUCT = ("pacore_core", "lsp_server", "pacore_cli", "pacore_bench", "pacore_view")
BUILDERS = {"make_sandbox", "DockerSandbox", "LocalSandbox", "RaySandbox"}
ALLOWED = {
    "pacore_core/sandbox_setup.py": {"make_sandbox"},  # the one place
    "pacore_bench/ray_runner.py": {"RaySandbox"},  # a bench row borrows the cluster's services
}


def settings(**server: object) -> Settings:
    sandbox_parallelism = server.pop("sandbox_parallelism", None)
    return Settings.model_validate({"server": server, "run": {"sandbox_parallelism": sandbox_parallelism}})


def builders_called(path: Path) -> set[str]:
    called = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in BUILDERS:
                called.add(name)
    return called


def test_only_sandbox_setup_builds_a_sandbox_from_settings() -> None:
    found = {}
    for package in PRODUCT:
        for path in sorted((REPO / package).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            extra = builders_called(path) - ALLOWED.get(rel, set())
            if extra:
                found[rel] = sorted(extra)
    assert found == {}


async def close(*sandboxes: Sandbox) -> None:
    for sb in sandboxes:
        await sb.close()


async def test_the_editor_honours_sandbox_parallelism() -> None:
    """The editor built its sandbox without `sandbox_parallelism` (one per CPU whatever the
    key said); it now reads the key like the CLI."""
    three = settings(sandbox="local", sandbox_parallelism=3)
    editor, cli = default_sandbox_factory(three), open_sandbox(three)
    try:
        assert isinstance(editor, LocalSandbox) and isinstance(cli, LocalSandbox)
        assert editor.parallelism == cli.parallelism == 3
    finally:
        await close(editor, cli)


async def test_the_editor_reuses_a_sandbox_only_for_the_same_settings() -> None:
    server = PacoreLanguageServer()
    two = settings(sandbox="local", sandbox_parallelism=2)
    three = settings(sandbox="local", sandbox_parallelism=3)
    try:
        first = server.sandbox_for(two)
        assert server.sandbox_for(settings(sandbox="local", sandbox_parallelism=2)) is first
        other = server.sandbox_for(three)
        assert other is not first and isinstance(other, LocalSandbox) and other.parallelism == 3
    finally:
        await server.close_sandboxes()


async def test_ray_settings_reach_the_sandbox() -> None:
    ray = settings(sandbox="ray", ray_address="auto", image="pacore-sandbox:custom")
    cluster, one = open_sandbox(ray), sandbox_from_settings(ray, one_candidate=True)
    try:
        assert isinstance(cluster, RaySandbox) and cluster.address == "auto"
        # one candidate (`pacore sandbox run`) needs no cluster: a Docker sandbox with one slot
        assert isinstance(one, DockerSandbox) and one.parallelism == 1
    finally:
        await close(cluster, one)


def test_bench_on_ray_runs_each_nodes_sandbox_from_the_same_settings() -> None:
    ray = settings(sandbox="ray", image="pacore-sandbox:custom", sandbox_runtime="runsc")
    assert node_sandbox(ray) == ("docker", {"image": "pacore-sandbox:custom", "runtime": "runsc"})
    assert node_sandbox(settings(sandbox="local")) == ("local", {})
