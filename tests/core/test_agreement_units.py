"""Execution agreement without Docker or a model: signatures, input validation, seeded
generation, dropping uninformative inputs, clustering, ranking, evidence text and the
pytest file written from agreed pairs."""

from __future__ import annotations

import ast

from pacore_core.agreement.clustering import cluster, dropped_inputs, minorities
from pacore_core.agreement.evidence import COUNTS, FULL, SHORT, evidence_block
from pacore_core.agreement.hint_arguments import argument_strategy, draw
from pacore_core.agreement.models import AgreementRecord, Behaviour, Outcome, ProbeInput
from pacore_core.agreement.ranking import Contender, assurance, choose
from pacore_core.agreement.regression import pytest_file
from pacore_core.agreement.signatures import example_calls, literal_text, parse_call, parse_signature
from pacore_core.agreement.stdin_format import check_stdin, format_checks

STUB = '''from typing import List


def top(xs: List[int], k: int = 1) -> List[int]:
    """The k largest.

    >>> top([3, 1, 2])
    [3]
    """
'''


def value(text: str) -> Outcome:
    return Outcome(kind="value", text=text, digest=text)


def behaviour(**outs: Outcome) -> Behaviour:
    return Behaviour(outcomes=dict(outs))


INPUTS = [ProbeInput(name=n, source="hypothesis", args=f"([{i}],)") for i, n in enumerate("abc")]


def test_signature_and_calls_are_read_without_running_code() -> None:
    sig = parse_signature(STUB, "top")
    assert sig is not None and [p.name for p in sig.positional()] == ["xs", "k"]
    assert sig.accepts(([1],)) is None and sig.accepts(([1], 2)) is None
    too_many = sig.accepts(([1], 2, 3))  # rejected, never run
    assert too_many is not None and too_many.startswith("3 arguments do not fit top(xs, k=")
    assert too_many.endswith("): too many positional arguments")
    assert example_calls(STUB, "top") == [([3, 1, 2],)]
    assert parse_call("top(k=2, xs=[1])", "top", sig) == ([1], 2)
    assert parse_call("top(open('x'))", "top", sig) is None  # not a literal
    assert literal_text((float("nan"),)) is None and literal_text(([1], "a")) == "([1], 'a')"


def test_typed_inputs_are_bounded_and_the_same_for_the_same_seed() -> None:
    sig = parse_signature(STUB, "top")
    assert sig is not None
    strategy = argument_strategy(sig, example_calls(STUB, "top"))
    assert strategy is not None
    a = draw(strategy, count=12, seed_value=4, budget_s=10, max_chars=60)
    b = draw(strategy, count=12, seed_value=4, budget_s=10, max_chars=60)
    assert a == b and len(a) == 12 and len(set(a)) == 12
    assert all(len(t) <= 60 and isinstance(ast.literal_eval(t)[0], list) for t in a)
    assert "([],)" in a  # the empty list is among the edge cases
    assert draw(strategy, count=12, seed_value=5, budget_s=10, max_chars=60) != a


def test_stdin_inputs_must_follow_the_format_every_sample_shows() -> None:
    rules = format_checks(["3\n1 5 2\n", "1\n7\n"])
    names = [r for r, _ in rules]
    assert "every token is an integer" in names
    assert "the first line counts the tokens of the second" in names
    assert check_stdin("2\n4 4\n", rules, 100) is None
    assert check_stdin("hello\n", rules, 100) == "a token is not an integer"
    counted = "the first line must be the number of tokens on the second line"
    assert check_stdin("3\n1 2\n", rules, 100) == counted
    assert check_stdin("2\n1 2\n" + "9" * 200, rules, 100) == "the input has 206 characters (at most 100)"


def test_inputs_that_fail_everywhere_are_dropped_not_counted_as_disagreement() -> None:
    crash = Outcome(kind="error", text="TypeError")
    behaviours = {
        "1:0": behaviour(a=value("1"), b=crash, c=Outcome(kind="timeout")),
        "1:1": behaviour(a=value("2"), b=Outcome(kind="error", text="ValueError"), c=Outcome(kind="timeout")),
    }
    dropped = dropped_inputs(INPUTS, behaviours)
    assert set(dropped) == {"b", "c"}
    assert dropped["c"] == "timed out in every candidate"
    assert "failed in every candidate" in dropped["b"]
    # dropped inputs are never evidence; one other program returning something else is no crowd
    assert [m.input.name for m in minorities("1:0", behaviours, INPUTS, dropped)] == []
    behaviours["1:2"] = behaviour(a=value("2"), b=crash, c=Outcome(kind="timeout"))
    assert [m.input.name for m in minorities("1:0", behaviours, INPUTS, dropped)] == ["a"]


