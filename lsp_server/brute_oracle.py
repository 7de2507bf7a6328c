"""The editor's oracle for a function stub: a `<stub>_brute` function written beside it.

Why a function beside the stub (not a setting naming a file): it is where a contestant or a
careful developer writes the slow, obviously correct version, it needs no configuration, it
sees the same imports and helpers, and it runs exactly where candidates run (spliced into the
module, in the project copy). `oracle = auto` uses it when it is there; `on` requires it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from lsp_server.preflight import PreflightError
from pacore_core.config import RunConfig
from pacore_core.function_oracle import BRUTE_SUFFIX, OracleError, function_oracle, module_brute
from pacore_core.problem import Problem
from pacore_core.record import OracleRecord
from sandbox.base import Sandbox
from sandbox.models import Limits

if TYPE_CHECKING:
    from lsp_server.solve_context import SolveContext


async def with_brute_force(ctx: SolveContext, problem: Problem, sandbox: Sandbox, config: RunConfig,
                           say: Callable[[str], None]) -> tuple[Problem, OracleRecord | None]:  # fmt: skip
    """`problem` with oracle tests from `<stub>_brute`, when there is one (and `oracle` is not
    off). A brute force that fails the stub's tests, or answers no input, stops the solve
    before any model request (PreflightError naming it)."""
    name = ctx.target.name
    brute_name = name + BRUTE_SUFFIX
    if config.oracle == "off" or ctx.target.qualname == brute_name:
        return problem, None
    top_level = ctx.target.class_name is None and "." not in ctx.target.qualname
    brute = module_brute(ctx.doc.text, name) if top_level else None
    if brute is None:
        if config.oracle == "on":
            where = f"define `{brute_name}` with the same signature beside it" if top_level else \
                "a brute force is supported for module-level functions only"  # fmt: skip
            raise PreflightError(f"pacore.oracle is on and `{ctx.target.qualname}` has no brute force: "
                                 f"{where}, or set pacore.oracle to auto")  # fmt: skip
        return problem, None
    say(f"running the brute force {brute_name}")
    limits = Limits(timeout_s=max(10.0, 4 * config.limits.timeout_s))
    try:
        oracle = await function_oracle(problem, sandbox, brute, count=config.oracle_inputs,
                                       seed=config.seed or 0, limits=limits)  # fmt: skip
    except OracleError as e:
        raise PreflightError(f"the brute force `{brute_name}`: {e}. No model request was made.") from None
    return problem.model_copy(update={"oracle_tests": oracle.suite}), oracle.record
