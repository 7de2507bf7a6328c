"""Project mode: what is copied into the sandbox (version control's view, never secrets),
and a candidate that dumps every file it can read leaks no secret into a verdict, a run
record or the next round's prompt."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest

from pacore_core.config import RunConfig
from pacore_core.engine import Engine
from pacore_core.problem import Problem
from pacore_core.record import RunRecord
from sandbox import Candidate, Limits, ProjectSuite, Sandbox, TestSuite, Verdict
from sandbox.project import is_secret, project_files, take_snapshot
from sandbox.runners.node_select import NOT_COLLECTED
from tests.sandbox.conftest import with_sandbox
from tests.support import ScriptedServer, by_round

MARKER = f"pacore-env-secret-{secrets.token_hex(8)}"
DUMP_ALL = '''
import os

def dump():
    """Every readable file of the project copy (and $HOME): printed and returned."""
    seen = []
    for top in {os.getcwd(), os.path.expanduser("~")}:
        for dirpath, _dirs, files in os.walk(top):
            for name in files:
                path = os.path.join(dirpath, name)
                try:
                    with open(path, errors="replace") as fh:
                        seen.append(os.path.relpath(path) + ": " + fh.read(200))
                except OSError:
                    continue
    text = "\\n".join(sorted(seen))  # dot-files first: a copied .env would lead
    print(text)
    return text
'''
TEST_FILE = "from solution import dump\n\ndef test_dump():\n    text = dump()\n    assert not text, text\n"


def _workspace(root: Path, *, git: bool) -> Path:
    files = {
        "app.py": "VALUE = 1\n",
        "tests/test_app.py": TEST_FILE,
        ".env": f"API_KEY={MARKER}\n",
        ".env.local": f"API_KEY={MARKER}\n",
        "keys/server.pem": MARKER,
        "deploy/id_ed25519": MARKER,
        ".aws/credentials": f"[default]\naws_secret_access_key={MARKER}\n",
        ".netrc": f"machine x password {MARKER}\n",
        "build_output/huge.log": "ignored by .gitignore\n",
        ".gitignore": "build_output/\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    if git:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        subprocess.run(["git", "-C", str(root), "add", "app.py", ".gitignore"], check=True)
    return root


@pytest.mark.parametrize("git", [True, False], ids=["git", "no-repo"])
def test_project_files_follow_version_control_and_withhold_secrets(tmp_path: Path, git: bool) -> None:
    root = _workspace(tmp_path, git=git)
    files, withheld = project_files(root, [".git"], [])
    assert "app.py" in files and "tests/test_app.py" in files  # tracked; untracked-not-ignored
    assert sorted(withheld) == sorted(
        [".env", ".env.local", "keys/server.pem", "deploy/id_ed25519", ".aws/credentials", ".netrc"]
    )
    assert not any(f.startswith(".git/") for f in files)
    if git:
        assert "build_output/huge.log" not in files  # .gitignore is honoured
    opted, _ = project_files(root, [".git"], [".env", ".aws"])
    assert ".env" in opted and ".aws/credentials" in opted and ".env.local" not in opted


def test_secret_patterns() -> None:
    for rel in (".env", ".env.prod", "a/b/.env", "x.pem", "tls/x.key", "id_rsa", ".pypirc",
                ".npmrc", ".ssh/config", "home/.config/gcloud/credentials.db", ".kube/config"):  # fmt: skip
        assert is_secret(rel), rel
    for rel in ("env.py", "environment.yml", "keys.py", "src/identity.py", "docs/key_points.md"):
        assert not is_secret(rel), rel


class OverlaySandbox:
    """What the language server's splicing sandbox does, minus the splice: the candidate's
    code becomes `solution.py` over the one snapshot of the project."""

    def __init__(self, inner: Sandbox, snapshot_of: ProjectSuite) -> None:
        self.inner = inner
        self.name = inner.name
        self._snapshot = take_snapshot(snapshot_of.root, snapshot_of.exclude, snapshot_of.include)

    async def run(self, candidate: Candidate, suite: TestSuite, limits: Limits | None = None) -> Verdict:
        assert isinstance(suite, ProjectSuite)
        project = suite.model_copy(
            update={"overlay": {"solution.py": candidate.code}, "snapshot": self._snapshot}
        )
        return await self.inner.run(candidate, project, limits)

    async def close(self) -> None:
        return None


async def test_a_file_dumping_candidate_leaks_no_secret(tmp_path: Path, backend: str) -> None:
    root = _workspace(tmp_path / "ws", git=True)
    suite = ProjectSuite(root=root, node_ids=["tests/test_app.py::test_dump"])
    problem = Problem(id="dump", statement="Write dump().", entry_point="dump", public_tests=suite)
    code = f"```python\n{DUMP_ALL}```"
    with ScriptedServer(by_round([code, code], code)) as srv:

        async def solve(sandbox: Sandbox) -> tuple[str, str]:
            from pacore_core.backends.openai_backend import OpenAIBackend

            model = OpenAIBackend(srv.base_url, srv.model, max_retries=0)
            try:
                config = RunConfig(rounds=[2], max_error_chars=50_000)  # show the whole dump
                result = await Engine(model, OverlaySandbox(sandbox, suite), config).solve(problem)
            finally:
                await model.close()
            record = RunRecord(config=config, problem=problem, result=result).model_dump_json()
            return record, str(srv.chat_requests)

        record, prompts = await with_sandbox(backend, solve)
    assert "tests/test_app.py" in record and "app.py: VALUE = 1" in record  # the dump ran
    assert "test_dump" in prompts and "VALUE = 1" in prompts  # and its verdict reached the model
    assert MARKER not in record, "a secret reached the run record"
    assert MARKER not in prompts, "a secret reached the model's prompt"


async def test_opting_a_secret_in_copies_it(tmp_path: Path, backend: str) -> None:
    root = _workspace(tmp_path / "ws", git=False)
    suite = ProjectSuite(root=root, node_ids=["tests/test_app.py::test_dump"], include=[".env"])
    verdict = await with_sandbox(
        backend, lambda s: OverlaySandbox(s, suite).run(Candidate(code=DUMP_ALL), suite)
    )
    assert verdict.verdict == "failed"
    assert MARKER in verdict.model_dump_json()  # the filter above is what keeps it out


NAMED = '''import pytest

from app import double


@pytest.mark.parametrize("x", [1, 2, pytest.param(3, id="three")])
def test_double(x):
    assert double(x) == 2 * x


class TestDouble:
    def test_zero(self):
        assert double(0) == 0


class TestWithInit:  # pytest collects no test of a class with __init__
    def __init__(self):
        pass

    def test_never(self):
        assert double(1) == 2
'''


async def test_node_ids_select_as_pytest_does(tmp_path: Path, backend: str) -> None:
    """A node id names its parametrized instances and the tests of a class, as on pytest's
    command line; a test pytest does not collect, and one whose file cannot be imported, are
    told apart (the editor's pre-flight check blames only the second on the user)."""
    (tmp_path / "app.py").write_text("def double(x):\n    return 2 * x\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_named.py").write_text(NAMED)
    (tmp_path / "tests" / "test_broken.py").write_text("import no_such_module\n\n\n"
                                                       "def test_it():\n    pass\n")
    ids = ["tests/test_named.py::test_double", "tests/test_named.py::TestDouble",
           "tests/test_named.py::TestWithInit::test_never", "tests/test_broken.py::test_it"]
    verdict = await with_sandbox(backend, lambda sb: sb.run(
        Candidate(code=""), ProjectSuite(root=tmp_path, overlay={}, node_ids=ids)))
    by_name = {t.name: t for t in verdict.tests}
    assert sorted(by_name) == sorted([
        "tests/test_named.py::test_double[1]", "tests/test_named.py::test_double[2]",
        "tests/test_named.py::test_double[three]", "tests/test_named.py::TestDouble::test_zero",
        "tests/test_named.py::TestWithInit::test_never", "tests/test_broken.py::test_it"])
    assert [by_name[n].status for n in sorted(by_name) if "test_double" in n or "zero" in n] \
        == ["passed"] * 4
    never = by_name["tests/test_named.py::TestWithInit::test_never"]
    assert never.status == "error" and never.message == NOT_COLLECTED
    broken = by_name["tests/test_broken.py::test_it"]
    assert broken.status == "error" and broken.message is not None
    assert broken.message.startswith("not collected: ") and "no_such_module" in broken.message
    assert (verdict.passed, verdict.total) == (4, 6)
