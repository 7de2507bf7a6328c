"""`pacore solve --agreement` on a stub with no tests at all: the console script, the
scripted server, the Docker sandbox. Without the flag the CLI refuses and names it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.conftest import pacore
from tests.support import Reply, ScriptedServer, by_round
from tests.support.scripted_server import Outcome, last_user_text

STUB = '''def dedupe(xs: list[int]) -> list[int]:
    """Remove repeated items, keeping the first occurrence of each, in order."""
    ...
'''
KEEP_ORDER = [
    "```python\ndef dedupe(xs):\n    return list(dict.fromkeys(xs))\n```",
    "```python\ndef dedupe(xs):\n    seen, out = set(), []\n    for x in xs:\n        if x not in seen:\n"
    "            seen.add(x)\n            out.append(x)\n    return out\n```",
    "```python\ndef dedupe(xs):\n    return [x for i, x in enumerate(xs) if x not in xs[:i]]\n```",
]
SORTS = "```python\ndef dedupe(xs):\n    return sorted(set(xs))\n```"  # loses the order
INPUTS = "```python\ndedupe([3, 1, 3, 2])\ndedupe([])\n```"


ROUNDS = by_round([KEEP_ORDER[0], SORTS, KEEP_ORDER[1], KEEP_ORDER[2]], SORTS, SORTS)


def responder(req: dict[str, Any], choice: int, call: int) -> Outcome:
    if last_user_text(req).startswith("Write test inputs"):
        return Reply(INPUTS)
    return ROUNDS(req, choice, call)


def test_solve_without_tests_by_agreement(tmp_path: Path, docker_ready: None) -> None:
    stub = tmp_path / "dedupe.py"
    stub.write_text(STUB)
    with ScriptedServer(responder) as srv:
        refused = pacore(["solve", stub, "--base-url", srv.base_url, "--model", srv.model], cwd=tmp_path)
        assert refused.code == 2, refused.stderr  # no tests: a usage error
        assert "no tests found" in refused.stderr + refused.stdout
        assert "--agreement" in refused.stderr + refused.stdout
        assert srv.chat_requests == []  # refused before asking the model anything
        out = pacore(
            ["solve", stub, "--agreement", "--rounds", "4", "--base-url", srv.base_url, "--model", srv.model,
             "--json", "--output", tmp_path / "solved.py"],
            cwd=tmp_path,
        )  # fmt: skip
    assert out.code == 0, out.stdout + out.stderr
    payload = json.loads(out.stdout.strip().splitlines()[-1])
    assert payload["status"] == "solved"
    assert payload["assurance"].startswith("agreement only (no tests): agreed with 3/5 candidates on ")
    assert payload["agreement"]["decided_by"] == "agreement"
    assert "sorted(set(xs))" not in payload["code"]
    assert "assurance: agreement only (no tests)" in out.stderr  # the summary (stdout is JSON)
    assert (tmp_path / "solved.py").read_text() == payload["code"]


DOCTEST_STUB = '''def dedupe(xs: list[int]) -> list[int]:
    """Remove repeated items, keeping the first occurrence of each, in order.

    >>> dedupe([1, 1, 2])
    [1, 2]
    """
    ...
'''


def test_examples_only_use_agreement_by_default(tmp_path: Path, docker_ready: None) -> None:
    """`agreement = auto` (the default): a stub checked by its docstring example alone is
    solved with agreement (the wrong program that passes the example is not chosen); with
    `--agreement off` the report says 'passed samples (no agreement evidence)' and names
    the flag."""
    stub = tmp_path / "dedupe.py"
    stub.write_text(DOCTEST_STUB)
    with ScriptedServer(responder) as srv:
        # agreement alone: `oracle = auto` would also ask the model for a brute force here
        common = ["--rounds", "4", "--oracle", "off", "--base-url", srv.base_url, "--model", srv.model,
                  "--json"]
        plain = pacore(["solve", stub, "--agreement", "off", *common], cwd=tmp_path)
        agreed = pacore(["solve", stub, *common], cwd=tmp_path)
    assert plain.code == 0, plain.stdout + plain.stderr
    payload = json.loads(plain.stdout.strip().splitlines()[-1])
    assert payload["assurance"] == "passed samples (no agreement evidence)"
    summary = " ".join(plain.stderr.split())  # the console wraps long lines
    assert "`--agreement` compares the candidates on generated inputs" in summary
    assert agreed.code == 0, agreed.stdout + agreed.stderr
    with_agreement = json.loads(agreed.stdout.strip().splitlines()[-1])
    assert with_agreement["assurance"].startswith("passed samples + agreed with 3/5 candidates on ")
    assert "sorted(set(xs))" not in with_agreement["code"]
    assert "--agreement` compares" not in " ".join(agreed.stderr.split())
