"""The editor's oracle for a function stub: a `<stub>_brute` function written beside it, or
(`pacore.oracle` on, none written) the model's brute force.

Why a function beside the stub (not a setting naming a file): it is where a contestant or a
careful developer writes the slow, obviously correct version, it needs no configuration, it
sees the same imports and helpers, and it runs exactly where candidates run (spliced into the
module, in the project copy). `oracle = auto` uses it when it is there; `on` without it asks
the model once for K brute forces (pacore_core/model_function_oracle.py), as the CLI does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lsp_server.preflight import PreflightError
from pacore_core.backends.base import Backend
from pacore_core.config import RunConfig
from pacore_core.function_oracle import BRUTE_SUFFIX, OracleError, function_oracle, module_brute
from pacore_core.model_function_oracle import model_function_oracle_tests
from pacore_core.problem import Problem
from pacore_core.record import OracleRecord
from sandbox.base import Sandbox
from sandbox.models import Limits

if TYPE_CHECKING:
    from lsp_server.solve_context import SolveContext


async def with_brute_force(ctx: SolveContext, problem: Problem, sandbox: Sandbox, config: RunConfig,
                           backend: Backend, say: Callable[[str], None],
                           ) -> tuple[Problem, OracleRecord | None, list[str]]:  # fmt: skip
    """`problem` with oracle tests from `<stub>_brute`, when there is one (and `oracle` is not
    off), or with `on` from the model's brute force; the record and the run's warnings. A
    brute force of the user's that fails the stub's tests, or answers no input, stops the
    solve before any model request (PreflightError naming it)."""
    name = ctx.target.name
    brute_name = name + BRUTE_SUFFIX
    if config.oracle == "off" or ctx.target.qualname == brute_name:
        return problem, None, []
    top_level = ctx.target.class_name is None and "." not in ctx.target.qualname
    brute = module_brute(ctx.doc.text, name) if top_level else None
    if brute is None:
        return await _models(ctx, problem, sandbox, config, backend, say)
    say(f"running the brute force {brute_name}")
    limits = Limits(timeout_s=max(10.0, 4 * config.limits.timeout_s))
    try:
        oracle = await function_oracle(problem, sandbox, brute, count=config.oracle_inputs,
                                       seed=config.seed or 0, limits=limits)  # fmt: skip
    except OracleError as e:
        raise PreflightError(f"the brute force `{brute_name}`: {e}. No model request was made.") from None
    return problem.model_copy(update={"oracle_tests": oracle.suite}), oracle.record, oracle.notes


async def _models(ctx: SolveContext, problem: Problem, sandbox: Sandbox, config: RunConfig,
                  backend: Backend, say: Callable[[str], None],
                  ) -> tuple[Problem, OracleRecord | None, list[str]]:  # fmt: skip
    """No brute force of the user's: the model's, with `on`, or with `auto` when only weak
    tests (doctests, model-written ones) choose; `auto` with none kept is said nowhere. "Fix
    with PaCoRe" asks the model nothing before the function's own tests have failed."""
    weak_only = config.oracle == "auto" and problem.weak_verification and not ctx.fix
    if config.oracle != "on" and not weak_only:
        return problem, None, []
    q = ctx.target.qualname
    if ctx.target.class_name is not None or "." in q or ctx.fix:
        if weak_only:
            return problem, None, []
        where = (f"write `{ctx.target.name}{BRUTE_SUFFIX}` with the same signature beside it (Fix "
                 "asks no model before its tests fail)") if ctx.fix else \
            "a brute force is supported for module-level functions only"  # fmt: skip
        raise PreflightError(f"pacore.oracle is on and `{q}` has no brute force: {where}, or set "
                             "pacore.oracle to auto")  # fmt: skip
    say(f"asking the model for a brute force of {ctx.target.name}")
    with_tests, record, said = await model_function_oracle_tests(problem, backend, sandbox, config)
    return with_tests, record, said if record is not None or not weak_only else []
