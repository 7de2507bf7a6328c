"""Every anticipated error is a PacoreError (one UsageError for every command), and a
candidate's verdict is one of a closed set."""

from __future__ import annotations

import typing

import pytest
from pydantic import ValidationError

from pacore_core.errors import PacoreError, SandboxError, UsageError
from pacore_core.record import Verification
from sandbox.models import TestStatus, Unverified, VerdictKind


def test_one_usage_error_for_every_command() -> None:
    import pacore_cli.bench_cmd
    import pacore_cli.main
    import pacore_cli.sandbox_cmd
    import pacore_cli.solve_cmd

    for module in (pacore_cli.main, pacore_cli.solve_cmd, pacore_cli.sandbox_cmd,
                   pacore_cli.bench_cmd):
        assert module.UsageError is UsageError, module.__name__
    assert issubclass(UsageError, PacoreError)
    with pytest.raises(UsageError) as caught:
        pacore_cli.main.build_parser().parse_args(["solve", "--rounds"])
    assert caught.value.prog == "pacore solve" and "usage: pacore solve" in (caught.value.usage or "")


def test_pool_closed_and_row_disturbed_join_the_root() -> None:
    from pacore_bench.ray_runner import RowDisturbed
    from sandbox.docker_backend import PoolClosed

    assert issubclass(PoolClosed, SandboxError) and issubclass(RowDisturbed, SandboxError)


def test_verdicts_are_a_closed_set() -> None:
    kinds = set(typing.get_args(VerdictKind))
    flat = {v for k in kinds for v in (typing.get_args(k) or (k,))}
    assert flat == set(typing.get_args(TestStatus)) | set(typing.get_args(Unverified))
    assert {"passed", "no_code", "no_tests", "not_run", "sandbox_error"} <= flat
    assert Verification().verdict == "not_run"
    with pytest.raises(ValidationError):
        Verification(verdict="passed-ish")


def test_the_sandbox_raises_the_one_root() -> None:
    """The root lives at the bottom (`sandbox.errors`) and `pacore_core.errors` re-exports
    it: one class, so `except PacoreError` above still catches a sandbox error."""
    import pacore_core.errors
    import sandbox.errors
    from sandbox.status import RuntimeUnavailable

    assert pacore_core.errors.PacoreError is sandbox.errors.PacoreError
    assert pacore_core.errors.SandboxError is sandbox.errors.SandboxError
    with pytest.raises(PacoreError) as caught:
        raise RuntimeUnavailable("runsc", ["runc"])
    assert caught.value.setting == "sandbox_runtime"
    assert "--runtime" in caught.value.render(lambda key: {"sandbox_runtime": "--runtime"}[key])
