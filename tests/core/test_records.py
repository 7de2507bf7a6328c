"""Run records and pools are untrusted input; pacore's files are written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pacore_core.backends.base import Trajectory
from pacore_core.config import RunConfig
from pacore_core.files import DataFileError, atomic_write, replacing
from pacore_core.problem import Problem
from pacore_core.record import RoundRecord, RunRecord, RunResult, TrajectoryPool, TrajectoryRecord


def record() -> RunRecord:
    rounds = [RoundRecord(round=1, k=1, prompt="p", trajectories=[
        TrajectoryRecord(index=0, content="```python\ndef f():\n    return 1\n```")])]
    return RunRecord(config=RunConfig(rounds=[1]), problem=Problem(id="f", statement="Write f."),
                     result=RunResult(status="unsolved", rounds=rounds))


def test_atomic_write_replaces_whole_files_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out" / "deep" / "run.json"  # parents are created
    atomic_write(target, "one")
    atomic_write(target, "two ✓")
    assert target.read_text(encoding="utf-8") == "two ✓"
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half a fi")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "two ✓"
    assert [p.name for p in target.parent.iterdir()] == ["run.json"]


def test_record_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    record().save(path)
    assert RunRecord.load(path) == RunRecord.model_validate_json(path.read_text())
    assert TrajectoryPool.load(path).take("f", 4)[0].content.startswith("```python")


def _bad_field(data: dict[str, Any]) -> dict[str, Any]:
    data["result"]["rounds"][0]["k"] = "many"
    return data


RECORD_CASES = [
    # (what the file holds, what the error must say besides the file name)
    (None, "does not exist"),
    (b"\xff\xfe\x00binary", "not UTF-8"),
    (b'{"version": 1, "config": ', "not valid JSON"),
    (b"[1, 2]", "valid PaCoRe run record"),
    ("missing-problem", "field problem: Field required"),
    ("bad-k", "field result.rounds.0.k: Input should be a valid integer"),
]


@pytest.mark.parametrize(("content", "expected"), RECORD_CASES)
def test_a_malformed_record_names_the_file_and_field(
        tmp_path: Path, content: bytes | str | None, expected: str) -> None:
    path = tmp_path / "given.json"
    good = json.loads(record().model_dump_json())
    if content == "missing-problem":
        del good["problem"]
        path.write_text(json.dumps(good))
    elif content == "bad-k":
        path.write_text(json.dumps(_bad_field(good)))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(DataFileError) as err:
        RunRecord.load(path)
    assert str(path) in str(err.value) and expected in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


POOL_CASES = [
    (b"5", "it holds a JSON int"),  # used to crash with a TypeError
    (b'"text"', "it holds a JSON str"),
    (b"[]", "it holds a JSON list"),
    (b"{nope", "not valid JSON"),
    (b'{"problems": {"a": [{"index": "x"}]}}', "field problems.a.0.index"),
    (b'{"problems": []}', "field problems: Input should be a valid dictionary"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),  # nesting never overflows the stack
]


@pytest.mark.parametrize(("content", "expected"), POOL_CASES)
def test_a_malformed_pool_names_the_file_and_field(
        tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "pool.json"
    path.write_bytes(content)
    with pytest.raises(DataFileError) as err:
        TrajectoryPool.load(path)
    assert str(path) in str(err.value) and expected in str(err.value), str(err.value)


def test_a_record_shaped_pool_with_a_bad_field_names_it(tmp_path: Path) -> None:
    path = tmp_path / "pool.json"
    path.write_text(json.dumps(_bad_field(json.loads(record().model_dump_json()))))
    with pytest.raises(DataFileError, match=r"pool\.json is not a valid run record: field "
                       r"result\.rounds\.0\.k"):
        TrajectoryPool.load(path)


def test_a_pool_file_is_data_only(tmp_path: Path) -> None:
    # strings that mean code to other loaders (pickle, YAML tags, jinja) stay strings
    payloads = ["{{ cycler.__init__.__globals__.os.mkdir('x') }}", "!!python/object/apply:os.system",
                "cos\nsystem\n(S'true'\ntR."]
    path = tmp_path / "pool.json"
    pool = TrajectoryPool(problems={"p": [Trajectory(index=i, content=c) for i, c in enumerate(payloads)]})
    path.write_text(pool.model_dump_json())
    assert [t.content for t in TrajectoryPool.load(path).take("p", 3)] == payloads
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pool.json"]
