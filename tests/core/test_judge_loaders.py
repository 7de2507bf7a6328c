"""Kattis/ICPC packages (legacy and 2023-07 layouts) and directory problems with testlib
checkers/interactors load into the suites the sandbox judges; malformed ones say what to fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pacore_core.loaders import ProblemLoadError, load_problem
from sandbox.models import IOSuite, Limits
from tests.support.judge_problems import (
    write_guess_kattis,
    write_split_kattis,
    write_split_testlib_dir,
)


def _io(suite: object) -> IOSuite:
    assert isinstance(suite, IOSuite)
    return suite


def test_legacy_package_with_a_cpp_validator_and_its_header(tmp_path: Path) -> None:
    problem = load_problem(write_split_kattis(tmp_path))
    public, hidden = _io(problem.public_tests), _io(problem.hidden_tests)
    assert problem.id == "splitn" and problem.mode == "io" and not problem.interactive
    assert [t.name for t in public.tests] == ["sample/1"]
    assert [t.name for t in hidden.tests] == ["secret/01-small", "secret/02-big"]
    checker = public.checker
    assert checker is not None and checker.convention == "kattis" and checker.language == "cpp"
    assert checker.main == "validate.cpp" and set(checker.files) == {"validate.cpp", "validate.h"}
    assert hidden.checker == checker and public.interactor is None
    assert "# Split N" in problem.statement and "Input (sample/1)" in problem.statement
    assert "1000000000" not in problem.statement  # secret data never reaches the prompt
    assert problem.limits is not None
    assert (problem.limits.time_s, problem.limits.memory_mb) == (2.0, 256)
    applied = problem.limits.apply(Limits(timeout_s=10, memory_mb=512))
    assert (applied.timeout_s, applied.memory_mb) == (2.0, 256)


def test_2023_07_interactive_package_with_groups_and_interaction_samples(tmp_path: Path) -> None:
    problem = load_problem(write_guess_kattis(tmp_path), language="cpp")
    public, hidden = _io(problem.public_tests), _io(problem.hidden_tests)
    assert problem.interactive and problem.language == "cpp"
    interactor = public.interactor
    assert interactor is not None and interactor.convention == "kattis" and public.checker is None
    assert interactor.language == "python" and interactor.main == "interactor.py"
    args = {t.name: t.checker_args for t in hidden.tests}
    assert args == {"secret/group1/0": [], "secret/group1/1": [],
                    "secret/group2/0": ["7"], "secret/group2/1": ["7"]}  # fmt: skip
    assert "Sample interaction 1" in problem.statement and "> 50\n< lower" in problem.statement
    assert "Flush standard output" in problem.statement
    assert problem.limits is not None and problem.limits.time_s == 3.0


def test_directory_with_a_testlib_checker(tmp_path: Path) -> None:
    problem = load_problem(write_split_testlib_dir(tmp_path))
    public, hidden = _io(problem.public_tests), _io(problem.hidden_tests)
    assert public.checker is not None and public.checker.convention == "testlib"
    assert public.checker.language == "cpp" and hidden.checker == public.checker
    assert [t.name for t in public.tests] == ["sample1", "two"]
    assert [t.name for t in hidden.tests] == ["hidden/large"]


def test_directory_interactor_marks_the_problem_interactive(tmp_path: Path) -> None:
    d = write_split_testlib_dir(tmp_path)
    (d / "checker.cpp").unlink()
    (d / "interactor.py").write_text("import sys\nsys.exit(0)\n")
    problem = load_problem(d)
    public = _io(problem.public_tests)
    assert problem.interactive and public.interactor is not None and public.checker is None
    assert public.interactor.convention == "testlib" and "interactive problem" in problem.statement


def test_default_validator_flags_become_a_builtin_comparison(tmp_path: Path) -> None:
    d = write_split_kattis(tmp_path)
    (d / "problem.yaml").write_text("validation: default\nvalidator_flags: float_tolerance 1e-4\n")
    suite = _io(load_problem(d).public_tests)
    assert suite.checker is None and suite.comparison == "float_abs_rel"
    assert suite.float_tolerance == 1e-4 and not suite.case_sensitive
    (d / "problem.yaml").write_text("validator_flags: case_sensitive space_change_sensitive\n")
    suite = _io(load_problem(d).public_tests)
    assert suite.comparison == "exact" and suite.case_sensitive


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: [(d / "problem.yaml").write_text("validation: custom\n"),
                    shutil.rmtree(d / "output_validators")], "no output_validator/"),
        (lambda d: (d / "problem.yaml").write_text("validation: [oops\n"), "not valid YAML"),
        (lambda d: (d / "problem.yaml").write_text("validator_flags: float_tolerance\n"),
         "float_tolerance needs a number"),
        (lambda d: (d / "problem.yaml").write_text("type: submit-answer\n"), "not supported"),
        (lambda d: (d / "data" / "secret" / "02-big.ans").unlink(), "no matching 02-big.ans"),
        (lambda d: (d / "data" / "secret" / "02-big.files").mkdir(), "02-big.files: input given "
         "through files"),
        (lambda d: (d / "problem.yaml").write_text("limits:\n  time_limit: soon\n"),
         "time_limit must be seconds"),
        (lambda d: (d / "output_validators" / "split_validator" / "validate.cpp").rename(
            d / "output_validators" / "split_validator" / "validate.f90"), "no source file"),
    ],
)
def test_malformed_packages_say_what_to_fix(tmp_path: Path, change: object, message: str) -> None:
    d = write_split_kattis(tmp_path)
    change(d)  # type: ignore[operator]
    with pytest.raises(ProblemLoadError, match=message):
        load_problem(d)


def test_scoring_package_with_test_group_yaml_is_pass_fail_over_every_test(tmp_path: Path) -> None:
    d = write_guess_kattis(tmp_path)
    (d / "problem.yaml").write_text("problem_format_version: 2023-07-draft\ntype: [scoring, interactive]\n")
    group = d / "data" / "secret" / "group2"
    (group / "testdata.yaml").unlink()
    (group / "test_group.yaml").write_text("output_validator_args: ['8']\n")
    problem = load_problem(d)
    hidden = _io(problem.hidden_tests)
    assert problem.interactive and hidden.interactor is not None
    assert {t.name: t.checker_args for t in hidden.tests}["secret/group2/0"] == ["8"]
    assert problem.limits is None  # no time_limit, no .timelimit: the configured limits apply