def test_clusters_weigh_size_times_returned_values_and_final_wins_only_ties() -> None:
    same = {"a": value("1"), "b": value("2")}
    behaviours = {f"1:{i}": behaviour(**same) for i in range(3)}
    behaviours["1:3"] = behaviour(a=value("1"), b=value("9"))
    behaviours["2:0"] = behaviour(a=value("1"), b=value("9"))  # the final program
    clusters = cluster(behaviours, ["a", "b"])
    assert [c.size for c in clusters] == [3, 2]
    contenders = [Contender(k, 1, 1, True) for k in behaviours]
    choice = choose(contenders, clusters, final_key="2:0", inputs=2)
    assert choice is not None and choice.key.startswith("1:") and choice.decided_by == "agreement"
    assert "3/5 candidates agreed on 2 generated inputs" in choice.reason
    # tests come first: a lone program passing more tests beats a bigger cluster
    contenders[3] = Contender("1:3", 2, 2, True)
    choice = choose(contenders, clusters, final_key="2:0", inputs=2)
    assert choice is not None and choice.key == "1:3" and choice.decided_by == "tests"
    # a tie in weight goes to the cluster holding the final program
    tie = {"1:0": behaviours["1:0"], "2:0": behaviours["2:0"]}
    tied = cluster(tie, ["a", "b"])
    choice = choose([Contender(k, 1, 1, True) for k in tie], tied, final_key="2:0", inputs=2)
    assert choice is not None and choice.key == "2:0"


def test_crashing_crowd_is_not_consensus() -> None:
    crash = Outcome(kind="error", text="IndexError")
    behaviours = {f"1:{i}": behaviour(a=crash, b=value("0")) for i in range(3)}
    behaviours["1:7"] = behaviour(a=value("5"), b=value("0"))
    behaviours["1:8"] = behaviour(a=value("5"), b=value("0"))
    clusters = cluster(behaviours, ["a", "b"])
    assert clusters[0].members == ("1:7", "1:8")  # 2 x 2 values beats 3 x 1 value


def test_evidence_names_the_minority_input_and_shrinks_with_the_level() -> None:
    behaviours = {f"1:{i}": behaviour(a=value("[3, 2, 1]"), b=value("[]")) for i in range(5)}
    behaviours["1:5"] = behaviour(a=value("[1, 2, 3]"), b=value("[]"))
    full = evidence_block("1:5", behaviours, INPUTS[:2], {}, entry_point="sort_desc", level=FULL)
    case = "on input sort_desc([0]) this program returned [1, 2, 3]; 5 of the 5 other programs"
    assert f"{case} returned [3, 2, 1]" in full
    assert "exactly like 0 of the 5 other programs" in full
    short = evidence_block("1:5", behaviours, INPUTS[:2], {}, entry_point="sort_desc", level=SHORT)
    counts = evidence_block("1:5", behaviours, INPUTS[:2], {}, entry_point="sort_desc", level=COUNTS)
    assert len(counts) < len(short) <= len(full) and "on input" not in counts
    good = evidence_block("1:0", behaviours, INPUTS[:2], {}, entry_point="sort_desc")
    assert good.endswith("it was never in a minority.")


def test_pytest_file_pins_values_and_builtin_errors_only() -> None:
    rec = AgreementRecord(inputs=INPUTS, dropped={"c": "timed out in every candidate"})
    agreed = behaviour(a=value("[3]"), b=Outcome(kind="error", text="ValueError"), c=Outcome(kind="timeout"))
    text = pytest_file(rec, agreed, module="pkg.mod", entry_point="top", agreeing=4)
    assert text is not None
    compile(text, "test_top_agreed.py", "exec")
    assert "from pkg.mod import top" in text and "4 independently generated programs" in text
    assert "(([0],), [3])," in text and "(([1],), ValueError)," in text
    assert "([2],)" not in text  # a dropped input is never pinned


def test_assurance_names_the_evidence_honestly() -> None:
    common = {"cluster_size": 6, "candidates": 8, "inputs": 40}
    assert assurance(has_tests=True, samples_only=False, passed_all=True, **common).startswith(
        "passed your tests"
    )
    assert (
        assurance(has_tests=True, samples_only=True, passed_all=True, **common)
        == "passed samples + agreed with 6/8 candidates on 40 generated inputs"
    )
    assert assurance(has_tests=False, samples_only=False, passed_all=False, **common).startswith(
        "agreement only (no tests)"
    )


def test_bench_strategies_with_agreement_and_hidden_examples() -> None:
    import pytest

    from pacore_bench.harness import public_view
    from pacore_bench.strategies import parse_strategies
    from pacore_core.problem import Problem
    from sandbox.models import CheckSuite, PytestSuite

    specs = parse_strategies("best-of-8,pacore:8,2+agreement,pacore-low+agreement,pacore:8")
    assert [(s.name, s.rounds, s.agreement) for s in specs] == [
        ("best-of-8", [], False),
        ("pacore:8,2+agreement", [8, 2], True),
        ("pacore-low+agreement", [4], True),
        ("pacore:8", [8], False),
    ]
    with pytest.raises(ValueError, match="applies to PaCoRe strategies"):
        parse_strategies("best-of-8+agreement")
    problem = Problem(
        statement="s",
        entry_point="f",
        public_tests=PytestSuite(files={"test_f.py": "def test_x():\n    pass\n"}),
        hidden_tests=CheckSuite(test_code="def check(c):\n    pass\n", entry_point="f"),
    )
    seen = public_view(problem)
    assert seen.hidden_tests is None and seen.public_tests is not None
    hidden = public_view(problem, hide_examples=True)
    assert hidden.hidden_tests is None and hidden.public_tests is None
    assert hidden.statement == problem.statement  # the prompt still shows the examples
